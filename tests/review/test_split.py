"""``chanreplay split``: parts that keep causally linked connections together, and replay."""

from __future__ import annotations

import pytest

from chanreplay.cassette import load
from chanreplay.review.split import causal_groups, split
from tests.integration.test_pytest_plugin import INI, PASSWORD
from tests.review.test_cli import EXAMPLE, chanreplay


def _ids(parts: list[object]) -> list[list[str]]:
    return [[c.id for c in part.connections] for part in parts]  # type: ignore[attr-defined]


def test_connections_linked_by_layer_messages_stay_together() -> None:
    groups = causal_groups(load(EXAMPLE))
    # c4 and c5 chat in one room; c6's view announced to both.
    assert [[c.id for c in group] for group in groups] == [
        ["c1"],
        ["c2"],
        ["c3"],
        ["c4", "c5", "c6"],
        ["c7"],
        ["c8"],
        ["c9"],
        ["c10"],
    ]


def test_split_by_path_and_at_steps() -> None:
    cassette = load(EXAMPLE)
    assert _ids(split(cassette, by="path")) == [
        ["c1", "c2"],
        ["c3"],
        ["c4", "c5", "c6"],
        ["c7"],
        ["c8"],
        ["c9"],
        ["c10"],
    ]
    assert _ids(split(cassette, at=[10, 19])) == [
        ["c1", "c2", "c3", "c4", "c5", "c6"],
        ["c7"],
        ["c8", "c9", "c10"],
    ]
    with pytest.raises(ValueError, match="split by 'time'"):
        split(cassette, by="time")


def test_the_parts_replay(pytester: pytest.Pytester) -> None:
    """The parts written by the command, collected as tests, pass against the app.

    Cut where no database state crosses the cut (the login flow, then the rest):
    split sees the links of the channel layer, not those through the database.
    """
    pytester.makeini(INI)
    (pytester.path / "whole").mkdir()
    (pytester.path / "whole" / "session.json").write_bytes(EXAMPLE.read_bytes())
    result = chanreplay(
        "split", "whole/session.json", "-o", "parts", "--at", "7", cwd=pytester.path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "parts/session-1.json: 3 connections (/, /login/)",
        "parts/session-2.json: 7 connections (/announce/lobby/, /api/stats/, /ws/binary/, "
        "/ws/chat/lobby/, /ws/echo/, /ws/notes/)",
    ]
    parts = sorted((pytester.path / "parts").glob("*.json"))
    rejoined = sorted(c.id for part in parts for c in load(part).connections)
    assert rejoined == sorted(c.id for c in load(EXAMPLE).connections)
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture
        def chanreplay_config():
            return {{"secrets": {{"password": "{PASSWORD}"}}}}
        """
    )
    replayed = pytester.runpytest_subprocess("--chanreplay-cassettes", "parts", timeout=300)
    replayed.assert_outcomes(passed=2)


def test_the_stub_replays_each_part(tmp_path: object) -> None:
    result = chanreplay("split", str(EXAMPLE), "-o", str(tmp_path), "--stub")
    assert result.returncode == 0
    assert 'def test_example_session_4(replay):\n    replay("example_session-4")' in result.stdout
    assert result.stdout.count("def test_") == 8

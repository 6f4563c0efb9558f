"""Tests of chanreplay.replay.capture.settle: what each record mode does with a test's traffic."""

from __future__ import annotations

from pathlib import Path

import pytest

from chanreplay.cassette import load, writer
from chanreplay.cassette.model import Cassette, Connection
from chanreplay.exceptions import CassetteNotFoundError, ConfigurationError
from chanreplay.replay.capture import effective_mode, settle

SCOPE = {"path": "/ws/echo/", "query_string": "", "headers": []}


def connection(cid: str, reply: str) -> Connection:
    events = [
        {"dir": "in", "message": {"type": "websocket.receive", "text": "hi"}, "step": 2},
        {"dir": "out", "message": {"type": "websocket.send", "text": reply}, "step": 2},
    ]
    return Connection(id=cid, type="websocket", scope=SCOPE, step=1, events=events)


def session(*replies: str) -> Cassette:
    return Cassette([connection(f"c{n}", reply) for n, reply in enumerate(replies, 1)])


@pytest.fixture(autouse=True)
def not_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "flow.json"


def test_none_needs_the_cassette(path: Path) -> None:
    """Mode none never records: a missing cassette is an error that says how to record it."""
    with pytest.raises(CassetteNotFoundError, match="--chanreplay-record-mode=once"):
        settle(path, session("echo: hi"), "none")
    assert not path.exists()


@pytest.mark.parametrize("mode", ["once", "new_episodes", "all"])
def test_a_missing_cassette_is_written(path: Path, mode: str) -> None:
    """once, new_episodes and all record a cassette that does not exist."""
    outcome = settle(path, session("echo: hi"), mode)
    assert outcome.wrote
    assert load(path).connections == session("echo: hi").connections


@pytest.mark.parametrize("mode", ["none", "once"])
def test_an_existing_cassette_is_compared(path: Path, mode: str) -> None:
    """none and once compare with an existing cassette and never write it."""
    writer.write(session("echo: hi"), path)
    before = path.read_bytes()
    assert not settle(path, session("echo: hi"), mode).failed
    outcome = settle(path, session("ECHO: hi"), mode)
    assert outcome.failed
    assert outcome.diff is not None
    assert outcome.diff.connections[0].events[0].changes[0].path == ("message", "text")
    assert path.read_bytes() == before


def test_update_rewrites_a_differing_cassette(path: Path) -> None:
    """With update, a difference writes what happened and the test passes."""
    writer.write(session("echo: hi"), path)
    outcome = settle(path, session("ECHO: hi"), "none", update=True)
    assert outcome.wrote
    assert not outcome.failed
    assert load(path).connection("c1").events[1]["message"]["text"] == "ECHO: hi"


def test_all_rewrites_every_time(path: Path) -> None:
    """Mode all writes what happened even when the cassette exists and differs."""
    writer.write(session("echo: hi"), path)
    assert settle(path, session("ECHO: hi"), "all").wrote
    assert load(path).connection("c1").events[1]["message"]["text"] == "ECHO: hi"


def test_new_episodes_appends_connections_the_cassette_lacks(path: Path) -> None:
    """Known connections are compared; new ones are appended only when the known ones agree."""
    writer.write(session("echo: hi"), path)
    assert settle(path, session("echo: hi", "echo: hi"), "new_episodes").wrote
    assert [c.id for c in load(path).connections] == ["c1", "c2"]
    outcome = settle(path, session("ECHO: hi", "echo: hi", "echo: hi"), "new_episodes")
    assert outcome.failed
    assert [c.id for c in load(path).connections] == ["c1", "c2"]


def test_ci_makes_every_mode_none(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI=true nothing is recorded, whatever the mode."""
    monkeypatch.setenv("CI", "true")
    assert effective_mode("all") == "none"
    with pytest.raises(CassetteNotFoundError):
        settle(path, session("echo: hi"), "all")


def test_an_unknown_mode_is_a_configuration_error() -> None:
    """A misspelt mode names the ones that exist."""
    with pytest.raises(ConfigurationError, match="none, once, new_episodes, all"):
        effective_mode("always")

"""chanreplay.replay.update: update mode is never silent and never runs under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from chanreplay.exceptions import ConfigurationError
from chanreplay.replay import update


def test_a_rewrite_with_no_listener_is_said_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`CHANREPLAY_UPDATE=1 manage.py test` has no pytest summary to list rewrites in."""
    monkeypatch.setattr(update, "UPDATE_LISTENERS", [])
    update.notify_updated(Path("cassettes/chat.json"))
    assert capsys.readouterr().err == (
        "chanreplay: rewrote cassettes/chat.json to what the application does now "
        "(CHANREPLAY_UPDATE=1); review it with git diff before committing\n"
    )


def test_a_listener_hears_of_a_rewrite_instead(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    heard: list[Path] = []
    monkeypatch.setattr(update, "UPDATE_LISTENERS", [heard.append])
    update.notify_updated(Path("cassettes/chat.json"))
    assert heard == [Path("cassettes/chat.json")]
    assert capsys.readouterr().err == ""


def test_update_mode_under_ci_names_both_ways_to_ask_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHANREPLAY_UPDATE", "1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(ConfigurationError, match=r"--chanreplay-update or CHANREPLAY_UPDATE=1"):
        update.update_requested()

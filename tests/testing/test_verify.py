"""``chanreplay verify DIR``: every cassette replayed, a summary table, exit status."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.integration.test_pytest_plugin import PASSWORD
from tests.review.test_cli import EXAMPLE, chanreplay
from tests.servers import EXAMPLE_PROJECT

PROJECT = {"PYTHONPATH": str(EXAMPLE_PROJECT), "DJANGO_SETTINGS_MODULE": "example.settings"}


def test_verify_replays_every_cassette_and_tabulates(tmp_path: Path) -> None:
    cassettes = tmp_path / "cassettes"
    cassettes.mkdir()
    shutil.copy(EXAMPLE, cassettes / "session.json")
    document = json.loads(EXAMPLE.read_text())
    for event in document["connections"][7]["events"]:  # c8, /ws/echo/
        if event.get("message", {}).get("type") == "websocket.send":
            event["message"]["text"] = "echo: something else"
    (cassettes / "broken.json").write_text(json.dumps(document))
    result = chanreplay(
        "verify", "cassettes", "--secret", f"password={PASSWORD}", cwd=tmp_path, env=PROJECT
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "cassette      result  differs in",
        "------------  ------  ----------",
        "broken.json   FAILED  c8 (websocket /ws/echo/)",
        "session.json  passed",
        "1 passed, 1 failed",
    ]
    assert "replaying" in result.stderr  # the progress bar
    (cassettes / "broken.json").unlink()
    passing = chanreplay(
        "verify", "cassettes", "--secret", f"password={PASSWORD}", cwd=tmp_path, env=PROJECT
    )
    assert passing.returncode == 0
    assert passing.stdout.splitlines()[-1] == "1 passed, 0 failed"


def test_verify_needs_settings_and_a_directory(tmp_path: Path) -> None:
    (tmp_path / "cassettes").mkdir()
    no_settings = chanreplay(
        "verify", "cassettes", cwd=tmp_path, env={"DJANGO_SETTINGS_MODULE": ""}
    )
    assert no_settings.returncode == 2
    assert "no Django settings: pass --settings MODULE" in no_settings.stderr
    empty = chanreplay("verify", "cassettes", cwd=tmp_path, env=PROJECT)
    assert empty.returncode == 2
    assert "cassettes: no cassettes to replay" in empty.stderr
    missing = chanreplay("verify", "nowhere", cwd=tmp_path, env=PROJECT)
    assert missing.returncode == 2
    assert "nowhere: no such directory of cassettes" in missing.stderr
    bad = chanreplay("verify", "cassettes", "--secret", "oops", cwd=tmp_path, env=PROJECT)
    assert bad.returncode == 2
    assert "give NAME=VALUE" in bad.stderr

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
        "cassette      result  why",
        "------------  ------  ---",
        "broken.json   FAILED  c8 (websocket /ws/echo/): 1 event changed",
        "session.json  passed",
        "1 passed, 1 failed",
        "",
        "(chanreplay verify -v prints each failed replay's whole report)",
    ]
    assert "replaying" in result.stderr  # the progress bar
    verbose = chanreplay(
        "verify", "cassettes", "-v", "--secret", f"password={PASSWORD}", cwd=tmp_path, env=PROJECT
    )
    assert verbose.returncode == 1
    report = verbose.stdout.split("\nbroken.json:\n", 1)[1]
    assert report.startswith("  ReplayMismatch: replay of ")
    assert "1 connection differs: 1 event changed" in report.splitlines()[0]
    assert '      expected "echo: something else"' in report
    assert "session.json:" not in verbose.stdout  # a replay that passed has no report
    (cassettes / "broken.json").unlink()
    passing = chanreplay(
        "verify", "cassettes", "--secret", f"password={PASSWORD}", cwd=tmp_path, env=PROJECT
    )
    assert passing.returncode == 0
    assert passing.stdout.splitlines()[-1] == "1 passed, 0 failed"


def test_verify_gives_the_loaders_diagnosis_for_a_cassette_it_cannot_read(
    tmp_path: Path,
) -> None:
    """A truncated cassette's row says what the loader says (file, place), and the fix
    follows the table: not the line of chanreplay that raised."""
    cassettes = tmp_path / "cassettes"
    cassettes.mkdir()
    (cassettes / "cut.json").write_bytes(EXAMPLE.read_bytes()[:3000])
    result = chanreplay(
        "verify", "cassettes", "--secret", f"password={PASSWORD}", cwd=tmp_path, env=PROJECT
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2].startswith("cut.json  FAILED  ")
    assert "cut.json: the file ends early at line" in lines[2]
    assert "loader.py" not in result.stdout
    assert lines[4:6] == ["", "cut.json:"]
    assert any(
        "fix: if a recording was interrupted, run `chanreplay recover`" in line for line in lines
    )


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
    mistyped = chanreplay("verify", "cassettes", "--settings", "exmaple.settings", cwd=tmp_path)
    assert mistyped.returncode == 2
    assert mistyped.stderr.startswith(
        "error: no settings module 'exmaple.settings' (from --settings) on the Python path"
    )
    assert "Traceback" not in mistyped.stderr
    bad = chanreplay("verify", "cassettes", "--secret", "oops", cwd=tmp_path, env=PROJECT)
    assert bad.returncode == 2
    assert "give NAME=VALUE" in bad.stderr

"""``chanreplay recover``: what it could not read is named, and nothing unloadable is kept."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from chanreplay.cassette import load
from chanreplay.cli import main
from tests.recorder.test_journal import INTERLEAVED, line


def test_lost_lines_are_named_and_the_status_is_1(tmp_path: Path) -> None:
    journal = tmp_path / ".chat.journal"
    journal.write_bytes(b"".join([*INTERLEAVED[:4], b"garbage\n", *INTERLEAVED[4:]]))
    result = CliRunner().invoke(main, ["recover", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "lost 1 line that held no record (line 5)" in result.output
    assert len(load(tmp_path / "chat.json").connections) == 2


def test_a_journal_that_makes_no_loadable_cassette_is_kept_and_the_status_is_2(
    tmp_path: Path,
) -> None:
    journal = tmp_path / ".chat.journal"
    broken = line({"k": "ev", "c": "c1", "e": {"dir": "sideways", "step": 1}})
    journal.write_bytes(b"".join([*INTERLEAVED[:3], broken, *INTERLEAVED[3:]]))
    result = CliRunner().invoke(main, ["recover", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "does not make a loadable cassette" in result.output
    assert journal.exists()
    assert not (tmp_path / "chat.json").exists()

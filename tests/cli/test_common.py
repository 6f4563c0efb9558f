"""What the commands share: secrets given on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from chanreplay.cli.common import pairs_of


def test_secrets_for_everyone_and_for_one_user() -> None:
    assert pairs_of(("password=shared",)) == {"password": "shared"}
    assert pairs_of(("password@alice=wonderland", "password@bob=builder")) == {
        "password": {"alice": "wonderland", "bob": "builder"}
    }
    assert pairs_of(("password=shared", "password@alice=wonderland", "token=t=1")) == {
        "password": {"*": "shared", "alice": "wonderland"},
        "token": "t=1",  # the value ends the option, whatever it holds
    }
    # A username may hold '@': the name ends at the first one.
    assert pairs_of(("password@alice@example.com=x",)) == {"password": {"alice@example.com": "x"}}


@pytest.mark.parametrize("given", ["password", "=x", "password@=x", "@alice=x"])
def test_a_malformed_secret_says_how_to_write_it(given: str) -> None:
    with pytest.raises(click.BadParameter, match="give NAME=VALUE, or NAME@USER=VALUE"):
        pairs_of((given,))


@pytest.mark.parametrize("command", ["show", "diff"])
def test_no_color_turns_colour_off_unless_asked_for(
    command: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """NO_COLOR (https://no-color.org), set to anything, means no colour on a terminal too;
    --color still wins."""
    from chanreplay.cli import main
    from tests.review.test_cli import EXAMPLE
    from tests.review.test_cli import changed as renamed

    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(renamed(json.loads(EXAMPLE.read_text()))))
    files = [str(EXAMPLE), str(changed)] if command == "diff" else [str(EXAMPLE)]
    runner = CliRunner()
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = runner.invoke(main, [command, *files], color=True)
    assert "\x1b[" in coloured.output
    monkeypatch.setenv("NO_COLOR", "1")
    plain = runner.invoke(main, [command, *files], color=True)
    assert "\x1b[" not in plain.output
    forced = runner.invoke(main, [command, "--color", *files], color=True)
    assert "\x1b[" in forced.output


def test_show_into_a_pipe_is_what_no_color_prints(tmp_path: Path) -> None:
    """Not styled and then stripped: laid out as --no-color lays it out (git's textconv),
    escape sequences in the recorded values still stripped, and coloured when asked."""
    from chanreplay.cli import main
    from tests.review.test_cli import EXAMPLE

    document = json.loads(EXAMPLE.read_text())
    document["connections"][3]["user"]["username"] = "\x1b[31mmallory\x1b[0m"
    cassette = tmp_path / "escaped.json"
    cassette.write_text(json.dumps(document))
    runner = CliRunner()
    for path in (EXAMPLE, cassette):
        piped = runner.invoke(main, ["show", str(path)])
        plain = runner.invoke(main, ["show", "--no-color", str(path)])
        assert piped.exit_code == plain.exit_code == 0
        assert piped.output == plain.output
        assert "\x1b" not in piped.output
    assert "(mallory)" in runner.invoke(main, ["show", str(cassette)]).output
    coloured = runner.invoke(main, ["show", "--color", str(cassette)], color=True).output
    assert "\x1b[31mmallory" in coloured
    assert "\x1b[36m" in coloured  # the connection headings' colour

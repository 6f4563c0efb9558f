"""What ``chanreplay show`` imports: git runs it once per changed cassette (a textconv), so
it loads the command it runs and nothing it does not need. Import lists, not timings:
speed is measured in benchmarks/review_speed.py, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from chanreplay.cli import COMMANDS, main
from tests.review.test_cli import EXAMPLE


def imported_by(*arguments: str) -> set[str]:
    """The modules ``python -m chanreplay ARGUMENTS`` has imported when it ends."""
    probe = (
        "import atexit, json, runpy, sys\n"
        "def report():\n"
        "    sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n"
        "atexit.register(report)\n"
        f"sys.argv = ['chanreplay', *{list(arguments)!r}]\n"
        "runpy.run_module('chanreplay', run_name='__main__', alter_sys=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    found: list[str] = json.loads(done.stderr.rpartition("\nMODULES ")[2])
    return set(found)


def test_show_imports_neither_asyncio_nor_jsonschema_nor_other_commands() -> None:
    modules = imported_by("show", str(EXAMPLE))
    assert "chanreplay.review.transcript" in modules
    unwanted = {
        "asyncio",
        "jsonschema",
        "chanreplay.cli.network",
        "chanreplay.cli.cassettes",
        "chanreplay.replay.secrets",
        "chanreplay.cassette.writer",
        "django",
        "channels",
    }
    assert not unwanted & modules


def test_diff_imports_no_jsonschema_for_valid_cassettes() -> None:
    modules = imported_by("diff", str(EXAMPLE), str(EXAMPLE))
    assert "chanreplay.diff.compare" in modules
    assert not {"asyncio", "jsonschema", "chanreplay.cli.network"} & modules


def test_every_command_is_listed_and_found_under_its_name() -> None:
    help_text = CliRunner().invoke(main, ["--help"]).output
    context = click.Context(main)
    for name in COMMANDS:
        assert f"\n  {name} " in help_text
        command = main.get_command(context, name)
        assert isinstance(command, click.Command)
        assert command.name == name
    assert main.list_commands(context) == sorted(COMMANDS)
    assert main.get_command(context, "nope") is None


def test_an_unknown_command_is_a_usage_error_naming_it() -> None:
    result = CliRunner().invoke(main, ["shwo", str(EXAMPLE)])
    assert result.exit_code == 2
    assert "No such command 'shwo'" in result.output

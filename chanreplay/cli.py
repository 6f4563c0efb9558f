"""The ``chanreplay`` command-line tool.

Commands import Django or Channels only when they need them, so the tool
starts fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chanreplay import __version__
from chanreplay.exceptions import ChanreplayError

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chanreplay")
def main() -> None:
    """Record and replay the traffic of Django Channels applications."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def recover(paths: tuple[Path, ...]) -> None:
    """Rebuild cassettes from the journals interrupted recordings left behind.

    PATHS are cassette directories, journals (.NAME.journal) or cassettes
    (NAME.json); the default is ./cassettes.
    """
    from chanreplay.recorder.journal import journal_path
    from chanreplay.recorder.journal import recover as recover_journal

    journals: list[Path] = []
    for path in paths or (Path("cassettes"),):
        if path.is_dir():
            journals.extend(sorted(path.glob(".*.journal")))
        elif path.suffix == ".json":
            journals.append(journal_path(path))
        else:
            journals.append(path)
    found = [journal for journal in journals if journal.exists()]
    if not found:
        where = ", ".join(str(p) for p in paths or (Path("cassettes"),))
        click.echo(f"nothing to recover: no journal in {where}")
        return
    failed = False
    for journal in found:
        try:
            cassette, result = recover_journal(journal)
        except ChanreplayError as error:
            click.echo(f"error: {error}", err=True)
            failed = True
            continue
        unclosed = f", {len(result.unclosed)} never closed" if result.unclosed else ""
        click.echo(
            f"recovered {cassette}: {result.connections} connections{unclosed}, "
            f"{result.events} events"
        )
    if failed:
        sys.exit(2)

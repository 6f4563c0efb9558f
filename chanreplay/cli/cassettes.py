"""Commands over cassette files: ``lint``, ``split``, ``verify`` and ``recover``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chanreplay.cli.common import fail, pairs_of
from chanreplay.cli.project import project_secrets
from chanreplay.exceptions import ChanreplayError

__all__ = ["lint_command", "recover", "split_command", "verify_command"]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def recover(paths: tuple[Path, ...]) -> None:
    """Rebuild cassettes from the journals interrupted recordings left behind.

    PATHS are cassette directories, journals (.NAME.journal) or cassettes
    (NAME.json); the default is ./cassettes. Exit status 0 when everything
    was recovered, 1 when lines were lost (each named), 2 when a journal
    could not be recovered (it is kept, and nothing is written).
    """
    from chanreplay.recorder.journal import journal_path
    from chanreplay.recorder.journal import recover as recover_journal

    journals: list[Path] = []
    missing = [path for path in paths if not path.exists() and not journal_path(path).exists()]
    if missing:
        fail(
            ChanreplayError(
                f"{', '.join(map(str, missing))}: no such file or folder; give a cassette "
                "folder, a journal (.NAME.journal) or the cassette it belongs to (NAME.json)"
            )
        )
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
    failed = lost = False
    for journal in found:
        try:
            cassette, result = recover_journal(journal)
        except ChanreplayError as error:
            click.echo(f"error: {error}", err=True)
            failed = True
            continue
        if not result.written:
            click.echo(f"nothing to recover in {journal}: it held no connection; removed it")
            continue
        unclosed = f", {len(result.unclosed)} never closed" if result.unclosed else ""
        click.echo(
            f"recovered {cassette}: {result.connections} connections{unclosed}, "
            f"{result.events} events"
        )
        if result.skipped:
            lost = True
            shown = ", ".join(map(str, result.skipped[:20]))
            more = f" and {len(result.skipped) - 20} more" if len(result.skipped) > 20 else ""
            count = len(result.skipped)
            click.echo(
                f"warning: {journal}: lost {count} line{'s' * (count != 1)} that held no "
                f"record (line{'s' * (count != 1)} {shown}{more})",
                err=True,
            )
        if result.torn:
            lost = True
            click.echo(
                f"warning: {journal}: its last line was cut short (the process died writing "
                "it) and was lost",
                err=True,
            )
    if failed:
        sys.exit(2)
    if lost:
        sys.exit(1)


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--max-size",
    default=1.0,
    show_default=True,
    metavar="MB",
    help="warn about cassettes larger than this many megabytes",
)
@click.option(
    "--unused/--no-unused",
    default=True,
    show_default=True,
    help="warn about cassettes the last pytest run did not use (from .pytest_cache)",
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="VALUE",
    help="a value that must appear in no cassette (repeatable); the secrets in the Django "
    "project's settings (SECRET_KEY, passwords, signing keys) are added, found as manage.py "
    "finds them",
)
@click.option(
    "--allow",
    multiple=True,
    metavar="PATH|regex:PATTERN",
    help="what is no secret: a field (message.text.digest, **.sha) or values matching "
    "regex:PATTERN; repeatable, added to the setting CHANREPLAY['LINT_ALLOW']",
)
@click.option("--strict", is_flag=True, help="fail on warnings too")
def lint_command(
    paths: tuple[Path, ...],
    max_size: float,
    unused: bool,
    secrets: tuple[str, ...],
    allow: tuple[str, ...],
    strict: bool,
) -> None:
    """Check cassettes for CI: they load, hold no secret, fit a size budget, are used.

    PATHS are cassettes or directories of them (default: ./cassettes). Exit
    status 1 when any check fails (with --strict, also on warnings), 0 otherwise.
    """
    from chanreplay.replay.usage import read_cache
    from chanreplay.review.lint import Allowed, cassette_files, lint

    files = cassette_files(paths or (Path("cassettes"),))
    if not files:
        click.echo(f"no cassettes in {', '.join(map(str, paths or ('cassettes',)))}", err=True)
        sys.exit(2)
    used = read_cache(Path.cwd()) if unused else None
    from_settings, allowed_there, unread = project_secrets()
    if unread is not None:
        click.echo(f"warning: {unread}", err=True)
    known = [*secrets, *from_settings]
    try:
        allowed = Allowed.parse([*allowed_there, *allow])
    except ValueError as error:
        raise click.BadParameter(
            str(error), param_hint="--allow / CHANREPLAY['LINT_ALLOW']"
        ) from None
    errors, warnings = 0, int(unread is not None)
    for path in files:
        found = lint(
            path, max_size=int(max_size * 1_000_000), secrets=known, used=used, allow=allowed
        )
        for finding in found:
            click.echo(str(finding), err=finding.level == "error")
            errors += finding.level == "error"
            warnings += finding.level == "warning"
    click.echo(
        f"{len(files)} cassette{'s' * (len(files) != 1)}: {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)}"
        + ("" if used is not None or not unused else " (no test run recorded: unused not checked)")
    )
    sys.exit(1 if errors or (strict and warnings) else 0)


@click.command("migrate")
@click.argument("cassettes", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--recorded-at",
    metavar="ISO",
    default=None,
    help="when the session was recorded (2026-12-07T10:00:00Z), which decides what counts "
    "as a timestamp; default: the latest date-time the server sent",
)
def migrate_command(cassettes: tuple[Path, ...], recorded_at: str | None) -> None:
    """Rewrite cassettes of an older format version in the current one.

    Values the server made become bindings (<uuid:1>, <jwt:1>, ...) and
    timestamps their shapes, as a recording would write them now; what was
    redacted stays redacted. A cassette already current is left as it is.
    """
    import datetime

    from chanreplay.cassette import load, writer
    from chanreplay.cassette.migrate import migrate
    from chanreplay.cassette.values import forget_values

    now = None
    if recorded_at is not None:
        try:
            moment = datetime.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
        except ValueError:
            fail(
                ChanreplayError(
                    f"--recorded-at {recorded_at!r} is no ISO date-time; "
                    "give one such as 2026-12-07T10:00:00Z"
                )
            )
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        now = moment.timestamp()
    for path in cassettes:
        try:
            cassette = load(path)
        except ChanreplayError as error:
            fail(error)
        migrated = migrate(cassette, now=now)
        if migrated is cassette:
            click.echo(f"{path}: already version {cassette.version}")
            continue
        writer.write(migrated, path)
        forget_values(path)
        click.echo(f"{path}: version {cassette.version} -> {migrated.version}")


@click.command("split")
@click.argument("cassette", type=click.Path(path_type=Path))
@click.option(
    "--by",
    type=click.Choice(["group", "path"]),
    default="group",
    show_default=True,
    help="one cassette per causal group of connections, or per path",
)
@click.option(
    "--at",
    "steps",
    multiple=True,
    type=int,
    metavar="STEP",
    help="cut before the connections opened at STEP and later (repeatable; replaces --by)",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="directory for the parts (default: the cassette's own)",
)
@click.option("--stub", is_flag=True, help="also print a pytest module that replays each part")
def split_command(
    cassette: Path, by: str, steps: tuple[int, ...], output: Path | None, stub: bool
) -> None:
    """Cut a long session into smaller cassettes that each replay on their own.

    Connections linked by a layer message (one sent, another received) stay
    together. State shared through the database is not seen: cut with --at
    where none crosses. Parts are written as NAME-1.json, NAME-2.json, ...
    next to CASSETTE (or into --output).
    """
    from chanreplay.cassette import load, writer
    from chanreplay.review.split import split

    try:
        parts = split(load(cassette), by=by, at=steps)
    except ChanreplayError as error:
        fail(error)
    directory = output or cassette.parent
    if directory.exists() and not directory.is_dir():
        raise click.BadParameter(
            f"{str(directory)!r} is a file: give the folder the parts go into",
            param_hint="-o/--output",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.BadParameter(
            f"cannot make the folder {str(directory)!r}: {error.strerror}",
            param_hint="-o/--output",
        ) from None
    names = []
    for number, part in enumerate(parts, 1):
        name = f"{cassette.stem}-{number}"
        writer.write(part, directory / f"{name}.json")
        names.append(name)
        where = ", ".join(sorted({c.path for c in part.connections}))
        click.echo(
            f"{directory / name}.json: {len(part.connections)} connection"
            f"{'s' * (len(part.connections) != 1)} ({where})",
            err=stub,
        )
    if stub:
        click.echo(_stub(names))


def _stub(names: list[str]) -> str:
    """A pytest module with one test per part (users the parts name must exist)."""
    lines = [
        '"""Replays of the parts chanreplay split made. Create the users they name first',
        '(or run pytest --chanreplay-cassettes DIR, which does)."""',
        "",
        "import pytest",
        "",
    ]
    for name in names:
        function = "".join(c if c.isalnum() else "_" for c in name)
        lines += [
            "",
            "@pytest.mark.django_db",
            f"def test_{function}(replay):",
            f'    replay("{name}")',
            "",
        ]
    return "\n".join(lines)


@click.command("verify")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default="cassettes")
@click.option(
    "--settings", metavar="MODULE", help="Django settings (default: DJANGO_SETTINGS_MODULE)"
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="NAME[@USER]=VALUE",
    help="a value for a redacted field (password=...), for logins the cassettes replay; "
    "NAME@USER=VALUE for one user's own (password@bob=...)",
)
@click.option(
    "--pythonpath",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="a directory to import the project from (repeatable; default: the current one)",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="after the table, each failed replay's whole report"
)
def verify_command(
    directory: Path,
    settings: str | None,
    secrets: tuple[str, ...],
    paths: tuple[Path, ...],
    verbose: bool,
) -> None:
    """Replay every cassette in DIRECTORY against the current code, without writing a test.

    A progress bar, then a table: each cassette, passed or failed, and why
    (the connections whose replay differed and how, or why the cassette
    could not be read); with -v, each failed replay's whole report after it.
    Runs pytest (with pytest-django) under the hood. Exit status 0 when all
    pass, 1 when any fails, 2 on an error.
    """
    import os

    if not directory.is_dir():
        fail(ChanreplayError(f"{directory}: no such directory of cassettes"))
    given = pairs_of(secrets)
    for path in (*paths, Path.cwd()):
        sys.path.insert(0, str(path.resolve()))
    module = settings or os.environ.get("DJANGO_SETTINGS_MODULE")
    if not module:
        fail(
            ChanreplayError(
                "no Django settings: pass --settings MODULE or set DJANGO_SETTINGS_MODULE"
            )
        )
    if not _importable(module):
        source = "--settings" if settings else "DJANGO_SETTINGS_MODULE"
        fail(
            ChanreplayError(
                f"no settings module {module!r} (from {source}) on the Python path: run "
                "chanreplay verify in the project's directory (where manage.py is), or pass "
                "--pythonpath DIR, and check the module's name"
            )
        )
    from chanreplay.extras import require

    try:
        require("chanreplay verify", "pytest", "pytest_django")
    except ChanreplayError as error:
        fail(error)
    from chanreplay.testing.verify import table, verify

    code, outcomes = verify(directory, secrets=given, settings=settings)
    if outcomes:
        click.echo(table(outcomes, reports=verbose))
    if code in (0, 1) and outcomes:
        sys.exit(0 if code == 0 else 1)
    if code == 5:  # pytest collected nothing
        fail(ChanreplayError(f"{directory}: no cassettes to replay (*.json)"))
    fail(ChanreplayError(f"{directory}: pytest could not run the replays (exit status {code})"))


def _importable(module: str) -> bool:
    """True when ``module`` (dotted) can be found on the Python path, without importing it."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that does not exist
        return False

"""The ``chanreplay`` command-line tool.

Commands import Django or Channels only when they need them, so the tool
starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from chanreplay import __version__
from chanreplay.exceptions import ChanreplayError

if TYPE_CHECKING:
    from chanreplay.cassette.model import Cassette

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


_FORMATS = ("text", "markdown", "json")
_COLOURS = {
    "connection": ("cyan", True),
    "title": (None, True),
    "step": ("bright_black", False),
    "in": ("green", False),
    "out": ("blue", False),
    "layer": ("magenta", False),
    "note": ("yellow", False),
    "payload": (None, False),
}


def _styler(color: bool | None) -> Callable[[str, str], str]:
    """Colour for a terminal (click strips it for pipes and files), nothing with --no-color."""
    if color is False:
        return lambda role, text: text

    def style(role: str, text: str) -> str:
        fg, bold = _COLOURS.get(role, (None, False))
        return click.style(text, fg=fg, bold=bold)

    return style


def _fail(error: ChanreplayError) -> NoReturn:
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


@main.command()
@click.argument("cassette")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default="text",
    show_default=True,
    help="text for a terminal (and git), markdown for a pull request, json for tools",
)
@click.option("--color/--no-color", default=None, help="colour (default: on a terminal only)")
def show(cassette: str, fmt: str, color: bool | None) -> None:
    """Show CASSETTE as a transcript: each connection, its messages in and out, the layer.

    CASSETTE is a file, or REV:PATH for a version git knows (HEAD~1:cassettes/chat.json).
    """
    from chanreplay.review.sources import read
    from chanreplay.review.transcript import transcript_json, transcript_lines, transcript_markdown

    try:
        loaded = read(cassette)
    except ChanreplayError as error:
        _fail(error)
    if fmt == "json":
        output = sys.stdout.buffer
        for piece in transcript_json(loaded):
            output.write(piece)
        output.flush()
    elif fmt == "markdown":
        click.echo(transcript_markdown(loaded), nl=False)
    else:
        style = _styler(color)
        # One echo per thousand lines: click.echo per line costs more than the rendering.
        batch: list[str] = []
        for line in transcript_lines(loaded, style):
            batch.append(line)
            if len(batch) == 1000:
                click.echo("\n".join(batch), color=color)
                batch.clear()
        if batch:
            click.echo("\n".join(batch), color=color)


@main.command()
@click.argument("specs", nargs=-1, required=True, metavar="OLD NEW | REV [--] PATH...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS[:2]),
    default="text",
    show_default=True,
    help="text for a terminal, markdown to paste into a pull-request comment",
)
@click.option("--color/--no-color", default=None, help="colour (default: on a terminal only)")
@click.option(
    "--ignore",
    multiple=True,
    metavar="PATH",
    help="an event field not to compare (message.text.id, **.timestamp); repeatable",
)
def diff(specs: tuple[str, ...], fmt: str, color: bool | None, ignore: tuple[str, ...]) -> None:
    """Show what behaviour changed between two versions of a cassette.

    \b
    chanreplay diff old.json new.json
    chanreplay diff HEAD~1:cassettes/chat.json cassettes/chat.json
    chanreplay diff HEAD~1 -- cassettes/chat.json   (a revision against the work tree)

    Exit status: 0 when the cassettes agree, 1 when they differ, 2 on an error.
    It also works as git's difftool (git difftool -x 'chanreplay diff', or -t
    chanreplay after chanreplay git install) and as GIT_EXTERNAL_DIFF.
    """
    from chanreplay.diff import Rules, diff_cassettes
    from chanreplay.review.changes import render_diff
    from chanreplay.review.sources import is_revision, read, read_at

    try:
        pairs = _pairs(specs, read, read_at, is_revision)
        rules = Rules.build(ignore, None)
        different = False
        for old_name, old, new_name, new in pairs:
            result = diff_cassettes(old(), new(), rules)
            different = different or not result.equal
            report = render_diff(result, old=old_name, new=new_name, markdown=fmt == "markdown")
            for line in report.splitlines():
                click.echo(
                    _diff_style(line) if color is not False and fmt == "text" else line, color=color
                )
    except ChanreplayError as error:
        _fail(error)
    # As git's external diff (GIT_EXTERNAL_DIFF), a non-zero status would stop git.
    sys.exit(1 if different and len(specs) != 7 else 0)


Loader = Callable[[], "Cassette"]


def _pairs(
    specs: tuple[str, ...],
    read: Callable[[str], Cassette],
    read_at: Callable[[str, str], Cassette],
    is_revision: Callable[[str], bool],
) -> list[tuple[str, Loader, str, Loader]]:
    """(old name, old loader, new name, new loader) for each comparison ``specs`` asks for."""
    if len(specs) == 7:  # git's external diff: path old-file old-hex old-mode new-file ...
        return [(specs[0], partial(read, specs[1]), specs[0], partial(read, specs[4]))]
    if len(specs) >= 2 and is_revision(specs[0]):
        revision = specs[0]
        return [
            (f"{revision}:{path}", partial(read_at, revision, path), path, partial(read, path))
            for path in specs[1:]
        ]
    if len(specs) == 2:
        return [(specs[0], partial(read, specs[0]), specs[1], partial(read, specs[1]))]
    raise click.UsageError("give OLD and NEW cassettes, or a revision and the paths to compare")


def _diff_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


@main.group()
def git() -> None:
    """Git integration: transcript diffs of cassettes in git diff, log -p and show."""


DEFAULT_PATTERN = "**/cassettes/**/*.json"


@git.command("install")
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    metavar="GLOB",
    help=f"which files are cassettes, as .gitattributes patterns (default: {DEFAULT_PATTERN})",
)
def git_install(patterns: tuple[str, ...]) -> None:
    """Make git show cassettes as transcripts, and chanreplay diff its difftool.

    Writes the cassette patterns to .gitattributes (commit it: the team shares
    it) and, in this clone's .git/config, a diff driver whose textconv is
    ``chanreplay show`` and a difftool ``chanreplay`` (git difftool -t chanreplay).
    """
    from chanreplay.review.gitconfig import install

    try:
        for line in install(
            patterns or (DEFAULT_PATTERN,), command=[sys.executable, "-m", "chanreplay"]
        ):
            click.echo(line)
    except ChanreplayError as error:
        _fail(error)


@main.command("lint")
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
    help="a value that must appear in no cassette (repeatable); Django's SECRET_KEY is "
    "added when DJANGO_SETTINGS_MODULE is set",
)
@click.option("--strict", is_flag=True, help="fail on warnings too")
def lint_command(
    paths: tuple[Path, ...], max_size: float, unused: bool, secrets: tuple[str, ...], strict: bool
) -> None:
    """Check cassettes for CI: they load, hold no secret, fit a size budget, are used.

    PATHS are cassettes or directories of them (default: ./cassettes). Exit
    status 1 when any check fails (with --strict, also on warnings), 0 otherwise.
    """
    from chanreplay.replay.usage import read_cache
    from chanreplay.review.lint import cassette_files, lint

    files = cassette_files(paths or (Path("cassettes"),))
    if not files:
        click.echo(f"no cassettes in {', '.join(map(str, paths or ('cassettes',)))}", err=True)
        sys.exit(2)
    used = read_cache(Path.cwd()) if unused else None
    known = [*secrets, *_django_secret_key()]
    errors = warnings = 0
    for path in files:
        for finding in lint(path, max_size=int(max_size * 1_000_000), secrets=known, used=used):
            click.echo(str(finding), err=finding.level == "error")
            errors += finding.level == "error"
            warnings += finding.level == "warning"
    click.echo(
        f"{len(files)} cassette{'s' * (len(files) != 1)}: {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)}"
        + ("" if used is not None or not unused else " (no test run recorded: unused not checked)")
    )
    sys.exit(1 if errors or (strict and warnings) else 0)


def _django_secret_key() -> list[str]:
    """Django's SECRET_KEY, when DJANGO_SETTINGS_MODULE names settings that import."""
    import os

    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return []
    try:
        from django.conf import settings

        key = str(settings.SECRET_KEY)
    except Exception:  # settings that do not import are not lint's concern
        return []
    return [key] if key else []


@main.command("split")
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
        _fail(error)
    directory = output or cassette.parent
    directory.mkdir(parents=True, exist_ok=True)
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


@main.command("verify")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default="cassettes")
@click.option(
    "--settings", metavar="MODULE", help="Django settings (default: DJANGO_SETTINGS_MODULE)"
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="NAME=VALUE",
    help="a value for a redacted field (password=...), for logins the cassettes replay",
)
@click.option(
    "--pythonpath",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="a directory to import the project from (repeatable; default: the current one)",
)
def verify_command(
    directory: Path, settings: str | None, secrets: tuple[str, ...], paths: tuple[Path, ...]
) -> None:
    """Replay every cassette in DIRECTORY against the current code, without writing a test.

    A progress bar, then a table: each cassette, passed or failed, and the
    connections whose replay differed. Runs pytest (with pytest-django) under
    the hood. Exit status 0 when all pass, 1 when any fails, 2 on an error.
    """
    import os

    if not directory.is_dir():
        _fail(ChanreplayError(f"{directory}: no such directory of cassettes"))
    given = _pairs_of(secrets)
    for path in (*paths, Path.cwd()):
        sys.path.insert(0, str(path.resolve()))
    if not (settings or os.environ.get("DJANGO_SETTINGS_MODULE")):
        _fail(
            ChanreplayError(
                "no Django settings: pass --settings MODULE or set DJANGO_SETTINGS_MODULE"
            )
        )
    try:
        from chanreplay.testing.verify import table, verify
    except ImportError as error:
        _fail(ChanreplayError(f"chanreplay verify needs pytest and pytest-django: {error}"))
    code, outcomes = verify(directory, secrets=given, settings=settings)
    if outcomes:
        click.echo(table(outcomes))
    if code in (0, 1) and outcomes:
        sys.exit(0 if code == 0 else 1)
    if code == 5:  # pytest collected nothing
        _fail(ChanreplayError(f"{directory}: no cassettes to replay (*.json)"))
    _fail(ChanreplayError(f"{directory}: pytest could not run the replays (exit status {code})"))


@main.command("render")
@click.argument("cassette")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    metavar="FILE.html",
    help="where to write the page",
)
@click.option(
    "--diff",
    "old",
    metavar="OLD",
    help="draw OLD (a file or REV:PATH) and CASSETTE side by side, changes highlighted",
)
def render_command(cassette: str, output: Path, old: str | None) -> None:
    """Draw CASSETTE as a sequence diagram in a self-contained HTML page.

    One lifeline per connection and per group, messages as arrows in order;
    payloads on hover and click, a filter by connection. No network needed.
    """
    from chanreplay.review.render import render_html
    from chanreplay.review.sources import read

    try:
        new = read(cassette)
        before = read(old) if old else None
    except ChanreplayError as error:
        _fail(error)
    title = f"{old} → {cassette}" if old else cassette
    output.write_text(render_html(new, title=title, old=before), encoding="utf-8")
    click.echo(f"wrote {output}")


@main.command("proxy")
@click.option(
    "--upstream", required=True, metavar="URL", help="the server to forward to (http://host:port)"
)
@click.option(
    "--listen",
    default="127.0.0.1:8001",
    show_default=True,
    metavar="HOST:PORT",
    help="where clients connect (loopback unless told otherwise)",
)
@click.option("--record", "name", metavar="NAME", help="record into CASSETTE_DIR/NAME.json")
@click.option(
    "--cassette-dir",
    type=click.Path(path_type=Path),
    default=Path("cassettes"),
    show_default=True,
)
@click.option(
    "--record-mode",
    type=click.Choice(["once", "new_episodes", "all"]),
    default="once",
    show_default=True,
    help="what to do when the cassette exists",
)
def proxy_command(
    upstream: str, listen: str, name: str | None, cassette_dir: Path, record_mode: str
) -> None:
    """Forward HTTP and websockets to UPSTREAM, recording what clients see.

    Point a browser at --listen instead of the server. With --record, the
    traffic goes into a cassette as in-process recording writes it (journal
    first; Ctrl-C writes the cassette).
    """
    from aiohttp import web

    from chanreplay.proxy.server import CaptureProxy
    from chanreplay.recorder.recording import Recording

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{listen!r}: give HOST:PORT", param_hint="--listen")
    recording = None
    try:
        if name:
            recording = Recording(name, cassette_dir=cassette_dir, mode=record_mode)
            click.echo(f"chanreplay: {recording.start()}")
        proxy = CaptureProxy(upstream, recording)
    except (ChanreplayError, ValueError) as error:
        _fail(ChanreplayError(str(error)))
    click.echo(f"chanreplay proxy: http://{listen} -> {proxy.upstream}")
    try:
        web.run_app(proxy.application(), host=host, port=int(port), print=None, shutdown_timeout=5)
    finally:
        if recording is not None:
            result = recording.stop()
            if result is not None:
                click.echo(
                    f"chanreplay: wrote {recording.cassette_path} ({result.connections} "
                    f"connections, {result.events} events)"
                )


@main.command("play")
@click.argument("cassette")
@click.option("--against", "base", required=True, metavar="URL", help="the running server")
@click.option("--include", multiple=True, metavar="GLOB", help="play only these connections")
@click.option("--exclude", multiple=True, metavar="GLOB", help="leave these connections out")
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="NAME=VALUE",
    help="a value for a redacted field (password=...), for logins the cassette plays",
)
@click.option("--timeout", default=10.0, show_default=True, help="seconds to wait for a reply")
@click.option("--format", "fmt", type=click.Choice(_FORMATS[:2]), default="text", show_default=True)
def play_command(
    cassette: str,
    base: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    secrets: tuple[str, ...],
    timeout: float,
    fmt: str,
) -> None:
    """Play the client side of CASSETTE against a running server; report what differs.

    Exit status 0 when the server behaves as recorded, 1 when not, 2 on an error.
    """
    import asyncio

    from chanreplay.diff import diff_cassettes
    from chanreplay.proxy.play import play
    from chanreplay.review.changes import render_diff
    from chanreplay.review.sources import read

    given = _pairs_of(secrets)
    try:
        loaded = read(cassette)
        result = asyncio.run(
            play(loaded, base, include=include, exclude=exclude, secrets=given, patience=timeout)
        )
    except ChanreplayError as error:
        _fail(error)
    except ConnectionError as error:
        _fail(ChanreplayError(f"cannot play against {error}"))
    diff = diff_cassettes(result.expected, result.actual)
    click.echo(render_diff(diff, old=cassette, new=base, markdown=fmt == "markdown"), nl=False)
    if result.skipped:
        click.echo(
            f"({result.skipped} external layer operations are not playable over the network)"
        )
    if result.stalled:
        click.echo(f"the play stopped early: it {result.stalled}")
    sys.exit(0 if diff.equal and not result.stalled else 1)


def _pairs_of(items: tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` options as a dict; a usage error for anything else."""
    given: dict[str, str] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise click.BadParameter(f"{item!r}: give NAME=VALUE", param_hint="--secret")
        given[name] = value
    return given


@main.command("serve")
@click.argument("cassette")
@click.option(
    "--listen",
    default="127.0.0.1:8002",
    show_default=True,
    metavar="HOST:PORT",
    help="where clients connect",
)
@click.option("--include", multiple=True, metavar="GLOB", help="serve only these connections")
@click.option("--exclude", multiple=True, metavar="GLOB", help="leave these connections out")
def serve_command(
    cassette: str, listen: str, include: tuple[str, ...], exclude: tuple[str, ...]
) -> None:
    """Answer clients with the server side of CASSETTE: a mock of the recorded server.

    A client that sends what the cassette recorded gets the recorded replies;
    anything else gets a clear refusal (404, or close code 4400) and a log line.
    """
    import logging

    from aiohttp import web

    from chanreplay.proxy.serve import MockServer
    from chanreplay.review.sources import read

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{listen!r}: give HOST:PORT", param_hint="--listen")
    try:
        loaded = read(cassette)
    except ChanreplayError as error:
        _fail(error)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = MockServer(loaded, include=include, exclude=exclude)
    click.echo(f"chanreplay serve: {len(server.unused)} recorded connections at http://{listen}")
    web.run_app(server.application(), host=host, port=int(port), print=None, shutdown_timeout=2)

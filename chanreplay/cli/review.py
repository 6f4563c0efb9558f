"""The review commands: ``show``, ``diff``, ``git install`` and ``render``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chanreplay.cli.common import (
    FORMATS,
    IGNORE_HELP,
    MATCH_HELP,
    colour_wanted,
    echo_text,
    fail,
    rules_of,
    strips_colour,
    styler,
    writable_file,
)
from chanreplay.exceptions import ChanreplayError

if TYPE_CHECKING:
    from chanreplay.cassette.model import Cassette

__all__ = ["diff", "git", "render_command", "show"]


@click.command()
@click.argument("cassette")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for a terminal (and git), markdown for a pull request, json for tools",
)
@click.option("--color/--no-color", default=None, help="colour (default: on a terminal only)")
def show(cassette: str, fmt: str, color: bool | None) -> None:
    """Show CASSETTE as a transcript: each connection, its messages in and out, the layer.

    CASSETTE is a file, or REV:PATH for a version git knows (HEAD~1:cassettes/chat.json).
    """
    color = colour_wanted(color)
    from chanreplay.cli.showing import kept_lines, text_batches
    from chanreplay.review.sources import read
    from chanreplay.review.transcript import transcript_json, transcript_markdown

    try:
        # One cassette: read the fast way (a diff holds two, and reads compactly).
        loaded = read(cassette, compact=False)
    except ChanreplayError as error:
        fail(error)
    if fmt == "json":
        output = sys.stdout.buffer
        for piece in transcript_json(loaded):
            output.write(piece)
        output.flush()
    elif fmt == "markdown":
        click.echo(transcript_markdown(loaded), nl=False)
    else:
        # Not styled at all where click would strip the styles (a pipe, git's textconv).
        strips = strips_colour(color)
        style = styler(False if strips else color)
        for batch in text_batches(loaded, style):
            echo_text(batch, color, strips)
        for line in kept_lines(cassette):
            click.echo(line)


@click.command()
@click.argument("specs", nargs=-1, required=True, metavar="OLD NEW | REV [--] PATH...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS[:2]),
    default="text",
    show_default=True,
    help="text for a terminal, markdown to paste into a pull-request comment",
)
@click.option("--color/--no-color", default=None, help="colour (default: on a terminal only)")
@click.option("--ignore", multiple=True, metavar="PATH", help=IGNORE_HELP)
@click.option("--match", "matches", multiple=True, metavar="PATH=MATCHER", help=MATCH_HELP)
def diff(
    specs: tuple[str, ...],
    fmt: str,
    color: bool | None,
    ignore: tuple[str, ...],
    matches: tuple[str, ...],
) -> None:
    """Show what behaviour changed between two versions of a cassette.

    \b
    chanreplay diff old.json new.json
    chanreplay diff HEAD~1:cassettes/chat.json cassettes/chat.json
    chanreplay diff HEAD~1 -- cassettes/chat.json   (a revision against the work tree)

    Exit status: 0 when the cassettes agree, 1 when they differ, 2 on an error.
    It also works as git's difftool (git difftool -x 'chanreplay diff', or -t
    chanreplay after chanreplay git install) and as GIT_EXTERNAL_DIFF.
    """
    color = colour_wanted(color)
    from chanreplay.diff import diff_cassettes
    from chanreplay.review.changes import render_diff
    from chanreplay.review.sources import is_revision, read, read_at

    rules = rules_of(ignore, matches)
    try:
        pairs = _pairs(specs, read, read_at, is_revision)
        different = False
        for old_name, old, new_name, new in pairs:
            before = old()
            # The new version shares the old one's unchanged connections: held once.
            result = diff_cassettes(before, new(like=before), rules)
            different = different or not result.equal
            report = render_diff(result, old=old_name, new=new_name, markdown=fmt == "markdown")
            for line in report.splitlines():
                click.echo(
                    _diff_style(line) if color is not False and fmt == "text" else line, color=color
                )
    except ChanreplayError as error:
        fail(error)
    # As git's external diff (GIT_EXTERNAL_DIFF), a non-zero status would stop git.
    sys.exit(1 if different and len(specs) != 7 else 0)


Loader = Callable[..., "Cassette"]
"""Reads one version: ``loader()``, or ``loader(like=other)`` (see ``review.sources.read``)."""


def _pairs(
    specs: tuple[str, ...],
    read: Callable[..., Cassette],
    read_at: Callable[..., Cassette],
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
    if len(specs) >= 2 and _names_a_revision(specs[0]):
        from chanreplay.review.sources import unknown_revision

        raise unknown_revision(specs[0])
    if len(specs) == 2:
        return [(specs[0], partial(read, specs[0]), specs[1], partial(read, specs[1]))]
    raise click.UsageError("give OLD and NEW cassettes, or a revision and the paths to compare")


def _names_a_revision(spec: str) -> bool:
    """True when ``spec``, which is neither a file nor a revision git knows, was meant as
    a revision (``main``, ``HEAD~5``): no such file, and no cassette's ``.json``."""
    return not Path(spec).exists() and not spec.endswith(".json") and ":" not in spec


def _diff_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


@click.group()
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
        fail(error)


@click.command("render")
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
        fail(error)
    title = f"{old} → {cassette}" if old else cassette
    writable_file(output, "-o/--output").write_text(
        render_html(new, title=title, old=before), encoding="utf-8"
    )
    click.echo(f"wrote {output}")

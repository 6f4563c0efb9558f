"""What the commands share: the report formats, colour, and how an error ends a command."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from chanreplay.exceptions import ChanreplayError

if TYPE_CHECKING:
    from chanreplay.diff import Rules

__all__ = [
    "FORMATS",
    "IGNORE_HELP",
    "MATCH_HELP",
    "echo_text",
    "fail",
    "pairs_of",
    "rules_of",
    "strips_colour",
    "styler",
]

FORMATS = ("text", "markdown", "json")
COLOURS = {
    "connection": ("cyan", True),
    "title": (None, True),
    "step": ("bright_black", False),
    "in": ("green", False),
    "out": ("blue", False),
    "layer": ("magenta", False),
    "note": ("yellow", False),
    "payload": (None, False),
}


def colour_wanted(color: bool | None) -> bool | None:
    """``--color/--no-color`` as given; when neither was, no colour if ``NO_COLOR`` is set
    to anything (https://no-color.org), else None (click decides: a terminal only)."""
    if color is None and os.environ.get("NO_COLOR"):
        return False
    return color


def strips_colour(color: bool | None) -> bool:
    """True when ``click.echo(..., color=color)`` to standard output would remove the
    styles (a pipe, a file, git's textconv, ``--no-color``): then styling is wasted."""
    from click.globals import resolve_color_default

    try:
        # click's own test (CliRunner replaces it): click.echo asks the same.
        should_strip_ansi = click.utils.should_strip_ansi  # type: ignore[attr-defined]
    except AttributeError:  # another click: style, and let click.echo decide
        return False
    return bool(should_strip_ansi(sys.stdout, resolve_color_default(color)))


def echo_text(text: str, color: bool | None, strips: bool) -> None:
    """``click.echo(text, color=color)``, where ``strips`` is :func:`strips_colour`'s answer.

    Output that is stripped is only searched for escape sequences, in C, rather
    than run through click's pattern (most of the time of a large transcript).
    """
    if strips:
        if "\x1b" in text:
            text = click.unstyle(text)
        color = True  # nothing left to strip
    click.echo(text, color=color)


def styler(color: bool | None) -> Callable[[str, str], str]:
    """Colour for a terminal (click strips it for pipes and files), nothing with --no-color."""
    if color is False:
        return lambda role, text: text

    def style(role: str, text: str) -> str:
        fg, bold = COLOURS.get(role, (None, False))
        return click.style(text, fg=fg, bold=bold)

    return style


def fail(error: ChanreplayError) -> NoReturn:
    """Print ``error`` and end the command with status 2."""
    click.echo(f"error: {error}", err=True)
    sys.exit(2)


def pairs_of(items: tuple[str, ...]) -> dict[str, Any]:
    """``NAME=VALUE`` and ``NAME@USER=VALUE`` options as secrets; a usage error for anything else.

    ``NAME=VALUE`` is a value for every user, ``NAME@USER=VALUE`` one user's
    own (a username may hold ``@``: the name ends at the first). Given both,
    a name maps users to values, with ``*`` for everyone else.
    """
    # Imported here: chanreplay.replay.secrets costs ``show`` and ``diff`` a fifth of
    # their start-up, and only the commands with --secret use it.
    from chanreplay.replay.secrets import EVERYONE

    given: dict[str, dict[str, str]] = {}
    for item in items:
        key, separator, value = item.partition("=")
        name, at, user = key.partition("@")
        if not separator or not name or (at and not user):
            raise click.BadParameter(
                f"{item!r}: give NAME=VALUE, or NAME@USER=VALUE for one user's own",
                param_hint="--secret",
            )
        given.setdefault(name, {})[user if at else EVERYONE] = value
    return {
        name: values[EVERYONE] if list(values) == [EVERYONE] else values
        for name, values in given.items()
    }


IGNORE_HELP = "an event field not to compare (message.text.id, **.timestamp); repeatable"
MATCH_HELP = (
    "a field compared by kind, not value: PATH=any|string|int|number|regex:PATTERN "
    "(message.text.at=regex:\\d\\d:\\d\\d); repeatable"
)


def rules_of(ignore: tuple[str, ...], matches: tuple[str, ...]) -> Rules:
    """The differ's rules from ``--ignore PATH`` and ``--match PATH=MATCHER`` options;
    a usage error naming the option for anything malformed."""
    from chanreplay.diff import Rules
    from chanreplay.diff.matchers import named

    matchers: dict[str, Any] = {}
    for item in matches:
        path, separator, name = item.partition("=")
        if not separator or not path:
            raise click.BadParameter(
                f"{item!r}: give PATH=MATCHER (message.text.id=int)", param_hint="--match"
            )
        try:
            matchers[path] = named(name)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--match") from None
    try:
        return Rules.build(ignore, matchers)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--ignore/--match") from None


def listen_address(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` as (host, port); a usage error naming ``--listen`` for anything else."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise click.BadParameter(
            f"{listen!r}: give HOST:PORT with a port from 1 to 65535 (127.0.0.1:8002)",
            param_hint="--listen",
        )
    return host.strip("[]"), int(port)


def writable_file(path: Path, option: str) -> Path:
    """``path`` as a file a command may write: its folder made if missing; a usage error
    naming ``option`` when it is a directory or its folder cannot be made."""
    if path.is_dir():
        raise click.BadParameter(
            f"{str(path)!r} is a directory: give a file name in it", param_hint=option
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.BadParameter(
            f"cannot make the folder {str(path.parent)!r}: {error.strerror}", param_hint=option
        ) from None
    return path

"""What the commands share: the report formats, colour, and how an error ends a command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

import click

from chanreplay.exceptions import ChanreplayError

__all__ = ["FORMATS", "fail", "pairs_of", "styler"]

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


def pairs_of(items: tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` options as a dict; a usage error for anything else."""
    given: dict[str, str] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise click.BadParameter(f"{item!r}: give NAME=VALUE", param_hint="--secret")
        given[name] = value
    return given

"""The click group of ``chanreplay``, whose commands are imported when one runs."""

from __future__ import annotations

import importlib

import click

from chanreplay import __version__
from chanreplay.cli import COMMANDS

__all__ = ["LazyGroup", "main"]


class LazyGroup(click.Group):
    """A group whose commands are imported when one is asked for (click's "lazy loading
    subcommands"): the command run, or all of them for ``--help``."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise RuntimeError(f"{self.lazy[cmd_name]} is not the command {cmd_name!r}")
            self.add_command(command)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="chanreplay")
def main() -> None:
    """Record and replay the traffic of Django Channels applications."""

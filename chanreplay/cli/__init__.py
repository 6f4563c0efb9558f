"""The ``chanreplay`` command-line tool.

Commands import Django or Channels only when they need them, so the tool
starts fast. Each module holds a family: :mod:`.review` (show, diff, git,
render), :mod:`.cassettes` (lint, migrate, split, verify, recover), :mod:`.network`
(proxy, play, serve).
"""

from __future__ import annotations

import click

from chanreplay import __version__
from chanreplay.cli import cassettes, network, review

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chanreplay")
def main() -> None:
    """Record and replay the traffic of Django Channels applications."""


for command in (
    review.show,
    review.diff,
    review.git,
    review.render_command,
    cassettes.lint_command,
    cassettes.migrate_command,
    cassettes.split_command,
    cassettes.verify_command,
    cassettes.recover,
    network.proxy_command,
    network.play_command,
    network.serve_command,
):
    main.add_command(command)

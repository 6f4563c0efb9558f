"""The ``chanreplay`` command-line tool.

Commands import Django or Channels only when they need them, so the tool
starts fast. Each module holds a family: :mod:`.review` (show, diff, git,
render), :mod:`.cassettes` (lint, migrate, split, verify, recover), :mod:`.network`
(proxy, play, serve). A module is imported only when one of its commands runs
(or ``--help`` lists them all): ``chanreplay show``, which git runs once per
changed cassette as a textconv, never imports asyncio or the proxy's modules.

``main``, the click group (:mod:`.group`), is made on first use: importing this
package imports no click, so :mod:`.fast` can run ``show`` into a pipe without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanreplay.cli.group import LazyGroup, main

__all__ = ["COMMANDS", "LazyGroup", "main"]

COMMANDS = {
    "show": "chanreplay.cli.review:show",
    "diff": "chanreplay.cli.review:diff",
    "git": "chanreplay.cli.review:git",
    "render": "chanreplay.cli.review:render_command",
    "lint": "chanreplay.cli.cassettes:lint_command",
    "migrate": "chanreplay.cli.cassettes:migrate_command",
    "split": "chanreplay.cli.cassettes:split_command",
    "verify": "chanreplay.cli.cassettes:verify_command",
    "recover": "chanreplay.cli.cassettes:recover",
    "proxy": "chanreplay.cli.network:proxy_command",
    "play": "chanreplay.cli.network:play_command",
    "serve": "chanreplay.cli.network:serve_command",
}
"""Each command's name and where it is defined (``module:attribute``)."""


def __getattr__(name: str) -> Any:
    if name in ("main", "LazyGroup"):
        from chanreplay.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

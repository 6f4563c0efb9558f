"""Re-blessing a cassette: what the application did now, written over what it did then.

Update mode keeps a cassette's inputs and replaces the replayed connections'
events by those the replay recorded, so a reviewer sees the change in
behaviour as a cassette diff. Connections the replay left out, and the
external events, stay as they were.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from chanreplay.cassette import writer
from chanreplay.cassette.model import Cassette
from chanreplay.cassette.values import forget_values
from chanreplay.exceptions import ConfigurationError

if TYPE_CHECKING:  # the driver imports Channels; this module stays light for the plugin
    from chanreplay.replay.driver import ReplayResult

__all__ = [
    "ENV_UPDATE",
    "UPDATE_LISTENERS",
    "notify_updated",
    "update_requested",
    "updated_cassette",
    "write_update",
]

UPDATE_LISTENERS: list[Callable[[Path], None]] = []
"""Called with the path of each cassette rewritten (the pytest plugin lists them)."""


def notify_updated(path: Path) -> None:
    """Tell every listener that the cassette at ``path`` was rewritten; with none (a
    ``manage.py test`` run), say it on stderr: a cassette is never rewritten silently."""
    if not UPDATE_LISTENERS:
        print(
            f"chanreplay: rewrote {path} to what the application does now "
            f"({ENV_UPDATE}=1); review it with git diff before committing",
            file=sys.stderr,
        )
    for listener in UPDATE_LISTENERS:
        listener(path)


ENV_UPDATE = "CHANREPLAY_UPDATE"
"""Set to 1 (or pass pytest --chanreplay-update) to re-bless cassettes that differ."""


def update_requested() -> bool:
    """True when cassettes that differ should be rewritten; refused under CI."""
    if os.environ.get(ENV_UPDATE, "") not in ("1", "true", "yes"):
        return False
    if os.environ.get("CI") == "true":
        raise ConfigurationError(
            f"update mode (--chanreplay-update or {ENV_UPDATE}=1) is asked for under CI=true: "
            "cassettes are re-blessed on a developer's machine and committed, never "
            "rewritten by CI; drop it from the CI job"
        )
    return True


def updated_cassette(original: Cassette, result: ReplayResult) -> Cassette:
    """``original`` with each replayed connection's events replaced by what happened."""
    actual = {connection.id: connection for connection in result.actual.connections}
    connections = []
    for connection in original.connections:
        now = actual.get(connection.id)
        if now is None:
            connections.append(connection)
        else:
            # The inputs (scope, user) are kept; the behaviour is what happened now.
            connections.append(replace(connection, events=now.events, closed=now.closed))
    return replace(original, connections=connections)


def write_update(path: Path, original: Cassette, result: ReplayResult) -> None:
    """Write the re-blessed cassette over ``path`` (atomically)."""
    writer.write(updated_cassette(original, result), path)
    forget_values(path)  # the recording's values no longer go with its names

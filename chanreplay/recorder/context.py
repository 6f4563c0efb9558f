"""The connection a piece of code runs for, visible to its channel-layer calls.

The ASGI recorder sets :data:`current_connection` before calling the
application; a context variable follows the consumer into its tasks, into
``sync_to_async`` threads and back through ``async_to_sync``, so the layer
wrapper can attribute every operation to the connection that caused it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chanreplay.recorder.recording import ConnectionRecorder

__all__ = ["current_connection"]

current_connection: ContextVar[ConnectionRecorder | None] = ContextVar(
    "chanreplay_connection", default=None
)

"""Records a layer message when the consumer *handles* it, not when it arrives.

A Channels consumer waits on its client and its channel-layer channel at once
(``await_many_dispatch``) and handles one message at a time. A layer message
can arrive while the consumer is still busy with another; when it arrives
depends on the network, when it is handled does not. So, inside consumers,
the layer wrapper hands the received message to this module, and the
``receive`` event (and the step of what the consumer does next) is recorded
as the message is dispatched. That keeps the order of a connection's events
the same with the in-memory layer and with Redis.

The hook wraps ``channels.consumer.await_many_dispatch`` while a recording is
active; every consumer class goes through it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Any

__all__ = ["deferring", "install", "uninstall"]

deferring: ContextVar[bool] = ContextVar("chanreplay_deferring", default=False)
"""True inside a consumer's dispatch loop: layer receives are recorded at dispatch."""

_original: Any = None


async def _recording_await_many_dispatch(
    consumer_callables: Sequence[Callable[[], Awaitable[Any]]],
    dispatch: Callable[[Any], Awaitable[None]],
) -> None:
    from chanreplay.recorder.context import current_connection

    connection = current_connection.get()
    if connection is None:
        await _original(consumer_callables, dispatch)
        return

    def recorded_dispatch(message: Any) -> Awaitable[None]:
        # A plain function handing back dispatch's own awaitable (Channels only
        # awaits it): a coroutine around it would cost each message one more.
        connection.dispatching(message)
        return dispatch(message)

    # Set before the receive tasks are created, so they inherit it.
    token = deferring.set(True)
    try:
        await _original(consumer_callables, recorded_dispatch)
    finally:
        deferring.reset(token)


def install() -> None:
    """Wrap Channels' dispatch loop (idempotent)."""
    global _original
    import channels.consumer

    if _original is None:
        _original = channels.consumer.await_many_dispatch
        channels.consumer.await_many_dispatch = _recording_await_many_dispatch


def uninstall() -> None:
    """Restore Channels' own dispatch loop."""
    global _original
    import channels.consumer

    if _original is not None:
        channels.consumer.await_many_dispatch = _original
        _original = None

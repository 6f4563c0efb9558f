"""``RecordingMiddleware``: the ASGI recorder, outermost around the application.

It records each websocket and HTTP connection's scope and every message in
and out, and makes the connection visible to the channel-layer wrapper (see
:mod:`chanreplay.recorder.context`) so layer operations are attributed to it.
Wrap the application by hand where ``runserver --record`` cannot do it::

    application = RecordingMiddleware(ProtocolTypeRouter({...}))

While no recording is active (``CHANREPLAY_RECORD`` unset) every connection
goes straight through.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable

from chanreplay.recorder import dispatch, shutdown, state
from chanreplay.recorder.context import current_connection
from chanreplay.recorder.recording import Recording

__all__ = ["REPLAY_ID_KEY", "RecordingMiddleware"]

_deferring = dispatch.deferring.get
_MARK = "chanreplay.connection"
"""Scope key telling an inner RecordingMiddleware that this connection is recorded."""
REPLAY_ID_KEY = "chanreplay.replay_id"
"""Scope key by which a replay names the connection (the id the cassette gives it)."""

ASGIApp = Any


class RecordingMiddleware:
    """Records every connection of ``app`` into the active (or the given) recording."""

    def __init__(self, app: ASGIApp, *, recording: Recording | None = None) -> None:
        self.app = app
        self.recording = recording
        if "daphne.server" in sys.modules:
            # Before daphne's server starts: it would cancel disconnecting consumers.
            shutdown.install()

    async def __call__(
        self, scope: dict[str, Any], receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        recording = self.recording or state.recording or _start_lazily()
        if recording is None or not recording.active or _MARK in scope or recording.ignores(scope):
            await self.app(scope, receive, send)
            return
        # Per-connection state lives in this call, never on self.
        replay_id = scope.get(REPLAY_ID_KEY)
        if replay_id is not None:
            scope = {key: value for key, value in scope.items() if key != REPLAY_ID_KEY}
        connection = await recording.open_connection(scope, connection_id=replay_id)
        response_done = False

        async def recording_receive() -> Any:
            message = await receive()
            # A client closing its socket after a complete response is noise,
            # and whether the app sees it at all is a race: leave it out.
            if not (response_done and message.get("type") == "http.disconnect"):
                if _deferring():
                    connection.defer_inbound(message)  # recorded when the consumer handles it
                else:
                    connection.inbound(message)
            return message

        async def recording_send(message: Any) -> None:
            nonlocal response_done
            connection.outbound(message)
            if message.get("type") == "http.response.body" and not message.get("more_body"):
                response_done = True
            await send(message)

        token = current_connection.set(connection)
        cut = False
        try:
            await self.app({**scope, _MARK: connection.id}, recording_receive, recording_send)
        except asyncio.CancelledError:
            # The server cancels an application when it stops or reloads; one
            # whose client already left saw its disconnect first.
            cut = True
            raise
        except Exception as error:
            # An application error is behaviour too: the client sees it (an
            # HTTP 500, a close with 1011). It still reaches the server.
            connection.failed(error)
            raise
        finally:
            current_connection.reset(token)
            connection.finish(cut=cut)


def _start_lazily() -> Recording | None:
    """Start recording on a hand-wrapped server's first connection, if asked for."""
    if not state.relaying:
        return None
    from chanreplay.recorder.activation import start_once_from_environment

    return start_once_from_environment()

"""``chanreplay proxy``: record any server's HTTP and websocket traffic at the network edge.

The proxy stands between clients (a browser) and an upstream server (daphne,
uvicorn, anything), forwards every request and websocket both ways, and
records what the *client* saw into a cassette, in the same format,
redaction, journal and crash safety as in-process recording: a websocket is
``websocket.connect`` in, ``websocket.accept`` (with the subprotocol) out,
its frames as ``websocket.receive`` / ``websocket.send``, and its end as
``websocket.disconnect`` (the client closed) or ``websocket.close`` (the
server did); an HTTP exchange is ``http.request`` in, ``http.response.start``
and one ``http.response.body`` out (streamed to the client as it comes, one
body in the cassette, so TCP's chunking does not change the file).

Steps: every input (a connection opening, a request, a frame or close from
a client) takes the next step, and every reply the step of the latest input
the proxy forwarded upstream, on any connection, before the reply came back
(see :meth:`ConnectionRecorder.reply`). The proxy cannot see the channel
layer behind the server, so it cannot tell which of those inputs caused a
reply; it can tell which came before it, and a reply placed after all of
them follows its cause whichever it was.

An upstream that refuses or fails reaches the client as it would without
the proxy (its status, headers and body, or 502 when it cannot be reached),
and is recorded so: a websocket handshake refused with 403 (how an ASGI
server answers an application that closed before accepting) as
``websocket.close``, any other refusal as the ASGI denial response
(``websocket.http.response.start`` and ``websocket.http.response.body``)
with its status, headers and body.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from chanreplay.proxy.relay import (
    HOP_BY_HOP,
    HandshakeError,
    Upgrade,
    WebsocketRelay,
    upgrade_request,
)
from chanreplay.recorder.recording import ConnectionRecorder, Recording

__all__ = ["CaptureProxy"]

# Hop-by-hop headers and what aiohttp sets itself.
_NOT_FORWARDED = HOP_BY_HOP | {"content-length"}


class CaptureProxy:
    """An aiohttp application that forwards to ``upstream`` and records into ``recording``."""

    def __init__(self, upstream: str, recording: Recording | None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"upstream {upstream!r}: give an http:// or https:// URL")
        self.upstream = f"{parts.scheme}://{parts.netloc}"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._tls = ssl.create_default_context() if parts.scheme == "https" else None
        self.recording = recording
        self._session: aiohttp.ClientSession | None = None
        self._relays: set[WebsocketRelay] = set()

    def application(self) -> web.Application:
        """The aiohttp application serving every path."""
        app = web.Application(client_max_size=0)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_startup.append(self._start)
        app.on_shutdown.append(self._going_away)
        app.on_cleanup.append(self._stop)
        return app

    async def _start(self, app: web.Application) -> None:
        # Bodies pass through as the upstream encoded them: no decompression.
        self._session = aiohttp.ClientSession(
            auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None, sock_connect=30)
        )

    async def _going_away(self, app: web.Application) -> None:
        # Open websockets would otherwise hold the shutdown up until aiohttp's timeout.
        for relay in list(self._relays):
            relay.going_away()

    async def _stop(self, app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Forward one request (a websocket when it asks to upgrade)."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        return await self._http(request)

    # -- recording ---------------------------------------------------------------
    async def _open(self, request: web.Request, kind: str) -> ConnectionRecorder | None:
        if self.recording is None or not self.recording.active:
            return None
        scope: dict[str, Any] = {
            "type": kind,
            "path": request.path,
            "query_string": request.query_string.encode("latin-1"),
            "headers": [(k.lower(), v) for k, v in request.raw_headers],
        }
        if kind == "http":
            scope.update(method=request.method, scheme="http", http_version="1.1")
        else:
            scope["subprotocols"] = _protocols(request)
        if self.recording.ignores(scope):
            return None
        return await self.recording.open_connection(scope)

    # -- HTTP ----------------------------------------------------------------------
    async def _http(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        connection = await self._open(request, "http")
        body = await request.read()
        if connection is not None:
            connection.inbound({"type": "http.request", "body": body, "more_body": False})
        try:
            try:
                async with self._session.request(
                    request.method,
                    self.upstream + request.path_qs,
                    headers=_forwarded(request.headers),
                    data=body or None,
                    allow_redirects=False,
                ) as upstream:
                    start = {
                        "type": "http.response.start",
                        "status": upstream.status,
                        "headers": [(k.lower(), v) for k, v in upstream.raw_headers],
                    }
                    if connection is not None:
                        connection.reply(start)
                    response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
                    for name, value in upstream.headers.items():
                        if name.lower() not in _NOT_FORWARDED:
                            response.headers.add(name, value)
                    await response.prepare(request)
                    chunks = []
                    async for chunk in upstream.content.iter_any():
                        chunks.append(chunk)
                        await response.write(chunk)
                    await response.write_eof()
                    if connection is not None:
                        connection.reply(
                            {
                                "type": "http.response.body",
                                "body": b"".join(chunks),
                                "more_body": False,
                            }
                        )
                    return response
            except aiohttp.ClientError as error:
                text = f"chanreplay proxy: the upstream {self.upstream} failed: {error}\n"
                if connection is not None:
                    connection.reply(
                        {
                            "type": "http.response.start",
                            "status": 502,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                        }
                    )
                    connection.reply(
                        {"type": "http.response.body", "body": text.encode(), "more_body": False}
                    )
                return web.Response(status=502, text=text)
        finally:
            if connection is not None:
                connection.finish()

    # -- websockets ------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        connection = await self._open(request, "websocket")
        if connection is not None:
            connection.inbound({"type": "websocket.connect"})
        relay = WebsocketRelay(connection)
        try:
            try:
                answer = await relay.connect(
                    self._host,
                    self._port,
                    upgrade_request(request.raw_path, request.raw_headers),
                    tls=self._tls,
                )
            except (OSError, HandshakeError) as error:
                if connection is not None:
                    connection.reply({"type": "websocket.close", "code": 1011})
                return web.Response(
                    status=502, text=f"chanreplay proxy: the upstream failed: {error}\n"
                )
            if answer.status != 101:
                if connection is not None:
                    _record_refusal(connection, answer)
                return _refusal(answer)
            if connection is not None:
                connection.reply({"type": "websocket.accept", "subprotocol": answer.subprotocol})
            relay.join(request.transport, answer)
            self._relays.add(relay)
            try:
                await relay.finished
            except asyncio.CancelledError:
                relay.going_away()
                raise
            finally:
                self._relays.discard(relay)
            # The connection is the relay's and closed by now: aiohttp has nothing to send.
            return web.Response(status=101)
        finally:
            if connection is not None:
                connection.finish()


def _record_refusal(connection: ConnectionRecorder, answer: Upgrade) -> None:
    """Record a handshake the upstream refused as an ASGI application would have refused it."""
    if answer.status == 403:
        # An application that closed before accepting: what ASGI servers answer it with.
        connection.reply({"type": "websocket.close", "code": 1000})
        return
    connection.reply(
        {
            "type": "websocket.http.response.start",
            "status": answer.status,
            "headers": list(answer.raw_headers),
        }
    )
    connection.reply({"type": "websocket.http.response.body", "body": answer.body})


def _refusal(answer: Upgrade) -> web.Response:
    """The upstream's refusal, as it came, for the client."""
    headers = CIMultiDict(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in answer.raw_headers
        if name.decode("latin-1") not in _NOT_FORWARDED
    )
    return web.Response(status=answer.status, body=answer.body, headers=headers)


def _protocols(request: web.Request) -> list[str]:
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    return [p.strip() for p in offered.split(",") if p.strip()]


def _forwarded(headers: Any) -> list[tuple[str, str]]:
    """The end-to-end headers, repeated ones kept (two Cookie lines stay two)."""
    return [(k, v) for k, v in headers.items() if k.lower() not in _NOT_FORWARDED]

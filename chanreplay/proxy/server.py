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

What the proxy cannot see: the channel layer behind the server, so every
event of a connection carries its own connection's last input step.

An upstream that refuses or fails reaches the client as it would without
the proxy (its status, or 502 when it cannot be reached), and is recorded so.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import WSMsgType, web

from chanreplay.recorder.recording import ConnectionRecorder, Recording

__all__ = ["CaptureProxy"]

# Hop-by-hop headers (RFC 9110 7.6.1) and what aiohttp sets itself.
_NOT_FORWARDED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-accept",
        "sec-websocket-protocol",
    }
)


class CaptureProxy:
    """An aiohttp application that forwards to ``upstream`` and records into ``recording``."""

    def __init__(self, upstream: str, recording: Recording | None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"upstream {upstream!r}: give an http:// or https:// URL")
        self.upstream = f"{parts.scheme}://{parts.netloc}"
        self.recording = recording
        self._session: aiohttp.ClientSession | None = None

    def application(self) -> web.Application:
        """The aiohttp application serving every path."""
        app = web.Application(client_max_size=0)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)
        return app

    async def _start(self, app: web.Application) -> None:
        # Bodies pass through as the upstream encoded them: no decompression.
        self._session = aiohttp.ClientSession(
            auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None, sock_connect=30)
        )

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
                        connection.outbound(start)
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
                        connection.outbound(
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
                    connection.outbound(
                        {
                            "type": "http.response.start",
                            "status": 502,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                        }
                    )
                    connection.outbound(
                        {"type": "http.response.body", "body": text.encode(), "more_body": False}
                    )
                return web.Response(status=502, text=text)
        finally:
            if connection is not None:
                connection.finish()

    # -- websockets ------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        connection = await self._open(request, "websocket")
        if connection is not None:
            connection.inbound({"type": "websocket.connect"})
        url = "ws" + self.upstream[4:] + request.path_qs
        try:
            try:
                upstream = await self._session.ws_connect(
                    url,
                    protocols=_protocols(request),
                    headers=_forwarded(request.headers),
                    autoping=False,
                    max_msg_size=0,
                    # Offer compression upstream only if the client offered it ...
                    compress=15 if _offers_compression(request) else 0,
                )
            except aiohttp.WSServerHandshakeError as error:
                # Refused (a consumer that closed before accepting): as the client would see it.
                if connection is not None:
                    connection.outbound({"type": "websocket.close", "code": 1000})
                return web.Response(status=error.status, text="websocket refused upstream\n")
            except aiohttp.ClientError as error:
                if connection is not None:
                    connection.outbound({"type": "websocket.close", "code": 1011})
                return web.Response(
                    status=502, text=f"chanreplay proxy: the upstream failed: {error}\n"
                )
            client = web.WebSocketResponse(
                protocols=[upstream.protocol] if upstream.protocol else (),
                autoping=False,
                max_msg_size=0,
                # ... and accept it from the client only if the server did: the
                # client gets the connection the server would have given it.
                compress=bool(upstream.compress),
            )
            await client.prepare(request)
            if connection is not None:
                connection.outbound({"type": "websocket.accept", "subprotocol": upstream.protocol})
            await _pump(client, upstream, connection)
            return client
        finally:
            if connection is not None:
                connection.finish()


async def _pump(
    client: web.WebSocketResponse,
    upstream: aiohttp.ClientWebSocketResponse,
    connection: ConnectionRecorder | None,
) -> None:
    """Carry frames both ways until either side closes; record each as it passes."""

    inbound = connection.inbound if connection is not None else None
    outbound = connection.outbound if connection is not None else None

    async def from_client() -> None:
        await _forward(client, upstream, inbound, "websocket.receive")
        code = client.close_code or 1005
        if connection is not None and not connection.closed:
            connection.inbound({"type": "websocket.disconnect", "code": code})
        if not upstream.closed:
            await upstream.close(code=code)

    async def from_upstream() -> None:
        await _forward(upstream, client, outbound, "websocket.send")
        # The upstream closed (or died: no close frame, code 1006 recorded).
        code = upstream.close_code if upstream.close_code is not None else 1006
        if connection is not None and not connection.closed:
            connection.outbound({"type": "websocket.close", "code": code})
        if not client.closed:
            await client.close(code=1011 if code == 1006 else code)

    tasks = [asyncio.ensure_future(from_client()), asyncio.ensure_future(from_upstream())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        # One side ended; give the other a moment to see its close, then stop it.
        await asyncio.wait(tasks, timeout=5)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _forward(
    source: Any, target: Any, record: Callable[[dict[str, Any]], None] | None, kind: str
) -> None:
    """Carry ``source``'s frames to ``target`` until it closes; record data frames as ``kind``."""
    async for message in source:
        if message.type == WSMsgType.TEXT:
            if record is not None:
                record({"type": kind, "text": message.data})
            await target.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            if record is not None:
                record({"type": kind, "bytes": message.data})
            await target.send_bytes(message.data)
        elif message.type == WSMsgType.PING:
            await target.ping(message.data)
        elif message.type == WSMsgType.PONG:
            await target.pong(message.data)


def _offers_compression(request: web.Request) -> bool:
    offered = request.headers.get("Sec-WebSocket-Extensions", "")
    return "permessage-deflate" in offered.lower()


def _protocols(request: web.Request) -> list[str]:
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    return [p.strip() for p in offered.split(",") if p.strip()]


def _forwarded(headers: Any) -> list[tuple[str, str]]:
    """The end-to-end headers, repeated ones kept (two Cookie lines stay two)."""
    return [(k, v) for k, v in headers.items() if k.lower() not in _NOT_FORWARDED]

"""The capture proxy's websocket relay: bytes forwarded as they come, read for the record after.

A websocket through the proxy is two TCP connections joined byte for byte
once the upstream has accepted the handshake. The client's handshake goes
upstream as it came (its key, its subprotocols, its extensions) and the
upstream's answer goes back as it was, so client and server negotiate the
subprotocol and compression with each other, and every frame (text, binary,
ping, pong, close with its code and reason) reaches the other side
unchanged. Only the upstream's death is the proxy's to report: the client
then loses its connection without a close frame, as it would without the
proxy.

Each chunk read from one side is written to the other first; only then is
it read for the record (:mod:`chanreplay.proxy.frames`), so recording adds
nothing to a message's way through. A reply still cannot overtake the
message it answers in the record: the event loop runs one callback at a
time, and a chunk is recorded in the callback that forwarded it, before the
upstream's answer can be read.

This module imports neither Django, Channels nor aiohttp.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
from collections.abc import Iterable
from typing import Any, NamedTuple, cast

from chanreplay.exceptions import ChanreplayError, FrameError
from chanreplay.proxy.frames import Close, FrameReader, Message, close_frame
from chanreplay.recorder.recording import ConnectionRecorder

__all__ = ["HandshakeError", "Upgrade", "WebsocketRelay", "upgrade_request"]

logger = logging.getLogger("chanreplay.proxy")

HOP_BY_HOP = frozenset(
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
    }
)
"""Headers that concern one connection only (RFC 9110 7.6.1): never forwarded."""

_MAX_HEAD = 64 * 1024
"""The most an upstream's handshake answer may take before its blank line."""
_LINGER = 5.0
"""How long a side that closed its websocket may take to close its connection."""
_GOING_AWAY = 1001
_SHUTTING_DOWN = "the proxy is shutting down"


class HandshakeError(ChanreplayError, ConnectionError):
    """The upstream closed, or answered something that is not HTTP, before its handshake ended."""


class Upgrade(NamedTuple):
    """The upstream's answer to a websocket handshake."""

    status: int
    head: bytes
    """The answer's status line and headers, as they came (ending in a blank line)."""
    headers: dict[str, str]
    """Its headers, by lower-case name (the last of repeated ones)."""
    raw_headers: tuple[tuple[bytes, bytes], ...] = ()
    """Its headers in order, repeated ones kept, names in lower case."""
    body: bytes = b""
    """The body of a refusal (an answer other than 101)."""

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the upstream chose, if any."""
        return self.headers.get("sec-websocket-protocol") or None


def upgrade_request(path: str, headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The handshake to send upstream: the client's, with only its hop-by-hop headers replaced."""
    lines = [b"GET " + path.encode("latin-1") + b" HTTP/1.1"]
    lines += [
        name + b": " + value
        for name, value in headers
        if name.decode("latin-1").lower() not in HOP_BY_HOP
    ]
    lines += [b"Upgrade: websocket", b"Connection: Upgrade"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _parse_head(head: bytes) -> Upgrade:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise HandshakeError(f"the upstream answered {lines[0][:80]!r}, not an HTTP status line")
    headers = {}
    raw = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
            raw.append((name.strip().lower().encode("latin-1"), value.strip().encode("latin-1")))
    return Upgrade(int(parts[1]), head, headers, tuple(raw))


class _Side(asyncio.Protocol):
    """One of the relay's two connections: what it reads goes to the other, then to the record."""

    def __init__(self, relay: WebsocketRelay, *, client: bool) -> None:
        self.relay = relay
        self.client = client
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.reader: FrameReader | None = None
        self.closed_websocket = False
        """Whether this side sent its close frame."""
        self.lost = False
        self.handshake: asyncio.Future[bytes] | None = None
        """The upstream's handshake answer, while the upstream side waits for it."""
        self.original: asyncio.BaseProtocol | None = None
        """The client side: the protocol the connection had before the relay took it."""
        self._held: list[bytes] = []
        """What arrived before the two sides were joined."""
        self.arrived: asyncio.Event | None = None
        """Set whenever more arrives (or the connection ends) while a refusal's body is read."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is None:
            self._hold(data)
            return
        if not peer.lost:
            assert peer.transport is not None
            peer.transport.write(data)
        if self.reader is not None:
            self.read(data)

    def read(self, data: bytes) -> None:
        """Read ``data`` for the record."""
        assert self.reader is not None
        try:
            for message in self.reader.feed(data):
                self.relay.message(self, message)
        except FrameError as error:
            self.relay.stop_recording(f"the {self.name} sent {error}")
        except Exception as error:  # the relay goes on whatever befalls the record
            logger.exception("chanreplay proxy: recording what the %s sent failed", self.name)
            self.relay.stop_recording(f"recording failed ({error!r})")

    @property
    def name(self) -> str:
        """``client`` or ``upstream``."""
        return "client" if self.client else "upstream"

    def _hold(self, data: bytes) -> None:
        self._held.append(data)
        if self.arrived is not None:
            self.arrived.set()
        handshake = self.handshake
        if handshake is None or handshake.done():
            return
        joined = b"".join(self._held)
        end = joined.find(b"\r\n\r\n")
        if end >= 0:
            self._held = [joined[end + 4 :]] if end + 4 < len(joined) else []
            handshake.set_result(joined[: end + 4])
        elif len(joined) > _MAX_HEAD:
            handshake.set_exception(
                HandshakeError(f"the upstream's answer has no end in its first {_MAX_HEAD} bytes")
            )
        else:
            self._held = [joined]

    def release(self) -> None:
        """Forward (and read) what arrived before the sides were joined."""
        held, self._held = self._held, []
        for data in held:
            self.data_received(data)

    def pause_writing(self) -> None:
        # The other side sends faster than this one takes: hold the other back.
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            peer.transport.pause_reading()

    def resume_writing(self) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.transport.is_closing():
            peer.transport.resume_reading()

    async def refusal_body(self, answer: Upgrade, patience: float) -> bytes:
        """The body that follows the refusal ``answer``: its content-length's worth, or
        what comes until the upstream closes, waiting at most ``patience`` seconds."""
        length = answer.headers.get("content-length", "")
        wanted = int(length) if length.isdigit() else None
        self.arrived = asyncio.Event()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while not self.lost and loop.time() < deadline:
            if wanted is not None and sum(map(len, self._held)) >= wanted:
                break
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), deadline - loop.time())
        body = b"".join(self._held)
        return body[:wanted] if wanted is not None else body

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.arrived is not None:
            self.arrived.set()
        if self.handshake is not None and not self.handshake.done():
            self.handshake.set_exception(
                HandshakeError("the upstream closed the connection before answering the handshake")
            )
        self.relay.side_lost(self)
        if self.original is not None:
            # Let the server that accepted the connection end it too (aiohttp
            # keeps track of its connections until it learns they are gone).
            self.original.connection_lost(exc)


class WebsocketRelay:
    """One websocket through the proxy: its two connections and what is recorded of it."""

    def __init__(self, connection: ConnectionRecorder | None) -> None:
        self.connection = connection
        self._client = _Side(self, client=True)
        self._upstream = _Side(self, client=False)
        if connection is not None:
            self._client.reader = FrameReader()
            self._upstream.reader = FrameReader()
        self._joined = False
        """Whether the handshake is over and the sides relay (what ends them is recorded)."""
        self._unreadable = False
        self.finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        """Done when both connections are closed."""

    async def connect(
        self, host: str, port: int, request: bytes, *, tls: ssl.SSLContext | None = None
    ) -> Upgrade:
        """Open the upstream connection, send ``request`` and return the upstream's answer.

        The connection stays open only when the upstream accepted (101).

        Raises :class:`OSError` when the upstream cannot be reached and
        :class:`HandshakeError` when it does not answer the handshake.
        """
        loop = asyncio.get_running_loop()
        self._upstream.handshake = loop.create_future()
        await loop.create_connection(
            lambda: self._upstream, host, port, ssl=tls, server_hostname=host if tls else None
        )
        assert self._upstream.transport is not None
        self._upstream.transport.write(request)
        try:
            answer = _parse_head(await self._upstream.handshake)
        except BaseException:
            self._upstream.transport.close()
            raise
        if answer.status != 101:  # refused: there is nothing to relay, but a body to pass on
            body = await self._upstream.refusal_body(answer, _LINGER)
            self._upstream.transport.close()
            return answer._replace(body=body)
        return answer

    def join(self, client: asyncio.BaseTransport | None, answer: Upgrade) -> None:
        """Take over the client's connection, give it the upstream's answer, and relay."""
        self._joined = True
        upstream = self._upstream
        if client is None or client.is_closing():  # the client went away during the handshake
            self.side_lost(self._client)
            if upstream.transport is not None:
                upstream.transport.close()
            return
        client = cast(asyncio.Transport, client)
        side = self._client
        side.original = client.get_protocol()
        client.set_protocol(side)
        side.transport = client
        side.peer, upstream.peer = upstream, side
        client.write(answer.head)
        upstream.release()
        if upstream.lost:  # it closed before the sides were joined: end the client's too
            self.side_lost(upstream)

    def going_away(self) -> None:
        """Stop relaying (the proxy is shutting down): both sides are told it goes away (1001).

        The record ends as the server saw it: the client went away.
        """
        client, upstream = self._client, self._upstream
        connection = None if self._unreadable else self.connection
        if connection is not None and not connection.closed:
            connection.inbound({"type": "websocket.disconnect", "code": _GOING_AWAY})
        if client.transport is not None and not client.lost:
            if not upstream.closed_websocket:
                client.transport.write(close_frame(_GOING_AWAY, _SHUTTING_DOWN))
            client.transport.close()  # after what it holds is written
        if upstream.transport is not None and not upstream.lost:
            if not client.closed_websocket:
                mask = os.urandom(4)  # a client's frames are masked (RFC 6455 5.3)
                upstream.transport.write(close_frame(_GOING_AWAY, _SHUTTING_DOWN, mask=mask))
            upstream.transport.close()

    # -- what the sides report ------------------------------------------------------
    def message(self, side: _Side, message: Message) -> None:
        """Record a message ``side`` sent."""
        if isinstance(message, Close):
            side.closed_websocket = True
        connection = self.connection
        if connection is None or connection.closed:
            return
        event: dict[str, Any]
        if isinstance(message, Close):
            if side.client:
                event = {"type": "websocket.disconnect", "code": message.code}
            else:
                event = {"type": "websocket.close", "code": message.code}
                if message.reason:
                    event["reason"] = message.reason
        else:
            kind = "text" if isinstance(message, str) else "bytes"
            direction = "websocket.receive" if side.client else "websocket.send"
            event = {"type": direction, kind: message}
        if side.client:
            connection.inbound(event)
        else:
            connection.reply(event)

    def stop_recording(self, why: str) -> None:
        """Record no more of this websocket (it goes on), saying ``why``."""
        # Both ways, and how it ends too: replies recorded without the messages
        # they answer, or an end without what led to it, would mislead.
        self._client.reader = self._upstream.reader = None
        self._unreadable = True
        where = f" {self.connection.id}" if self.connection is not None else ""
        logger.warning("chanreplay proxy: stopped recording websocket%s: %s", where, why)

    def side_lost(self, side: _Side) -> None:
        """``side``'s connection closed: record how, and end the other one."""
        side.lost = True
        if not self._joined:  # the handshake's outcome is recorded by whoever awaits it
            return
        connection = None if self._unreadable else self.connection
        if connection is not None and not connection.closed and not side.closed_websocket:
            # Gone without a close frame: an abnormal closure (1006), as daphne reports it.
            if side.client:
                connection.inbound({"type": "websocket.disconnect", "code": 1006})
            else:
                connection.reply({"type": "websocket.close", "code": 1006})
        peer = side.peer
        if peer is not None and not peer.lost and peer.transport is not None:
            answer_due = side.closed_websocket and not peer.closed_websocket
            if answer_due and peer.transport.can_write_eof():
                # A clean close whose answer is still to come: let it come.
                peer.transport.write_eof()
                asyncio.get_running_loop().call_later(_LINGER, peer.transport.close)
            else:
                peer.transport.close()
        client_gone = self._client.lost or self._client.transport is None
        if client_gone and self._upstream.lost and not self.finished.done():
            self.finished.set_result(None)

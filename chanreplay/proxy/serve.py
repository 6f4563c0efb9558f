"""``chanreplay serve``: a cassette as a mock server (the recorded server side, played back).

A client (a front end under development, a mobile app) connects as it would
to the real server. Each websocket or HTTP request takes the next recorded
connection with the same path (and, for HTTP, method). A websocket is
accepted as recorded, or refused as recorded (403, or the recorded denial
response's status, headers and body); each frame the client sends must be
the one the cassette expects next on that connection (JSON compared as
JSON), and the recorded replies follow. A reply waits for its cause: a frame
recorded at step ``n`` is sent once the input of step ``n`` was received, on
whichever connection (a frame, a request, a close), and every input its own
connection recorded before it, so a broadcast reaches the other clients when
the message that caused it arrives. An HTTP request gets the recorded
status, headers and body.

What the cassette does not cover gets a clear answer and a log line: a path
with no recorded connection left, 404 (HTTP) or a refused handshake; an
unexpected frame, a close with code 4400 and the reason. A frame is compared
as the recorder would have written it: secret fields (a token, a password)
match the redacted value the cassette holds.

Values the server made (bindings such as ``<uuid:1>``, a session cookie's
``<token:4>``) are made up afresh, one value per binding, and sent wherever
the cassette has the binding; a client sending one back (in a path, a frame)
sends what the cassette expects. A binding a secret names (``--secret
sessionid=...`` for ``set-cookie: sessionid=<token:4>``) takes that value.
Timestamps recorded by shape go out as the time the mock server started;
headers recorded as ``<volatile>`` as the time of the reply (``expires``
plus its ``max-age``), or not at all when they are no time.

``secrets`` supply values for what recording redacted. The replies carry
them (a ``Set-Cookie``, a token in a JSON body or frame), and a client must
send them where the cassette has a redacted field of that name: given
``password``, a login with another password is refused (403 for HTTP, close
code 4400 for a websocket). A redacted reply value no secret fills goes out
as a made-up token (:meth:`MockServer.invented` names them), never as
``<redacted>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from chanreplay.cassette.asgi import check_messages, decode_headers
from chanreplay.cassette.binding import fill
from chanreplay.cassette.codec import decode_value
from chanreplay.cassette.model import CLIENT_OUTCOMES, Cassette, Connection, Event
from chanreplay.cassette.redaction import VOLATILE, Redactor
from chanreplay.replay.bindings import bound_fields, live_headers, live_shapes, made_up
from chanreplay.replay.plan import selects
from chanreplay.replay.redacted import server_side
from chanreplay.replay.secrets import Secrets, SecretValues

__all__ = ["UNEXPECTED_CLOSE_CODE", "MockServer"]

logger = logging.getLogger("chanreplay.serve")

UNEXPECTED_CLOSE_CODE = 4400
"""The close code of a websocket whose client sent what the cassette does not expect."""
_NOT_REPLAYED = frozenset({"content-length", "transfer-encoding", "connection", "date", "server"})


class MockServer:
    """An aiohttp application answering with the server side of ``cassette``."""

    def __init__(
        self,
        cassette: Cassette,
        *,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
        secrets: SecretValues | None = None,
    ) -> None:
        check_messages(cassette)
        self.unused = [c for c in cassette.connections if selects(c, include, exclude)]
        self.secrets = Secrets(secrets)
        self.inputs = {
            int(e["step"]) for c in self.unused for e in c.events if e.get("dir") == "in"
        }
        """Steps whose input is a client's: the replies recorded at them wait for it."""
        self.played: set[int] = set()
        self._progress = asyncio.Condition()
        self._fields = bound_fields(cassette)
        self._made: dict[str, str] = {}
        """Binding name -> the value made up for it."""
        self._started = datetime.datetime.now(datetime.UTC)
        self.invented = {name: made_up("token") for name in self.unfilled()}
        """Redacted reply values no secret fills -> the value made up for them."""
        self._replying = Secrets(secrets)
        invented = {name.lower(): value for name, value in self.invented.items()}
        self._replying.values = {**invented, **self._replying.values}
        """What replies carry: the secrets given, else the values invented."""
        self._volatile_logged: set[str] = set()

    def unfilled(self) -> dict[str, str]:
        """Redacted reply values no secret fills (they go out as ``<redacted>``): name -> place."""
        unfilled: dict[str, str] = {}
        for connection in self.unused:
            secrets = self._secrets(connection)
            for redacted in server_side(connection):
                if secrets.value(redacted.name) is None:
                    unfilled.setdefault(redacted.name, redacted.place)
        return unfilled

    def application(self) -> web.Application:
        """The aiohttp application serving every path."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    def _secrets(self, connection: Connection) -> Secrets:
        """The secrets of ``connection``'s recorded user first: what its client must send."""
        return self.secrets.for_user(connection.username)

    def _reply_secrets(self, connection: Connection) -> Secrets:
        """What ``connection``'s replies carry for redacted values: given, else invented."""
        return self._replying.for_user(connection.username)

    def _live_headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Recorded response headers as they go out: volatile ones made live (and said so)."""
        for name, value in headers:
            shown = name.decode("latin-1").lower()
            if VOLATILE.encode() in value and shown not in self._volatile_logged:
                self._volatile_logged.add(shown)
                logger.info(
                    "chanreplay serve: %r was recorded as %s; it goes out as the time of the "
                    "reply (or not at all when it is no time)",
                    shown,
                    VOLATILE,
                )
        return live_headers(headers, datetime.datetime.now(datetime.UTC))

    def _made_up(self, name: str) -> str:
        """The value binding ``name`` goes out as: a secret given for its field, or a new one."""
        value = self._made.get(name)
        if value is None:
            field = self._fields.get(name)
            given = self.secrets.value(field) if field is not None else None
            value = self._made[name] = given if given is not None else made_up(name.split(":")[0])
        return value

    def _outgoing(self, value: Any) -> Any:
        """A recorded reply value (encoded) with bindings and timestamps made live.

        Every timestamp is the time the mock server started: the cassette
        keeps timestamps by shape only, so one time for all keeps a row's
        ``created`` the same in the reply that made it and in every later one.
        """
        return live_shapes(fill(value, self._made_up), self._started)

    def _incoming(self, text: str) -> str:
        """What a client sent, with the values made up here named as the cassette names them."""
        for name, value in self._made.items():
            if value in text:
                text = text.replace(value, f"<{name}>")
        return text

    def _take(self, request: web.Request, kind: str) -> Connection | None:
        path = self._incoming(request.path)
        for connection in self.unused:
            if connection.type != kind or connection.path != path:
                continue
            if kind == "http" and connection.scope.get("method", "GET") != request.method:
                continue
            self.unused.remove(connection)
            return connection
        logger.warning(
            "chanreplay serve: no recorded %s connection left for %s %s",
            kind,
            request.method,
            request.path_qs,
        )
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request or websocket from the cassette."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        return await self._http(request)

    async def _played(self, step: int) -> None:
        async with self._progress:
            self.played.add(step)
            self._progress.notify_all()

    async def _http(self, request: web.Request) -> web.StreamResponse:
        connection = self._take(request, "http")
        if connection is None:
            return web.Response(
                status=404,
                text=f"chanreplay serve: the cassette has no (more) {request.method} "
                f"{request.path} to answer with\n",
            )
        body = await request.read()
        wrong = self._wrong_secret(connection, body, request.content_type)
        if wrong is not None:
            self.unused.insert(0, connection)  # still there for a request that gets it right
            logger.warning(
                "chanreplay serve: %s %s sent another %r than the one given with --secret",
                request.method,
                request.path,
                wrong,
            )
            return web.Response(
                status=403,
                text=f"chanreplay serve: {request.method} {request.path}: wrong {wrong!r}\n",
            )
        start, reply = self._recorded_response(connection, "http.response")
        if start is None:
            return web.Response(status=502, text="chanreplay serve: no response was recorded\n")
        for event in connection.events:
            if event.get("dir") == "in":
                await self._played(int(event["step"]))
        return self._response(connection, start, reply)

    def _response(self, connection: Connection, start: dict[str, Any], body: bytes) -> web.Response:
        """The recorded response ``start`` (encoded, made live) with ``body``."""
        secrets = self._reply_secrets(connection)
        headers = self._live_headers(secrets.headers(decode_headers(start.get("headers", []))))
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
        response = web.Response(
            status=int(start["status"]),
            body=secrets.body(body, content_type.decode("latin-1")),
        )
        for name, value in headers:
            if name.decode("latin-1").lower() not in _NOT_REPLAYED:
                response.headers.add(name.decode("latin-1"), value.decode("latin-1"))
        return response

    def _recorded_response(
        self, connection: Connection, kind: str
    ) -> tuple[dict[str, Any] | None, bytes]:
        """The response ``connection`` recorded (``kind``: ``http.response`` or
        ``websocket.http.response``): its start (made live), if any, and its body."""
        # What the server sent: a layer message that happens to carry such a type is not.
        sent = [e for e in connection.events if e.get("dir") == "out"]
        starts = (e for e in sent if _type(e) == f"{kind}.start")
        start = next((self._outgoing(e["message"]) for e in starts), None)
        body = b"".join(
            decode_value(self._outgoing(e["message"].get("body", {"$bytes_text": ""})))
            for e in sent
            if _type(e) == f"{kind}.body"
        )
        return start, body

    def _wrong_secret(self, connection: Connection, body: bytes, content_type: str) -> str | None:
        """The field of a request body that holds another value than the secret given for it."""
        recorded = next(
            (e["message"].get("body") for e in connection.events if _is(e, "in", "http.request")),
            None,
        )
        secrets = self._secrets(connection)
        if not isinstance(recorded, dict) or not (secrets.values or secrets.per_user):
            return None
        if "$bytes_json" in recorded:
            try:
                sent = json.loads(body)
            except ValueError:
                return None
            return secrets.differs(sent, recorded["$bytes_json"])
        text = recorded.get("$bytes_text")
        if isinstance(text, str) and content_type == "application/x-www-form-urlencoded":
            sent_form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            return secrets.differs(sent_form, dict(parse_qsl(text, keep_blank_values=True)))
        return None

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        connection = self._take(request, "websocket")
        events = connection.events if connection is not None else []
        accept = next((e for e in events if _is(e, "out", "websocket.accept")), None)
        if connection is None or accept is None:
            if connection is not None:
                # A refusal the cassette holds: the connect and the disconnect that
                # follows are inputs of their own, and may have effects elsewhere.
                for event in events:
                    if event.get("dir") == "in":
                        await self._played(int(event["step"]))
            denial, body = (
                self._recorded_response(connection, "websocket.http.response")
                if connection is not None
                else (None, b"")
            )
            if connection is not None and denial is not None:
                return self._response(connection, denial, body)
            if _raised(events, CLIENT_OUTCOMES["refused"]):
                return web.Response(status=500, text="Internal Server Error\n")
            return web.Response(status=403, text="chanreplay serve: no recorded websocket here\n")
        subprotocol = accept["message"].get("subprotocol")
        socket = web.WebSocketResponse(protocols=[subprotocol] if subprotocol else ())
        await socket.prepare(request)
        for event in events:
            if _is(event, "in", "websocket.connect"):
                await self._played(int(event["step"]))
        after = events[events.index(accept) + 1 :]
        # What the application sent after its client left reached nobody.
        gone = next(
            (i for i, e in enumerate(after) if _is(e, "in", "websocket.disconnect")), len(after)
        )
        # Each reply with the inputs it waits for: its step's, and its own connection's before it.
        outbound: list[tuple[Event, set[int]]] = []
        before: set[int] = {int(e["step"]) for e in events if _is(e, "in", "websocket.connect")}
        for event in after[:gone]:
            if event.get("dir") == "in":
                before.add(int(event["step"]))
            elif event.get("dir") in ("out", "error"):
                outbound.append((event, {*before, int(event["step"])}))
        inbound = [e for e in after if e.get("dir") == "in" and _type(e) == "websocket.receive"]
        # Two halves: replies go out as their causes arrive; frames are checked as they come.
        sender = asyncio.ensure_future(self._replies(socket, connection, outbound))
        try:
            await self._frames(socket, connection, inbound)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        if gone < len(after):
            # The socket closed (the client left, or the cassette's close went out):
            # that is the disconnect's input, and what it causes elsewhere follows it.
            await self._played(int(after[gone]["step"]))
        return socket

    async def _replies(
        self,
        socket: web.WebSocketResponse,
        connection: Connection,
        outbound: list[tuple[Event, set[int]]],
    ) -> None:
        secrets = self._reply_secrets(connection)
        for event, causes in outbound:
            await self._caused(causes)
            if "message" in event:
                event = {**event, "message": self._outgoing(event["message"])}
            if socket.closed:
                return  # the client left before this reply was due: nobody to send it to
            try:
                if not await _send(socket, event, secrets):
                    return
            except ConnectionResetError:  # the client went while the reply was on its way
                logger.info(
                    "chanreplay serve: %s closed before its replies were sent", connection.id
                )
                return

    async def _caused(self, steps: set[int]) -> None:
        """Wait until the client inputs of ``steps`` arrived (on any connection).

        A step whose input is no client's (a worker's, a command's) is not waited for.
        """
        wanted = steps & self.inputs

        def arrived() -> bool:
            return wanted <= self.played

        async with self._progress:
            await self._progress.wait_for(arrived)

    async def _frames(
        self, socket: web.WebSocketResponse, connection: Connection, inbound: list[Event]
    ) -> None:
        position = 0
        async for frame in socket:
            if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            expected = inbound[position]["message"] if position < len(inbound) else None
            if frame.type == WSMsgType.TEXT and self._made:
                # As the cassette names them: the values made up here were sent back.
                frame = _Frame(frame.type, self._incoming(frame.data))  # type: ignore[assignment]
            if expected is None or not _matches(frame, expected, self._secrets(connection)):
                shown = frame.data if frame.type == WSMsgType.TEXT else f"<{len(frame.data)} bytes>"
                wanted = (
                    decode_value(expected.get("text", expected.get("bytes")))
                    if expected is not None
                    else "nothing more"
                )
                wrong = _wrong_secret(frame, expected, self._secrets(connection))
                if wrong is not None:
                    logger.warning(
                        "chanreplay serve: %s %s sent another %r than the one given with --secret",
                        connection.id,
                        connection.path,
                        wrong,
                    )
                else:
                    logger.warning(
                        "chanreplay serve: %s %s sent %r; the cassette expects %r",
                        connection.id,
                        connection.path,
                        shown,
                        wanted,
                    )
                await socket.close(
                    code=UNEXPECTED_CLOSE_CODE,
                    message=b"chanreplay serve: not the frame the cassette expects",
                )
                return
            await self._played(int(inbound[position]["step"]))
            position += 1


async def _send(socket: web.WebSocketResponse, event: Event, secrets: Secrets) -> bool:
    """Send a recorded outbound event; False once it closed the socket."""
    if event.get("dir") == "error":
        # The application raised: an open socket is closed as the server closed it.
        if event.get("client") == CLIENT_OUTCOMES["closed"]:
            await socket.close(code=1011)
        return False
    message = event["message"]
    kind = message.get("type")
    if kind == "websocket.send":
        if message.get("text") is not None:
            await socket.send_str(secrets.text(decode_value(message["text"])))
        else:
            await socket.send_bytes(decode_value(message["bytes"]))
        return True
    if kind == "websocket.close":
        await socket.close(code=int(message.get("code", 1000)))
        return False
    return True


_REDACTOR = Redactor()
"""Redacts what a client sends as the recorder did, so that a frame holding a
secret (a token, a password) matches the redacted one in the cassette."""


def _matches(frame: Any, expected: dict[str, Any], secrets: Secrets) -> bool:
    if expected.get("type") != "websocket.receive":
        return False
    if frame.type == WSMsgType.TEXT and expected.get("text") is not None:
        wanted = expected["text"]
        if isinstance(wanted, dict) and "$json" in wanted:
            try:
                sent = json.loads(frame.data)
            except ValueError:
                return False
            return bool(
                _REDACTOR.value(sent, learned=False) == wanted["$json"]
                and secrets.differs(sent, wanted["$json"]) is None
            )
        return bool(_REDACTOR.value(frame.data, learned=False) == decode_value(wanted))
    if frame.type == WSMsgType.BINARY and expected.get("bytes") is not None:
        return bool(frame.data == decode_value(expected["bytes"]))
    return False


def _wrong_secret(frame: Any, expected: dict[str, Any] | None, secrets: Secrets) -> str | None:
    """The field a JSON frame got wrong against a given secret, if that is what is wrong."""
    wanted = expected.get("text") if expected is not None else None
    if frame.type != WSMsgType.TEXT or not isinstance(wanted, dict) or "$json" not in wanted:
        return None
    try:
        sent = json.loads(frame.data)
    except ValueError:
        return None
    if _REDACTOR.value(sent, learned=False) != wanted["$json"]:
        return None  # another frame altogether, not just another secret
    return secrets.differs(sent, wanted["$json"])


@dataclass(frozen=True)
class _Frame:
    """A text frame as the cassette would name it (the values made up here replaced)."""

    type: WSMsgType
    data: str


def _raised(events: list[Event], client: str) -> bool:
    """True when ``events`` hold an application error its client saw as ``client``."""
    return any(e.get("dir") == "error" and e.get("client") == client for e in events)


def _is(event: Event, direction: str, kind: str) -> bool:
    """True for an ASGI event of ``kind`` in ``direction`` (a layer message may carry any
    type: only the connection's own messages count)."""
    return event.get("dir") == direction and _type(event) == kind


def _type(event: Event) -> str:
    message = event.get("message")
    return str(message.get("type")) if isinstance(message, dict) else ""

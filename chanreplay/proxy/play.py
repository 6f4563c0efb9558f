"""``chanreplay play``: the client side of a cassette, played against a running server.

It opens each recorded connection with a real client (aiohttp: websockets and
HTTP), sends what the client sent in the order of the recording's steps, and
after each step waits until every reply the cassette expects up to that step
has arrived. What came back is encoded and redacted as the recorder would
have written it and compared with the cassette by the project's differ.

Each recorded browser gets a client of its own, with its own cookie jar:
which connections came from one browser is told by the cookies they carried
(see :mod:`chanreplay.proxy.browsers`), so two people who log in one after
the other stay two people, whether the recording knew their names or not
(the capture proxy never does). Headers the server adds on every response
(``server``, ``date``) are not compared.

Only the network is visible: channel-layer events are not compared, and
external layer operations (a management command's ``group_send``) cannot be
played; they are counted in :attr:`PlayResult.skipped`. Redacted values a
request needs come from ``secrets`` (``{"password": ...}``); CSRF tokens are
taken from the live CSRF cookie, as a browser's form would. The cookie names
are Django's defaults (``sessionid``, ``csrftoken``) unless given: a project
that sets ``SESSION_COOKIE_NAME`` or ``CSRF_COOKIE_NAME`` passes its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import difflib
import socket as socketlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import aiohttp
import orjson

from chanreplay.cassette.asgi import check_messages, decode_headers, encode_message
from chanreplay.cassette.binding import Binder, fill
from chanreplay.cassette.codec import decode_value
from chanreplay.cassette.model import CLIENT_OUTCOMES, Cassette, Connection, Event
from chanreplay.cassette.redaction import REDACTED, Redactor
from chanreplay.exceptions import MissingSecretError
from chanreplay.proxy.browsers import browsers
from chanreplay.recorder.cleaning import bound_event
from chanreplay.replay.plan import Input, build_plan
from chanreplay.replay.redacted import client_side
from chanreplay.replay.secrets import Secrets, SecretValues

__all__ = ["PlayResult", "play"]

# Set by the client or the server itself, never by the application.
_NOT_SENT = frozenset(
    {"host", "content-length", "cookie", "connection", "upgrade", "transfer-encoding"}
)
_NOT_COMPARED = frozenset({"server", "date", "transfer-encoding", "connection", "keep-alive"})
_SORTED = orjson.OPT_SORT_KEYS
ABNORMAL_CLOSURE = 1006
"""The code of a disconnect whose client vanished without a close frame."""


@dataclass
class PlayResult:
    """What was expected, what the server did, and what could not be played."""

    expected: Cassette
    actual: Cassette
    skipped: int = 0
    stalled: str | None = None
    notes: list[str] = field(default_factory=list)


class _Session:
    def __init__(
        self,
        base: str,
        secrets: SecretValues,
        *,
        session_cookie: str = "sessionid",
        csrf_cookie: str = "csrftoken",
        binds: bool = False,
        exact: Iterable[str] = (),
        connections: Sequence[Connection] = (),
    ) -> None:
        self.base = base.rstrip("/")
        self.session_cookie = session_cookie
        self.csrf_cookie = csrf_cookie
        self.browser = browsers(connections, binds=binds, session_cookie=session_cookie)
        """Each connection's browser (see :mod:`chanreplay.proxy.browsers`)."""
        self.clients: dict[int, aiohttp.ClientSession] = {}
        self.refusals: contextvars.ContextVar[list[_Refusal] | None] = contextvars.ContextVar(
            "refusals", default=None
        )
        """Where the refusals of the handshake under way are kept (see :meth:`_refused`)."""
        self.secrets = Secrets(secrets)
        self.redactor = Redactor()
        self.binder = Binder(exact=exact) if binds else None
        """Names what the server sends as the recorder did; holds the live values."""
        self.events: dict[str, list[Event]] = {}
        self.observed: Counter[tuple[str, int]] = Counter()
        self.step = 0
        self.sockets: dict[str, aiohttp.ClientWebSocketResponse] = {}
        self.readers: dict[str, asyncio.Task[None]] = {}
        self.closing: set[str] = set()
        self.changed = asyncio.Event()
        self.expected: Counter[tuple[str, int]] = Counter()
        self.patience = 10.0

    def client(self, connection: Connection) -> aiohttp.ClientSession:
        """The client of the browser ``connection`` came from: its own cookie jar."""
        browser = self.browser.get(connection.id, -1)
        known = self.clients.get(browser)
        if known is None:
            tracing = aiohttp.TraceConfig()
            tracing.on_request_end.append(self._refused)
            known = self.clients[browser] = aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True),
                auto_decompress=False,
                trace_configs=[tracing],
            )
        return known

    async def _refused(
        self, _: aiohttp.ClientSession, __: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        """Keep what a server answered a websocket handshake it refused: aiohttp drops it.

        ``ws_connect`` raises on a status other than 101 before anything reads
        the response; a handshake in progress collects it here (through a
        context variable, so that only its own request is read).
        """
        kept = self.refusals.get()
        response = params.response
        if kept is None or response.status == 101:
            return
        body = await response.read()
        kept.append(_Refusal(response.status, list(response.raw_headers), body))

    @property
    def csrf_names(self) -> tuple[str, ...]:
        """Fields that carry the CSRF token: filled from the live CSRF cookie."""
        return ("csrfmiddlewaretoken", "x-csrftoken", "x_csrftoken", self.csrf_cookie)

    def _filled(self, client: aiohttp.ClientSession, connection: Connection) -> Secrets:
        """The secrets a request of ``connection`` carries: its user's, the live CSRF token."""
        csrf = next((c.value for c in client.cookie_jar if c.key == self.csrf_cookie), None)
        secrets = self.secrets.for_user(connection.username)
        if csrf is not None:
            secrets = secrets.with_values(
                {name: csrf for name in self.csrf_names if self.secrets.value(name) is None}
            )
        return secrets

    def missing(self, connections: Iterable[Connection]) -> dict[str, str]:
        """Redacted values the play would send with no real value: name -> first place."""
        automatic = {name.lower() for name in self.csrf_names}
        missing: dict[str, str] = {}
        for connection in connections:
            # An anonymous request (a login form) takes the value of the user it
            # names: any user's value for the name will do here.
            given = self.secrets.for_user(connection.username)
            for redacted in client_side(connection):
                if redacted.kind == "cookie":
                    continue  # cookies come from the client's jar, as a browser's do
                if redacted.kind == "header" and (
                    redacted.name in _NOT_SENT or redacted.name.startswith("sec-websocket-")
                ):
                    continue
                if redacted.name.lower() in automatic or given.value(redacted.name) is not None:
                    continue
                if given.user is None and redacted.name.lower() in given.per_user:
                    continue
                missing.setdefault(redacted.name, redacted.place)
        return missing

    def _out(self, connection: Connection, message: dict[str, Any]) -> None:
        event = bound_event(
            {"dir": "out", "message": encode_message(message), "step": self.step},
            self.redactor,
            self.binder,
        )
        event["message"] = self.redactor.value(event["message"])
        self.events[connection.id].append(event)
        self.observed[connection.id, self.step] += 1
        self.changed.set()

    def _error(self, connection: Connection, client: str) -> None:
        """Record what the client saw of an application error (all the network shows)."""
        self.events[connection.id].append({"dir": "error", "client": client, "step": self.step})
        self.observed[connection.id, self.step] += 1
        self.changed.set()

    def _sent(self, value: Any) -> Any:
        """``value`` (encoded, a client's) with its bindings filled with the live values.

        The values a client sends are also shown to the binder, so that the
        server echoing one it did not make keeps it as it is, as recorded.
        """
        binder = self.binder
        if binder is None:
            return value
        filled = fill(value, binder.value)
        binder.client(filled)
        return filled

    def _headers(self, connection: Connection, secrets: Secrets) -> list[tuple[str, str]]:
        raw = decode_headers(self._sent(connection.scope.get("headers", [])))
        filled = secrets.headers(raw)
        return [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in filled
            if k.decode("latin-1").lower() not in _NOT_SENT
            and not k.decode("latin-1").lower().startswith("sec-websocket-")
            and REDACTED.encode() not in v
        ]

    def _url(self, connection: Connection, secrets: Secrets, scheme: str) -> str:
        query = secrets.form(str(self._sent(connection.scope.get("query_string", ""))))
        base = self.base if scheme == "http" else "ws" + self.base[4:]
        return base + str(self._sent(connection.path)) + (f"?{query}" if query else "")

    async def feed(self, item: Input) -> None:
        connection = item.connection
        if connection is None:
            return
        self.events.setdefault(connection.id, [])
        if item.kind == "open":
            return  # the network connection opens with the client's first message
        assert item.event is not None
        if item.kind == "disconnect":
            # Only once what the client waited for before leaving has come: every
            # event before the disconnect on its connection (in a version-1
            # cassette, replies of the disconnect's own step among them).
            before = edge_events(connection.events[: item.index]) if item.index >= 0 else []
            await self._until(lambda: len(self.events[connection.id]) >= len(before))
        self.events[connection.id].append(item.event)
        message = item.event["message"]
        if connection.type == "http":
            if message.get("type") == "http.request":
                await self._request(connection, message)
            return
        if message.get("type") == "websocket.connect":
            await self._open_websocket(connection)
            return
        socket = self.sockets.get(connection.id)
        if socket is None or socket.closed:
            return
        if item.kind == "disconnect":
            self.closing.add(connection.id)
            code = int(message.get("code", 1000))
            if code == ABNORMAL_CLOSURE:
                # The client vanished without a close frame: drop the connection.
                transport_socket = socket.get_extra_info("socket")
                if transport_socket is not None:
                    with contextlib.suppress(OSError):
                        transport_socket.shutdown(socketlib.SHUT_RDWR)
                return
            await socket.close(code=code)
            return
        decoded = decode_message(self._sent(message))
        if decoded.get("text") is not None:
            filled = self._filled(self.client(connection), connection)
            await socket.send_str(filled.text(decoded["text"]))
        elif decoded.get("bytes") is not None:
            await socket.send_bytes(decoded["bytes"])

    async def _open_websocket(self, connection: Connection) -> None:
        client = self.client(connection)
        secrets = self._filled(client, connection)
        kept: list[_Refusal] = []
        token = self.refusals.set(kept)
        try:
            socket = await client.ws_connect(
                self._url(connection, secrets, "ws"),
                protocols=list(connection.scope.get("subprotocols", [])),
                headers=self._headers(connection, secrets),
                max_msg_size=0,
            )
        except aiohttp.WSServerHandshakeError as refused:
            self._refusal(connection, refused.status, kept[-1] if kept else None)
            return
        except aiohttp.ClientError as error:
            raise ConnectionError(f"{self.base}: {error}") from error
        finally:
            self.refusals.reset(token)
        self._out(connection, {"type": "websocket.accept", "subprotocol": socket.protocol})
        self.sockets[connection.id] = socket
        self.readers[connection.id] = asyncio.ensure_future(self._read(connection, socket))

    def _refusal(self, connection: Connection, status: int, answer: _Refusal | None) -> None:
        """Record a refused handshake in the form the recording has it.

        403 is how an ASGI server refuses for an application that closed
        before accepting (``websocket.close``). Any other status is a denial
        response, which a cassette holds either as one (the capture proxy
        records ``websocket.http.response.*``) or, recorded in process, as
        the application error that made the server answer 500.
        """
        if status == 403:
            self._out(connection, {"type": "websocket.close"})
        elif answer is not None and _denies(connection):
            self._out(
                connection,
                {
                    "type": "websocket.http.response.start",
                    "status": answer.status,
                    "headers": [(k.lower(), v) for k, v in answer.headers],
                },
            )
            self._out(connection, {"type": "websocket.http.response.body", "body": answer.body})
        elif status == 500:
            self._error(connection, CLIENT_OUTCOMES["refused"])
        else:
            self._out(connection, {"type": "websocket.close"})

    async def _read(self, connection: Connection, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            if frame.type == aiohttp.WSMsgType.TEXT:
                self._out(connection, {"type": "websocket.send", "text": frame.data})
            elif frame.type == aiohttp.WSMsgType.BINARY:
                self._out(connection, {"type": "websocket.send", "bytes": frame.data})
        if connection.id not in self.closing and socket.close_code is not None:
            if socket.close_code == 1011 and _raised(connection, CLIENT_OUTCOMES["closed"]):
                self._error(connection, CLIENT_OUTCOMES["closed"])
            else:
                self._out(connection, {"type": "websocket.close", "code": socket.close_code})

    async def _request(self, connection: Connection, message: Mapping[str, Any]) -> None:
        client = self.client(connection)
        secrets = self._filled(client, connection)
        body = decode_value(self._sent(message.get("body", {"$bytes_text": ""})))
        content_type = next(
            (
                v.decode("latin-1")
                for k, v in decode_headers(connection.scope.get("headers", []))
                if k.lower() == b"content-type"
            ),
            "",
        )
        body = secrets.body(body, content_type)
        try:
            async with client.request(
                str(connection.scope.get("method", "GET")),
                self._url(connection, secrets, "http"),
                headers=self._headers(connection, secrets),
                data=body or None,
                allow_redirects=False,
            ) as response:
                content = await response.read()
                if response.status == 500 and _raised(connection, CLIENT_OUTCOMES["error"]):
                    self._error(connection, CLIENT_OUTCOMES["error"])
                    return
                self._out(
                    connection,
                    {
                        "type": "http.response.start",
                        "status": response.status,
                        "headers": [(k.lower(), v) for k, v in response.raw_headers],
                    },
                )
                self._out(
                    connection, {"type": "http.response.body", "body": content, "more_body": False}
                )
        except aiohttp.ClientError as error:
            raise ConnectionError(f"{self.base}: {error}") from error

    async def _until(self, done: Callable[[], bool]) -> None:
        """Wait until ``done()`` or for ``patience`` seconds, whichever comes first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        while not done() and loop.time() < deadline:
            self.changed.clear()
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), deadline - loop.time())

    async def settle(self, expected: Counter[tuple[str, int]], patience: float) -> str | None:
        """Wait until every expected reply up to the current step came; what is missing if not."""

        # Counted per connection, up to the current step: the network shows what
        # came in which order, not which input caused it. A reply caused by an
        # input the client does not send (the disconnect after the server closed
        # a socket) may come while an earlier step is still being waited for.
        due: Counter[str] = Counter()
        for (cid, step), count in expected.items():
            if step <= self.step:
                due[cid] += count

        def missing() -> list[str]:
            seen: Counter[str] = Counter()
            for (cid, _), count in self.observed.items():
                seen[cid] += count
            return [
                f"{cid} up to step {self.step}: {count - seen[cid]} more"
                for cid, count in sorted(due.items())
                if seen[cid] < count
            ]

        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while missing():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return "waited for " + "; ".join(missing())
            self.changed.clear()
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)
        return None

    async def close(self) -> None:
        for cid, socket in self.sockets.items():
            self.closing.add(cid)
            if not socket.closed:
                await socket.close()
        for reader in self.readers.values():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(reader, 5)
        for client in set(self.clients.values()):
            await client.close()


class _Refusal(NamedTuple):
    """What a server answered a websocket handshake it refused."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def decode_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """The frame or request a cassette event stands for (bytes and JSON untagged)."""
    return {key: decode_value(value) for key, value in message.items() if key != "headers"}


async def play(
    cassette: Cassette,
    base_url: str,
    *,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    secrets: SecretValues | None = None,
    patience: float = 10.0,
    session_cookie: str = "sessionid",
    csrf_cookie: str = "csrftoken",
    exact: Iterable[str] = (),
) -> PlayResult:
    """Play ``cassette``'s client side against the server at ``base_url``.

    ``patience``: seconds to wait for the replies a step expects.
    ``session_cookie`` and ``csrf_cookie``: the server's cookie names (its
    ``SESSION_COOKIE_NAME`` and ``CSRF_COOKIE_NAME``). ``exact``: the places
    the recording kept exact (its ``EXACT_PATHS``).
    """
    check_messages(cassette)
    plan = build_plan(cassette, include, exclude)
    expected_out: Counter[tuple[str, int]] = Counter(
        (c.id, int(e["step"]))
        for c in plan.connections
        for e in edge_events(c.events)
        if e.get("dir") in ("out", "error")
    )
    skipped = sum(1 for item in plan.inputs if item.kind == "inject")
    stalled = None
    session = _Session(
        base_url,
        secrets or {},
        session_cookie=session_cookie,
        csrf_cookie=csrf_cookie,
        binds=cassette.binds,
        exact=exact,
        connections=plan.connections,
    )
    session.expected, session.patience = expected_out, patience
    missing = session.missing(plan.connections)
    if missing:
        raise MissingSecretError(cassette.path, missing, how="--secret")
    try:
        for step in plan.steps:
            session.step = step
            for item in (i for i in plan.inputs if i.step == step):
                await session.feed(item)
            stalled = await session.settle(expected_out, patience)
            if stalled:
                break
    finally:
        await session.close()
    expected = Cassette([_edge(c, c.events) for c in plan.connections], [], path=cassette.path)
    actual = Cassette(
        [
            _restamped(_edge(c, session.events.get(c.id, [])), _edge(c, c.events))
            for c in plan.connections
        ],
        [],
    )
    return PlayResult(expected, actual, skipped=skipped, stalled=stalled)


def _edge(connection: Connection, events: list[Event]) -> Connection:
    return Connection(
        id=connection.id,
        type=connection.type,
        scope=connection.scope,
        step=connection.step,
        user=connection.user,
        closed=connection.closed,
        events=edge_events(events),
    )


def _restamped(actual: Connection, expected: Connection) -> Connection:
    """``actual`` with each reply given the step of the recorded reply in its place.

    The network shows the order of a connection's replies, not their causes:
    the step play was at when a reply came is no fact about the server.
    """

    def replies(connection: Connection) -> list[int]:
        return [i for i, e in enumerate(connection.events) if e.get("dir") in ("out", "error")]

    def content(event: Event) -> bytes:
        return orjson.dumps({k: v for k, v in event.items() if k != "step"}, option=_SORTED)

    mine, theirs = replies(actual), replies(expected)
    matcher = difflib.SequenceMatcher(
        a=[content(actual.events[i]) for i in mine],
        b=[content(expected.events[i]) for i in theirs],
        autojunk=False,
    )
    events = list(actual.events)
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            # A reply that came in the place of a recorded one (the same, or a
            # changed one): the differ compares their content, not play's steps.
            for offset in range(min(a_end - a_start, b_end - b_start)):
                index = mine[a_start + offset]
                step = expected.events[theirs[b_start + offset]]["step"]
                events[index] = {**events[index], "step": step}
    return replace(actual, events=events)


def edge_events(events: list[Event]) -> list[Event]:
    """What of a connection's events the network shows, in the form play compares.

    No layer events; nothing the application sent after its client left (a
    farewell frame, a second close: they exist only at the ASGI level); a
    close before the handshake was accepted without its code (the client sees
    HTTP 403, which carries none), and with its default code (1000) when it
    has none; of an error, only what the client saw; of a response's
    headers, not those the server adds to every response (``server``,
    ``date``: a recording at the network edge has them, one in process not).
    """
    shown: list[Event] = []
    accepted = gone = False
    for event in events:
        direction = event.get("dir")
        message = event.get("message")
        kind = message.get("type") if isinstance(message, dict) else None
        if direction == "layer" or (gone and direction in ("out", "error")):
            continue
        if direction == "error":
            shown.append({"dir": "error", "client": event.get("client"), "step": event["step"]})
            continue
        if direction == "out" and isinstance(message, dict) and "headers" in message:
            event = {**event, "message": {**message, "headers": _compared(message["headers"])}}
        if kind in ("websocket.accept", "websocket.send"):
            accepted = True
        elif kind == "websocket.close" and direction == "out" and not accepted:
            event = {**event, "message": {"type": "websocket.close"}}
        elif kind == "websocket.close" and isinstance(message, dict) and "code" not in message:
            # ASGI: a close without a code is a close with 1000, as the client sees it.
            event = {**event, "message": {**message, "code": 1000}}
        elif direction == "in" and isinstance(kind, str) and kind.endswith(".disconnect"):
            gone = True
        shown.append(event)
    return shown


def _denies(connection: Connection) -> bool:
    """True when the cassette holds a handshake denied with an HTTP response."""
    return any(
        isinstance(e.get("message"), dict)
        and e["message"].get("type") == "websocket.http.response.start"
        for e in connection.events
    )


def _compared(headers: Any) -> Any:
    """Encoded headers (``"name: value"``) without those the server adds to every response."""
    if not isinstance(headers, list):
        return headers
    return [
        line
        for line in headers
        if not (isinstance(line, str) and line.partition(":")[0].strip().lower() in _NOT_COMPARED)
    ]


def _raised(connection: Connection, client: str) -> bool:
    """True when the cassette holds an application error the client saw as ``client``."""
    return any(e.get("dir") == "error" and e.get("client") == client for e in connection.events)

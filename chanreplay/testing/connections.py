"""``HttpClient`` and ``WSClient``: the Channels 1.x test clients for HTTP and websockets.

::

    from chanreplay.testing import ChannelTestCase, WSClient

    class NotesTests(ChannelTestCase):
        def test_hello(self):
            client = WSClient()
            client.force_login(self.alice)
            client.send_and_consume("websocket.connect", path="/ws/notes/")
            self.assertEqual(client.receive()["type"], "hello")
            client.send_and_consume("websocket.receive", path="/ws/notes/", text={"action": "list"})

Each connection runs the project's application (or the one ``apply_routes``
puts in place) as a server would, on the test's consumer loop
(:mod:`chanreplay.testing.loop`); the connection and its consumer live until
``websocket.disconnect`` or the end of the test. ``send_and_consume``
returns once the consumers have nothing left to do, so ``receive`` then
returns what they sent, or None. Cookies, headers and the session are kept
across requests and connections, as Django's test client keeps them (it does
the logging in).
"""

from __future__ import annotations

import asyncio
import json as json_module
import uuid
from collections import deque
from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote, urlsplit

from asgiref.sync import sync_to_async

from chanreplay.testing.channels import Message
from chanreplay.testing.loop import OWNER, SETTLE_TIMEOUT, Busy, ConsumerLoop, consumer_loop

__all__ = ["HttpClient", "HttpResponse", "WSClient"]

_WEBSOCKET_KINDS = ("websocket.connect", "websocket.receive", "websocket.disconnect")


class HttpResponse:
    """What the application answered to one HTTP request."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], content: bytes) -> None:
        self.status_code = status
        self.headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in headers
        }
        self.header_list = headers
        self.content = content

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.content.decode("utf-8")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json_module.loads(self.content)

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status_code}, {len(self.content)} bytes>"


class _Connection:
    """One ASGI connection: the application instance and its inbox, on the consumer loop."""

    def __init__(self, client: HttpClient, scope: dict[str, Any], where: str) -> None:
        self.client = client
        self.where = where
        self.sent: list[dict[str, Any]] = []
        """Everything the application sent on this connection, in order."""
        self.order = 0
        self._loop = client._consumers
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._key = Busy(where)
        self._responding = Busy(f"{where} (its response)")
        self._loop.queues.append(self._inbox.qsize)
        application = client.application
        # The application's tasks (a consumer's layer receive among them) carry its key.
        token = OWNER.set(self._key)
        try:
            self.task = asyncio.ensure_future(application(scope, self._receive, self._send))
        finally:
            OWNER.reset(token)
        self.task.add_done_callback(self._ended)

    async def _receive(self) -> dict[str, Any]:
        self._loop.busy.discard(self._key)
        message = await self._inbox.get()
        self._loop.busy.add(self._key)
        return message

    async def _send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if message.get("type") == "http.response.body" and not message.get("more_body"):
            self._loop.busy.discard(self._responding)
        self.client._arrived(self, message)

    def _ended(self, task: asyncio.Future[None]) -> None:
        self._loop.busy.discard(self._key)
        self._loop.busy.discard(self._responding)
        self._loop.ended(self._key)
        self._loop.queues.remove(self._inbox.qsize)
        if not task.cancelled() and task.exception() is not None:
            self._loop.failures.append((_explained(task.exception(), self.where), self.where))

    def closed(self) -> bool:
        """True once the application closed the websocket."""
        return any(m.get("type") == "websocket.close" for m in self.sent)

    def ending(self) -> str:
        """How the connection ended, for an error message."""
        close = next((m for m in self.sent if m.get("type") == "websocket.close"), None)
        if close is not None:
            return f"the consumer closed it, code {close.get('code', 1000)}"
        return "its consumer has ended"

    def put(self, message: dict[str, Any]) -> None:
        """Deliver ``message`` to the application (on the loop)."""
        if message["type"] == "http.request" and not message.get("more_body"):
            # Django's handler reads its next message (a disconnect) while the
            # view still runs: until the response is complete, it is busy.
            self._loop.busy.add(self._responding)
        self._inbox.put_nowait(message)


def _explained(error: BaseException | None, where: str) -> BaseException:
    assert error is not None
    if isinstance(error, ValueError) and str(error).startswith("No route found"):
        return AssertionError(
            f"no route for {where}: the application routes no such path ({error}); check "
            "the path, or give the consumer a route with apply_routes()"
        )
    return error


class HttpClient:
    """A test client for websocket and HTTP consumers and views, with cookies, headers, a session.

    As in Channels 1.x, where ``WSClient`` was ``HttpClient``'s new name, it
    talks websocket: ``send_and_consume("websocket.connect", path=...)``
    opens a connection and checks that the consumer accepted it
    (``check_accept=False`` for a consumer that closes: its close is then what
    ``receive`` returns); ``"websocket.receive"`` sends a frame on the
    connection at ``path`` (``text`` may be a dict or list, sent as JSON, or a
    str; or ``bytes``), opening one first when none is open there, as a 1.x
    consumer ran for a lone message; ``"websocket.disconnect"`` closes it.
    Any other name is a layer channel (a worker's). ``request``, ``get`` and
    ``post`` send HTTP requests through the application.

    ``ordered=True`` numbers the messages the test sends on each connection
    with an ``"order"`` key, 0 for the first, as Channels 1.x did for
    consumers using ``enforce_ordering`` (a connection opened for a lone
    frame is not the test's message and has no number). On Channels 4 the
    server delivers each connection's messages in order anyway; the key is
    there for consumers that still read it.

    ``timeout`` is how long the consumers get to finish what one call set off
    before the test fails, naming the connections still busy.
    """

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        ordered: bool = False,
        application: Any = None,
        alias: str = "default",
        host: str = "testserver",
        timeout: float = SETTLE_TIMEOUT,
    ) -> None:
        from django.test import Client as DjangoClient

        self.headers: dict[str, str] = dict(headers or {})
        """Sent with every request and connection (names as given, values as str)."""
        self.ordered = ordered
        self.alias = alias
        self.host = host
        self.timeout = timeout
        """Seconds the consumers get to finish what a call set off before the test fails."""
        self.reply_channel = f"chanreplay-client.{uuid.uuid4().hex[:12]}"
        """This client's layer channel: ``join_group`` adds it, ``receive`` reads it."""
        self._application = application
        self._django = DjangoClient()
        self._session: Any = None
        self._received: deque[tuple[str, dict[str, Any]]] = deque()
        self._reader: asyncio.Future[None] | None = None
        self._connections: dict[str, _Connection] = {}

    # -- what is sent along ---------------------------------------------------
    @property
    def application(self) -> Any:
        """The application connections run: ``apply_routes``' one, or ``ASGI_APPLICATION``."""
        from chanreplay.testing.replay import resolve_application

        return resolve_application(self._application)

    @property
    def cookies(self) -> SimpleCookie:
        """The cookies sent with every request (a ``SimpleCookie``, as Django's test client has)."""
        return self._django.cookies

    @property
    def session(self) -> Any:
        """The session the consumers see (``scope["session"]``); changes are saved for you.

        A consumer reads it when its connection opens (Channels 4 loads the
        session at connect, as for a browser): change it before connecting.
        """
        from django.conf import settings

        key = self.cookies.get(settings.SESSION_COOKIE_NAME)
        if self._session is None or key is None or key.value != self._session.session_key:
            self._session = self._django.session  # creates and saves one when there is none
        return self._session

    def login(self, **credentials: Any) -> bool:
        """Log in as Django's test client does; True when the credentials were accepted."""
        self._session = None
        return bool(self._django.login(**credentials))

    def force_login(self, user: Any, backend: str | None = None) -> None:
        """Log ``user`` in without credentials."""
        self._session = None
        self._django.force_login(user, backend)

    def logout(self) -> None:
        """Log out as Django's test client does (the session cookie goes)."""
        self._session = None
        self._django.logout()

    def _scope_headers(self, extra: Mapping[str, str] | None) -> list[tuple[bytes, bytes]]:
        if self._session is not None and self._session.modified:
            self._session.save()
        headers = {"host": self.host, **{k.lower(): v for k, v in self.headers.items()}}
        headers.update({k.lower(): v for k, v in (extra or {}).items()})
        cookie = "; ".join(f"{morsel.key}={morsel.coded_value}" for morsel in self.cookies.values())
        if cookie:
            headers["cookie"] = "; ".join(filter(None, [headers.get("cookie"), cookie]))
        return [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
        ]

    def _scope(self, kind: str, path: str, headers: Mapping[str, str] | None) -> dict[str, Any]:
        split = urlsplit(path)
        return {
            "type": kind,
            "path": unquote(split.path),
            "raw_path": split.path.encode(),
            "query_string": split.query.encode(),
            "root_path": "",
            "headers": self._scope_headers(headers),
            "client": ["127.0.0.1", 50000],
            "server": [self.host, 80],
        }

    @property
    def _consumers(self) -> ConsumerLoop:
        return consumer_loop()

    # -- HTTP ------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send one HTTP request through the application and return its response."""
        scope = {
            **self._scope("http", path, headers),
            "method": method.upper(),
            "http_version": "1.1",
            "scheme": "http",
        }
        loop = self._consumers
        connection = loop.run(self._open(scope, f"HTTP {method.upper()} {path}"), self.timeout)
        message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
        self._deliver(connection, message)
        loop.settle(self.timeout)
        response = self._response(connection)
        loop.run(self._finish(connection), self.timeout)
        return response

    def get(self, path: str, *, headers: Mapping[str, str] | None = None) -> HttpResponse:
        """A GET request."""
        return self.request("GET", path, headers=headers)

    def post(
        self,
        path: str,
        data: Mapping[str, Any] | None = None,
        *,
        json: Any = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """POST a form (``data``), a JSON document (``json``) or raw ``body`` bytes."""
        from urllib.parse import urlencode

        extra = dict(headers or {})
        if json is not None:
            body = json_module.dumps(json).encode()
            extra.setdefault("content-type", "application/json")
        elif data is not None:
            body = urlencode(data, doseq=True).encode()
            extra.setdefault("content-type", "application/x-www-form-urlencoded")
        return self.request("POST", path, body=body or b"", headers=extra)

    def _response(self, connection: _Connection) -> HttpResponse:
        start = next((m for m in connection.sent if m["type"] == "http.response.start"), None)
        if start is None:
            raise AssertionError(f"{connection.where}: the application sent no response")
        content = b"".join(
            m.get("body", b"") for m in connection.sent if m["type"] == "http.response.body"
        )
        headers = list(start.get("headers", []))
        for name, value in headers:
            if name.lower() == b"set-cookie":
                self.cookies.load(value.decode("latin-1"))
        return HttpResponse(start["status"], headers, content)

    async def _open(self, scope: dict[str, Any], where: str) -> _Connection:
        self._consumers.adopt()
        return _Connection(self, scope, where)

    async def _finish(self, connection: _Connection) -> None:
        """Tell the application the client went away, and let it end."""
        if not connection.task.done():
            connection.put({"type": "http.disconnect"})
            try:
                await asyncio.wait_for(asyncio.shield(connection.task), timeout=5.0)
            except TimeoutError:
                connection.task.cancel()
            except BaseException:
                pass

    def _deliver(
        self, connection: _Connection, message: dict[str, Any], numbered: bool = True
    ) -> None:
        if numbered:
            if self.ordered:
                message["order"] = connection.order
            connection.order += 1
        self._consumers.loop.call_soon_threadsafe(connection.put, message)

    # -- websockets -----------------------------------------------------------
    def send(
        self,
        channel: str,
        content: Mapping[str, Any] | str | None = None,
        text: Any = None,
        path: str | None = None,
        *,
        bytes: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        subprotocols: list[str] | None = None,
    ) -> None:
        """Send one message without waiting for the consumers to handle it.

        ``channel`` is ``"websocket.connect"``, ``"websocket.receive"`` or
        ``"websocket.disconnect"`` (``content`` may then be the path, as in
        ``send("websocket.connect", "/ws/")``), or a layer channel, where
        ``content`` goes with this client's ``reply_channel``.
        """
        if channel not in _WEBSOCKET_KINDS:
            if not isinstance(content, Mapping) and content is not None:
                raise TypeError(
                    f"send({channel!r}, ...) puts a message on a layer channel: its content "
                    f"is a dict, not {content!r}"
                )
            self._send_to_layer(channel, content)
            return
        self._send_websocket(channel, content, text, path, bytes, headers, subprotocols)

    def _send_websocket(
        self,
        kind: str,
        content: Mapping[str, Any] | str | None,
        text: Any,
        path: str | None,
        data: bytes | None,
        headers: Mapping[str, str] | None,
        subprotocols: list[str] | None,
    ) -> tuple[_Connection, bool]:
        """Send a websocket message; return its connection, and whether it opened for it."""
        if isinstance(content, str):  # send_and_consume("websocket.connect", "/new")
            if path is not None and path != content:
                raise TypeError(f"two paths given: {content!r} and path={path!r}")
            path, content = content, None
        if self.ordered and content and "order" in content:
            raise ValueError('Do not use "order" manually with "ordered=True"')
        message: dict[str, Any] = {**(content or {}), "type": kind}
        opened = False
        if kind == "websocket.connect":
            connection = self._connect(path or "/", headers, subprotocols)
        elif kind == "websocket.receive":
            if isinstance(text, (dict, list)):
                text = json_module.dumps(text)
            if text is not None:
                message["text"] = text
            if data is not None:
                message["bytes"] = data
            if "text" not in message and "bytes" not in message:
                raise ValueError("a websocket.receive needs text= or bytes=")
            connection, opened = self._frame_connection(path, headers, subprotocols)
        else:
            message.setdefault("code", 1000)
            connection = self._open_connection(path)
        self._deliver(connection, message)
        return connection, opened

    def _connect(
        self, path: str, headers: Mapping[str, str] | None, subprotocols: list[str] | None
    ) -> _Connection:
        known = self._connections.get(path)
        if known is not None and not known.task.done():
            raise AssertionError(
                f"a websocket connection to {path!r} is already open; disconnect it first"
            )
        # Browsers always send an Origin; AllowedHostsOriginValidator refuses none.
        headers = {"origin": f"http://{self.host}", **(headers or {})}
        scope = {
            **self._scope("websocket", path, headers),
            "scheme": "ws",
            "subprotocols": list(subprotocols or []),
        }
        connection = self._consumers.run(self._open(scope, f"websocket {path}"), self.timeout)
        self._connections[path] = connection
        return connection

    def _frame_connection(
        self, path: str | None, headers: Mapping[str, str] | None, subprotocols: list[str] | None
    ) -> tuple[_Connection, bool]:
        """The connection a frame goes on; one opened for it when none ever was at ``path``."""
        if path is None:
            live = [c for c in self._connections.values() if not c.task.done()]
            if len(live) > 1:
                raise AssertionError(
                    "several websocket connections are open: pass path= to say which"
                )
            if live:
                return live[0], False
            path = "/"  # Channels 1.x's default path
        known = self._connections.get(path)
        if known is not None:
            if known.task.done() or known.closed():
                raise AssertionError(
                    f"the websocket connection to {path!r} is closed ({known.ending()}): "
                    "send websocket.connect to open another"
                )
            return known, False
        connection = self._connect(path, headers, subprotocols)
        self._deliver(connection, {"type": "websocket.connect"}, numbered=False)
        return connection, True

    def _open_connection(self, path: str | None) -> _Connection:
        live = {p: c for p, c in self._connections.items() if not c.task.done()}
        if path is None:
            if len(live) == 1:
                return next(iter(live.values()))
            raise AssertionError(
                "no websocket connection is open: send websocket.connect first"
                if not live
                else "several websocket connections are open: pass path= to say which"
            )
        connection = live.get(path)
        if connection is None:
            raise AssertionError(
                f"no websocket connection to {path!r} is open: send websocket.connect with "
                f"path={path!r} first"
            )
        return connection

    def send_and_consume(
        self,
        channel: str,
        content: Mapping[str, Any] | str | None = None,
        text: Any = None,
        path: str | None = None,
        fail_on_none: bool = True,
        check_accept: bool = True,
        **options: Any,
    ) -> Any:
        """:meth:`send`, then wait until the consumers have handled it (and what it set off).

        ``check_accept=False`` (for ``websocket.connect``) lets a consumer close
        instead of accepting. For a layer channel, :meth:`consume` runs its
        consumer (``fail_on_none`` as there) and the message is returned.
        """
        if channel not in _WEBSOCKET_KINDS:
            if text is not None or path is not None or options:
                raise TypeError(
                    f"{channel!r} is a layer channel: text, path and headers are for websockets"
                )
            self.send(channel, content)
            return self.consume(channel, fail_on_none=fail_on_none)
        connection, opened = self._send_websocket(
            channel,
            content,
            text,
            path,
            options.pop("bytes", None),
            options.pop("headers", None),
            options.pop("subprotocols", None),
        )
        if options:
            raise TypeError(f"send_and_consume() got unexpected options: {', '.join(options)}")
        loop = self._consumers
        loop.settle(self.timeout)
        if channel == "websocket.connect":
            self._check_handshake(connection, check_accept)
        elif opened:
            self._check_handshake(connection, True)
        elif channel == "websocket.disconnect":
            loop.run(self._finish_websocket(connection), self.timeout)
            self._connections = {p: c for p, c in self._connections.items() if c is not connection}
        loop.raise_failures()

    def _check_handshake(self, connection: _Connection, check_accept: bool) -> None:
        first = connection.sent[0] if connection.sent else None
        kind = first.get("type") if first else None
        if kind == "websocket.accept":
            return
        if check_accept:
            self._consumers.raise_failures()  # the consumer's own error says most
            if kind == "websocket.close":
                raise AssertionError(
                    f"the consumer of {connection.where} closed the connection (code "
                    f"{first.get('code', 1000) if first else '?'}) instead of accepting it; pass "
                    "check_accept=False to test a consumer that closes"
                )
            raise AssertionError(
                f"the consumer of {connection.where} neither accepted nor closed the connection"
            )

    async def _finish_websocket(self, connection: _Connection) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(connection.task), timeout=5.0)
        except TimeoutError:
            connection.task.cancel()
        except BaseException:
            pass

    # -- the channel layer ----------------------------------------------------------
    async def _start_reader(self) -> None:
        if self._reader is not None and not self._reader.done():
            return
        from channels.layers import get_channel_layer

        layer = get_channel_layer(self.alias)
        if layer is None:
            return

        async def read() -> None:
            while True:
                message = await layer.receive(self.reply_channel)
                self._received.append(("layer", message))

        self._reader = asyncio.ensure_future(read())

    def _send_to_layer(self, channel: str, content: Mapping[str, Any] | None) -> None:
        from chanreplay.testing.channels import captive_layer, checked_name

        message = {"reply_channel": self.reply_channel, **(content or {})}
        layer = captive_layer(self.alias)
        checked_name("channel", channel, layer.require_valid_channel_name)
        loop = self._consumers
        loop.run(self._start_reader(), self.timeout)  # a worker may answer on the reply channel
        loop.run(layer.send(channel, message), self.timeout)

    def consume(self, channel: str | Message, fail_on_none: bool = True) -> dict[str, Any] | None:
        """Run the consumer the application routes ``channel`` to on its next message.

        As :meth:`chanreplay.testing.Client.consume` (``channel`` may be a
        :class:`~chanreplay.testing.Message` the test took), on the consumer
        loop: a worker's replies reach connected consumers at once.
        """
        from chanreplay.testing.clients import handle_one, message_to_consume

        taken = message_to_consume(channel, self.alias, fail_on_none)
        if taken is None:
            return None
        name, message = taken
        loop = self._consumers
        loop.run(handle_one(self.application, name, message, self.timeout), self.timeout + 1)
        loop.settle(self.timeout)
        return message

    def join_group(self, name: str) -> None:
        """Add this client's reply channel to group ``name``; ``receive`` returns what is sent."""
        from channels.layers import get_channel_layer

        layer = get_channel_layer(self.alias)
        loop = self._consumers

        async def join() -> None:
            await self._start_reader()
            await layer.group_add(name, self.reply_channel)

        loop.run(join(), self.timeout)

    def _arrived(self, connection: _Connection, message: dict[str, Any]) -> None:
        if message.get("type") in ("websocket.send", "websocket.close"):
            self._received.append((connection.where, message))

    def receive(self, json: bool = True) -> Any:
        """The next message for this client, or None when nothing arrived.

        A websocket text frame comes back decoded from JSON (``json=False``:
        the text as is), a binary frame as bytes, a close as the ASGI
        message (``{"type": "websocket.close", "code": ...}``). A message sent
        to the client's groups comes back as the message itself, except one
        shaped as Channels 1.x sent frames to groups (``{"text": ...}`` or
        ``{"bytes": ...}``, untyped or typed ``websocket.send``): that is a
        frame, decoded as above.
        """
        loop = self._consumers
        loop.settle(self.timeout)
        if not self._received:
            return None
        where, message = self._received.popleft()
        if where == "layer":
            if message.get("type", "websocket.send") != "websocket.send" or not (
                "text" in message or "bytes" in message
            ):
                return message
            where = "a group message"
        elif message.get("type") != "websocket.send":
            return message
        text = message.get("text")
        if text is None:
            return message.get("bytes")
        if not json:
            return text
        try:
            return json_module.loads(text)
        except ValueError:
            raise AssertionError(
                f"{where} sent a text frame that is not JSON: {text[:200]!r}; use "
                "receive(json=False) to get the text as it is"
            ) from None

    # -- for async tests: the same calls, from the test's thread ------------------
    async def asend(
        self,
        channel: str,
        content: Mapping[str, Any] | str | None = None,
        *args: Any,
        **options: Any,
    ) -> None:
        """:meth:`send` for async tests."""
        await sync_to_async(self.send)(channel, content, *args, **options)

    async def asend_and_consume(
        self,
        channel: str,
        content: Mapping[str, Any] | str | None = None,
        *args: Any,
        **options: Any,
    ) -> Any:
        """:meth:`send_and_consume` for async tests."""
        return await sync_to_async(self.send_and_consume)(channel, content, *args, **options)

    async def aconsume(
        self, channel: str | Message, fail_on_none: bool = True
    ) -> dict[str, Any] | None:
        """:meth:`consume` for async tests."""
        return await sync_to_async(self.consume)(channel, fail_on_none)

    async def areceive(self, json: bool = True) -> Any:
        """:meth:`receive` for async tests."""
        return await sync_to_async(self.receive)(json)

    async def arequest(self, method: str, path: str, **options: Any) -> HttpResponse:
        """:meth:`request` for async tests."""
        return await sync_to_async(self.request)(method, path, **options)

    async def aget(self, path: str, **options: Any) -> HttpResponse:
        """:meth:`get` for async tests."""
        return await sync_to_async(self.get)(path, **options)

    async def apost(self, path: str, *args: Any, **options: Any) -> HttpResponse:
        """:meth:`post` for async tests."""
        return await sync_to_async(self.post)(path, *args, **options)

    async def ajoin_group(self, name: str) -> None:
        """:meth:`join_group` for async tests."""
        await sync_to_async(self.join_group)(name)

    async def alogin(self, **credentials: Any) -> bool:
        """:meth:`login` for async tests."""
        return await sync_to_async(self.login)(**credentials)

    async def aforce_login(self, user: Any, backend: str | None = None) -> None:
        """:meth:`force_login` for async tests."""
        await sync_to_async(self.force_login)(user, backend)


class WSClient(HttpClient):
    """The websocket test client of Channels 1.x: :class:`HttpClient` under its newer name.

    ::

        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/notes/")
        client.send_and_consume("websocket.receive", path="/ws/notes/", text={"action": "list"})
        assert client.receive() == {"type": "notes", "notes": []}
    """

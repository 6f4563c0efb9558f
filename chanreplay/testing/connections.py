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

from chanreplay.testing.loop import OWNER, Busy, ConsumerLoop, consumer_loop

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
    """A test client for HTTP consumers and views, with cookies, headers and a session.

    ``ordered=True`` numbers the messages each connection sends with an
    ``"order"`` key (0 for the first), as Channels 1.x did for consumers
    using ``enforce_ordering``. On Channels 4 the server delivers each
    connection's messages in order anyway; the key is there for consumers
    that still read it.
    """

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        ordered: bool = False,
        application: Any = None,
        alias: str = "default",
        host: str = "testserver",
    ) -> None:
        from django.test import Client as DjangoClient

        self.headers: dict[str, str] = dict(headers or {})
        """Sent with every request and connection (names as given, values as str)."""
        self.ordered = ordered
        self.alias = alias
        self.host = host
        self.reply_channel = f"chanreplay-client.{uuid.uuid4().hex[:12]}"
        """This client's layer channel: ``join_group`` adds it, ``receive`` reads it."""
        self._application = application
        self._django = DjangoClient()
        self._session: Any = None
        self._received: deque[tuple[str, dict[str, Any]]] = deque()
        self._reader: asyncio.Future[None] | None = None

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
        """The session the consumers see (``scope["session"]``); changes are saved for you."""
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
        connection = loop.run(self._open(scope, f"HTTP {method.upper()} {path}"))
        message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
        self._deliver(connection, message)
        loop.settle()
        response = self._response(connection)
        loop.run(self._finish(connection))
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

    def _deliver(self, connection: _Connection, message: dict[str, Any]) -> None:
        if self.ordered:
            message["order"] = connection.order
        connection.order += 1
        self._consumers.loop.call_soon_threadsafe(connection.put, message)

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

    def send(self, channel: str, content: Mapping[str, Any] | None = None) -> None:
        """Put ``content`` on layer channel ``channel`` with this client's ``reply_channel``."""
        from chanreplay.testing.channels import captive_layer, checked_name

        message = {"reply_channel": self.reply_channel, **(content or {})}
        layer = captive_layer(self.alias)
        checked_name("channel", channel, layer.require_valid_channel_name)
        loop = self._consumers
        loop.run(self._start_reader())  # a worker may answer on the reply channel
        loop.run(layer.send(channel, message))

    def consume(self, channel: str, fail_on_none: bool = True) -> dict[str, Any] | None:
        """Run the consumer the application routes ``channel`` to on its next message.

        As :meth:`chanreplay.testing.Client.consume`, on the consumer loop: a
        worker's replies reach connected consumers at once.
        """
        from chanreplay.testing.clients import handle_one, message_to_consume

        message = message_to_consume(channel, self.alias, fail_on_none)
        if message is None:
            return None
        loop = self._consumers
        loop.run(handle_one(self.application, channel, message))
        loop.settle()
        return message

    def send_and_consume(
        self, channel: str, content: Mapping[str, Any] | None = None, **options: Any
    ) -> Any:
        """:meth:`send` to a worker's channel, then :meth:`consume` it."""
        self.send(channel, content)
        return self.consume(channel, **options)

    def join_group(self, name: str) -> None:
        """Add this client's reply channel to group ``name``; ``receive`` returns what is sent."""
        from channels.layers import get_channel_layer

        layer = get_channel_layer(self.alias)
        loop = self._consumers

        async def join() -> None:
            await self._start_reader()
            await layer.group_add(name, self.reply_channel)

        loop.run(join())

    def _arrived(self, connection: _Connection, message: dict[str, Any]) -> None:
        if message.get("type") in ("websocket.send", "websocket.close"):
            self._received.append((connection.where, message))

    def receive(self, json: bool = True) -> Any:
        """The next message for this client, or None when nothing arrived.

        A websocket text frame comes back decoded from JSON (``json=False``:
        the text as is), a binary frame as bytes, a close as the ASGI
        message (``{"type": "websocket.close", "code": ...}``), and a
        message sent to the client's groups as the message itself.
        """
        loop = self._consumers
        loop.settle()
        if not self._received:
            return None
        where, message = self._received.popleft()
        if message.get("type") != "websocket.send":
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
    """A websocket test client: connections by path, JSON by default, the session kept.

    ``send_and_consume("websocket.connect", path=...)`` opens a connection
    and checks that the consumer accepted it (``check_accept=False`` for a
    consumer that closes: its close is then what ``receive`` returns);
    ``"websocket.receive"`` sends a frame on the connection at ``path``
    (``text`` may be a dict or list, sent as JSON, or a str; or ``bytes``);
    ``"websocket.disconnect"`` closes it.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._connections: dict[str, _Connection] = {}

    def send(
        self,
        kind: str,
        content: Mapping[str, Any] | None = None,
        *,
        text: Any = None,
        bytes: bytes | None = None,
        path: str | None = None,
        headers: Mapping[str, str] | None = None,
        subprotocols: list[str] | None = None,
    ) -> None:
        """Send one websocket message without waiting for the consumer to handle it.

        Any other ``kind`` is a layer channel (a worker's): ``content`` goes there.
        """
        if kind not in _WEBSOCKET_KINDS:
            super().send(kind, content)
            return
        message: dict[str, Any] = {**(content or {}), "type": kind}
        loop = self._consumers
        if kind == "websocket.connect":
            path = path or "/"
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
            self._connections[path] = loop.run(self._open(scope, f"websocket {path}"))
        connection = self._connection(path)
        if kind == "websocket.receive":
            if isinstance(text, (dict, list)):
                text = json_module.dumps(text)
            if text is not None:
                message["text"] = text
            if bytes is not None:
                message["bytes"] = bytes
            if "text" not in message and "bytes" not in message:
                raise ValueError("a websocket.receive needs text= or bytes=")
        elif kind == "websocket.disconnect":
            message.setdefault("code", 1000)
        self._deliver(connection, message)

    def send_and_consume(
        self, channel: str, content: Mapping[str, Any] | None = None, **options: Any
    ) -> Any:
        """:meth:`send`, then wait until the consumers have handled it (and what it set off).

        ``check_accept=False`` (for ``websocket.connect``) lets a consumer close
        instead of accepting. For a layer channel: :meth:`HttpClient.send_and_consume`.
        """
        if channel not in _WEBSOCKET_KINDS:
            return super().send_and_consume(channel, content, **options)
        kind = channel
        check_accept = bool(options.pop("check_accept", True))
        self.send(kind, content, **options)
        path = options.get("path")
        connection = self._connection(path or ("/" if kind == "websocket.connect" else None))
        loop = self._consumers
        loop.settle()
        if kind == "websocket.connect":
            self._check_handshake(connection, check_accept)
        elif kind == "websocket.disconnect":
            loop.run(self._finish_websocket(connection))
            self._connections = {p: c for p, c in self._connections.items() if c is not connection}
        loop.raise_failures()

    async def asend(
        self, kind: str, content: Mapping[str, Any] | None = None, **options: Any
    ) -> None:
        """:meth:`send` for async tests."""
        await sync_to_async(self.send)(kind, content, **options)

    async def asend_and_consume(
        self, kind: str, content: Mapping[str, Any] | None = None, **options: Any
    ) -> None:
        """:meth:`send_and_consume` for async tests."""
        await sync_to_async(self.send_and_consume)(kind, content, **options)

    def _connection(self, path: str | None) -> _Connection:
        if path is None:
            live = [c for c in self._connections.values() if not c.task.done()]
            if len(live) == 1:
                return live[0]
            raise AssertionError(
                "no websocket connection is open: send websocket.connect first"
                if not live
                else "several websocket connections are open: pass path= to say which"
            )
        connection = self._connections.get(path)
        if connection is None:
            raise AssertionError(
                f"no websocket connection to {path!r}: send websocket.connect with "
                f"path={path!r} first"
            )
        return connection

    def _check_handshake(self, connection: _Connection, check_accept: bool) -> None:
        first = connection.sent[0] if connection.sent else None
        kind = first.get("type") if first else None
        if kind == "websocket.accept":
            return
        if check_accept:
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

"""What the gallery's session drivers share: real clients that wait for every reply.

A driver is the script of one session, as a person would click through it,
with ``websockets`` and ``aiohttp`` as the browser. Every step waits for the
replies it expects before the next input goes out, so the server sees the
same traffic on every run (see docs/cassette-format.md, Determinism), and a
reply that is not the expected one stops the session with a clear error.

Nothing may arrive early: before each input (a request, a frame, a close, a
socket opening) the driver checks that no open socket of the session holds
a frame it has not read. Against the app that holds by the script's own
order; against ``chanreplay serve`` it shows that no reply went out before
the input that causes it (a push before the POST behind it).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

__all__ = [
    "Browser",
    "Refused",
    "SentEarly",
    "SessionError",
    "closed_by_server",
    "expect_json",
    "send_json",
]

TIMEOUT = 5.0
EARLY_WINDOW = 0.02
"""Seconds an input waits for a frame already on its way (one sent early) to come in."""

T = TypeVar("T")


class SessionError(Exception):
    """The server did not answer as the script expects."""


class Refused(SessionError):
    """The server refused a websocket handshake with HTTP ``status``."""

    def __init__(self, path: str, status: int) -> None:
        super().__init__(f"{path}: handshake refused with {status}")
        self.status = status


async def within(awaitable: Awaitable[T], what: str) -> T:
    """``awaitable``, or a :class:`SessionError` naming ``what`` after the timeout."""
    try:
        return await asyncio.wait_for(awaitable, TIMEOUT)
    except TimeoutError:
        raise SessionError(f"timed out after {TIMEOUT:g} s waiting for {what}") from None


class SentEarly(SessionError):
    """A socket got a frame before the input that causes it was sent."""


_OPEN: weakref.WeakSet[ClientConnection] = weakref.WeakSet()
"""The session's sockets (one session runs at a time in a process)."""


async def nothing_early(before: str) -> None:
    """Raise :class:`SentEarly` if an open socket holds a frame nobody read ``before`` an input."""
    await asyncio.sleep(EARLY_WINDOW)
    for ws in list(_OPEN):
        frames = getattr(getattr(ws, "recv_messages", None), "frames", None)
        queue = getattr(frames, "queue", ())
        if ws.close_code is None and queue:
            path = ws.request.path if ws.request is not None else "?"
            raise SentEarly(f"{path} got {queue[0].data!r} before {before}")


class WatchedConnection(ClientConnection):
    """A client websocket whose frames and close are inputs checked by :func:`nothing_early`."""

    async def send(self, message: Any, text: bool | None = None) -> None:
        shown = message if isinstance(message, str | bytes) else "a fragmented message"
        await nothing_early(f"{self.request.path if self.request else '?'} sent {shown!r}")
        await super().send(message, text=text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.close_code is None:
            await nothing_early(f"{self.request.path if self.request else '?'} closed")
        await super().close(code, reason)


async def receive_json(ws: ClientConnection, what: str) -> Any:
    """The next frame of ``ws``, decoded as JSON."""
    try:
        frame = await within(ws.recv(), what)
    except ConnectionClosed as closed:
        raise SessionError(f"the socket closed ({closed}) while waiting for {what}") from None
    return json.loads(frame)


async def expect_json(ws: ClientConnection, expected: Any) -> Any:
    """Receive one JSON frame and check it is ``expected``; return it."""
    got = await receive_json(ws, repr(expected))
    if got != expected:
        raise SessionError(f"expected {expected!r}, got {got!r}")
    return got


async def send_json(ws: ClientConnection, payload: Any) -> None:
    """Send ``payload`` as a JSON text frame."""
    await ws.send(json.dumps(payload))


async def closed_by_server(ws: ClientConnection) -> int | None:
    """Wait for the server to close ``ws``; its close code."""
    try:
        frame = await within(ws.recv(), "the server to close the socket")
    except ConnectionClosed:
        await within(ws.wait_closed(), "the close handshake")
        return ws.close_code
    raise SessionError(f"expected the server to close the socket, got {frame!r}")


class Browser:
    """One person's browser: a cookie jar shared by its requests and websockets."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.ws_base = f"ws://{parts.netloc}"
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT),
        )
        self.sockets: list[ClientConnection] = []

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in self.sockets:
            if ws.close_code is None:
                # Leaving after a failure: no more checks, whatever the sockets hold.
                close = ClientConnection.close(ws) if exc[0] is not None else ws.close()
                await asyncio.wait_for(close, 1.0)
        await self.http.close()

    def cookie(self, name: str) -> str | None:
        """The value of cookie ``name`` in this browser's jar."""
        return next((m.value for m in self.http.cookie_jar if m.key == name), None)

    async def get(self, path: str) -> tuple[int, str]:
        """GET ``path``: the status and the body."""
        await nothing_early(f"GET {path}")
        async with self.http.get(self.base + path, allow_redirects=False) as response:
            return response.status, await response.text()

    async def post(
        self, path: str, *, form: dict[str, str] | None = None, json_body: Any = None
    ) -> tuple[int, str]:
        """POST a form or JSON to ``path`` with the CSRF token a page would send."""
        headers = {}
        csrf = self.cookie("csrftoken")
        if csrf is not None:
            headers["X-CSRFToken"] = csrf
        await nothing_early(f"POST {path}")
        async with self.http.post(
            self.base + path, data=form, json=json_body, headers=headers, allow_redirects=False
        ) as response:
            return response.status, await response.text()

    async def login(self, path: str, username: str, password: str) -> None:
        """Log in through a Django login form at ``path`` (GET it, then POST it)."""
        status, _ = await self.get(path)
        if status != 200:
            raise SessionError(f"GET {path} returned {status}")
        form = {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": self.cookie("csrftoken") or "",
        }
        status, body = await self.post(path, form=form)
        if status != 302 or self.cookie("sessionid") is None:
            raise SessionError(f"logging in as {username} failed: {status} {body[:200]!r}")

    async def websocket(self, path: str) -> ClientConnection:
        """Open a websocket on ``path`` as this browser (its cookies, its origin)."""
        cookies = "; ".join(f"{m.key}={m.value}" for m in self.http.cookie_jar)
        await nothing_early(f"{path} opened")
        try:
            ws = await within(
                connect(
                    self.ws_base + path,
                    origin=Origin(self.base),
                    additional_headers={"Cookie": cookies} if cookies else {},
                    user_agent_header="gallery-driver",
                    compression=None,
                    create_connection=WatchedConnection,
                ),
                f"{path} to open",
            )
        except InvalidStatus as refused:
            raise Refused(path, refused.response.status_code) from None
        self.sockets.append(ws)
        _OPEN.add(ws)
        return ws

    async def refused(self, path: str) -> int:
        """Open a websocket on ``path`` that the server must refuse; the HTTP status it gave."""
        try:
            ws = await self.websocket(path)
        except Refused as refused:
            return refused.status
        await ws.close()
        raise SessionError(f"{path}: the server accepted a handshake it should refuse")

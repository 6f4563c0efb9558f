"""Drive a deterministic, scripted session against a running example server.

Real clients only: ``aiohttp`` for HTTP and the ``websockets`` asyncio client for
WebSockets. Every step waits for all the replies it expects before the next
input is sent, so the traffic the server sees is the same on every run.

Usage::

    python drive_session.py --base http://127.0.0.1:8765

The user ``alice`` with password ``wonderland-secret-1`` must exist
(``manage.py ensure_user alice wonderland-secret-1``). Tests can call
:func:`run_session` in-process instead.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Origin

USERNAME = "alice"
PASSWORD = "wonderland-secret-1"
TIMEOUT = 5.0
BINARY_PAYLOAD = b"\x00\x01\x02chanreplay\xff"

T = TypeVar("T")


class SessionError(Exception):
    """The server replied with something the script did not expect."""


async def _within(awaitable: Awaitable[T], what: str) -> T:
    """Await with the session timeout; a timeout becomes a :class:`SessionError`."""
    try:
        return await asyncio.wait_for(awaitable, TIMEOUT)
    except TimeoutError:
        raise SessionError(f"timed out after {TIMEOUT:g}s waiting for {what}") from None


async def _recv(ws: ClientConnection, name: str, what: str) -> str | bytes:
    """Receive one frame from socket ``name``."""
    try:
        return await _within(ws.recv(), f"{what} on {name}")
    except ConnectionClosed as exc:
        raise SessionError(f"{name} closed ({exc}) while waiting for {what}") from None


async def _recv_json(ws: ClientConnection, name: str, what: str) -> dict[str, Any]:
    """Receive one text frame from socket ``name`` and decode it as a JSON object."""
    frame = await _recv(ws, name, what)
    if not isinstance(frame, str):
        raise SessionError(f"{name}: expected a text frame for {what}, got bytes {frame!r}")
    data = json.loads(frame)
    if not isinstance(data, dict):
        raise SessionError(f"{name}: expected a JSON object for {what}, got {data!r}")
    return data


async def _expect_json(ws: ClientConnection, name: str, expected: dict[str, Any]) -> None:
    """Receive one JSON frame from socket ``name`` and check it equals ``expected``."""
    got = await _recv_json(ws, name, repr(expected))
    if got != expected:
        raise SessionError(f"{name}: expected {expected!r}, got {got!r}")


async def _expect_frame(ws: ClientConnection, name: str, expected: str | bytes) -> None:
    """Receive one frame from socket ``name`` and check it equals ``expected`` exactly."""
    got = await _recv(ws, name, repr(expected))
    if got != expected:
        raise SessionError(f"{name}: expected {expected!r}, got {got!r}")


async def _send_json(ws: ClientConnection, payload: dict[str, Any]) -> None:
    await ws.send(json.dumps(payload))


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SessionError(message)


class Session:
    """One scripted session against the server at ``base``."""

    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        parts = urlsplit(base)
        _check(parts.scheme in ("http", "https"), f"--base must be an http(s) URL, not {base!r}")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.ws_base = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
        self.http = http
        self.steps: list[str] = []
        self.sockets: list[ClientConnection] = []

    def _cookie(self, name: str) -> str | None:
        for morsel in self.http.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return None

    async def _open(self, path: str, name: str, *, as_alice: bool) -> ClientConnection:
        """Open a WebSocket with an ``Origin`` header and optionally alice's session."""
        headers: dict[str, str] = {}
        if as_alice:
            session_id = self._cookie("sessionid")
            _check(session_id is not None, "no sessionid cookie; is alice logged in?")
            headers["Cookie"] = f"sessionid={session_id}"
        try:
            ws = await _within(
                connect(
                    self.ws_base + path,
                    origin=Origin(self.base),
                    additional_headers=headers,
                    open_timeout=None,
                ),
                f"{name} to open {path}",
            )
        except SessionError:
            raise
        except (OSError, WebSocketException) as exc:
            raise SessionError(f"{name}: cannot open {path}: {exc!r}") from None
        self.sockets.append(ws)
        return ws

    async def abort(self) -> None:
        """Close every socket still open after a failure, without waiting long."""
        for ws in self.sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1.0)

    async def login(self) -> None:
        """Step 1: fetch the CSRF cookie, then log in as alice through the login form."""
        async with self.http.get(self.base + "/login/") as response:
            _check(response.status == 200, f"GET /login/ returned {response.status}")
            await response.read()
        csrf_token = self._cookie("csrftoken")
        _check(csrf_token is not None, "GET /login/ did not set a csrftoken cookie")
        form = {
            "username": USERNAME,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_token,
        }
        async with self.http.post(self.base + "/login/", data=form) as response:
            await response.read()
            _check(
                response.status == 200 and response.url.path == "/",
                f"login failed: POST /login/ ended at {response.url} with {response.status}"
                f" (does the user exist? manage.py ensure_user {USERNAME} {PASSWORD})",
            )
        _check(self._cookie("sessionid") is not None, "login did not set a sessionid cookie")
        self.steps.append("logged in as alice")

    async def chat(self) -> tuple[ClientConnection, ClientConnection]:
        """Steps 2 and 3: two chat sockets, two messages and one announcement."""
        a = await self._open("/ws/chat/lobby/", "A", as_alice=True)
        b = await self._open("/ws/chat/lobby/", "B", as_alice=False)

        await _send_json(a, {"message": "hello"})
        hello = {"type": "message", "message": "hello", "user": USERNAME, "room": "lobby"}
        await _expect_json(a, "A", hello)
        await _expect_json(b, "B", hello)

        await _send_json(b, {"message": "hi alice"})
        hi = {"type": "message", "message": "hi alice", "user": "anonymous", "room": "lobby"}
        await _expect_json(a, "A", hi)
        await _expect_json(b, "B", hi)
        self.steps.append("chat: 2 messages seen by A and B")

        async with self.http.post(
            self.base + "/announce/lobby/", data={"text": "server maintenance"}
        ) as response:
            body = await response.json()
            _check(
                response.status == 200 and body == {"ok": True},
                f"POST /announce/lobby/ returned {response.status} {body!r}",
            )
        announcement = {"type": "announcement", "text": "server maintenance"}
        await _expect_json(a, "A", announcement)
        await _expect_json(b, "B", announcement)
        self.steps.append("announcement seen by A and B")
        return a, b

    async def notes(self) -> ClientConnection:
        """Step 4: the authenticated notes API and the post_save broadcast."""
        c = await self._open("/ws/notes/", "C", as_alice=True)
        hello = await _recv_json(c, "C", "hello")
        _check(
            hello.get("type") == "hello"
            and hello.get("user") == USERNAME
            and isinstance(hello.get("count"), int),
            f"C: expected a hello for {USERNAME}, got {hello!r}",
        )
        count: int = hello["count"]

        await _send_json(c, {"action": "add", "text": "first note"})
        replies: dict[str, dict[str, Any]] = {}
        for _ in range(2):
            reply = await _recv_json(c, "C", "'added' and 'created'")
            kind = reply.get("type")
            _check(kind in ("added", "created"), f"C: unexpected reply {reply!r}")
            _check(kind not in replies, f"C: got {kind!r} twice: {reply!r}")
            replies[str(kind)] = reply
        added, created = replies["added"], replies["created"]
        note_id = added.get("id")
        _check(isinstance(note_id, int), f"C: 'added' has no integer id: {added!r}")
        _check(
            added == {"type": "added", "id": note_id, "text": "first note"},
            f"C: unexpected 'added' reply {added!r}",
        )
        _check(
            created == {"type": "created", "id": note_id, "text": "first note", "owner": USERNAME},
            f"C: unexpected 'created' broadcast {created!r}",
        )

        await _send_json(c, {"action": "list"})
        listing = await _recv_json(c, "C", "notes")
        notes = listing.get("notes")
        _check(
            listing.get("type") == "notes"
            and isinstance(notes, list)
            and len(notes) == count + 1
            and notes[-1] == {"id": note_id, "text": "first note"},
            f"C: expected {count + 1} notes ending with note {note_id}, got {listing!r}",
        )
        self.steps.append(f"notes: added note {note_id}, alice now has {count + 1}")
        return c

    async def echo(self) -> None:
        """Step 5: the synchronous echo consumer and its server-side close."""
        d = await self._open("/ws/echo/", "D", as_alice=False)
        await d.send("ping")
        await _expect_frame(d, "D", "echo: ping")
        await d.send("close")
        try:
            frame = await _within(d.recv(), "D to be closed with code 4000")
        except ConnectionClosed:
            pass
        else:
            raise SessionError(f"D: expected the server to close, got {frame!r}")
        await _within(d.wait_closed(), "D's close handshake")
        code = d.close_code
        _check(code == 4000, f"D: expected close code 4000, got {code}")
        self.steps.append("echo: ping echoed, closed by the server with 4000")

    async def binary(self) -> None:
        """Step 6: binary frames in both directions."""
        e = await self._open("/ws/binary/", "E", as_alice=False)
        await e.send(BINARY_PAYLOAD)
        await _expect_frame(e, "E", BINARY_PAYLOAD[::-1])
        await e.send("x")
        await _expect_frame(e, "E", "binary only")
        await _within(e.close(), "E to close")
        self.steps.append("binary: bytes reversed, text refused")

    async def stats(self) -> None:
        """Step 7: the AsyncHttpConsumer endpoint."""
        async with self.http.get(self.base + "/api/stats/") as response:
            _check(response.status == 200, f"GET /api/stats/ returned {response.status}")
            content_type = response.headers.get("Content-Type", "")
            _check(
                content_type.startswith("application/json"),
                f"GET /api/stats/ has content type {content_type!r}",
            )
            body = json.loads(await response.read())
        _check(
            isinstance(body, dict)
            and body.get("path") == "/api/stats/"
            and isinstance(body.get("notes"), int)
            and body["notes"] >= 1,
            f"GET /api/stats/ returned {body!r}",
        )
        self.steps.append(f"stats: {body['notes']} notes in total")


async def run_session(base: str, *, quiet: bool = False) -> dict[str, str]:
    """Run the whole scripted session against ``base``; raise :class:`SessionError` on failure.

    Returns the cookies the server set (so tests can check none reached a cassette).
    """
    jar = aiohttp.CookieJar(unsafe=True)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
        session = Session(base, http)
        try:
            await session.login()
            a, b = await session.chat()
            c = await session.notes()
            await session.echo()
            await session.binary()
            await session.stats()
            for name, ws in (("A", a), ("B", b), ("C", c)):
                await _within(ws.close(), f"{name} to close")
                _check(ws.close_code == 1000, f"{name}: closed with {ws.close_code}, not 1000")
            session.steps.append("closed A, B and C")
        except BaseException:
            await session.abort()
            raise
        cookies = {morsel.key: morsel.value for morsel in jar}
    if not quiet:
        for step in session.steps:
            print(f"ok  {step}")
    return cookies


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="server base URL, e.g. http://127.0.0.1:8765")
    args = parser.parse_args(argv)
    try:
        asyncio.run(run_session(args.base))
    except SessionError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    except (OSError, aiohttp.ClientError) as exc:
        print(f"FAILED: cannot talk to {args.base}: {exc}", file=sys.stderr)
        return 1
    print("session completed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The recorded session: alice and bob, two API clients with DRF tokens, share a note.

Neither has a session: each gets a token from /api/auth/, sends it as
``Authorization: Token <key>`` over HTTP and as ``?token=<key>`` on the socket.
"""

import json
import re
from typing import Any

from tests.gallery.driving import (
    Browser,
    SessionError,
    receive_json,
    send_json,
    within,
)

PASSWORD = "notes-pass-7302"

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


async def call(
    browser: Browser, method: str, path: str, token: str | None = None, **kwargs: Any
) -> tuple[int, Any]:
    """One API request as a script or mobile app makes it: JSON, and the token if it has one."""
    headers = {"Authorization": f"Token {token}"} if token else {}
    request = browser.http.request(method, browser.base + path, headers=headers, **kwargs)
    async with request as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text


def check(what: str, got: tuple[int, Any], status: int) -> Any:
    code, body = got
    if code != status:
        raise SessionError(f"{what}: expected {status}, got {code} {str(body)[:300]!r}")
    return body


def check_note(what: str, note: Any, owner: str, text: str) -> None:
    if not isinstance(note, dict) or note.get("owner") != owner or note.get("text") != text:
        raise SessionError(f"{what}: expected {owner}'s note {text!r}, got {note!r}")
    for field in ("created", "updated"):
        if not ISO.match(str(note.get(field))):
            raise SessionError(f"{what}: {field} is not an ISO time: {note!r}")


async def expect_event(ws: Any, event: str, note: dict[str, Any]) -> None:
    got = await receive_json(ws, event)
    if got.get("event") != event or got.get("note") != note or not isinstance(got.get("at"), int):
        raise SessionError(f"expected {event} of {note!r}, got {got!r}")


async def session(base: str) -> None:
    async with Browser(base) as alice, Browser(base) as bob:
        # alice's client posts JSON, bob's a form, as obtain_auth_token accepts both
        answer = await call(
            alice, "POST", "/api/auth/", json={"username": "alice", "password": PASSWORD}
        )
        alice_token = check("POST /api/auth/ as alice", answer, 200)["token"]
        answer = await call(
            bob, "POST", "/api/auth/", data={"username": "bob", "password": PASSWORD}
        )
        bob_token = check("POST /api/auth/ as bob", answer, 200)["token"]
        for token in (alice_token, bob_token):
            if not re.fullmatch(r"[0-9a-f]{40}", token):
                raise SessionError(f"not a DRF token: {token!r}")

        alice_ws = await alice.websocket(f"/ws/notes/?token={alice_token}")
        bob_ws = await bob.websocket(f"/ws/notes/?token={bob_token}")

        answer = await call(alice, "POST", "/api/notes/", alice_token, json={"text": "Buy milk"})
        note = check("POST /api/notes/", answer, 201)
        check_note("POST /api/notes/", note, "alice", "Buy milk")
        for ws in (alice_ws, bob_ws):
            await expect_event(ws, "note.created", note)

        path = f"/api/notes/{note['public_id']}/"
        fetched = check(f"GET {path} as bob", await call(bob, "GET", path, bob_token), 200)
        if fetched != note:
            raise SessionError(f"GET {path}: expected {note!r}, got {fetched!r}")

        answer = await call(alice, "PATCH", path, alice_token, json={"text": "Buy oat milk"})
        changed = check(f"PATCH {path}", answer, 200)
        check_note(f"PATCH {path}", changed, "alice", "Buy oat milk")
        if changed["public_id"] != note["public_id"] or changed["created"] != note["created"]:
            raise SessionError(f"PATCH {path} changed more than the text: {changed!r}")
        for ws in (alice_ws, bob_ws):
            await expect_event(ws, "note.updated", changed)

        await send_json(bob_ws, {"action": "ping"})
        pong = await receive_json(bob_ws, "the pong")
        if pong.get("pong") is not True or not ISO.match(str(pong.get("server_time"))):
            raise SessionError(f"expected a pong, got {pong!r}")

        for ws in (alice_ws, bob_ws):
            await within(ws.close(), "the socket to close")

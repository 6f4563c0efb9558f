"""How ``play`` gives each recorded browser a client and fills CSRF tokens, by cookie name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from yarl import URL

from chanreplay.cassette.model import Connection
from chanreplay.cassette.redaction import REDACTED
from chanreplay.proxy.play import _Session

BASE = "http://127.0.0.1:8000"


def connection(id: str, user: str | None) -> Connection:
    """A recorded HTTP connection, made by ``user`` (None: anonymous)."""
    scope = {"type": "http", "path": "/", "headers": [], "query_string": ""}
    return Connection(
        id=id, type="http", scope=scope, step=1, user={"username": user} if user else None
    )


@pytest.fixture
async def renamed() -> AsyncIterator[_Session]:
    """A play session against a server whose cookies have project-specific names."""
    session = _Session(BASE, {}, session_cookie="shop_session", csrf_cookie="shop_csrf")
    yield session
    await session.close()


async def test_each_browser_of_the_recording_gets_a_client_of_its_own() -> None:
    """The connections of one browser share a client (its cookie jar); others do not."""
    alice = [connection("c1", "alice"), connection("c3", "alice")]
    bob = connection("c2", "bob")
    session = _Session(BASE, {}, connections=[*alice, bob])
    try:
        assert session.client(alice[0]) is session.client(alice[1])
        assert session.client(bob) is not session.client(alice[0])
    finally:
        await session.close()


async def test_csrf_tokens_come_from_the_named_cookie(renamed: _Session) -> None:
    client = renamed.client(connection("c1", None))
    client.cookie_jar.update_cookies({"shop_csrf": "live-token"}, URL(BASE))
    filled = renamed._filled(client, connection("c1", None))
    assert filled.form(f"csrfmiddlewaretoken={REDACTED}") == "csrfmiddlewaretoken=live-token"
    assert filled.value("x-csrftoken") == "live-token"


def test_the_edge_shows_what_a_client_sees_of_a_connection() -> None:
    """No layer events, nothing sent after the client left, a refusal without its code, a
    close without a code as 1000, and of an error only what the client saw."""
    from chanreplay.proxy.play import edge_events

    def out(message: dict[str, object], step: int) -> dict[str, object]:
        return {"dir": "out", "message": message, "step": step}

    connect = {"dir": "in", "message": {"type": "websocket.connect"}, "step": 2}
    gone = {"dir": "in", "message": {"type": "websocket.disconnect", "code": 1000}, "step": 9}
    layer = {"dir": "layer", "op": "group_discard", "group": "g", "channel": "c", "step": 9}
    refused = [connect, out({"type": "websocket.close", "code": 4003}, 2)]
    assert edge_events(refused) == [connect, out({"type": "websocket.close"}, 2)]
    accepted = [
        connect,
        out({"type": "websocket.accept"}, 2),
        out({"type": "websocket.close"}, 5),
        gone,
        layer,
        out({"type": "websocket.send", "text": "bye"}, 9),
        out({"type": "websocket.close"}, 9),
    ]
    assert edge_events(accepted) == [
        connect,
        out({"type": "websocket.accept"}, 2),
        out({"type": "websocket.close", "code": 1000}, 5),
        gone,
    ]
    error = {
        "dir": "error",
        "exception": "KeyError",
        "detail": "'x'",
        "client": "handshake refused with HTTP 500",
        "step": 2,
    }
    assert edge_events([connect, error]) == [
        connect,
        {"dir": "error", "client": "handshake refused with HTTP 500", "step": 2},
    ]


def test_replies_take_the_recorded_steps_of_the_replies_in_their_place() -> None:
    """The network shows the order of a connection's replies, not which step caused them."""
    from chanreplay.proxy.play import _restamped

    def frame(text: str, step: int) -> dict[str, object]:
        return {"dir": "out", "message": {"type": "websocket.send", "text": text}, "step": step}

    inbound = {"dir": "in", "message": {"type": "websocket.receive", "text": "go"}, "step": 3}
    expected = Connection(
        "c1", "websocket", {}, 1, None, True, [inbound, frame("a", 3), frame("b", 4)]
    )
    actual = Connection(
        "c1",
        "websocket",
        {},
        1,
        None,
        True,
        [inbound, frame("a", 2), frame("new", 3), frame("b", 3)],
    )
    assert _restamped(actual, expected).events == [
        inbound,
        frame("a", 3),
        frame("new", 3),  # nothing recorded in its place: play's own step
        frame("b", 4),
    ]


def test_headers_the_server_adds_to_every_response_are_not_compared() -> None:
    """``server`` and ``date`` are left out on both sides: a recording at the network edge
    has them, one in process does not, and neither is the application's behaviour."""
    from chanreplay.proxy.play import edge_events

    start = {
        "dir": "out",
        "message": {
            "type": "http.response.start",
            "status": 200,
            "headers": ["Server: daphne", "date: <volatile>", "content-type: text/html"],
        },
        "step": 1,
    }
    assert edge_events([start])[0]["message"]["headers"] == ["content-type: text/html"]

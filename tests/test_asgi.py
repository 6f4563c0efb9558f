"""RecordingMiddleware: the ASGI edge, driven in-process through asgiref's communicators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from chanreplay.asgi import RecordingMiddleware
from chanreplay.cassette import Cassette, load
from chanreplay.layers import RecordingChannelLayer
from chanreplay.recorder import state
from chanreplay.recorder.identity import identify_user
from chanreplay.recorder.recording import Recording
from example.asgi import application

# Consumers and the auth middleware use the database from worker threads.
pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://127.0.0.1")]


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[Recording]:
    """An active recording with every layer alias wrapped in a fresh in-memory layer."""
    active = Recording(
        "asgi",
        cassette_dir=tmp_path,
        mode="all",
        identify=identify_user,
        ignore_paths=("/static/*",),
    )
    previous = channel_layers.set("default", RecordingChannelLayer(InMemoryChannelLayer()))
    state.start(active)
    try:
        yield active
    finally:
        state.stop(drain=0)
        channel_layers.set("default", previous)


def finished(recording: Recording) -> Cassette:
    """Stop ``recording`` and load its cassette."""
    state.stop(drain=0)
    return load(recording.cassette_path)


def kinds(cassette: Cassette, connection_id: str) -> list[tuple[str, str]]:
    """(dir, type or op) of each event of a connection."""
    return [
        (e["dir"], e.get("op") or e["message"]["type"])
        for e in cassette.connection(connection_id).events
    ]


async def test_websocket_connection_is_recorded_in_and_out(recording: Recording) -> None:
    """Scope, connect, frames both ways and disconnect are recorded on one connection."""
    app = RecordingMiddleware(application)
    communicator = WebsocketCommunicator(app, "/ws/echo/?room=1", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data="ping")
    assert await communicator.receive_from() == "echo: ping"
    await communicator.disconnect()
    cassette = finished(recording)
    (connection,) = cassette.connections
    assert (connection.type, connection.path) == ("websocket", "/ws/echo/")
    assert connection.scope["query_string"] == "room=1"
    assert kinds(cassette, "c1") == [
        ("layer", "new_channel"),
        ("in", "websocket.connect"),
        ("layer", "group_add"),
        ("out", "websocket.accept"),
        ("in", "websocket.receive"),
        ("out", "websocket.send"),
        ("in", "websocket.disconnect"),
        ("layer", "group_discard"),
    ]
    assert connection.closed


async def test_each_input_takes_a_new_step_and_outputs_share_it(recording: Recording) -> None:
    """Inputs are numbered in order; what an input causes carries its step.

    A disconnect is an input too: what the consumer's disconnect handler does
    (here its group_discard) carries the disconnect's own step.
    """
    communicator = WebsocketCommunicator(
        RecordingMiddleware(application), "/ws/echo/", headers=ORIGIN
    )
    await communicator.connect()
    await communicator.send_to(text_data="one")
    await communicator.receive_from()
    await communicator.disconnect()
    events = finished(recording).connection("c1").events
    steps = [(e["dir"], e["step"]) for e in events]
    assert steps == [
        ("layer", 1),
        ("in", 2),
        ("layer", 2),
        ("out", 2),
        ("in", 3),
        ("out", 3),
        ("in", 4),
        ("layer", 4),
    ]


async def _run(app: Any, scope: dict[str, Any], inputs: list[dict[str, Any]]) -> BaseException:
    """Run ``app`` on ``inputs`` until it raises; the exception."""
    queue = list(inputs)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: dict[str, Any]) -> None:
        return None

    with pytest.raises(Exception) as raised:  # noqa: PT011  # whatever the app raises
        await RecordingMiddleware(app)({"headers": [], "path": "/x", **scope}, receive, send)
    return raised.value


def _failing(*replies: dict[str, Any], error: BaseException, reads: int = 1) -> Any:
    """An ASGI app that reads one message, sends ``replies``, reads the rest, then raises."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        for reply in replies:
            await send(reply)
        for _ in range(reads - 1):
            await receive()
        raise error

    return app


CONNECT = {"type": "websocket.connect"}
FRAME = {"type": "websocket.receive", "text": "x"}
REQUEST = {"type": "http.request", "body": b""}


@pytest.mark.parametrize(
    ("scope_type", "replies", "inputs", "client"),
    [
        ("websocket", [], [CONNECT], "handshake refused with HTTP 500"),
        ("websocket", [{"type": "websocket.accept"}], [CONNECT, FRAME], "closed with 1011"),
        (
            "websocket",
            [{"type": "websocket.send", "text": "hi"}],
            [CONNECT, FRAME],
            "closed with 1011",
        ),
        (
            "websocket",
            [{"type": "websocket.accept"}],
            [CONNECT, {"type": "websocket.disconnect", "code": 1000}],
            "nothing",
        ),
        (
            "websocket",
            [{"type": "websocket.close", "code": 4000}],
            [CONNECT, {"type": "websocket.disconnect", "code": 4000}],
            "nothing",
        ),
        ("http", [], [REQUEST], "HTTP 500"),
        (
            "http",
            [{"type": "http.response.start", "status": 200, "headers": []}],
            [REQUEST],
            "response cut off",
        ),
    ],
)
async def test_an_application_error_is_recorded_with_what_the_client_saw(
    recording: Recording,
    scope_type: str,
    replies: list[dict[str, Any]],
    inputs: list[dict[str, Any]],
    client: str,
) -> None:
    """The exception is an event of its connection, at the step it was handling; it still
    reaches the server, which answers the client as the event says."""
    app = _failing(*replies, error=KeyError("user"), reads=len(inputs))
    error = await _run(app, {"type": scope_type}, inputs)
    assert isinstance(error, KeyError)
    events = finished(recording).connection("c1").events
    handling = [e for e in events if e["dir"] == "in"][-1]  # raised while handling it
    assert events[-1] == {
        "client": client,
        "detail": "'user'",
        "dir": "error",
        "exception": "KeyError",
        "step": handling["step"],
    }


async def test_an_error_names_its_class_by_module_and_drops_addresses(
    recording: Recording,
) -> None:
    """Classes outside builtins are named in full; a memory address, which changes on every
    run, is left out; a very long message is cut."""
    from django.core.exceptions import ObjectDoesNotExist

    class Gone(ObjectDoesNotExist):
        pass

    await _run(_failing(error=Gone(f"no {object()!r}")), {"type": "websocket"}, [CONNECT])
    await _run(_failing(error=ValueError("x" * 5000)), {"type": "http"}, [REQUEST])
    cassette = finished(recording)
    first = cassette.connection("c1").events[-1]
    assert (
        first["exception"]
        == f"{__name__}.test_an_error_names_its_class_by_module_and_drops_addresses.<locals>.Gone"
    )
    assert first["detail"] == "no <object object at 0x?>"
    long = cassette.connection("c2").events[-1]["detail"]
    assert len(long) == 1003
    assert long.endswith("...")


async def test_a_frame_is_recorded_when_the_consumer_handles_it(recording: Recording) -> None:
    """Frames sent back to back: each reply carries the step of the frame that caused it.

    The consumer reads the next frame while still busy with the previous one
    (here, the chat message the previous frame's group_send brought back);
    recorded on arrival, that frame would lend its step to the earlier reply.
    """
    communicator = WebsocketCommunicator(
        RecordingMiddleware(application), "/ws/chat/burst/", headers=ORIGIN
    )
    await communicator.connect()
    for number in range(5):
        await communicator.send_to(text_data=json.dumps({"message": f"m{number}"}))
    replies = [json.loads(await communicator.receive_from()) for _ in range(5)]
    await communicator.disconnect()
    assert [reply["message"] for reply in replies] == [f"m{n}" for n in range(5)]
    events = finished(recording).connection("c1").events
    step_of = {
        e["message"]["text"]["$json"]["message"]: e["step"]
        for e in events
        if e["dir"] == "in" and e["message"]["type"] == "websocket.receive"
    }
    sent = [
        (e["message"]["text"]["$json"]["message"], e["step"])
        for e in events
        if e["dir"] == "out" and e["message"]["type"] == "websocket.send"
    ]
    assert sent == [(f"m{n}", step_of[f"m{n}"]) for n in range(5)]


async def test_http_request_and_response_are_recorded(recording: Recording) -> None:
    """An AsyncHttpConsumer's request and JSON response are recorded with status and body."""
    communicator = HttpCommunicator(RecordingMiddleware(application), "GET", "/api/stats/")
    response = await communicator.get_response()
    assert response["status"] == 200
    connection = finished(recording).connections[0]
    start, body = [e["message"] for e in connection.events if e["dir"] == "out"]
    assert start["status"] == 200
    assert "content-type: application/json" in start["headers"]
    assert body["body"] == {"$bytes_json": {"notes": 0, "path": "/api/stats/"}}


async def test_ignored_paths_and_lifespan_pass_through_unrecorded(recording: Recording) -> None:
    """Static files and lifespan scopes reach the app but are not recorded."""
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    wrapped = RecordingMiddleware(app)
    await wrapped({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    await wrapped(
        {"type": "http", "path": "/static/chat/room.js", "headers": []},
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
    )
    assert seen == ["lifespan", "http"]
    state.stop(drain=0)
    assert not recording.cassette_path.exists()  # nothing recorded: no cassette of nothing


async def test_nested_recorders_record_each_connection_once(recording: Recording) -> None:
    """Wrapping twice (by hand and by runserver) still records one connection, not two."""
    app = RecordingMiddleware(RecordingMiddleware(application))
    communicator = HttpCommunicator(app, "GET", "/api/stats/")
    await communicator.get_response()
    assert len(finished(recording).connections) == 1


async def test_without_a_recording_the_middleware_is_transparent() -> None:
    """No active recording: the application answers as if unwrapped."""
    communicator = HttpCommunicator(RecordingMiddleware(application), "GET", "/api/stats/")
    response = await communicator.get_response()
    assert response["status"] == 200


async def test_logged_in_user_is_identified_and_the_cookie_is_redacted(
    recording: Recording,
) -> None:
    """A session cookie yields the username in the cassette; the cookie value never appears."""
    from asgiref.sync import sync_to_async

    def login() -> str:
        get_user_model().objects.create_user("bob", password="pw-for-bob-123")
        client = Client()
        client.force_login(get_user_model().objects.get(username="bob"))
        return str(client.cookies["sessionid"].value)

    session_id = await sync_to_async(login)()
    headers = [*ORIGIN, (b"cookie", f"sessionid={session_id}; theme=dark".encode())]
    communicator = WebsocketCommunicator(
        RecordingMiddleware(application), "/ws/notes/", headers=headers
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["user"] == "bob"
    await communicator.disconnect()
    connection = finished(recording).connections[0]
    assert connection.user == {"username": "bob"}
    assert "cookie: sessionid=<redacted>; theme=<redacted>" in connection.scope["headers"]
    assert session_id not in recording.cassette_path.read_text()


async def test_anonymous_and_stale_sessions_have_no_user(recording: Recording) -> None:
    """No cookie, or a session key the store does not know, records user null."""
    for headers in (ORIGIN, [*ORIGIN, (b"cookie", b"sessionid=doesnotexist0123456789")]):
        communicator = WebsocketCommunicator(
            RecordingMiddleware(application), "/ws/chat/lobby/", headers=headers
        )
        await communicator.connect()
        await communicator.disconnect()
    assert [c.user for c in finished(recording).connections] == [None, None]

"""WSClient and HttpClient against the example project's real consumers and views."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.generic.http import AsyncHttpConsumer
from django.contrib.auth import get_user_model
from django.urls import path

from chanreplay.testing import ChannelTestCase, Group, HttpClient, WSClient, apply_routes
from chat.consumers import BinaryConsumer, ChatConsumer, EchoConsumer
from chat.models import Note
from chat.signals import NOTES_GROUP

UNAUTHENTICATED = 4401


class _Hanging(AsyncHttpConsumer):
    """A view that never answers."""

    async def handle(self, body: bytes) -> None:
        await asyncio.Event().wait()


class WSClientTests(ChannelTestCase):
    def setUp(self) -> None:
        self.alice = get_user_model().objects.create_user("alice", password="wonderland")

    def test_force_login_reaches_the_consumer_through_the_auth_middleware(self) -> None:
        Note.objects.create(owner=self.alice, text="from setUp")
        client = WSClient()
        client.force_login(self.alice)
        client.send_and_consume("websocket.connect", path="/ws/notes/")
        # The consumer counted, in the test's transaction, the note setUp made.
        assert client.receive() == {"type": "hello", "user": "alice", "count": 1}
        client.send_and_consume("websocket.receive", path="/ws/notes/", text={"action": "list"})
        notes = client.receive()["notes"]
        assert [note["text"] for note in notes] == ["from setUp"]
        assert client.receive() is None

    def test_login_with_credentials(self) -> None:
        client = WSClient()
        assert client.login(username="alice", password="wonderland")
        assert not WSClient().login(username="alice", password="wrong")
        client.send_and_consume("websocket.connect", path="/ws/notes/")
        assert client.receive()["user"] == "alice"

    def test_a_consumer_that_closes_fails_check_accept(self) -> None:
        async def connect(consumer: Any) -> None:
            await consumer.close(code=4003)

        client = WSClient()
        with (
            mock.patch.object(BinaryConsumer, "connect", connect, create=True),
            pytest.raises(AssertionError, match=r"closed the connection \(code 4003\)"),
        ):
            client.send_and_consume("websocket.connect", path="/ws/binary/")
        closing = WSClient()
        with mock.patch.object(BinaryConsumer, "connect", connect, create=True):
            closing.send_and_consume("websocket.connect", path="/ws/binary/", check_accept=False)
        assert closing.receive() == {"type": "websocket.close", "code": 4003}

    def test_a_consumer_that_accepts_then_closes_passes_check_accept(self) -> None:
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/notes/")
        # Anonymous: the notes consumer accepts, then closes with its own code.
        assert client.receive() == {"type": "websocket.close", "code": UNAUTHENTICATED}
        assert client.receive() is None

    def test_a_database_write_in_the_consumer_is_in_the_test_transaction(self) -> None:
        client = WSClient()
        client.force_login(self.alice)
        client.send_and_consume("websocket.connect", path="/ws/notes/")
        client.receive()
        client.send_and_consume(
            "websocket.receive", path="/ws/notes/", text={"action": "add", "text": "hi"}
        )
        note = Note.objects.get()
        # The consumer is also in the notes group, so its own post_save broadcast comes back.
        replies = [client.receive(), client.receive()]
        assert {"type": "added", "id": note.pk, "text": "hi"} in replies
        assert {"type": "created", "id": note.pk, "text": "hi", "owner": "alice"} in replies
        assert client.receive() is None

    def test_a_post_save_in_the_test_reaches_the_connected_consumer(self) -> None:
        client = WSClient()
        client.force_login(self.alice)
        client.send_and_consume("websocket.connect", path="/ws/notes/")
        client.receive()
        note = Note.objects.create(owner=self.alice, text="made by the test")
        assert client.receive() == {
            "type": "created",
            "id": note.pk,
            "text": "made by the test",
            "owner": "alice",
        }

    def test_receive_json_false_gives_the_text(self) -> None:
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/echo/")
        client.send_and_consume("websocket.receive", path="/ws/echo/", text="hello")
        assert client.receive(json=False) == "echo: hello"
        client.send_and_consume("websocket.receive", text="again")  # the only connection
        with pytest.raises(AssertionError, match="not JSON"):
            client.receive()

    def test_a_sync_consumer_and_a_group_send_from_the_test(self) -> None:
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/echo/")
        Group("echo").send({"type": "echo.broadcast", "text": "to everyone"})
        assert client.receive(json=False) == "to everyone"

    def test_a_consumer_that_raises_on_a_layer_message_fails_the_test_at_once(self) -> None:
        """The consumer's own error, not a wait for the settle timeout: the channel the
        message came on is no longer counted busy once its consumer is over (the seed's
        literal `Group(...).send({'text': 'ok'})`, with no type, fails the same way)."""
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/echo/")
        Group("echo").send({"type": "echo.broadcast"})  # no "text": the handler raises
        with pytest.raises(KeyError, match="'text'"):
            client.receive()
        other = WSClient()
        other.send_and_consume("websocket.connect", path="/ws/echo/")
        Group("echo").send({"text": "ok"})
        with pytest.raises(ValueError, match="no 'type'"):
            other.receive()

    def test_binary_frames(self) -> None:
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/binary/")
        client.send_and_consume("websocket.receive", path="/ws/binary/", bytes=b"\x00\x01\x02")
        assert client.receive() == b"\x02\x01\x00"

    def test_two_clients_in_one_room(self) -> None:
        alice, bob = WSClient(), WSClient()
        alice.force_login(self.alice)
        alice.send_and_consume("websocket.connect", path="/ws/chat/lobby/")
        bob.send_and_consume("websocket.connect", path="/ws/chat/lobby/")
        alice.send_and_consume("websocket.receive", path="/ws/chat/lobby/", text={"message": "hi"})
        expected = bob.receive()
        assert expected["message"] == "hi"
        assert expected["user"] == "alice"
        assert alice.receive() == expected
        bob.send_and_consume("websocket.disconnect", path="/ws/chat/lobby/")
        alice.send_and_consume("websocket.receive", path="/ws/chat/lobby/", text={"message": "?"})
        assert bob.receive() is None
        assert alice.receive()["message"] == "?"

    def test_join_group_receives_what_the_group_gets(self) -> None:
        client = WSClient()
        client.join_group(NOTES_GROUP)
        note = Note.objects.create(owner=self.alice, text="outbound binding")
        assert client.receive() == {
            "type": "notes.created",
            "id": note.pk,
            "text": "outbound binding",
            "owner": "alice",
        }

    def test_session_values_reach_the_consumer(self) -> None:
        client = WSClient()
        client.session["rooms"] = ["test", "1"]
        scope = _scope_of_connect(client, "/ws/binary/")
        assert scope["session"]["rooms"] == ["test", "1"]

    def test_headers_are_sent(self) -> None:
        scope = _scope_of_connect(WSClient(headers={"X-Client": "tests"}), "/ws/binary/")
        assert dict(scope["headers"])[b"x-client"] == b"tests"

    def test_ordered_numbers_the_messages(self) -> None:
        seen: list[Any] = []

        async def websocket_receive(consumer: Any, message: dict[str, Any]) -> None:
            seen.append(message["order"])

        client = WSClient(ordered=True)
        client.send_and_consume("websocket.connect", path="/ws/binary/")
        with mock.patch.object(BinaryConsumer, "websocket_receive", websocket_receive):
            client.send_and_consume("websocket.receive", path="/ws/binary/", text="a")
            client.send_and_consume("websocket.receive", path="/ws/binary/", text="b")
        assert seen == [1, 2]  # the connect was 0

    def test_the_1x_http_client_numbers_lone_frames_from_0(self) -> None:
        seen: list[Any] = []

        async def websocket_receive(consumer: Any, message: dict[str, Any]) -> None:
            seen.append(message["order"])

        client = HttpClient(ordered=True)
        with mock.patch.object(BinaryConsumer, "websocket_receive", websocket_receive):
            client.send_and_consume("websocket.receive", text="1", path="/ws/binary/")
            client.send_and_consume("websocket.receive", text="2", path="/ws/binary/")
            client.send_and_consume("websocket.receive", text="3", path="/ws/binary/")
        assert seen == [0, 1, 2]

    def test_a_manual_order_goes_as_given_and_clashes_with_ordered(self) -> None:
        seen: list[Any] = []

        async def websocket_receive(consumer: Any, message: dict[str, Any]) -> None:
            seen.append(message["order"])

        client = HttpClient()
        with mock.patch.object(BinaryConsumer, "websocket_receive", websocket_receive):
            client.send("websocket.receive", content={"order": 2}, text="2", path="/ws/binary/")
            client.send("websocket.receive", content={"order": 1}, text="3", path="/ws/binary/")
            assert client.receive() is None
        assert seen == [2, 1]
        with pytest.raises(ValueError, match='Do not use "order" manually'):
            HttpClient(ordered=True).send("websocket.receive", {"order": 0}, text="1")

    def test_a_path_without_a_route_says_so(self) -> None:
        with pytest.raises(AssertionError, match="no route for websocket /ws/nowhere/"):
            WSClient().send_and_consume("websocket.connect", path="/ws/nowhere/")

    def test_a_consumer_that_raises_fails_the_test_with_its_error(self) -> None:
        async def receive(consumer: Any, text_data: Any = None, bytes_data: Any = None) -> None:
            raise RuntimeError("the consumer broke")

        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/binary/")
        with (
            mock.patch.object(BinaryConsumer, "receive", receive),
            pytest.raises(RuntimeError, match="the consumer broke") as raised,
        ):
            client.send_and_consume("websocket.receive", path="/ws/binary/", text="x")
        assert "websocket /ws/binary/" in "".join(raised.value.__notes__)

    def test_a_frame_to_a_path_never_connected_opens_a_connection_for_it(self) -> None:
        # As a 1.x consumer ran for a lone websocket.receive.
        client = WSClient()
        client.send_and_consume("websocket.receive", path="/ws/echo/", text="x")
        assert client.receive(json=False) == "echo: x"
        with pytest.raises(AssertionError, match="already open"):
            client.send_and_consume("websocket.connect", path="/ws/echo/")

    def test_a_frame_to_a_path_without_a_route_says_so(self) -> None:
        with pytest.raises(AssertionError, match="no route for websocket /ws/nowhere/"):
            WSClient().send_and_consume("websocket.receive", path="/ws/nowhere/", text="x")

    def test_a_frame_after_the_consumer_closed_says_so(self) -> None:
        async def receive(consumer: Any, text_data: Any = None, bytes_data: Any = None) -> None:
            await consumer.close(code=4000)

        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/binary/")
        with mock.patch.object(BinaryConsumer, "receive", receive):
            client.send_and_consume("websocket.receive", path="/ws/binary/", text="bye")
        assert client.receive() == {"type": "websocket.close", "code": 4000}
        with pytest.raises(AssertionError, match=r"closed \(the consumer closed it, code 4000\)"):
            client.send_and_consume("websocket.receive", path="/ws/binary/", text="again")

    def test_a_disconnect_without_a_connection_says_so(self) -> None:
        with pytest.raises(AssertionError, match=r"send websocket\.connect"):
            WSClient().send_and_consume("websocket.disconnect", path="/ws/echo/")

    def test_the_path_may_be_given_positionally(self) -> None:
        client = WSClient()
        client.send_and_consume("websocket.connect", "/ws/echo/")
        client.send_and_consume("websocket.receive", text="positional")
        assert client.receive(json=False) == "echo: positional"

    def test_a_consumer_that_hangs_is_named_when_the_timeout_passes(self) -> None:
        async def receive(consumer: Any, text_data: Any = None, bytes_data: Any = None) -> None:
            await asyncio.Event().wait()

        client = WSClient(timeout=0.5)
        client.send_and_consume("websocket.connect", path="/ws/binary/")
        with (
            mock.patch.object(BinaryConsumer, "receive", receive),
            pytest.raises(AssertionError, match=r"still busy after 0\.5 s: websocket /ws/binary/$"),
        ):
            client.send_and_consume("websocket.receive", path="/ws/binary/", text="x")

    def test_a_view_that_hangs_is_named_with_its_response(self) -> None:
        client = HttpClient(timeout=0.5)
        with (
            apply_routes([path("slow/", _Hanging.as_asgi())]),
            pytest.raises(AssertionError, match=r"HTTP GET /slow/ \(its response\)"),
        ):
            client.get("/slow/")

    def test_session_changes_after_connecting_reach_the_next_connection(self) -> None:
        # Channels 4 loads the session when the connection opens, as for a
        # browser: a consumer sees what the session held then.
        async def receive(consumer: Any, text_data: Any = None, bytes_data: Any = None) -> None:
            rooms = await database_sync_to_async(consumer.scope["session"].get)("rooms")
            await consumer.send(text_data=json.dumps(rooms))

        client = WSClient()
        client.session["rooms"] = ["test"]
        with mock.patch.object(BinaryConsumer, "receive", receive):
            client.send_and_consume("websocket.connect", path="/ws/binary/")
            client.session["rooms"] = ["test", "1"]
            client.send_and_consume("websocket.receive", path="/ws/binary/", text="?")
            assert client.receive() == ["test"]
            client.send_and_consume("websocket.disconnect", path="/ws/binary/")
            client.send_and_consume("websocket.connect", path="/ws/binary/")
            client.send_and_consume("websocket.receive", path="/ws/binary/", text="?")
            assert client.receive() == ["test", "1"]

    def test_a_1x_frame_sent_to_a_group_is_received_as_a_frame(self) -> None:
        client = WSClient()
        client.join_group("intval-updates")
        Group("intval-updates").send({"text": json.dumps({"payload": {"action": "create"}})})
        Group("intval-updates").send({"text": "ok"})
        Group("intval-updates").send({"type": "websocket.send", "bytes": b"raw"})
        Group("intval-updates").send({"type": "values.changed", "text": "not a frame"})
        assert client.receive() == {"payload": {"action": "create"}}
        assert client.receive(json=False) == "ok"
        assert client.receive() == b"raw"
        assert client.receive() == {"type": "values.changed", "text": "not a frame"}


class AsyncTests(ChannelTestCase):
    """The a-prefixed calls in async test methods: database work still sees the test's data."""

    async def test_an_async_test(self) -> None:
        alice = await get_user_model().objects.acreate(username="alice")
        await Note.objects.acreate(owner=alice, text="async")
        client = WSClient()
        await client.aforce_login(alice)
        await client.asend_and_consume("websocket.connect", path="/ws/notes/")
        assert await client.areceive() == {"type": "hello", "user": "alice", "count": 1}
        await client.ajoin_group(NOTES_GROUP)
        await client.asend_and_consume(
            "websocket.receive", path="/ws/notes/", text={"action": "add", "text": "b"}
        )
        # The reply, the consumer's own broadcast to its client, and the group message.
        replies = [await client.areceive() for _ in range(3)]
        assert sorted(reply["type"] for reply in replies) == ["added", "created", "notes.created"]
        assert await client.areceive() is None
        stats = await HttpClient().aget("/api/stats/")
        assert stats.json()["notes"] == 2


def _scope_of_connect(client: WSClient, path: str) -> dict[str, Any]:
    """The scope the binary consumer at ``path`` sees when ``client`` connects."""
    seen: list[dict[str, Any]] = []

    async def connect(consumer: Any) -> None:
        seen.append(consumer.scope)
        await consumer.accept()

    with mock.patch.object(BinaryConsumer, "connect", connect, create=True):
        client.send_and_consume("websocket.connect", path=path)
    return seen[0]


class ApplyRoutesTests(ChannelTestCase):
    def test_as_a_context_manager(self) -> None:
        with apply_routes([path("new/", EchoConsumer.as_asgi())]):
            client = WSClient()
            client.send_and_consume("websocket.connect", path="/new/")
            client.send_and_consume("websocket.receive", path="/new/", text="routed")
            assert client.receive(json=False) == "echo: routed"
        with pytest.raises(AssertionError, match="no route"):
            WSClient().send_and_consume("websocket.connect", path="/new/")

    @apply_routes(BinaryConsumer)
    def test_as_a_decorator_with_a_consumer_class(self) -> None:
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/anything/")
        client.send_and_consume("websocket.receive", path="/anything/", bytes=b"ab")
        assert client.receive() == b"ba"

    def test_a_router(self) -> None:
        from channels.routing import URLRouter

        with apply_routes(URLRouter([path("only/", BinaryConsumer.as_asgi())])):
            client = WSClient()
            client.send_and_consume("websocket.connect", path="/only/")
            client.send_and_consume("websocket.receive", bytes=b"xy")
            assert client.receive() == b"yx"

    def test_an_application(self) -> None:
        with apply_routes(ChatConsumer.as_asgi()):
            client = WSClient()
            with pytest.raises(KeyError):  # no URL route gives the room
                client.send_and_consume("websocket.connect", path="/ws/chat/x/")


class HttpClientTests(ChannelTestCase):
    def setUp(self) -> None:
        self.alice = get_user_model().objects.create_user("alice", password="wonderland")

    def test_an_http_consumer(self) -> None:
        Note.objects.create(owner=self.alice, text="one")
        response = HttpClient().get("/api/stats/")
        assert response.status_code == 200
        assert response.json() == {"notes": 1, "path": "/api/stats/"}
        assert response.headers["content-type"] == "application/json"

    def test_a_django_view_that_group_sends(self) -> None:
        listener = WSClient()
        listener.send_and_consume("websocket.connect", path="/ws/chat/lobby/")
        client = HttpClient()
        client.force_login(self.alice)
        response = client.post("/announce/lobby/", {"text": "maintenance"})
        assert response.status_code == 200, response.content
        assert listener.receive() == {"type": "announcement", "text": "maintenance"}

    def test_a_login_view_sets_the_session_cookie_for_later_connections(self) -> None:
        client = WSClient()
        page = client.get("/login/")
        assert page.status_code == 200
        token = client.cookies["csrftoken"].value  # kept from the page's Set-Cookie
        response = client.post(
            "/login/",
            {"username": "alice", "password": "wonderland", "csrfmiddlewaretoken": token},
        )
        assert response.status_code == 302, response.content[:300]
        assert "sessionid" in client.cookies
        client.send_and_consume("websocket.connect", path="/ws/notes/")
        assert client.receive()["user"] == "alice"

    def test_csrf_is_enforced_as_for_a_browser(self) -> None:
        response = HttpClient().post("/login/", {"username": "alice", "password": "wonderland"})
        assert response.status_code == 403

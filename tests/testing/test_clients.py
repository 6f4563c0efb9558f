"""Client: the example project's NotesWorker (ChannelNameRouter) driven over the captive layer."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from chanreplay.testing import Channel, ChannelTestCase, Client, Group
from chat.consumers import NotesWorker
from chat.models import Note
from chat.signals import NOTES_GROUP


class ClientTests(ChannelTestCase):
    def setUp(self) -> None:
        self.alice = get_user_model().objects.create_user("alice")

    def test_send_and_consume_runs_the_routed_worker(self) -> None:
        Note.objects.create(owner=self.alice, text="one")
        Note.objects.create(owner=self.alice, text="two")
        client = Client()
        consumed = client.send_and_consume(
            "notes-worker", {"type": "notes.count", "owner": "alice"}
        )
        assert consumed == {
            "type": "notes.count",
            "owner": "alice",
            "reply_channel": client.reply_channel,
        }
        assert client.receive() == {"type": "notes.counted", "owner": "alice", "count": 2}
        assert client.receive() is None

    def test_send_then_consume_separately(self) -> None:
        client = Client()
        client.send("notes-worker", {"type": "notes.count", "owner": "bob"})
        assert client.receive() is None  # nothing ran yet
        client.consume("notes-worker")
        assert client.receive() == {"type": "notes.counted", "owner": "bob", "count": 0}

    def test_consume_runs_the_worker_on_a_message_the_test_took(self) -> None:
        # The seed's my_consumer(self.get_next_message("input", require=True)).
        Note.objects.create(owner=self.alice, text="one")
        client = Client()
        Channel("notes-worker").send(
            {"type": "notes.count", "owner": "alice", "reply_channel": client.reply_channel}
        )
        message = self.get_next_message("notes-worker", require=True)
        assert message is not None
        assert client.consume(message) == message.content
        assert client.receive() == {"type": "notes.counted", "owner": "alice", "count": 1}
        assert self.get_next_message("notes-worker") is None

    def test_a_worker_that_hangs_fails_after_the_clients_timeout(self) -> None:
        def hangs(self: NotesWorker, message: dict[str, Any]) -> None:
            threading.Event().wait(2)

        with (
            mock.patch.object(NotesWorker, "notes_count", hangs),
            pytest.raises(AssertionError, match=r"did not finish handling .* within 0\.3 s"),
        ):
            Client(timeout=0.3).send_and_consume("notes-worker", {"type": "notes.count"})

    async def test_every_call_has_an_async_form(self) -> None:
        client = Client()
        await client.ajoin_group(NOTES_GROUP)
        await Group(NOTES_GROUP).asend({"type": "notes.created", "id": 1})
        assert await client.areceive() == {"type": "notes.created", "id": 1}
        await client.asend_and_consume("notes-worker", {"type": "notes.count", "owner": "bob"})
        assert await client.areceive() == {"type": "notes.counted", "owner": "bob", "count": 0}
        await client.asend("notes-worker", {"type": "notes.count", "owner": "carol"})
        consumed = await client.aconsume("notes-worker")
        assert consumed is not None
        assert consumed["owner"] == "carol"
        assert await client.areceive() == {"type": "notes.counted", "owner": "carol", "count": 0}

    def test_consume_with_nothing_to_consume(self) -> None:
        client = Client()
        assert client.consume("notes-worker", fail_on_none=False) is None
        with pytest.raises(AssertionError, match="no message on channel 'notes-worker'"):
            client.consume("notes-worker")

    def test_an_error_in_the_worker_reaches_the_test(self) -> None:
        def broken(self: NotesWorker, message: dict[str, Any]) -> None:
            raise RuntimeError("the worker broke")

        with (
            mock.patch.object(NotesWorker, "notes_count", broken),
            pytest.raises(RuntimeError, match="the worker broke"),
        ):
            Client().send_and_consume("notes-worker", {"type": "notes.count", "owner": "x"})

    def test_a_channel_without_a_route_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="nowhere"):
            Client().send_and_consume("nowhere", {"type": "anything"})

    def test_join_group_receives_the_groups_messages(self) -> None:
        """Outbound binding, the 1.x way: join the group, change the model, receive."""
        client = Client()
        client.join_group(NOTES_GROUP)
        note = Note.objects.create(owner=self.alice, text="hello")
        assert client.receive() == {
            "type": "notes.created",
            "id": note.pk,
            "text": "hello",
            "owner": "alice",
        }

    def test_a_client_outside_a_channel_test_case_is_told_why_it_cannot_work(self) -> None:
        with (
            mock.patch("chanreplay.testing.channels._layer", return_value=object()),
            pytest.raises(LookupError, match="not captive"),
        ):
            Client().receive()

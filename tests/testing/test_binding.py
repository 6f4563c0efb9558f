"""Data binding the Channels 1.x way, on the example project: outbound and inbound."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.urls import path

from chanreplay.testing import ChannelTestCase, Group, WSClient, apply_routes
from chat.models import Note
from chat.multiplex import Demultiplexer, NoteBinding
from chat.signals import NOTES_GROUP

ROUTES = [path("", Demultiplexer.as_asgi()), {"binding.notes": NoteBinding.as_asgi()}]


class OutboundBindingTests(ChannelTestCase):
    def test_a_saved_note_is_broadcast(self) -> None:
        alice = get_user_model().objects.create_user("alice")
        client = WSClient()
        client.join_group(NOTES_GROUP)  # join the outbound binding's group
        note = Note.objects.create(owner=alice, text="fifty")
        received = client.receive()
        assert received["type"] == "notes.created"
        assert received["id"] == note.pk
        assert received["text"] == "fifty"
        assert client.receive() is None


class InboundBindingTests(ChannelTestCase):
    def setUp(self) -> None:
        self.alice = get_user_model().objects.create_user("alice")

    @apply_routes(ROUTES)
    def test_inbound_create_update_delete(self) -> None:
        assert Note.objects.count() == 0
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/")
        # The demultiplexer joined its group.
        Group("inbound").send({"type": "inbound.message", "text": json.dumps({"test": "yes"})})
        assert client.receive() == {"test": "yes"}

        client.send_and_consume(
            "websocket.receive",
            path="/",
            text={
                "stream": "notes",
                "payload": {"action": "create", "data": {"owner": "alice", "text": "one"}},
            },
        )
        # The demultiplexer routed the payload to the binding's channel: consume it.
        client.consume("binding.notes")
        note = Note.objects.get()
        assert (note.owner, note.text) == (self.alice, "one")
        assert client.receive() == {
            "stream": "notes",
            "payload": {"action": "created", "pk": note.pk},
        }

        for payload in (
            {"action": "update", "pk": note.pk, "data": {"text": "two"}},
            {"action": "delete", "pk": note.pk},
        ):
            client.send_and_consume(
                "websocket.receive", text={"stream": "notes", "payload": payload}
            )
            client.consume("binding.notes")
        assert client.receive()["payload"] == {"action": "updated", "pk": note.pk}
        assert client.receive()["payload"] == {"action": "deleted", "pk": note.pk}
        assert not Note.objects.exists()

    def test_the_projects_own_routing_binds_too(self) -> None:
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/multiplex/")
        client.send_and_consume(
            "websocket.receive",
            text={"stream": "notes", "payload": {"action": "oops"}},
        )
        client.consume("binding.notes")
        assert client.receive() == {
            "stream": "notes",
            "payload": {"action": "error", "error": "unknown action 'oops'"},
        }

"""Websocket multiplexing with inbound data binding, as Channels 1.x did it.

One websocket carries several *streams*: each frame is
``{"stream": NAME, "payload": {...}}``. :class:`Demultiplexer` forwards each
payload to the worker channel ``binding.NAME``; :class:`NoteBinding`, the
worker of ``binding.notes``, applies the payload's action (``create``,
``update``, ``delete``) to :class:`~chat.models.Note` and answers on the
stream. Everyone connected is also in the ``inbound`` group, whose
``inbound.message`` events are passed to the client as they are.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import SyncConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from chat.models import Note

INBOUND_GROUP = "inbound"
BINDING_PREFIX = "binding."


class Demultiplexer(AsyncJsonWebsocketConsumer):
    """Routes each stream's payloads to its binding worker and the replies back."""

    async def connect(self) -> None:
        await self.accept()
        await self.channel_layer.group_add(INBOUND_GROUP, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(INBOUND_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("stream"), str):
            await self.send_json({"error": "frames are {'stream': ..., 'payload': ...}"})
            return
        await self.channel_layer.send(
            BINDING_PREFIX + content["stream"],
            {
                "type": "binding.inbound",
                "stream": content["stream"],
                "payload": content.get("payload", {}),
                "reply_channel": self.channel_name,
            },
        )

    async def binding_reply(self, event: dict[str, Any]) -> None:
        await self.send_json({"stream": event["stream"], "payload": event["payload"]})

    async def inbound_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


class NoteBinding(SyncConsumer):
    """Inbound binding of :class:`Note`: create, update and delete from a stream's payload."""

    def binding_inbound(self, message: dict[str, Any]) -> None:
        payload = message["payload"]
        action = payload.get("action")
        data = payload.get("data", {})
        if action == "create":
            owner = get_user_model().objects.get(username=data["owner"])
            note = Note.objects.create(owner=owner, text=data["text"])
            reply = {"action": "created", "pk": note.pk}
        elif action == "update":
            Note.objects.filter(pk=payload["pk"]).update(text=data["text"])
            reply = {"action": "updated", "pk": payload["pk"]}
        elif action == "delete":
            Note.objects.filter(pk=payload["pk"]).delete()
            reply = {"action": "deleted", "pk": payload["pk"]}
        else:
            reply = {"action": "error", "error": f"unknown action {action!r}"}
        async_to_sync(self.channel_layer.send)(
            message["reply_channel"],
            {"type": "binding.reply", "stream": message["stream"], "payload": reply},
        )

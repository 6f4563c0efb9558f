"""Channels consumers of the example project.

Each consumer exercises a different part of Channels that chanreplay has to
record faithfully; the docstrings say which. Every reply is deterministic (no
timestamps, no random identifiers) so recordings can be compared byte for byte.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import SyncConsumer
from channels.db import database_sync_to_async
from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import (
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
    WebsocketConsumer,
)
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from chat.models import Note
from chat.signals import NOTES_GROUP

UNAUTHENTICATED_CLOSE_CODE = 4401
ECHO_CLOSE_CODE = 4000
ECHO_GROUP = "echo"
ECHO_SUBPROTOCOL = "echo.v1"
FAREWELL_GROUP = "farewell"
FAREWELL_DELAY = 0.5


def _username(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """Return the user's name, or ``"anonymous"`` for a missing or anonymous user."""
    if user is None or not user.is_authenticated:
        return "anonymous"
    return str(user.get_username())


class ChatConsumer(AsyncWebsocketConsumer):
    """Group chat room: group_add/group_send/group_discard fan-out over the layer.

    Also receives ``chat.announcement`` events that come from outside any
    connection (the ``/announce/`` view and the ``broadcast`` management command).
    """

    room: str
    group_name: str

    async def connect(self) -> None:
        self.room = self.scope["url_route"]["kwargs"]["room"]
        self.group_name = f"chat_{self.room}"
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            return
        payload = json.loads(text_data)
        await self.channel_layer.group_send(
            self.group_name,
            {
                "type": "chat.message",
                "message": str(payload["message"]),
                "user": _username(self.scope.get("user")),
                "room": self.room,
            },
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send(
            text_data=json.dumps(
                {
                    "type": "message",
                    "message": event["message"],
                    "user": event["user"],
                    "room": event["room"],
                }
            )
        )

    async def chat_announcement(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "announcement", "text": event["text"]}))


class FarewellConsumer(AsyncWebsocketConsumer):
    """A disconnect handler that takes a while before it leaves its group.

    The pause stands in for real cleanup work (saving state, calling another
    service). A server stopped right after the client closed must still let
    the handler finish and record its farewell and its ``group_discard``.
    """

    async def connect(self) -> None:
        await self.channel_layer.group_add(FAREWELL_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await asyncio.sleep(FAREWELL_DELAY)
        await self.channel_layer.group_send(FAREWELL_GROUP, {"type": "farewell", "code": code})
        await self.channel_layer.group_discard(FAREWELL_GROUP, self.channel_name)

    async def farewell(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps({"type": "farewell", "code": event["code"]}))


class NotesConsumer(AsyncJsonWebsocketConsumer):
    """Authenticated JSON API with database access from an async consumer.

    Demonstrates session authentication via ``AuthMiddlewareStack``, a custom
    close code for anonymous users, ``database_sync_to_async`` and messages
    produced by a ``post_save`` signal handler (``notes.created``).
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # A close before accept becomes an HTTP 403 handshake rejection and
            # the close code is lost, so accept first to deliver 4401.
            await self.accept()
            await self.close(code=UNAUTHENTICATED_CLOSE_CODE)
            return
        await self.accept()
        await self.channel_layer.group_add(NOTES_GROUP, self.channel_name)
        await self.send_json(
            {"type": "hello", "user": _username(user), "count": await self.count_notes()}
        )

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(NOTES_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        if action == "add":
            note = await self.add_note(str(content.get("text", "")))
            await self.send_json({"type": "added", "id": note.pk, "text": note.text})
        elif action == "list":
            await self.send_json({"type": "notes", "notes": await self.list_notes()})
        else:
            await self.send_json({"type": "error", "error": "unknown action"})

    async def notes_created(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "created",
                "id": event["id"],
                "text": event["text"],
                "owner": event["owner"],
            }
        )

    @database_sync_to_async
    def count_notes(self) -> int:
        return Note.objects.filter(owner=self.scope["user"]).count()

    @database_sync_to_async
    def add_note(self, text: str) -> Note:
        return Note.objects.create(owner=self.scope["user"], text=text)

    @database_sync_to_async
    def list_notes(self) -> list[dict[str, Any]]:
        notes = Note.objects.filter(owner=self.scope["user"]).order_by("id")
        return [{"id": note.pk, "text": note.text} for note in notes]


class EchoConsumer(WebsocketConsumer):
    """Synchronous consumer: echo, a server-initiated close and a sync group_add.

    Sending ``close`` makes the server close the socket with code 4000. Events of
    type ``echo.broadcast`` sent to the ``echo`` group are forwarded verbatim. A
    client offering the ``echo.v1`` subprotocol gets it.
    """

    def connect(self) -> None:
        async_to_sync(self.channel_layer.group_add)(ECHO_GROUP, self.channel_name)
        offered = self.scope.get("subprotocols") or []
        self.accept(subprotocol=ECHO_SUBPROTOCOL if ECHO_SUBPROTOCOL in offered else None)

    def disconnect(self, code: int) -> None:
        async_to_sync(self.channel_layer.group_discard)(ECHO_GROUP, self.channel_name)

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            return
        if text_data == "close":
            self.close(code=ECHO_CLOSE_CODE)
            return
        self.send(text_data=f"echo: {text_data}")

    def echo_broadcast(self, event: dict[str, Any]) -> None:
        self.send(text_data=event["text"])


class BinaryConsumer(AsyncWebsocketConsumer):
    """Binary frames: replies to bytes with the bytes reversed, to text with ``binary only``."""

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            await self.send(bytes_data=bytes_data[::-1])
        else:
            await self.send(text_data="binary only")


class StatsConsumer(AsyncHttpConsumer):
    """Plain HTTP served by a Channels consumer instead of a Django view."""

    async def handle(self, body: bytes) -> None:
        payload = {"notes": await self.count_notes(), "path": self.scope["path"]}
        await self.send_response(
            200,
            json.dumps(payload).encode(),
            headers=[(b"Content-Type", b"application/json")],
        )

    @database_sync_to_async
    def count_notes(self) -> int:
        return Note.objects.count()


class NotesWorker(SyncConsumer):
    """A background worker on the ``notes-worker`` channel (``ChannelNameRouter``).

    ``notes.count`` messages name an owner and a ``reply_channel``; the worker
    answers there with how many notes the owner has.
    """

    def notes_count(self, message: dict[str, Any]) -> None:
        count = Note.objects.filter(owner__username=message["owner"]).count()
        async_to_sync(self.channel_layer.send)(
            message["reply_channel"],
            {"type": "notes.counted", "owner": message["owner"], "count": count},
        )

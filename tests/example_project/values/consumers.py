"""Channels consumers of the ``values`` app: the consumers the Channels 1.x testing
examples run, written for Channels 4.

In Channels 1.x a consumer was a function (or a class) run once per message
and routed by channel name. On Channels 4 every consumer is a class that
dispatches each message on its ``"type"`` (``"square"`` runs ``square``):
workers (``SyncConsumer``) are routed by channel name with
``ChannelNameRouter``, websocket consumers by path.
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import SyncConsumer
from channels.generic.websocket import JsonWebsocketConsumer, WebsocketConsumer

RESULT_CHANNEL = "result"
ROOMS_RECEIVE_CHANNEL = "rooms_receive"


class SquareConsumer(SyncConsumer):  # type: ignore[misc]  # channels is untyped
    """A worker: squares the ``value`` of each ``square`` message, sends it to ``result``."""

    def square(self, message: dict[str, Any]) -> None:
        value = message["value"]
        async_to_sync(self.channel_layer.send)(RESULT_CHANNEL, {"value": value * value})


class SquareReplyConsumer(SyncConsumer):  # type: ignore[misc]
    """A worker: squares the ``value`` of each ``square`` message, replies on its
    ``reply_channel``."""

    def square(self, message: dict[str, Any]) -> None:
        value = message["value"]
        async_to_sync(self.channel_layer.send)(message["reply_channel"], {"value": value * value})


class InternalConsumer(SyncConsumer):  # type: ignore[misc]
    """A worker: answers each ``my.task`` message on its ``reply_channel``."""

    def my_task(self, message: dict[str, Any]) -> None:
        async_to_sync(self.channel_layer.send)(message["reply_channel"], {"all is": "done"})


class RoomConsumer(JsonWebsocketConsumer):  # type: ignore[misc]
    """Watches the rooms: answers each frame with the session's ``rooms`` and passes the
    frame's ``message`` on to the ``rooms_receive`` channel, with the user's id.

    Every connection is in the ``rooms_watchers`` group, whose ``rooms.message``
    events are sent to the client as their ``text``. The user and the session
    come from ``AuthMiddlewareStack`` (Channels 1.x's ``http_user = True``).
    """

    groups = ["rooms_watchers"]

    def receive_json(self, content: Any, **kwargs: Any) -> None:
        self.send_json({"rooms": self.scope["session"].get("rooms", [])})
        async_to_sync(self.channel_layer.send)(
            ROOMS_RECEIVE_CHANNEL,
            {"user": self.scope["user"].id, "message": content["message"]},
        )

    def rooms_message(self, event: dict[str, Any]) -> None:
        self.send(text_data=event["text"])


class OrderedConsumer(WebsocketConsumer):  # type: ignore[misc]
    """Echoes each frame as ``{"order": ..., "text": ...}``: the ``"order"`` the client
    numbered the message with (Channels 1.x's ``enforce_ordering`` read it), or None."""

    def websocket_receive(self, message: dict[str, Any]) -> None:
        self.send(
            text_data=json.dumps({"order": message.get("order"), "text": message.get("text")})
        )


class MyConsumer(JsonWebsocketConsumer):  # type: ignore[misc]
    """Greets each connection with ``{"key": "value"}``."""

    def connect(self) -> None:
        self.accept()
        self.send_json({"key": "value"})

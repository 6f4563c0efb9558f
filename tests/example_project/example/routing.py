"""WebSocket URL routes of the example project."""

from __future__ import annotations

from django.urls import URLPattern, path

from chat.consumers import (
    BinaryConsumer,
    ChatConsumer,
    EchoConsumer,
    FarewellConsumer,
    NotesConsumer,
)
from chat.multiplex import Demultiplexer
from values.consumers import RoomConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/chat/<str:room>/", ChatConsumer.as_asgi()),
    path("ws/notes/", NotesConsumer.as_asgi()),
    path("ws/echo/", EchoConsumer.as_asgi()),
    path("ws/binary/", BinaryConsumer.as_asgi()),
    path("ws/farewell/", FarewellConsumer.as_asgi()),
    path("ws/multiplex/", Demultiplexer.as_asgi()),
    path("rooms/", RoomConsumer.as_asgi()),
]

"""``manage.py broadcast ROOM TEXT``: announce to a chat room from outside the server."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Send a ``chat.announcement`` event to the ``chat_ROOM`` group.

    Only reaches a running server through a shared layer (``redis``/``pubsub``);
    the in-memory layer lives inside a single process.
    """

    help = "Send a chat.announcement to every socket in a chat room."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("room")
        parser.add_argument("text")

    def handle(self, *args: Any, **options: Any) -> None:
        channel_layer = get_channel_layer()
        if channel_layer is None:
            raise CommandError("No channel layer is configured.")
        room: str = options["room"]
        text: str = options["text"]
        async_to_sync(channel_layer.group_send)(
            f"chat_{room}", {"type": "chat.announcement", "text": text}
        )
        self.stdout.write(f"Announced to chat_{room}: {text}")

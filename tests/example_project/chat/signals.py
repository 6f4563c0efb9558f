"""Signal receivers of the ``chat`` app."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from chat.models import Note

NOTES_GROUP = "notes"


def broadcast_new_note(sender: type[Note], instance: Note, created: bool, **kwargs: Any) -> None:
    """Tell the ``notes`` group about a newly created note.

    Demonstrates a channel-layer message that originates from ordinary
    synchronous Django code (an ORM save) rather than from a consumer.
    """
    if not created or kwargs.get("raw", False):
        return
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return
    async_to_sync(channel_layer.group_send)(
        NOTES_GROUP,
        {
            "type": "notes.created",
            "id": instance.pk,
            "text": instance.text,
            "owner": instance.owner.get_username(),
        },
    )

import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Note
from .serializers import NoteSerializer


@receiver(post_save, sender=Note)
def broadcast_note(sender, instance, created, **kwargs):
    channel_layer = get_channel_layer()
    async_to_sync(channel_layer.group_send)(
        "notes",
        {
            "type": "note.event",
            "event": "note.created" if created else "note.updated",
            "note": NoteSerializer(instance).data,
            "at": int(time.time() * 1000),
        },
    )

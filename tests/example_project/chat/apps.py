"""App configuration for ``chat``."""

from __future__ import annotations

from django.apps import AppConfig


class ChatConfig(AppConfig):
    """Connects the ``post_save`` receiver that broadcasts new notes."""

    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from chat.models import Note
        from chat.signals import broadcast_new_note

        post_save.connect(broadcast_new_note, sender=Note, dispatch_uid="chat.broadcast_new_note")

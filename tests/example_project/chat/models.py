"""Database models of the ``chat`` app."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Note(models.Model):
    """A short text owned by a user; created over HTTP or over the notes WebSocket."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    text = models.CharField(max_length=200)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text

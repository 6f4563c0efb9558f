"""Database models of the ``values`` app."""

from __future__ import annotations

from django.db import models


class IntegerValue(models.Model):
    """A named integer: the model of the Channels 1.x data binding examples."""

    name = models.CharField(max_length=100, unique=True)
    value = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"

from django.db import models


class Room(models.Model):
    """A chat room people can join; its name is what clients send."""

    name = models.CharField(max_length=50, unique=True)

    def __str__(self):
        return self.name

    @property
    def group_name(self):
        """The channel layer group of the room's members."""
        return f"room-{self.name}"

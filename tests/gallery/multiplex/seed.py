"""Rows the recorded session assumes: alice and bob, and the four rooms."""

from django.contrib.auth.models import User

from chat.models import Room

PASSWORD = "multiplex-pass-1"


def seed() -> None:
    User.objects.create_user("alice", password=PASSWORD)
    User.objects.create_user("bob", password=PASSWORD)
    for name in ("lobby", "games", "music", "news"):
        Room.objects.create(name=name)

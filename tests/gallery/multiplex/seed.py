"""Rows the recorded session assumes: alice and bob (each with a password of their own),
and the four rooms."""

from django.contrib.auth.models import User

from chat.models import Room

PASSWORDS = {"alice": "multiplex-pass-1", "bob": "bobs-own-secret-9"}


def seed() -> None:
    for name, password in PASSWORDS.items():
        User.objects.create_user(name, password=password)
    for name in ("lobby", "games", "music", "news"):
        Room.objects.create(name=name)

"""Rows the recorded session assumes: the users alice and bob, no notes yet."""

PASSWORD = "notes-pass-2024"


def seed() -> None:
    from django.contrib.auth.models import User

    User.objects.create_user("alice", password=PASSWORD)
    User.objects.create_user("bob", password=PASSWORD)

"""Rows the recorded session assumes: alice and bob (their API tokens are made during it)."""

from django.contrib.auth.models import User

PASSWORD = "notes-pass-7302"


def seed() -> None:
    for name in ("alice", "bob"):
        User.objects.create_user(name, password=PASSWORD)

"""Rows the recorded session assumes: four users sharing one password."""

from django.contrib.auth.models import User

PASSWORD = "correct-horse-42"


def seed() -> None:
    for name in ("alice", "bob", "carol", "dave"):
        User.objects.create_user(name, password=PASSWORD)

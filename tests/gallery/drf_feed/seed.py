"""Rows the recorded session assumes: alice (newbie signs up during the session)."""

from django.contrib.auth.models import User

PASSWORD = "feed-pass-4821"


def seed() -> None:
    User.objects.create_user("alice", password=PASSWORD)

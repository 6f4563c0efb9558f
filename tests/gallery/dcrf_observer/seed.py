"""Rows the recorded session assumes: alice and bob, and one task each."""

from django.contrib.auth.models import User
from tasks.models import Task

PASSWORD = "tasks-pass-4821"


def seed() -> None:
    alice = User.objects.create_user("alice", password=PASSWORD)
    bob = User.objects.create_user("bob", password=PASSWORD)
    Task.objects.create(title="Buy milk", owner=alice)
    Task.objects.create(title="Fix the bike", owner=bob)

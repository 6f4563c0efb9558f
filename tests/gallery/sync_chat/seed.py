"""Rows the recorded session assumes: alice and bob, the lobby and its one old message."""

from django.contrib.auth.models import User

from chat.models import Message, Room

PASSWORD = "wonderland-7"


def seed() -> None:
    alice = User.objects.create_user("alice", password=PASSWORD)
    User.objects.create_user("bob", password=PASSWORD)
    lobby = Room.objects.create(name="lobby")
    Message.objects.create(room=lobby, author=alice, content="welcome")

from django.contrib.auth.models import User

from chanreplay.testing import ReplayTestCase
from chat.models import Message, Room


class ChatTests(ReplayTestCase):
    @classmethod
    def setUpTestData(cls):
        alice = User.objects.create_user("alice", password="wonderland-7")
        User.objects.create_user("bob", password="wonderland-7")
        lobby = Room.objects.create(name="lobby")
        Message.objects.create(room=lobby, author=alice, content="welcome")

    def test_chat(self):
        self.replay("sync_chat", secrets={"password": "wonderland-7"})

    async def test_chat_async(self):
        await self.areplay("sync_chat", secrets={"password": "wonderland-7"})


def test_chat(replay, django_user_model):
    alice = django_user_model.objects.create_user("alice", password="wonderland-7")
    django_user_model.objects.create_user("bob", password="wonderland-7")
    lobby = Room.objects.create(name="lobby")
    Message.objects.create(room=lobby, author=alice, content="welcome")
    replay("sync_chat", secrets={"password": "wonderland-7"})

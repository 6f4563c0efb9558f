from django.contrib.auth.models import User

from chanreplay.testing import ReplayTestCase
from chat.models import Room

SECRETS = {"password": {"alice": "multiplex-pass-1", "bob": "bobs-own-secret-9"}}


class MultiplexTests(ReplayTestCase):
    @classmethod
    def setUpTestData(cls):
        User.objects.create_user("alice", password="multiplex-pass-1")
        User.objects.create_user("bob", password="bobs-own-secret-9")
        for name in ("lobby", "games", "music", "news"):
            Room.objects.create(name=name)

    def test_multiplex_session(self):
        self.replay("multiplex", secrets=SECRETS)


def test_multiplex_session(replay, django_user_model):
    django_user_model.objects.create_user("alice", password="multiplex-pass-1")
    django_user_model.objects.create_user("bob", password="bobs-own-secret-9")
    for name in ("lobby", "games", "music", "news"):
        Room.objects.create(name=name)
    replay("multiplex", secrets=SECRETS)

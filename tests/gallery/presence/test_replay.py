from django.contrib.auth.models import User

from chanreplay.testing import ReplayTestCase


class PresenceTests(ReplayTestCase):
    @classmethod
    def setUpTestData(cls):
        User.objects.create_user("alice", password="correct-horse-42")
        User.objects.create_user("bob", password="correct-horse-42")
        User.objects.create_user("carol", password="correct-horse-42")
        User.objects.create_user("dave", password="correct-horse-42")

    def test_presence_session(self):
        self.replay("presence", secrets={"password": "correct-horse-42"})


def test_presence_session(replay, django_user_model):
    django_user_model.objects.create_user("alice", password="correct-horse-42")
    django_user_model.objects.create_user("bob", password="correct-horse-42")
    django_user_model.objects.create_user("carol", password="correct-horse-42")
    django_user_model.objects.create_user("dave", password="correct-horse-42")
    replay("presence", secrets={"password": "correct-horse-42"})

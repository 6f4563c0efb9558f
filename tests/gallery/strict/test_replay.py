from django.contrib.auth.models import User

from chanreplay.testing import ReplayTestCase


class NotesTests(ReplayTestCase):
    @classmethod
    def setUpTestData(cls):
        User.objects.create_user("alice", password="notes-pass-2024")
        User.objects.create_user("bob", password="notes-pass-2024")

    def test_notes_session(self):
        self.replay("strict", secrets={"password": "notes-pass-2024"})


def test_notes_session(replay, django_user_model):
    django_user_model.objects.create_user("alice", password="notes-pass-2024")
    django_user_model.objects.create_user("bob", password="notes-pass-2024")
    replay("strict", secrets={"password": "notes-pass-2024"})

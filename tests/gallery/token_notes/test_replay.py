from django.contrib.auth.models import User

from chanreplay.testing import ReplayTestCase

PASSWORD = "notes-pass-7302"


class TokenNotesTests(ReplayTestCase):
    @classmethod
    def setUpTestData(cls):
        User.objects.create_user("alice", password=PASSWORD)
        User.objects.create_user("bob", password=PASSWORD)

    def test_token_notes_session(self):
        self.replay("token_notes", secrets={"password": PASSWORD})


def test_token_notes_session(replay, django_user_model):
    django_user_model.objects.create_user("alice", password=PASSWORD)
    django_user_model.objects.create_user("bob", password=PASSWORD)
    replay("token_notes", secrets={"password": PASSWORD})

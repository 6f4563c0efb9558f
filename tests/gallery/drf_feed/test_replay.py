from django.contrib.auth.models import User

from chanreplay.testing import ReplayTestCase


class FeedTests(ReplayTestCase):
    @classmethod
    def setUpTestData(cls):
        User.objects.create_user("alice", password="feed-pass-4821")

    def test_feed_session(self):
        self.replay("drf_feed", secrets={"password": "feed-pass-4821"})


def test_feed_session(replay, django_user_model):
    django_user_model.objects.create_user("alice", password="feed-pass-4821")
    replay("drf_feed", secrets={"password": "feed-pass-4821"})

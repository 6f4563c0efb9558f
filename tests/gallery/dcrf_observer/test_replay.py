from django.contrib.auth.models import User
from tasks.models import Task

from chanreplay.testing import ReplayTestCase


class TaskObserverTests(ReplayTestCase):
    @classmethod
    def setUpTestData(cls):
        alice = User.objects.create_user("alice", password="tasks-pass-4821")
        bob = User.objects.create_user("bob", password="tasks-pass-4821")
        Task.objects.create(title="Buy milk", owner=alice)
        Task.objects.create(title="Fix the bike", owner=bob)

    def test_task_observer_session(self):
        self.replay("dcrf_observer", secrets={"password": "tasks-pass-4821"})


def test_task_observer_session(replay, django_user_model):
    alice = django_user_model.objects.create_user("alice", password="tasks-pass-4821")
    bob = django_user_model.objects.create_user("bob", password="tasks-pass-4821")
    Task.objects.create(title="Buy milk", owner=alice)
    Task.objects.create(title="Fix the bike", owner=bob)
    replay("dcrf_observer", secrets={"password": "tasks-pass-4821"})

from django.contrib.auth.models import Group, User

from chanreplay.testing import ReplayTestCase


class RidesTests(ReplayTestCase):
    @classmethod
    def setUpTestData(cls):
        driver = User.objects.create_user("driver", password="rides-pass-6137")
        driver.groups.add(Group.objects.create(name="driver"))

    def test_rides_session(self):
        self.replay("jwt_rides", secrets={"password": "rides-pass-6137"})


def test_rides_session(replay, django_user_model):
    driver = django_user_model.objects.create_user("driver", password="rides-pass-6137")
    driver.groups.add(Group.objects.create(name="driver"))
    replay("jwt_rides", secrets={"password": "rides-pass-6137"})

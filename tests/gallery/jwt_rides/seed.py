"""Rows the recorded session assumes: the driver, in the driver group (the rider signs up)."""

from django.contrib.auth.models import Group, User

PASSWORD = "rides-pass-6137"


def seed() -> None:
    driver = User.objects.create_user("driver", password=PASSWORD)
    driver.groups.add(Group.objects.create(name="driver"))

"""Rows the recorded session assumes: carol, with her password."""

from values import PASSWORD


def seed() -> None:
    from django.contrib.auth.models import User

    User.objects.create_user("carol", password=PASSWORD)

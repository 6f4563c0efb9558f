"""App configuration for ``values``."""

from __future__ import annotations

from django.apps import AppConfig


class ValuesConfig(AppConfig):
    """Connects the outbound binding of :class:`~values.models.IntegerValue`."""

    name = "values"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from values.binding import send_intval_update
        from values.models import IntegerValue

        post_save.connect(
            send_intval_update, sender=IntegerValue, dispatch_uid="values.send_intval_update"
        )

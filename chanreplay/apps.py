"""Django app config: turns recording on when the environment asks for it."""

from __future__ import annotations

from django.apps import AppConfig


class ChanreplayConfig(AppConfig):
    """Lists ``chanreplay`` in ``INSTALLED_APPS`` (before ``daphne``).

    Listing the app gives ``runserver`` its ``--record`` option and, when
    ``CHANREPLAY_RECORD`` is set, wraps every channel layer alias at start-up.
    """

    name = "chanreplay"
    verbose_name = "chanreplay"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from chanreplay.recorder.activation import activate_from_environment

        activate_from_environment()

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
        import sys

        from chanreplay import checks  # importing it registers the system checks
        from chanreplay.recorder.activation import activate_from_environment

        activate_from_environment()
        # argparse will only say "unrecognized arguments: --record"; say why first.
        hint = checks.wrong_runserver_hint()
        if hint is not None:
            print(hint, file=sys.stderr)

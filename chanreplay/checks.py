"""Django system checks: what would make recording silently not happen.

They run with ``manage.py check`` and when ``runserver`` starts (Django runs
the checks there, whichever app's ``runserver`` it is), so a project set up
in a way that records nothing says so before a session is lost:

* ``chanreplay.W001``: ``runserver`` is another app's (``daphne`` or
  ``django.contrib.staticfiles`` listed before ``chanreplay`` in
  ``INSTALLED_APPS``): ``runserver --record`` is an unknown option there.
* ``chanreplay.W002``: ``CHANREPLAY_RECORD`` is set, and the ``runserver``
  about to start is not chanreplay's: nothing records (unless the ASGI
  application is wrapped in ``RecordingMiddleware`` by hand).
* ``chanreplay.W003``: ``CHANREPLAY_RECORD`` is set with ``DEBUG = False``
  and nothing forces recording: it will be refused.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning

from chanreplay.recorder.activation import ENV_RECORD, ENV_SUPERVISED, forced

__all__ = ["recording_checks", "runserver_owner", "wrong_runserver_hint"]


def runserver_owner() -> str:
    """The app whose ``runserver`` command ``manage.py runserver`` runs (``django.core``
    when no app gives one)."""
    from django.core.management import get_commands

    return get_commands().get("runserver", "django.core")


def _order_hint(owner: str) -> str:
    return (
        f"list 'chanreplay' before '{owner}' in INSTALLED_APPS: the first app that "
        "gives a runserver command wins"
    )


@register(Tags.compatibility)
def recording_checks(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The checks listed in the module docstring."""
    found: list[CheckMessage] = []
    owner = runserver_owner()
    if owner != "chanreplay":
        found.append(
            CheckWarning(
                f"runserver is {owner}'s, not chanreplay's: runserver --record is an "
                "unknown option",
                hint=_order_hint(owner),
                id="chanreplay.W001",
            )
        )
        if os.environ.get(ENV_RECORD) and _starting_runserver():
            found.append(
                CheckWarning(
                    f"CHANREPLAY_RECORD is set, but this runserver is {owner}'s: nothing "
                    "records unless ASGI_APPLICATION is wrapped in RecordingMiddleware",
                    hint=_order_hint(owner),
                    id="chanreplay.W002",
                )
            )
    recording = os.environ.get(ENV_RECORD) and not os.environ.get(ENV_SUPERVISED)
    if recording and not settings.DEBUG and not forced():
        found.append(
            CheckWarning(
                "CHANREPLAY_RECORD is set with DEBUG = False: recording will be refused "
                "(a recording holds every message of every user)",
                hint="record on a development server (DEBUG = True), or set "
                "CHANREPLAY_FORCE=1 if you mean it",
                id="chanreplay.W003",
            )
        )
    return found


def _starting_runserver() -> bool:
    return len(sys.argv) > 1 and sys.argv[1] == "runserver"


def wrong_runserver_hint() -> str | None:
    """What to tell someone who runs ``runserver --record`` when runserver is not
    chanreplay's (argparse then only says "unrecognized arguments"), else None."""
    arguments = sys.argv[1:]
    if not arguments or arguments[0] != "runserver":
        return None
    if not any(a == "--record" or a.startswith("--record") for a in arguments[1:]):
        return None
    owner = runserver_owner()
    if owner == "chanreplay":
        return None
    return f"chanreplay: runserver here is {owner}'s, which has no --record: {_order_hint(owner)}"

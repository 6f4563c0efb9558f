"""The Django project a command runs in, found as ``manage.py`` finds it: its settings' secrets.

``chanreplay lint`` looks for those secrets in cassettes; ``chanreplay proxy``
knows them before the first event, as ``runserver --record`` does. Django
is imported only here, and only when a project is found.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["project_secrets"]


def project_secrets() -> tuple[list[str], list[str], str | None]:
    """The secrets in the Django project's settings and its ``CHANREPLAY['LINT_ALLOW']``,
    found as ``manage.py`` finds them; and, when they could not be read, why (lint says
    so: its check of them did not run).

    ``DJANGO_SETTINGS_MODULE`` names the settings, else the ``manage.py`` in the
    current directory does; the current directory goes on the import path, as
    ``manage.py``'s own does (an installed ``chanreplay`` command lacks it).
    """
    import os
    import re

    module = os.environ.get("DJANGO_SETTINGS_MODULE")
    manage = Path("manage.py")
    if not module and manage.is_file():
        named = re.search(
            r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""",
            manage.read_text(encoding="utf-8", errors="replace"),
        )
        if named:
            module = named.group(1)
            os.environ["DJANGO_SETTINGS_MODULE"] = module
    if not module:
        return [], [], None  # no Django project here: nothing to look up
    if str(Path.cwd()) not in sys.path and "" not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        from django.conf import settings

        from chanreplay.settings_secrets import setting_secrets

        allowed = getattr(settings, "CHANREPLAY", {}).get("LINT_ALLOW", ())
        return setting_secrets(settings), [str(entry) for entry in allowed], None
    except Exception as error:
        why = (
            f"the settings {module!r} did not import ({type(error).__name__}: {error}), so "
            "their secrets (SECRET_KEY, passwords) are not known here; fix: run chanreplay from "
            "the project's directory, or set DJANGO_SETTINGS_MODULE and PYTHONPATH as "
            "manage.py does"
        )
        return [], [], why

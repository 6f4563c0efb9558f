"""The secrets a Django project's settings hold: values no cassette may contain.

``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``, and every setting, or key of a
setting that is a dictionary or list (``DATABASES``' ``PASSWORD``,
``SIMPLE_JWT``'s ``SIGNING_KEY``), whose name is a secret's by the words
redaction uses (:func:`~chanreplay.cassette.redaction.is_secret_name`):
``EMAIL_HOST_PASSWORD``, ``AWS_SECRET_ACCESS_KEY``, ``STRIPE_API_KEY``.
Django hides a wider set in its error pages (any name holding ``AUTH`` or
``KEY``), which would take ``AUTH_USER_MODEL``'s ``auth.User`` for a secret;
these are the values a session could leak. Strings shorter than
:data:`~chanreplay.cassette.redaction.MIN_FIELD_SCRUB_LENGTH` are left out:
they are words, not secrets to search text for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chanreplay.cassette.redaction import MIN_FIELD_SCRUB_LENGTH, is_secret_name

__all__ = ["setting_secrets"]

_ALWAYS = ("SECRET_KEY", "SECRET_KEY_FALLBACKS")
_DEPTH = 4
"""How deep a setting's dictionaries and lists are searched."""


def setting_secrets(settings: Any) -> list[str]:
    """The secret values in ``settings`` (Django's ``django.conf.settings``), sorted."""
    found: set[str] = set()
    for name in dir(settings):
        if not name.isupper():
            continue
        try:
            value = getattr(settings, name)
        except Exception:  # a lazy setting that fails to load holds nothing to protect
            continue
        if name in _ALWAYS or is_secret_name(name):
            found.update(_strings(value, _DEPTH))
        else:
            found.update(_under_secret_keys(value, _DEPTH))
    return sorted(value for value in found if len(value) >= MIN_FIELD_SCRUB_LENGTH)


def _strings(value: Any, depth: int) -> Iterator[str]:
    """Every string in ``value`` (a string, or dictionaries and lists of them)."""
    if isinstance(value, str):
        yield value
    elif depth > 0 and isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth - 1)
    elif depth > 0 and isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, depth - 1)


def _under_secret_keys(value: Any, depth: int) -> Iterator[str]:
    """The strings held under secret-named keys anywhere in ``value``."""
    if depth <= 0:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and is_secret_name(key):
                yield from _strings(item, depth - 1)
            else:
                yield from _under_secret_keys(item, depth - 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _under_secret_keys(item, depth - 1)

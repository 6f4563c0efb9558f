"""Who a connection's user is, resolved from its session cookie at recording time.

The cassette keeps the username (so replay can log the same user in) and
never the session cookie itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

__all__ = ["identify_user"]


def _session_key(scope: Mapping[str, Any]) -> str | None:
    for name, value in scope.get("headers", ()):
        if bytes(name).lower() == b"cookie":
            cookies: SimpleCookie = SimpleCookie()
            try:
                cookies.load(bytes(value).decode("latin-1"))
            except CookieError:
                return None
            morsel = cookies.get(settings.SESSION_COOKIE_NAME)
            return morsel.value if morsel is not None else None
    return None


def _username(session_key: str) -> str | None:
    from django.contrib.auth import SESSION_KEY, get_user_model

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    user_id = store.get(SESSION_KEY)
    if user_id is None:
        return None
    model = get_user_model()
    user = model._default_manager.filter(pk=model._meta.pk.to_python(user_id)).first()
    return user.get_username() if user is not None else None


async def identify_user(scope: Mapping[str, Any]) -> dict[str, Any] | None:
    """``{"username": ...}`` for a connection with a logged-in session, else None."""
    from django.apps import apps

    if not (
        apps.is_installed("django.contrib.auth") and apps.is_installed("django.contrib.sessions")
    ):
        return None
    key = _session_key(scope)
    if not key:
        return None
    username = await database_sync_to_async(_username)(key)
    return {"username": username} if username is not None else None

"""How ``play`` maps recorded users to clients and fills CSRF tokens, by cookie name."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from yarl import URL

from chanreplay.cassette.model import Connection
from chanreplay.cassette.redaction import REDACTED
from chanreplay.proxy.play import _Session

BASE = "http://127.0.0.1:8000"


def connection(id: str, user: str | None) -> Connection:
    """A recorded HTTP connection, made by ``user`` (None: anonymous)."""
    scope = {"type": "http", "path": "/", "headers": [], "query_string": ""}
    return Connection(
        id=id, type="http", scope=scope, step=1, user={"username": user} if user else None
    )


@pytest.fixture
async def renamed() -> AsyncIterator[_Session]:
    """A play session against a server whose cookies have project-specific names."""
    session = _Session(BASE, {}, session_cookie="shop_session", csrf_cookie="shop_csrf")
    yield session
    await session.close()


async def test_the_client_that_logged_in_becomes_the_users(renamed: _Session) -> None:
    anonymous = renamed.client(connection("c1", None))
    anonymous.cookie_jar.update_cookies({"shop_session": "s", "shop_csrf": "t"}, URL(BASE))
    assert renamed.client(connection("c2", "alice")) is anonymous


async def test_the_default_session_cookie_name_is_djangos() -> None:
    session = _Session(BASE, {})
    try:
        anonymous = session.client(connection("c1", None))
        anonymous.cookie_jar.update_cookies({"shop_session": "s"}, URL(BASE))
        # Not a session cookie under Django's default name: alice is another browser.
        assert session.client(connection("c2", "alice")) is not anonymous
        anonymous.cookie_jar.update_cookies({"sessionid": "s"}, URL(BASE))
        assert session.client(connection("c3", "bob")) is anonymous
    finally:
        await session.close()


async def test_csrf_tokens_come_from_the_named_cookie(renamed: _Session) -> None:
    client = renamed.client(connection("c1", None))
    client.cookie_jar.update_cookies({"shop_csrf": "live-token"}, URL(BASE))
    filled = renamed._filled(client)
    assert filled.form(f"csrfmiddlewaretoken={REDACTED}") == "csrfmiddlewaretoken=live-token"
    assert filled.value("x-csrftoken") == "live-token"

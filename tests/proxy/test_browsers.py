"""Which recorded connections came from one browser: by the cookies they carry."""

from __future__ import annotations

from chanreplay.cassette.model import Connection
from chanreplay.proxy.browsers import browsers


def http(
    id: str,
    step: int,
    *,
    cookie: str | None = None,
    sets: tuple[str, ...] = (),
    user: str | None = None,
) -> Connection:
    """A recorded HTTP exchange that sent ``cookie`` and whose response set ``sets``."""
    headers = [f"cookie: {cookie}"] if cookie is not None else []
    scope = {"type": "http", "path": "/", "headers": headers, "query_string": ""}
    response = {
        "type": "http.response.start",
        "status": 200,
        "headers": [f"set-cookie: {line}; Path=/" for line in sets],
    }
    events = [{"dir": "out", "message": response, "step": step}]
    return Connection(
        id=id,
        type="http",
        scope=scope,
        step=step,
        user={"username": user} if user else None,
        events=events,
    )


def websocket(id: str, step: int, *, cookie: str | None = None) -> Connection:
    """A recorded websocket that sent ``cookie``."""
    headers = [f"cookie: {cookie}"] if cookie is not None else []
    scope = {"type": "websocket", "path": "/ws/", "headers": headers, "query_string": ""}
    return Connection(id=id, type="websocket", scope=scope, step=step)


def test_two_logins_before_any_socket_stay_two_browsers() -> None:
    """alice and bob log in one after the other, then each opens a socket; a third visitor
    never logs in. Nobody's name is recorded (the capture proxy knows none)."""
    session = [
        http("c1", 1, sets=("csrftoken=<token:1>",)),
        http("c2", 2, cookie="csrftoken=<token:1>", sets=("sessionid=<token:2>",)),
        http("c3", 3, sets=("csrftoken=<token:3>",)),
        http("c4", 4, cookie="csrftoken=<token:3>", sets=("sessionid=<token:4>",)),
        websocket("c5", 5, cookie="csrftoken=<token:1>; sessionid=<token:2>"),
        websocket("c6", 6, cookie="csrftoken=<token:3>; sessionid=<token:4>"),
        websocket("c7", 7),
    ]
    assert browsers(session, binds=True) == {
        "c1": 0,
        "c2": 0,
        "c5": 0,
        "c3": 1,
        "c4": 1,
        "c6": 1,
        "c7": 2,
    }


def test_a_logout_and_a_new_login_stay_one_browser() -> None:
    """The session cookie changes (deleted, then a new one): the CSRF cookie carries on."""
    session = [
        http("c1", 1, sets=("csrftoken=<token:1>",)),
        http("c2", 2, cookie="csrftoken=<token:1>", sets=("sessionid=<token:2>",)),
        http("c3", 3, cookie="csrftoken=<token:1>; sessionid=<token:2>", sets=('sessionid=""',)),
        http("c4", 4, cookie="csrftoken=<token:1>", sets=("sessionid=<token:5>",)),
        websocket("c5", 5, cookie="csrftoken=<token:1>; sessionid=<token:5>"),
    ]
    assert set(browsers(session, binds=True).values()) == {0}


def test_a_cookie_a_browser_sends_links_it_to_where_it_was_set_in_any_order() -> None:
    """Numbers follow the order of the first connection of each browser, by step."""
    session = [
        websocket("c9", 9, cookie="sessionid=<token:2>"),
        http("c2", 2, sets=("sessionid=<token:2>",)),
        http("c1", 1),
    ]
    assert browsers(session, binds=True) == {"c1": 0, "c2": 1, "c9": 1}


def test_values_no_binding_names_link_nothing() -> None:
    """Without bindings every cookie is ``<redacted>``: equal text, different browsers."""
    session = [
        websocket("c1", 1, cookie="sessionid=<redacted>"),
        websocket("c2", 2, cookie="sessionid=<redacted>"),
    ]
    assert browsers(session, binds=True) == {"c1": 0, "c2": 1}


def test_without_bindings_the_browser_that_logged_in_is_the_next_users() -> None:
    """A cassette without bindings: recorded users name browsers; the anonymous browser whose
    response set the session cookie becomes the first user to appear after it."""
    session = [
        http("c1", 1),
        http("c2", 2, sets=("sessionid=<redacted>",)),
        http("c3", 3, user="alice"),
        http("c4", 4),
        http("c5", 5, user="bob"),
        http("c6", 6, user="alice"),
    ]
    assert browsers(session, binds=False) == {
        "c1": 0,
        "c2": 0,
        "c3": 0,
        "c6": 0,
        "c4": 1,
        "c5": 2,
    }


def test_without_bindings_the_session_cookie_is_the_projects() -> None:
    """Only the project's session cookie (its SESSION_COOKIE_NAME) tells of a login."""
    session = [http("c1", 1, sets=("shop_session=<redacted>",)), http("c2", 2, user="alice")]
    assert browsers(session, binds=False) == {"c1": 0, "c2": 1}
    assert browsers(session, binds=False, session_cookie="shop_session") == {"c1": 0, "c2": 0}

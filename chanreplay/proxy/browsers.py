"""Which recorded connections came from one browser: who ``chanreplay play`` plays them as.

A browser is known by what it carries: its cookies. In a cassette that binds
the values the server makes (format 3), a session cookie or CSRF cookie is
recorded as its binding both where the server set it (``set-cookie:
sessionid=<token:4>``) and wherever a client sent it back (``cookie:
csrftoken=<token:3>; sessionid=<token:4>``). So the connections of one
browser are linked: a connection that sends a cookie belongs with the
connection whose response set it, and with every other connection that sends
the same one. That follows one person through a login (the anonymous login
page, the form that sets the session cookie, every page and websocket after
it), a logout, a sign-up, and two people logged in one after the other,
whether or not the recording knew their user names (the capture proxy never
does). A connection that sends no cookie and whose cookies nobody sends back
is a browser of its own, with an empty jar, as it was.

A cassette without bindings (format 1 and 2) has every cookie value
``<redacted>``, which links nothing; there, the user the recording knew names
the browser: connections recorded for one user share one, anonymous
connections share one until a response sets the session cookie, and the next
user to appear is the one who logged in there.

Pure: no Django, no Channels, no network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chanreplay.cassette.asgi import decode_headers
from chanreplay.cassette.binding import BOUND
from chanreplay.cassette.model import Connection

__all__ = ["browsers"]


def browsers(
    connections: Sequence[Connection], *, binds: bool, session_cookie: str = "sessionid"
) -> dict[str, int]:
    """Each connection's browser: connection id -> browser number (from 0, in order of use).

    ``binds``: whether the cassette binds the values the server makes.
    ``session_cookie``: the server's session cookie name (for cassettes without bindings).
    """
    ordered = sorted(connections, key=lambda c: c.step)
    links = _by_cookies(ordered) if binds else _by_users(ordered, session_cookie)
    numbers: dict[str, int] = {}
    found: dict[str, int] = {}
    for connection in ordered:
        root = links.find(connection.id)
        if root not in found:
            found[root] = len(found)
        numbers[connection.id] = found[root]
    return numbers


class _Links:
    """Union-find over connection ids."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._parent = {cid: cid for cid in ids}

    def find(self, cid: str) -> str:
        parent = self._parent
        while parent[cid] != cid:
            parent[cid] = parent[parent[cid]]
            cid = parent[cid]
        return cid

    def join(self, first: str, second: str) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self._parent[b] = a


def _by_cookies(ordered: Sequence[Connection]) -> _Links:
    links = _Links(c.id for c in ordered)
    holder: dict[str, str] = {}
    """A bound cookie value -> the first connection that set or sent it."""
    for connection in ordered:
        for value in _sent_cookies(connection):
            if value in holder:
                links.join(holder[value], connection.id)
            else:
                holder[value] = connection.id
        for value in _set_cookies(connection):
            holder.setdefault(value, connection.id)
            links.join(holder[value], connection.id)
    return links


def _by_users(ordered: Sequence[Connection], session_cookie: str) -> _Links:
    links = _Links(c.id for c in ordered)
    users: dict[str, str] = {}
    """A user name -> a connection of their browser."""
    anonymous: str | None = None
    """A connection of the browser anonymous connections share now."""
    logged_in = False
    """Whether that browser got a session cookie (someone logged in there)."""
    for connection in ordered:
        user = connection.username
        if user is None:
            if anonymous is None:
                anonymous = connection.id
            else:
                links.join(anonymous, connection.id)
            if any(name == session_cookie for name in _cookie_names_set(connection)):
                logged_in = True
            continue
        if user not in users:
            if anonymous is not None and logged_in:
                # The browser that logged in is this user's; anonymous ones start afresh.
                users[user] = anonymous
                anonymous, logged_in = None, False
            else:
                users[user] = connection.id
        links.join(users[user], connection.id)
    return links


def _headers(connection: Connection, name: bytes) -> list[str]:
    return [
        value.decode("latin-1")
        for key, value in decode_headers(connection.scope.get("headers", []))
        if key.lower() == name
    ]


def _sent_cookies(connection: Connection) -> list[str]:
    """The bound values of the cookies ``connection``'s client sent."""
    values = []
    for header in _headers(connection, b"cookie"):
        for item in header.split(";"):
            value = item.partition("=")[2].strip().strip('"')
            if BOUND.fullmatch(value):
                values.append(value)
    return values


def _response_cookies(connection: Connection) -> list[tuple[str, str]]:
    """(name, value) of every cookie the responses of ``connection`` set."""
    found = []
    for event in connection.events:
        message = event.get("message")
        if event.get("dir") != "out" or not isinstance(message, dict):
            continue
        for line in message.get("headers", []) if isinstance(message.get("headers"), list) else []:
            if not isinstance(line, str):
                continue
            key, _, value = line.partition(":")
            if key.strip().lower() == "set-cookie":
                first = value.strip().split(";", 1)[0]
                name, _, cookie = first.partition("=")
                found.append((name.strip(), cookie.strip().strip('"')))
    return found


def _set_cookies(connection: Connection) -> list[str]:
    """The bound values of the cookies ``connection``'s responses set."""
    return [value for _, value in _response_cookies(connection) if BOUND.fullmatch(value)]


def _cookie_names_set(connection: Connection) -> list[str]:
    """The names of the cookies ``connection``'s responses set to a value (not deleted)."""
    return [name for name, value in _response_cookies(connection) if value]

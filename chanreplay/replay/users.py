"""Which users a cassette's session assumed, and which it made itself (pure).

A connection records the user its session cookie belonged to when it
opened. Most of those users existed before the session (they logged in);
some were made by it (a sign-up form). A replay that must create the users
a cassette names (``pytest --chanreplay-cassettes``: "record a session, drop
the file in") creates the assumed ones before it starts and leaves the
others to the session: a user created beforehand would make the sign-up
fail ("a user with that username already exists").
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from chanreplay.cassette.codec import decode_value
from chanreplay.cassette.model import Cassette, Connection

__all__ = ["SIGN_UP_FIELDS", "assumed_users", "signed_up_users", "usernames"]

SIGN_UP_FIELDS = frozenset({"password1", "password2"})
"""A form posting a username with these is a sign-up (Django's ``UserCreationForm``)."""


def usernames(connections: Iterable[Connection]) -> list[str]:
    """The users the connections were recorded for, in order of first appearance."""
    names: list[str] = []
    for connection in connections:
        name = connection.username
        if name is not None and name not in names:
            names.append(name)
    return names


def signed_up_users(cassette: Cassette) -> set[str]:
    """The users a form in the session signed up (a POST of a username with ``password1``)."""
    made = set()
    for connection in cassette.connections:
        if connection.type != "http":
            continue
        for event in connection.events:
            message = event.get("message")
            if event.get("dir") != "in" or not isinstance(message, dict):
                continue
            if message.get("type") != "http.request":
                continue
            try:
                body = decode_value(message.get("body", {"$bytes_text": ""}))
            except ValueError:
                continue
            if not isinstance(body, bytes):
                continue
            fields = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
            if "username" in fields and SIGN_UP_FIELDS & fields.keys():
                made.add(fields["username"])
    return made


def assumed_users(cassette: Cassette) -> list[str]:
    """The users the cassette names that its session did not sign up itself."""
    made = signed_up_users(cassette)
    return [name for name in usernames(cassette.connections) if name not in made]

"""Where a cassette holds ``<redacted>`` values, field by field (pure).

A replay that sends a connection's client side must put real values where
recording redacted them (a login form's password); a mock server that sends
the server side may want to (a token in a reply). This module finds those
places: each one is a :class:`Redacted` with the field's name, what kind of
place it is (a header, a cookie, a query or form field, a JSON key) and the
connection and event it belongs to, so a missing value can be reported where
it is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from chanreplay.cassette.model import Connection
from chanreplay.cassette.redaction import REDACTED

__all__ = ["Redacted", "client_side", "server_side"]


@dataclass(frozen=True)
class Redacted:
    """One redacted value: the field's name and where it is."""

    name: str
    kind: str
    """``header``, ``cookie``, ``set-cookie``, ``query``, ``form`` or ``json``."""
    connection: str
    """The connection's id and path, e.g. ``c2 POST /login/``."""
    event: int | None = None
    """Index of the event in the connection (None: the connection's scope)."""

    @property
    def place(self) -> str:
        """Where the value is, e.g. ``form of c2 POST /login/, event 0``."""
        event = "request" if self.event is None else f"event {self.event}"
        return f"{self.kind} of {self.connection}, {event}"

    def __str__(self) -> str:
        return f"{self.name!r} ({self.place})"


def client_side(connection: Connection) -> list[Redacted]:
    """Redacted values the client sent on ``connection``: its scope and inbound messages."""
    where = _describe(connection)
    found = [
        *_in_headers(connection.scope.get("headers", []), where, None, cookie="cookie"),
        *(
            Redacted(name, "query", where)
            for name in _form_fields(str(connection.scope.get("query_string", "")))
        ),
    ]
    content_type = _content_type(connection.scope.get("headers", []))
    for index, event in enumerate(connection.events):
        if event.get("dir") != "in":
            continue
        message = event.get("message", {})
        found += _in_payload(message.get("body"), content_type, where, index)
        found += _in_payload(message.get("text"), "", where, index)
    return found


def server_side(connection: Connection) -> list[Redacted]:
    """Redacted values the server sent on ``connection``: headers, bodies and frames."""
    where = _describe(connection)
    found: list[Redacted] = []
    content_type = ""
    for index, event in enumerate(connection.events):
        if event.get("dir") != "out":
            continue
        message = event.get("message", {})
        headers = message.get("headers")
        if headers is not None:
            found += _in_headers(headers, where, index, cookie="set-cookie")
            content_type = _content_type(headers)
        found += _in_payload(message.get("body"), content_type, where, index)
        found += _in_payload(message.get("text"), "", where, index)
    return found


def _describe(connection: Connection) -> str:
    method = f"{connection.scope.get('method', 'GET')} " if connection.type == "http" else ""
    return f"{connection.id} {method}{connection.path}"


def _in_headers(
    headers: list[str], where: str, event: int | None, *, cookie: str
) -> Iterator[Redacted]:
    for line in headers:
        if REDACTED not in line:
            continue
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "cookie" == cookie:
            for part in value.split(";"):
                key, _, item = part.strip().partition("=")
                if item == REDACTED:
                    yield Redacted(key, "cookie", where, event)
        elif name == "set-cookie" == cookie:
            key, _, item = value.strip().partition(";")[0].partition("=")
            if item == REDACTED:
                yield Redacted(key, "set-cookie", where, event)
        else:
            yield Redacted(name, "header", where, event)


def _in_payload(value: Any, content_type: str, where: str, event: int) -> list[Redacted]:
    """Redacted fields of a body or text frame, as the cassette tags it."""
    if not isinstance(value, dict):
        return []
    if "$json" in value or "$bytes_json" in value:
        payload = value.get("$json", value.get("$bytes_json"))
        return [Redacted(name, "json", where, event) for name in _json_keys(payload)]
    text = value.get("$bytes_text")
    if isinstance(text, str) and content_type == "application/x-www-form-urlencoded":
        return [Redacted(name, "form", where, event) for name in _form_fields(text)]
    return []


def _json_keys(value: Any, key: str | None = None) -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _json_keys(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _json_keys(item, key)
    elif value == REDACTED and key is not None:
        yield key


def _form_fields(text: str) -> list[str]:
    if REDACTED not in text:
        return []
    return [name for name, value in parse_qsl(text, keep_blank_values=True) if value == REDACTED]


def _content_type(headers: list[str]) -> str:
    for line in headers:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            return value.split(";")[0].strip().lower()
    return ""

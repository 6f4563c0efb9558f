"""Bindings on the replay side: where a cassette defines one, and values made up for one.

A replay fills each binding an input uses with the value the application
made this time (:class:`~chanreplay.cassette.binding.Binder` of the replay's
own recorder). This module says where the cassette shows a binding first,
for the report when the application never made it, and makes a fresh value
of a binding's kind for a side that must send one first: an event from
outside the replayed connections, or ``serve`` playing the server, which
also gives what recording kept only by shape (timestamps, volatile headers)
a live value.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import re
import secrets
import string
import uuid
from collections.abc import Iterator
from typing import Any

import orjson

from chanreplay.cassette.binding import is_bound
from chanreplay.cassette.model import Cassette, Connection, Event
from chanreplay.cassette.redaction import VOLATILE

__all__ = [
    "bound_fields",
    "defined_at",
    "first_made",
    "http_date",
    "live_headers",
    "live_shapes",
    "made_up",
]


def made_up(kind: str) -> str:
    """A fresh random value of binding kind ``kind`` (``uuid``, ``jwt``, ``hex``, ``token``).

    A token is 32 letters and digits: the shape of Django's CSRF secret and
    session key, so a cookie made up for one is taken as well formed.
    """
    if kind == "uuid":
        return str(uuid.uuid4())
    if kind == "hex":
        return secrets.token_hex(20)
    if kind == "jwt":
        header = _b64({"alg": "none", "typ": "JWT"})
        payload = _b64({"jti": secrets.token_hex(16)})
        return f"{header}.{payload}."
    return "".join(secrets.choice(_TOKEN_CHARACTERS) for _ in range(32))


_TOKEN_CHARACTERS = string.ascii_letters + string.digits


def live_shapes(value: Any, now: datetime.datetime) -> Any:
    """``value`` (encoded) with timestamps recorded by shape as the time ``now`` (UTC).

    A number recorded as ``<epoch-s>`` or ``<epoch-ms>`` goes out as a number.
    """
    if isinstance(value, str):
        if value == "<epoch-s>":
            return int(now.timestamp())
        if value == "<epoch-ms>":
            return int(now.timestamp() * 1000)
        if "<date" in value:
            value = value.replace("<datetime>", now.isoformat().replace("+00:00", "Z"))
            value = value.replace("<date>", now.date().isoformat())
        return value
    if isinstance(value, dict):
        return {key: live_shapes(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [live_shapes(item, now) for item in value]
    return value


def live_headers(
    headers: list[tuple[bytes, bytes]], now: datetime.datetime
) -> list[tuple[bytes, bytes]]:
    """Response headers with what recording kept as ``<volatile>`` given a value of ``now``.

    ``date`` and ``last-modified`` are ``now``; ``expires`` (a header, or a
    cookie's attribute) is ``now`` plus the ``max-age`` beside it (Django's
    ``Cache-Control`` and ``Set-Cookie`` carry one), or ``now`` without one;
    any other volatile header is left out: a placeholder is never sent as a
    value. All in HTTP's date format.
    """
    lines = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in headers]
    cache = next((v for k, v in lines if k == "cache-control"), "")
    live = []
    for (raw_name, _), (name, value) in zip(headers, lines, strict=True):
        if name == "set-cookie" and VOLATILE in value:
            value = _cookie_expiry(value, now)
        elif value == VOLATILE:
            if name == "expires":
                value = http_date(now + datetime.timedelta(seconds=_max_age(cache)))
            elif name in ("date", "last-modified"):
                value = http_date(now)
            else:
                continue
        live.append((raw_name, value.encode("latin-1")))
    return live


def http_date(moment: datetime.datetime) -> str:
    """``moment`` in HTTP's date format (``Mon, 07 Dec 2026 14:00:00 GMT``)."""
    return email.utils.format_datetime(moment.astimezone(datetime.UTC), usegmt=True)


def _max_age(header: str) -> int:
    """The ``max-age`` a ``Cache-Control`` or ``Set-Cookie`` line gives, in seconds (0 if none)."""
    found = re.search(r"max-age=(\d+)", header, re.IGNORECASE)
    return int(found.group(1)) if found else 0


def _cookie_expiry(line: str, now: datetime.datetime) -> str:
    """A ``Set-Cookie`` line whose volatile ``expires`` is ``now`` plus its ``Max-Age``."""
    expiry = http_date(now + datetime.timedelta(seconds=_max_age(line)))
    return line.replace(f"expires={VOLATILE}", f"expires={expiry}")


def bound_fields(cassette: Cassette) -> dict[str, str]:
    """Binding name -> the field the server first sent it in (a cookie's or a JSON key's name).

    A secret given for that field (``--secret sessionid=...``) is the value
    a mock server sends for the binding.
    """
    fields: dict[str, str] = {}
    for _, _, event in _server_events(cassette):
        message = event.get("message")
        if not isinstance(message, dict):
            continue
        for header in message.get("headers") or ():
            name, _, value = str(header).partition(": ")
            if name == "set-cookie":
                cookie, _, item = value.partition(";")[0].partition("=")
                if is_bound(item):
                    fields.setdefault(item[1:-1], cookie.strip())
        _json_fields(message, fields)
    return fields


def _json_fields(value: Any, fields: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and is_bound(item):
                if not key.startswith("$") and key not in ("text", "body"):
                    fields.setdefault(item[1:-1], key)
            else:
                _json_fields(item, fields)
    elif isinstance(value, list):
        for item in value:
            _json_fields(item, fields)


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode("ascii").rstrip("=")


def first_made(cassette: Cassette, name: str) -> tuple[Connection | None, int, Event] | None:
    """The server's event that shows binding ``name`` first: ``(connection, index, event)``
    (connection None: an external event), or None when no event of the server's does."""
    needle = f"<{name}>".encode()
    for connection, index, event in _server_events(cassette):
        if needle in orjson.dumps(event):
            return connection, index, event
    return None


def defined_at(cassette: Cassette, name: str) -> str:
    """Where ``cassette`` shows binding ``name`` first in what the server sent, as a clause."""
    found = first_made(cassette, name)
    if found is None:
        return "the cassette shows no event of the server's that made it"
    connection, index, event = found
    kind = event.get("message", {}).get("type") or event.get("op") or event.get("dir")
    if connection is None:
        return f"the recording made it outside any connection, external event {index} ({kind})"
    return f"the recording made it in {connection.describe()}, event {index} ({kind})"


def _server_events(cassette: Cassette) -> Iterator[tuple[Connection | None, int, Event]]:
    """Every event of the server's side, in order of step (the order it happened)."""
    found: list[tuple[int, int, Connection | None, int, Event]] = []
    for position, recorded in enumerate(cassette.connections):
        for index, event in enumerate(recorded.events):
            if event.get("dir") != "in":
                found.append((event.get("step", 0), position, recorded, index, event))
    for index, event in enumerate(cassette.external):
        found.append((event.get("step", 0), len(cassette.connections), None, index, event))
    found.sort(key=lambda item: (item[0], item[1], item[3]))
    for _, _, owner, index, event in found:
        yield owner, index, event

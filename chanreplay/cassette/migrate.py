"""Moves a cassette of an older format version to the current one (pure).

Version 1 is version 2 without error events; version 2 holds every value as
it was recorded, where version 3 names the values the server made
(:mod:`chanreplay.cassette.binding`). Migrating runs the events through a
:class:`~chanreplay.cassette.binding.Binder` in the order they happened
(by step), each from its side, as a recording would have: what the server
made becomes ``<uuid:1>``, ``<jwt:1>``, ..., where a client sent it back too;
timestamps become their shapes; ``content-length`` becomes volatile.

What recording redacted stays redacted: a session key a version-2 cassette
holds as ``<redacted>`` cannot become a binding, and a replay fills it as it
always did (the recorded user is logged in).

Timestamps count as such within :data:`~chanreplay.cassette.binding.WINDOW`
of the recording's time, which an old cassette does not hold: it is taken
as the latest ISO date-time the server sent (:func:`recorded_at`), unless
the caller gives one.

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import replace
from typing import Any

import orjson

from chanreplay.cassette.binding import Binder, volatile_length
from chanreplay.cassette.model import BINDING_VERSION, VERSION, Cassette, Event

__all__ = ["migrate", "recorded_at"]

_DATE_TIME = re.compile(
    r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?(?![0-9])"
)


def recorded_at(cassette: Cassette) -> float | None:
    """The latest ISO date-time the server sent in ``cassette`` (epoch seconds), if any."""
    latest: float | None = None
    for connection in cassette.connections:
        for event in connection.events:
            if event.get("dir") == "in":
                continue
            for found in _DATE_TIME.findall(orjson.dumps(event).decode()):
                try:
                    moment = datetime.datetime.fromisoformat(found.replace("Z", "+00:00"))
                except ValueError:
                    continue
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=datetime.UTC)
                stamp = moment.timestamp()
                latest = stamp if latest is None else max(latest, stamp)
    return latest


def migrate(cassette: Cassette, *, now: float | None = None) -> Cassette:
    """``cassette`` in the current format version (itself if it is already).

    ``now``: the time of the recording (epoch seconds) that decides which
    numbers and dates are timestamps; by default :func:`recorded_at`, and
    without one, no value counts as a timestamp.
    """
    if cassette.version >= BINDING_VERSION:
        return cassette
    moment = now if now is not None else recorded_at(cassette)
    binder = Binder(shapes=False) if moment is None else Binder(now=lambda: moment)
    scopes: dict[str, dict[str, Any]] = {}
    events: dict[str | None, list[Event]] = {c.id: [] for c in cassette.connections}
    events[None] = []
    for _, owner, event in _in_order(cassette):
        if event is None:
            assert owner is not None
            connection = cassette.connection(owner)
            scope = binder.client(connection.scope, ("scope",))
            scopes[owner] = {**scope, "headers": _volatile_lengths(scope.get("headers"))}
            continue
        events[owner].append(_migrated(event, binder))
    connections = [
        replace(c, scope=scopes.get(c.id, c.scope), events=events[c.id])
        for c in cassette.connections
    ]
    return replace(cassette, connections=connections, external=events[None], version=VERSION)


def _in_order(cassette: Cassette) -> list[tuple[int, str | None, Event | None]]:
    """Every scope (as None) and event with its owner, in the order they happened: by step,
    a connection's scope before its events, events in their connection's order."""
    found: list[tuple[int, int, int, str | None, Event | None]] = []
    for position, connection in enumerate(cassette.connections):
        found.append((connection.step, position, -1, connection.id, None))
        for index, event in enumerate(connection.events):
            found.append((int(event.get("step", 0)), position, index, connection.id, event))
    outside = len(cassette.connections)
    for index, event in enumerate(cassette.external):
        found.append((int(event.get("step", 0)), outside, index, None, event))
    found.sort(key=lambda item: item[:3])
    return [(step, owner, event) for step, _, _, owner, event in found]


def _migrated(event: Event, binder: Binder) -> Event:
    side = binder.client if event.get("dir") == "in" else binder.server
    result = dict(event)
    for key in ("message", "group", "detail"):
        if key in result:
            result[key] = side(result[key], (key,))
    message = result.get("message")
    if isinstance(message, dict) and isinstance(message.get("headers"), list):
        result["message"] = {**message, "headers": _volatile_lengths(message["headers"])}
    return result


def _volatile_lengths(headers: Any) -> Any:
    if not isinstance(headers, list):
        return headers
    return [volatile_length(h) if isinstance(h, str) else h for h in headers]

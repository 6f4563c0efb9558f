"""How a cassette's layer messages link connections: who sent each, who received it.

A ``send`` or ``group_send`` and the ``receive`` events it caused carry the
same step and the same message; :func:`message_key` is that pair, and the
transcript, the diagram and ``split`` all tie senders to receivers by it.

Pure: no Django, no Channels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import orjson

from chanreplay.cassette.model import Cassette, Event

__all__ = ["message_key", "received_by", "sends"]

_SENDS = frozenset({"send", "group_send"})


def message_key(event: Event) -> bytes:
    """What ties a ``send`` or ``group_send`` to the ``receive`` events it caused."""
    return orjson.dumps([event.get("step"), event.get("message")], option=orjson.OPT_SORT_KEYS)


def sends(cassette: Cassette) -> Iterator[tuple[str | None, Event]]:
    """Every layer send, with the connection that made it (None: outside any)."""
    for connection in cassette.connections:
        for event in connection.events:
            if event.get("dir") == "layer" and event.get("op") in _SENDS:
                yield connection.id, event
    for event in cassette.external:
        if event.get("op") in _SENDS:
            yield None, event


def received_by(cassette: Cassette) -> dict[bytes, list[str]]:
    """For each layer message (by :func:`message_key`), the connections that received it."""
    found: dict[bytes, list[str]] = defaultdict(list)
    for connection in cassette.connections:
        for event in connection.events:
            if event.get("dir") == "layer" and event.get("op") == "receive":
                found[message_key(event)].append(connection.id)
    return found

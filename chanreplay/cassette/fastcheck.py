"""The schema's rules for events, written out in Python: the loader's fast path.

A cassette holds tens of thousands of events, and the compiled JSON Schema
spends most of a load on them (its ``if``/``then`` branches raise and catch an
exception per event). :func:`event_conforms` checks the same rules directly.
It may be stricter than the schema, never looser: when it says no, the
loader runs the full schema, which then either accepts the file or names
what is wrong with it. A property test holds the two together.

Pure: no Django, no Channels.
"""

from __future__ import annotations

import re
from typing import Any

from chanreplay.cassette.model import CLIENT_OUTCOMES

__all__ = ["error_event_conforms", "event_conforms", "layer_event_conforms"]

_LAYER_KEYS = frozenset({"dir", "op", "step", "layer", "channel", "group", "message", "error"})
_OPS = frozenset(
    {"new_channel", "send", "receive", "group_add", "group_discard", "group_send", "flush"}
)
_NEEDS_CHANNEL = frozenset({"send", "receive", "new_channel", "group_add", "group_discard"})
_NEEDS_GROUP = frozenset({"group_add", "group_discard", "group_send"})
_NEEDS_MESSAGE_OR_ERROR = frozenset({"send", "group_send"})
_HEADER = re.compile(r"[^:\s]+: ")
_ERROR_KEYS = frozenset({"dir", "step", "exception", "detail", "client"})
_CLIENT_OUTCOMES = frozenset(CLIENT_OUTCOMES.values())


def event_conforms(event: Any, *, errors: bool = True) -> bool:
    """True when ``event`` (a connection's) surely satisfies the schema.

    ``errors``: whether the format version has error events (version 2 on).
    """
    if type(event) is not dict:
        return False
    direction = event.get("dir")
    if direction == "layer":
        return layer_event_conforms(event)
    if direction == "error":
        return errors and error_event_conforms(event)
    if direction != "in" and direction != "out":
        return False
    # asgiEvent: exactly dir, step and message.
    if len(event) != 3 or not _step(event.get("step")):
        return False
    message = event.get("message")
    if type(message) is not dict or type(message.get("type")) is not str:
        return False
    if "headers" in message:
        headers = message["headers"]
        if type(headers) is not list:
            return False
        for header in headers:
            if type(header) is not str or _HEADER.match(header) is None:
                return False
    return _fields_conform(message)


def _fields_conform(message: dict[str, Any]) -> bool:
    """The ASGI fields whose type every reader relies on (a status, a close code)."""
    if "status" in message:
        status = message["status"]
        if type(status) is not int or not 100 <= status <= 999:
            return False
    if "code" in message and type(message["code"]) is not int:
        return False
    if "more_body" in message and type(message["more_body"]) is not bool:
        return False
    for key in ("reason", "subprotocol"):
        if key in message and message[key] is not None and type(message[key]) is not str:
            return False
    return True


def error_event_conforms(event: Any) -> bool:
    """True when ``event`` surely satisfies the schema's ``errorEvent``."""
    if type(event) is not dict or len(event) != len(_ERROR_KEYS):
        return False
    if not _ERROR_KEYS.issuperset(event) or not _step(event.get("step")):
        return False
    if type(event.get("exception")) is not str or type(event.get("detail")) is not str:
        return False
    client = event.get("client")
    return type(client) is str and client in _CLIENT_OUTCOMES


def layer_event_conforms(event: Any) -> bool:
    """True when ``event`` surely satisfies the schema's ``layerEvent``."""
    if type(event) is not dict or event.get("dir") != "layer":
        return False
    if not _LAYER_KEYS.issuperset(event) or not _step(event.get("step")):
        return False
    op = event.get("op")
    if type(op) is not str or op not in _OPS:  # a list is unhashable: no set lookup
        return False
    for key in ("layer", "channel", "group", "error"):
        if key in event and type(event[key]) is not str:
            return False
    if "message" in event and type(event["message"]) is not dict:
        return False
    if op in _NEEDS_CHANNEL and "channel" not in event:
        return False
    if op in _NEEDS_GROUP and "group" not in event:
        return False
    return not (op in _NEEDS_MESSAGE_OR_ERROR and "error" not in event and "message" not in event)


def _step(step: Any) -> bool:
    return type(step) is int and step >= 0

"""Builders of cassette events and connections shared by the differ's tests."""

from __future__ import annotations

from typing import Any

from chanreplay.cassette.model import Connection, Event


def receive(data: Any, step: int) -> Event:
    """An inbound websocket frame holding JSON."""
    return {
        "dir": "in",
        "message": {"type": "websocket.receive", "text": {"$json": data}},
        "step": step,
    }


def send(data: Any, step: int) -> Event:
    """An outbound websocket frame holding JSON."""
    return {
        "dir": "out",
        "message": {"type": "websocket.send", "text": {"$json": data}},
        "step": step,
    }


def connect(step: int) -> Event:
    """A websocket opening."""
    return {"dir": "in", "message": {"type": "websocket.connect"}, "step": step}


def accept(step: int) -> Event:
    """The server accepting a websocket."""
    return {
        "dir": "out",
        "message": {"type": "websocket.accept", "subprotocol": None},
        "step": step,
    }


def group_send(group: str, step: int, **fields: Any) -> Event:
    """A chat.message group_send (``fields`` added to the message)."""
    message = {"type": "chat.message", **fields}
    return {"dir": "layer", "op": "group_send", "group": group, "message": message, "step": step}


def connection(
    cid: str,
    events: list[Event] | None = None,
    *,
    path: str = "/ws/chat/lobby/",
    user: dict[str, Any] | None = None,
    closed: bool = True,
    step: int = 1,
    headers: list[str] | None = None,
) -> Connection:
    """A websocket connection holding ``events``."""
    scope = {"path": path, "query_string": "", "headers": list(headers or [])}
    return Connection(cid, "websocket", scope, step, user, closed, list(events or []))

"""The cassette: connections, their events, and the external events.

A cassette is plain data. Events stay in their encoded JSON form (see
:mod:`chanreplay.cassette.codec`); replay decodes them where it needs Python
values, and the differ compares them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "BINDING_VERSION",
    "CLIENT_OUTCOMES",
    "FORMAT",
    "READABLE_VERSIONS",
    "VERSION",
    "Cassette",
    "Connection",
    "Event",
]

FORMAT = "chanreplay-cassette"
VERSION = 3
"""The format version this release writes (docs/cassette-format.md, Versioning)."""
READABLE_VERSIONS = (1, 2, 3)
"""Every format version this release reads. Version 1 has no error events, and its
disconnects share their connection's last step; it is a subset of version 2.
Version 2 holds every value as recorded; version 3 names the values the server
made (bindings, timestamps by shape: :mod:`chanreplay.cassette.binding`)."""
BINDING_VERSION = 3
"""The first format version whose placeholders a replay fills and binds."""

Event = dict[str, Any]
"""One event in encoded form: ``{"dir": "in"|"out"|"layer"|"error", "step": n, ...}``."""

CLIENT_OUTCOMES = {
    "refused": "handshake refused with HTTP 500",
    "error": "HTTP 500",
    "closed": "closed with 1011",
    "cut": "response cut off",
    "gone": "nothing",
}
"""What the client of a connection sees when its application raises, by the
connection's state then: an ASGI server (Daphne, Uvicorn) refuses a websocket
handshake still pending with HTTP 500, closes an accepted websocket with code
1011, answers an HTTP request not yet answered with 500 and cuts off a
response already started; a client already gone sees nothing."""


@dataclass
class Connection:
    """One recorded connection: its scope, who it was, and what crossed it in order."""

    id: str
    type: str
    scope: dict[str, Any]
    step: int
    user: dict[str, Any] | None = None
    closed: bool = True
    events: list[Event] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The request path the connection was opened on."""
        return str(self.scope.get("path", ""))

    @property
    def username(self) -> str | None:
        """The name of the user the connection was recorded for, if any."""
        user = self.user
        name = user.get("username") if isinstance(user, dict) else None
        return str(name) if name else None

    def describe(self) -> str:
        """``c3 (websocket /ws/chat/lobby/)``: how errors and reports name a connection."""
        return f"{self.id} ({self.type} {self.path})"

    def header(self) -> dict[str, Any]:
        """Every field but the events, in cassette form."""
        return {
            "closed": self.closed,
            "id": self.id,
            "scope": self.scope,
            "step": self.step,
            "type": self.type,
            "user": self.user,
        }

    def to_json(self) -> dict[str, Any]:
        """The connection in cassette form."""
        return {**self.header(), "events": self.events}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Connection:
        """A connection from its (already validated) cassette form."""
        return cls(
            id=data["id"],
            type=data["type"],
            scope=data["scope"],
            step=data["step"],
            user=data.get("user"),
            closed=data["closed"],
            events=data["events"],
        )


@dataclass
class Cassette:
    """A recorded session: connections in order of opening, plus external events."""

    connections: list[Connection] = field(default_factory=list)
    external: list[Event] = field(default_factory=list)
    path: Path | None = field(default=None, compare=False)
    version: int = field(default=VERSION, compare=False)
    """The format version the cassette was written in: one written again keeps it,
    since an older one holds values a newer one would name."""

    @property
    def binds(self) -> bool:
        """True when the cassette names the values the server made (version 3 on)."""
        return self.version >= BINDING_VERSION

    def to_json(self) -> dict[str, Any]:
        """The whole cassette as a JSON-ready dict."""
        return {
            "connections": [c.to_json() for c in self.connections],
            "external": self.external,
            "format": FORMAT,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path | None = None) -> Cassette:
        """A cassette from its (already validated) JSON form."""
        return cls(
            connections=[Connection.from_json(c) for c in data["connections"]],
            external=data["external"],
            path=path,
            version=data.get("version", VERSION),
        )

    def connection(self, connection_id: str) -> Connection:
        """The connection with id ``connection_id``."""
        for connection in self.connections:
            if connection.id == connection_id:
                return connection
        raise KeyError(connection_id)

    @property
    def event_count(self) -> int:
        """Number of events in the cassette, external ones included."""
        return sum(len(c.events) for c in self.connections) + len(self.external)

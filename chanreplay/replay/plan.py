"""What a replay feeds, in which order, and what it waits for (pure: no Django, no Channels).

Every input of a recording has a step of its own: a connection opening, an
inbound ASGI message, a layer operation from outside the replayed
connections. A disconnect keeps its connection's step. Replaying step ``n``
means: feed its input, feed the disconnects of step ``n`` once everything
before them on their connection has happened, then wait until every event the
cassette records with a step up to ``n`` has happened again. Only then does
step ``n + 1`` start. That is causality, and nothing more: the order in which
a ``group_send`` fans out never matters.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from chanreplay.cassette.model import Cassette, Connection, Event

__all__ = ["Input", "Plan", "build_plan", "selects"]

InputKind = Literal["open", "inbound", "disconnect", "inject"]

_INJECTED_OPS = frozenset({"send", "group_send"})
"""Layer operations from outside the replay that can reach a replayed consumer."""


@dataclass(frozen=True)
class Input:
    """One thing the replay feeds: what, at which step, on which connection."""

    kind: InputKind
    step: int
    connection: Connection | None = None
    index: int = -1
    """The event's index in its connection (-1 for an open or an injection)."""
    event: Event | None = None


@dataclass
class Plan:
    """The replay of one cassette: the connections replayed, the inputs, the expected counts."""

    connections: list[Connection]
    inputs: list[Input]
    expected: Counter[tuple[str, int]] = field(default_factory=Counter)
    """Events expected per (connection id, step)."""

    @property
    def steps(self) -> list[int]:
        """The steps that have inputs, in order."""
        return sorted({item.step for item in self.inputs})


def selects(connection: Connection, include: Iterable[str], exclude: Iterable[str]) -> bool:
    """True when ``connection`` is replayed under the ``include`` / ``exclude`` filters.

    A filter is a connection type (``websocket``, ``http``) or a path glob
    (``/ws/chat/*``). With no ``include`` every connection is included.
    """

    def named(pattern: str) -> bool:
        return pattern == connection.type or fnmatch.fnmatchcase(connection.path, pattern)

    include = list(include)
    if include and not any(named(pattern) for pattern in include):
        return False
    return not any(named(pattern) for pattern in exclude)


def build_plan(
    cassette: Cassette, include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> Plan:
    """The plan replaying ``cassette`` with the given connection filters."""
    include, exclude = tuple(include), tuple(exclude)
    chosen = [c for c in cassette.connections if selects(c, include, exclude)]
    inputs: list[Input] = []
    expected: Counter[tuple[str, int]] = Counter()
    for connection in chosen:
        inputs.append(Input("open", connection.step, connection))
        for index, event in enumerate(connection.events):
            expected[connection.id, int(event["step"])] += 1
            if event.get("dir") != "in":
                continue
            kind = str(event.get("message", {}).get("type", ""))
            inbound: InputKind = "disconnect" if kind.endswith(".disconnect") else "inbound"
            inputs.append(Input(inbound, int(event["step"]), connection, index, event))
    # What reached the replayed consumers from outside them is fed in their place.
    skipped = [c for c in cassette.connections if c not in chosen]
    outside = [*cassette.external, *(e for c in skipped for e in c.events)]
    for event in outside:
        injected = event.get("dir") == "layer" and event.get("op") in _INJECTED_OPS
        if injected and "error" not in event:
            inputs.append(Input("inject", int(event["step"]), event=event))
    # Within a step: the input first, the disconnects that share its step after.
    inputs.sort(key=lambda item: (item.step, item.kind == "disconnect"))
    return Plan(chosen, inputs, expected)

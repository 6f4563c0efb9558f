"""The order of a connection's layer operations within one step is not behaviour.

Consumers and libraries iterate sets of names: leaving every joined room on
disconnect, sending to an observer's set of groups. Python orders a set of
strings by their hashes, which change with ``PYTHONHASHSEED``, so the same
code makes the same operations in another order from one process to the
next. The layer operations one connection makes within one step therefore
compare as a multiset: before two versions of a connection are compared,
the second's layer operations of each step are put in the first's order
wherever they are the same operations. Frames to a client (``out`` events)
keep their order, which the client sees; only what an application sends
after its connection's disconnect, which no client receives, is unordered
like the layer operations.

Pure: no Django, no Channels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from chanreplay.cassette.model import Cassette, Event

if TYPE_CHECKING:
    from chanreplay.diff.compare import Rules

__all__ = ["layer_order_like", "settle_layer_order"]


def layer_order_like(
    expected: Sequence[Event], actual: Sequence[Event], rules: Rules | None = None
) -> list[Event]:
    """``actual`` with each step's layer events in ``expected``'s order where they agree.

    Layer events stay in the places layer events held in ``actual``; only
    which one stands where changes. Events equal under ``rules`` count as the
    same; those without a counterpart take the places of wanted events
    without one, in order, so a changed operation lines up with its old self.
    """
    from chanreplay.diff.compare import diff_values

    slots: dict[int, list[int]] = defaultdict(list)
    for index in _unordered(actual):
        slots[int(actual[index].get("step", 0))].append(index)
    if not any(len(places) > 1 for places in slots.values()):
        return list(actual)  # nothing to reorder (the usual case)
    wanted: dict[int, list[Event]] = defaultdict(list)
    for index in _unordered(expected):
        wanted[int(expected[index].get("step", 0))].append(expected[index])
    result = list(actual)
    for step, places in slots.items():
        if len(places) < 2:
            continue
        candidates = [actual[index] for index in places]
        if candidates == wanted.get(step):
            continue  # already in order
        taken = [False] * len(candidates)
        pairs: list[int | None] = []  # for each wanted event, its counterpart's index
        for want in wanted.get(step, ()):
            # Equal as Python values: 1 and true pair up here, and the
            # differ still reports the type that changed.
            found = next(
                (i for i, event in enumerate(candidates) if not taken[i] and event == want), None
            )
            if found is None and rules is not None and (rules.ignore or rules.matchers):
                found = next(
                    (
                        i
                        for i, event in enumerate(candidates)
                        if not taken[i] and not diff_values(want, event, rules)
                    ),
                    None,
                )
            if found is not None:
                taken[found] = True
            pairs.append(found)
        # An event without its equal takes the place of a wanted one without its
        # equal, so that the differ pairs them up as "changed".
        rest = [i for i in range(len(candidates)) if not taken[i]]
        ordered: list[Event] = []
        for found in pairs:
            if found is not None:
                ordered.append(candidates[found])
            elif rest:
                ordered.append(candidates[rest.pop(0)])
        ordered += [candidates[i] for i in rest]
        for index, event in zip(places, ordered, strict=True):
            result[index] = event
    return result


def _unordered(events: Sequence[Event]) -> list[int]:
    """The indexes of events whose order within their step is not behaviour."""
    found = []
    gone = False  # the client has left: nothing the application sends reaches it
    for index, event in enumerate(events):
        direction = event.get("dir")
        if direction == "layer" or (gone and direction == "out"):
            found.append(index)
        elif direction == "in":
            message = event.get("message")
            kind = message.get("type") if isinstance(message, dict) else None
            gone = isinstance(kind, str) and kind.endswith(".disconnect")
    return found


def settle_layer_order(
    expected: Cassette, actual: Cassette, rules: Rules | None = None
) -> Cassette:
    """``actual`` with every connection's layer events ordered like ``expected``'s (by id)."""
    by_id = {connection.id: connection for connection in expected.connections}
    connections = []
    for connection in actual.connections:
        model = by_id.get(connection.id)
        if model is None:
            connections.append(connection)
            continue
        events = layer_order_like(model.events, connection.events, rules)
        connections.append(replace(connection, events=events))
    return replace(actual, connections=connections)

"""``chanreplay split``: a long recorded session cut into smaller cassettes that still replay.

A connection cannot always be cut from the others: a consumer that received
a group message must keep the connection whose input sent it, or its replay
would wait for a message that never comes. So the unit is the *causal
group*: connections linked, directly or not, by a layer message one sent and
another received (an external event joins the connections that received it).
Cuts fall between groups:

* ``by="group"``: one cassette per causal group;
* ``by="path"``: the groups that share a path together (all ``/ws/chat/*``
  connections of a session, say);
* ``at=[step, ...]``: time-free boundaries: the groups opened before the
  first step, then up to the second, and so on.

Connection ids, steps and events are kept as they are. What split cannot see
is state shared through the database or a session: a request that counts
rows another connection created, a login whose user only a later connection
names. Cut between such connections with ``at`` (a part's users are the
ones its own connections name).

Pure: no Django, no Channels.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence

from chanreplay.cassette.model import Cassette, Connection, Event
from chanreplay.review.links import message_key, sends

__all__ = ["causal_groups", "split"]


def split(cassette: Cassette, *, by: str = "group", at: Sequence[int] = ()) -> list[Cassette]:
    """The parts of ``cassette``, in the order their first connection opened."""
    groups = causal_groups(cassette)
    if at:
        bounds = sorted(set(at))
        buckets: dict[int, list[list[Connection]]] = defaultdict(list)
        for group in groups:
            buckets[bisect.bisect_right(bounds, min(c.step for c in group))].append(group)
        parts = [_merged(buckets[key]) for key in sorted(buckets)]
    elif by == "path":
        by_path: dict[str, list[list[Connection]]] = {}
        for group in groups:
            by_path.setdefault(group[0].path, []).append(group)
        parts = [_merged(found) for found in by_path.values()]
    elif by == "group":
        parts = groups
    else:
        raise ValueError(f"split by {by!r}: choose group or path")
    order = {c.id: index for index, c in enumerate(cassette.connections)}
    result = [
        _cassette(sorted(part, key=lambda c: order[c.id]), cassette.external, cassette.version)
        for part in parts
    ]
    # An external event no connection shares a step with still goes somewhere: the first part.
    placed = {id(e) for part in result for e in part.external}
    if result:
        first = {id(e) for e in result[0].external}
        result[0].external = [e for e in cassette.external if id(e) not in placed or id(e) in first]
    return result


def causal_groups(cassette: Cassette) -> list[list[Connection]]:
    """Connections linked by the layer messages between them, each group in opening order."""
    parent = {c.id: c.id for c in cassette.connections}

    def root(cid: str) -> str:
        while parent[cid] != cid:
            parent[cid] = parent[parent[cid]]
            cid = parent[cid]
        return cid

    senders: dict[bytes, str] = {}
    for owner, event in sends(cassette):
        if owner is not None:
            senders.setdefault(message_key(event), owner)
    external_receivers: dict[bytes, list[str]] = defaultdict(list)
    external_keys = {message_key(e) for e in cassette.external}
    for connection in cassette.connections:
        for event in connection.events:
            if event.get("dir") != "layer" or event.get("op") != "receive":
                continue
            key = message_key(event)
            sender = senders.get(key)
            if sender is not None:
                parent[root(connection.id)] = root(sender)
            elif key in external_keys:
                external_receivers[key].append(connection.id)
    for receivers in external_receivers.values():
        for cid in receivers[1:]:
            parent[root(cid)] = root(receivers[0])
    grouped: dict[str, list[Connection]] = {}
    for connection in cassette.connections:
        grouped.setdefault(root(connection.id), []).append(connection)
    return sorted(grouped.values(), key=lambda group: min(c.step for c in group))


def _merged(groups: list[list[Connection]]) -> list[Connection]:
    return sorted((c for group in groups for c in group), key=lambda c: c.step)


def _cassette(connections: list[Connection], external: list[Event], version: int) -> Cassette:
    """A part: its connections, and the external events whose step one of them shares."""
    steps = {e.get("step") for c in connections for e in c.events} | {c.step for c in connections}
    return Cassette(connections, [e for e in external if e.get("step") in steps], version=version)

"""Renders a :class:`~chanreplay.diff.compare.CassetteDiff` as text a person can act on.

The first line says how much differs (``5 events differ in 3 connections:
5 changed``). Then, for each connection that differs: its id, path and
user; then each differing event with its index, what it is (``out
websocket.send``, ``layer group_send``), the fields that changed with
expected against actual, and the events around it for context. Plain text,
readable in a terminal and in pytest's output.

A report stays as long as what there is to read: a change already shown
(the same fields, the same values: a broadcast every member received) is one
line naming where it was shown, and a run of events that never happened
(everything after a refused handshake or a 400) is its first event and a
count, since one cause explains them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from chanreplay.cassette.binding import BOUND, SHAPE
from chanreplay.cassette.model import Connection, Event
from chanreplay.diff.compare import CassetteDiff, ConnectionDiff, EventDiff, FieldChange
from chanreplay.diff.paths import format_path, unwrap

__all__ = ["describe_event", "first_cause", "render_text", "summarize_event", "summary"]

_WIDTH = 100
"""Longest a one-line event summary gets before it is cut."""


def describe_event(event: Event) -> str:
    """``out websocket.send`` / ``layer group_send chat_lobby``: what an event is."""
    direction = event.get("dir", "?")
    if direction == "layer":
        target = event.get("group") or event.get("channel") or ""
        return f"layer {event.get('op', '?')} {target}".rstrip()
    if direction == "error":
        return f"error {event.get('exception', '?')}"
    message = unwrap(event.get("message"))
    kind = message.get("type", "?") if isinstance(message, dict) else "?"
    return f"{direction} {kind}"


def summarize_event(event: Event) -> str:
    """One line: what the event is, its step, and a short form of its payload."""
    message = event.get("message")
    payload = ""
    if isinstance(message, dict):
        shown = {key: value for key, value in message.items() if key != "type"}
        if shown:
            payload = " " + _short(shown)
    if "error" in event:
        payload += f" !{event['error']}"
    if event.get("dir") == "error":
        payload = f" {_short(event.get('detail'))} (the client: {event.get('client')})"
    return f"{describe_event(event)} (step {event.get('step', '?')}){payload}"


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= _WIDTH else text[: _WIDTH - 3] + "..."


def _value(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _field(change: FieldChange) -> list[str]:
    where = format_path(change.path)
    if change.matcher is not None:
        actual = _value(change.actual) if change.has_actual else "(absent)"
        return [f"    {where}: expected {change.matcher.describe()}, actual {actual}"]
    if not change.has_expected:
        return [f"    {where}: unexpected, actual {_value(change.actual)}"]
    if not change.has_actual:
        return [f"    {where}: missing, expected {_value(change.expected)}"]
    lines = [
        f"    {where}:",
        f"      expected {_value(change.expected)}",
        f"      actual   {_value(change.actual)}",
    ]
    hint = binding_hint(change.expected, change.actual)
    if hint:
        lines.append(f"      ({hint})")
    return lines


def binding_hint(expected: Any, actual: Any) -> str | None:
    """What a difference in a value the server made means, in words (None: nothing to say)."""
    if not isinstance(expected, str) or "<" not in expected:
        return None
    wanted = BOUND.fullmatch(expected)
    if wanted is not None:
        kind = wanted.group(1)
        got = BOUND.fullmatch(actual) if isinstance(actual, str) else None
        if got is None:
            return f"the recording had a {kind} the server made here"
        if got.group(1) != kind:
            return f"the recording had a {kind} the server made here, not a {got.group(1)}"
        if int(got.group(2)) > int(wanted.group(2)):
            return f"a {kind} the recording did not have here: it had the one named {expected}"
        return f"another {kind} than the recording had: it had the one named {expected}"
    if SHAPE.fullmatch(expected) and not (isinstance(actual, str) and SHAPE.fullmatch(actual)):
        return f"the recording had a timestamp here ({expected})"
    return None


def _context(events: Sequence[Event], index: int, around: int, marker: str) -> list[str]:
    lines = []
    for position in range(max(index - around, 0), min(index + around + 1, len(events))):
        prefix = marker if position == index else " "
        lines.append(f"    {prefix} {position:>3}  {summarize_event(events[position])}")
    return lines


_Shown = dict[tuple[str, ...], str]
"""A change already reported in full (its fields, as text) -> where it was."""


def _change_key(diff: EventDiff) -> tuple[str, ...]:
    return (
        describe_event(diff.expected or {}),
        *(line for change in diff.changes for line in _field(change)),
    )


def _event(
    diff: EventDiff, expected: Connection, actual: Connection | None, shown: _Shown
) -> list[str]:
    around = 2
    if diff.kind == "changed":
        assert diff.expected is not None
        assert diff.expected_index is not None
        head = f"  event {diff.expected_index}: {describe_event(diff.expected)} changed"
        key = _change_key(diff)
        if key in shown:
            return [f"{head}, as {shown[key]}"]
        shown[key] = f"{expected.id} event {diff.expected_index}"
        lines = [head]
        for change in diff.changes:
            lines += _field(change)
        lines.append("    around it, as recorded:")
        lines += _context(expected.events, diff.expected_index, around, ">")
        return lines
    if diff.kind == "missing":
        assert diff.expected is not None
        assert diff.expected_index is not None
        lines = [
            f"  event {diff.expected_index}: {describe_event(diff.expected)} expected, "
            "but it never happened",
            "    around it, as recorded:",
        ]
        return lines + _context(expected.events, diff.expected_index, around, "-")
    assert diff.actual is not None
    assert diff.actual_index is not None
    lines = [f"  unexpected event: {summarize_event(diff.actual)}"]
    if actual is not None:
        lines.append("    around it, as it happened:")
        lines += _context(actual.events, diff.actual_index, around, "+")
    return lines


def _who(connection: Connection) -> str:
    user = connection.user or {}
    name = user.get("username") if isinstance(user, dict) else None
    return f" (user {name})" if name else ""


def _connection(diff: ConnectionDiff, shown: _Shown) -> list[str]:
    connection = diff.connection
    title = f"connection {connection.describe()}{_who(connection)}"
    if diff.kind == "missing":
        return [f"{title}: expected, but it was not replayed"]
    if diff.kind == "unexpected":
        return [f"{title}: unexpected, not in the cassette"]
    lines = [f"{title}:"]
    for change in diff.header:
        lines += _field(change)
    events = diff.events
    position = 0
    while position < len(events):
        event_diff = events[position]
        lines += _event(event_diff, connection, diff.actual, shown)
        position += 1
        if event_diff.kind == "missing":
            run = _missing_run(events, position)
            if run:
                last = events[position + run - 1].expected_index
                lines.append(
                    f"  and the {run} event{'s' * (run != 1)} after it, to event {last}, "
                    "never happened either"
                )
                position += run
    return lines


def _missing_run(events: Sequence[EventDiff], start: int) -> int:
    """How many events from ``start`` are missing ones that follow each other."""
    count = 0
    previous = events[start - 1].expected_index
    for event_diff in events[start:]:
        index = event_diff.expected_index
        if event_diff.kind != "missing" or index is None or previous is None:
            break
        if index != previous + 1:
            break
        count += 1
        previous = index
    return count


def summary(diff: CassetteDiff) -> str:
    """How much differs, in one line (``3 connections differ: 5 events changed``)."""
    if diff.equal:
        return "nothing differs"
    events: dict[str, int] = {}
    connections: dict[str, int] = {}
    headers = 0
    for connection_diff in diff.connections:
        if connection_diff.kind != "changed":
            connections[connection_diff.kind] = connections.get(connection_diff.kind, 0) + 1
        headers += bool(connection_diff.header)
        for event_diff in connection_diff.events:
            events[event_diff.kind] = events.get(event_diff.kind, 0) + 1
    for event_diff in diff.external:
        events[event_diff.kind] = events.get(event_diff.kind, 0) + 1
    segments = []
    total = sum(events.values())
    if len(events) == 1:
        ((kind, count),) = events.items()
        segments.append(f"{count} event{'s' * (count != 1)} {kind}")
    elif events:
        kinds = ", ".join(f"{count} {kind}" for kind, count in events.items())
        segments.append(f"{total} events: {kinds}")
    segments += [f"{n} connection{'s' * (n != 1)} {kind}" for kind, n in connections.items()]
    if headers:
        segments.append(f"{headers} connection header{'s' * (headers != 1)} changed")
    count = len(diff.connections)
    where = f"{count} connection{'s' * (count != 1)}" if count else ""
    if diff.external:
        where = f"{where} and the external events" if where else "the external events"
    verb = "differs" if count == 1 and not diff.external else "differ"
    return f"{where} {verb}: {'; '.join(segments)}"


def first_cause(diff: CassetteDiff) -> str | None:
    """The earliest difference that explains what follows it, in words, if there is one:
    an HTTP response that became an error, a websocket that was accepted and now is
    refused (or the other way), an error the application raised or stopped raising."""
    found: list[tuple[int, str]] = []
    for connection_diff in diff.connections:
        connection = connection_diff.connection
        for event_diff in connection_diff.events:
            event = event_diff.expected or event_diff.actual or {}
            step = event.get("step", 0)
            step = step if isinstance(step, int) else 0
            cause = _cause(event_diff)
            if cause is not None:
                found.append((step, f"{connection.describe()} {cause} (step {step})"))
    if not found:
        return None
    return min(found, key=lambda item: item[0])[1]


def _cause(diff: EventDiff) -> str | None:
    expected = unwrap(diff.expected.get("message")) if diff.expected else None
    actual = unwrap(diff.actual.get("message")) if diff.actual else None
    if diff.kind == "changed" and isinstance(expected, dict) and isinstance(actual, dict):
        before, after = expected.get("status"), actual.get("status")
        if isinstance(before, int) and isinstance(after, int) and after >= 400 > before:
            return f"answered {after} where the recording had {before}"
        kinds = (expected.get("type"), actual.get("type"))
        if kinds == ("websocket.accept", "websocket.close"):
            return "was refused where the recording had it accepted"
        if kinds == ("websocket.close", "websocket.accept"):
            return "was accepted where the recording had it refused"
    if diff.kind == "unexpected" and diff.actual and diff.actual.get("dir") == "error":
        return f"raised {diff.actual.get('exception')}, which the recording did not"
    if diff.kind == "missing" and diff.expected and diff.expected.get("dir") == "error":
        return f"no longer raises {diff.expected.get('exception')}, which the recording did"
    return None


def render_text(diff: CassetteDiff, *, title: str = "") -> str:
    """The whole report; ``title`` is its first line, with the :func:`summary` after it
    when anything differs."""
    lines = [f"{title}: {summary(diff)}" if title and not diff.equal else title] if title else []
    cause = first_cause(diff) if title else None
    if cause is not None:
        lines.append(f"first cause: {cause}; what differs after it may follow from it")
    shown: _Shown = {}
    for connection_diff in diff.connections:
        lines += _connection(connection_diff, shown)
    if diff.external:
        lines.append("external events:")
        for event_diff in diff.external:
            side = event_diff.expected or event_diff.actual or {}
            lines.append(f"  {event_diff.kind}: {summarize_event(side)}")
    return "\n".join(lines)

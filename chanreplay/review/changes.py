"""What changed between two versions of a cassette, for a reviewer: ``chanreplay diff``.

The comparison is the differ's (:func:`chanreplay.diff.diff_cassettes`, the
one replay uses), old against new. This module words it for review: a
one-paragraph summary first (``/ws/chat/lobby/: 2 outbound "message" added;
message.text.user changed in 3 events``), then, per connection, the events
added (``+``), removed (``-``) and changed, with each changed field's old and
new value. The lines read as a unified diff, so a terminal colours them and a
Markdown ``diff`` block renders them red and green in a pull request.

Pure: no Django, no Channels.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import orjson

from chanreplay.cassette.model import Event
from chanreplay.diff.compare import CassetteDiff, ConnectionDiff, EventDiff, FieldChange
from chanreplay.diff.paths import format_path, unwrap
from chanreplay.review.transcript import heading, what

__all__ = ["diff_lines", "render_diff", "summarize"]

_WIDTH = 100
_DIRECTION = {"in": "inbound", "out": "outbound", "layer": "layer", "error": "error"}


def summarize(diff: CassetteDiff) -> str:
    """One paragraph: per path, what was added, removed and changed."""
    if diff.equal:
        return "No behaviour changed."
    phrases: dict[str, list[str]] = defaultdict(list)
    added: Counter[tuple[str, str]] = Counter()
    removed: Counter[tuple[str, str]] = Counter()
    fields: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    connections: dict[str, Counter[str]] = defaultdict(Counter)
    order: dict[str, None] = {}
    for connection_diff in diff.connections:
        path = connection_diff.connection.path or "(no path)"
        order.setdefault(path, None)
        if connection_diff.kind != "changed":
            word = "added" if connection_diff.kind == "unexpected" else "removed"
            connections[path][word] += 1
            continue
        if connection_diff.header:
            fields[path].update(_field_change(c) for c in connection_diff.header)
        _count(connection_diff.events, path, added, removed, fields)
    if diff.external:
        order.setdefault("external", None)
        _count(diff.external, "external", added, removed, fields)
    for path in order:
        for word in ("added", "removed"):
            count = connections[path][word]
            if count:
                phrases[path].append(f"{count} connection{'s' * (count != 1)} {word}")
        for counter, word in ((added, "added"), (removed, "removed")):
            for (where, label), count in sorted(counter.items()):
                if where == path:
                    phrases[path].append(f"{count} {label} {word}")
        for (name, verb), count in sorted(fields[path].items()):
            phrases[path].append(f"`{name}` {verb} in {count} event{'s' * (count != 1)}")
    return " ".join(f"`{path}`: {'; '.join(items)}." for path, items in phrases.items())


def _count(
    events: list[EventDiff],
    path: str,
    added: Counter[tuple[str, str]],
    removed: Counter[tuple[str, str]],
    fields: dict[str, Counter[tuple[str, str]]],
) -> None:
    for event_diff in events:
        if event_diff.kind == "changed":
            fields[path].update(_field_change(change) for change in event_diff.changes)
        elif event_diff.kind == "unexpected" and event_diff.actual is not None:
            added[(path, label(event_diff.actual))] += 1
        elif event_diff.expected is not None:
            removed[(path, label(event_diff.expected))] += 1


def _field_change(change: FieldChange) -> tuple[str, str]:
    """(path, "changed" | "added" | "removed"): how the summary counts a field."""
    if not change.has_expected:
        return format_path(change.path), "added"
    if not change.has_actual:
        return format_path(change.path), "removed"
    return format_path(change.path), "changed"


def label(event: Event) -> str:
    """``outbound "message"`` / ``layer group_send "chat.message"``: how a summary counts events.

    A frame that holds JSON with a ``type`` is named by it: that is what a
    reviewer knows it as.
    """
    direction = _DIRECTION.get(str(event.get("dir")), str(event.get("dir")))
    message = event.get("message")
    if event.get("dir") == "error":
        return f"error {event.get('exception')}"
    if event.get("dir") == "layer":
        kind = message.get("type") if isinstance(message, dict) else None
        return f"layer {event.get('op')}" + (f' "{kind}"' if kind else "")
    if isinstance(message, dict):
        body = unwrap(message.get("text"))
        if isinstance(body, dict) and isinstance(body.get("type"), str):
            return f'{direction} "{body["type"]}"'
        return f"{direction} {message.get('type')}"
    return direction


def diff_lines(diff: CassetteDiff) -> list[str]:
    """The changes as unified-diff lines (``+`` new, ``-`` old, `` `` context)."""
    lines: list[str] = []
    for connection_diff in diff.connections:
        lines += _connection(connection_diff)
    if diff.external:
        lines.append("  external (outside any connection)")
        lines += _events(diff.external)
    return lines


def render_diff(
    diff: CassetteDiff, *, old: str = "old", new: str = "new", markdown: bool = False
) -> str:
    """The summary, then the changes: text for a terminal, or Markdown for a pull request."""
    summary = summarize(diff)
    if diff.equal:
        return f"{summary}\n"
    body = diff_lines(diff)
    if markdown:
        return "\n".join([f"**{old} → {new}**", "", summary, "", "```diff", *body, "```", ""])
    return "\n".join([f"--- {old}", f"+++ {new}", summary, "", *body, ""])


def _connection(diff: ConnectionDiff) -> list[str]:
    connection = diff.connection
    count = f"{len(connection.events)} event{'s' * (len(connection.events) != 1)}"
    if diff.kind == "unexpected":
        return [f"+ {heading(connection)}: added, {count}"]
    if diff.kind == "missing":
        return [f"- {heading(connection)}: removed, {count}"]
    lines = [f"  {heading(connection)}"]
    for change in diff.header:
        lines += _field(change, "    ")
    lines += _events(diff.events)
    return lines


def _events(events: list[EventDiff]) -> list[str]:
    lines: list[str] = []
    for event_diff in events:
        if event_diff.kind == "changed" and event_diff.expected is not None:
            lines.append(f"    {_title(event_diff.expected, event_diff.expected_index)}")
            for change in event_diff.changes:
                lines += _field(change, "      ")
        elif event_diff.kind == "unexpected" and event_diff.actual is not None:
            lines.append(f"+   {_title(event_diff.actual, event_diff.actual_index)}")
            lines.append(f"+     {_short(event_diff.actual)}")
        elif event_diff.expected is not None:
            lines.append(f"-   {_title(event_diff.expected, event_diff.expected_index)}")
            lines.append(f"-     {_short(event_diff.expected)}")
    return lines


def _title(event: Event, index: int | None) -> str:
    arrow = {"in": "->", "out": "<-", "layer": ".."}.get(str(event.get("dir")), "??")
    return f"event {index} (step {event.get('step', '?')}) {arrow} {what(event)}"


def _field(change: FieldChange, indent: str) -> list[str]:
    where = format_path(change.path)
    lines = []
    if change.has_expected:
        lines.append(f"-{indent[1:]}{where}: {_value(change.expected)}")
    if change.has_actual:
        lines.append(f"+{indent[1:]}{where}: {_value(change.actual)}")
    return lines


def _value(value: Any) -> str:
    text = orjson.dumps(unwrap(value), option=orjson.OPT_SORT_KEYS).decode()
    return text if len(text) <= _WIDTH else text[: _WIDTH - 3] + "..."


def _short(event: Event) -> str:
    message = event.get("message")
    shown = (
        {k: unwrap(v) for k, v in message.items() if k != "type"}
        if isinstance(message, dict)
        else {}
    )
    return _value(shown) if shown else "(no payload)"

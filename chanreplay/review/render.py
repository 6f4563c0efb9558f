"""``chanreplay render``: a cassette as a self-contained HTML sequence diagram.

One lifeline per connection and one per group; every event is a row, in
causal order (by step, then connection, then position). A frame from the
client enters its connection's lifeline from the left margin, a frame to the
client leaves it; a ``group_add`` or ``group_send`` is an arrow from the
connection to the group, the consumer's ``receive`` an arrow from the group
(or the sending connection) to it. Hovering a row shows its payload; clicking
pins it in the side panel; checkboxes hide connections. With ``old``, two
versions are drawn side by side and the events that differ are highlighted.

The page needs no network: styles, script and data are inline. Pure: no
Django, no Channels.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import orjson

from chanreplay.cassette.model import Cassette, Event
from chanreplay.diff.compare import CassetteDiff, diff_cassettes
from chanreplay.review.links import message_key, sends
from chanreplay.review.transcript import heading, what

__all__ = ["render_html"]

LANE = 170
ROW = 24
TOP = 70
MARGIN = 120


@dataclass
class _Row:
    connection: str
    index: int
    event: Event
    mark: str = ""  # "added", "removed" or "changed" in a diff


def render_html(cassette: Cassette, *, title: str, old: Cassette | None = None) -> str:
    """The page: one diagram, or ``old`` and ``cassette`` side by side with changes marked."""
    if old is None:
        body = _diagram(cassette, "only", {})
        panels = f'<div class="diagrams one">{body}</div>'
    else:
        diff = diff_cassettes(old, cassette)
        old_marks, new_marks = _marks(diff)
        panels = (
            '<div class="diagrams two">'
            f"<section><h2>before</h2>{_diagram(old, 'old', old_marks)}</section>"
            f"<section><h2>after</h2>{_diagram(cassette, 'new', new_marks)}</section>"
            "</div>"
        )
    connections = [c for c in (old.connections if old else []) + cassette.connections]
    seen: dict[str, str] = {}
    for connection in connections:
        seen.setdefault(connection.id, heading(connection))
    filters = "".join(
        f'<label><input type="checkbox" checked data-filter="{html.escape(cid)}"> '
        f"{html.escape(text)}</label>"
        for cid, text in seen.items()
    )
    return _PAGE.format(
        title=html.escape(title),
        filters=filters,
        panels=panels,
        style=_STYLE,
        script=_SCRIPT,
    )


def _marks(diff: CassetteDiff) -> tuple[dict[tuple[str, int], str], dict[tuple[str, int], str]]:
    """Which rows of each side to highlight, keyed by (connection id, event index)."""
    old: dict[tuple[str, int], str] = {}
    new: dict[tuple[str, int], str] = {}
    for connection_diff in diff.connections:
        cid = connection_diff.connection.id
        if connection_diff.kind == "missing":
            for index in range(len(connection_diff.connection.events)):
                old[(cid, index)] = "removed"
            continue
        if connection_diff.kind == "unexpected":
            for index in range(len(connection_diff.connection.events)):
                new[(cid, index)] = "added"
            continue
        for event_diff in connection_diff.events:
            if event_diff.expected_index is not None:
                old[(cid, event_diff.expected_index)] = (
                    "changed" if event_diff.kind == "changed" else "removed"
                )
            if event_diff.actual_index is not None:
                new[(cid, event_diff.actual_index)] = (
                    "changed" if event_diff.kind == "changed" else "added"
                )
    return old, new


def _diagram(cassette: Cassette, side: str, marks: dict[tuple[str, int], str]) -> str:
    rows = sorted(
        (
            _Row(c.id, i, event, marks.get((c.id, i), ""))
            for position, c in enumerate(cassette.connections)
            for i, event in enumerate(c.events)
        ),
        key=lambda row: (
            row.event.get("step", 0),
            [c.id for c in cassette.connections].index(row.connection),
            row.index,
        ),
    )
    # Each group's lifeline stands next to the first connection that uses it.
    lanes: list[str] = []
    for connection in cassette.connections:
        lanes.append(connection.id)
        for event in connection.events:
            group = event.get("group")
            if event.get("dir") == "layer" and group and f"group:{group}" not in lanes:
                lanes.append(f"group:{group}")
    x = {lane: MARGIN + i * LANE for i, lane in enumerate(lanes)}
    owners = _channel_owners(cassette)
    senders = _senders(cassette)
    width = MARGIN + len(lanes) * LANE
    height = TOP + len(rows) * ROW + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" data-side="{side}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        '<defs><marker id="arrow-' + side + '" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>',
    ]
    for lane, lx in x.items():
        label = lane if not lane.startswith("group:") else lane[6:]
        kind = "group" if lane.startswith("group:") else "connection"
        parts.append(
            f'<g class="lane {kind}" data-conn="{html.escape(lane)}">'
            f'<rect x="{lx - 60}" y="10" width="120" height="28" rx="4"/>'
            f'<text x="{lx}" y="29" text-anchor="middle">{html.escape(label)}</text>'
            f'<line x1="{lx}" y1="38" x2="{lx}" y2="{height - 10}"/></g>'
        )
    data = []
    for number, row in enumerate(rows):
        y = TOP + number * ROW
        start, end, label = _arrow(row, x, owners, senders)
        payload = _payload(row.event)
        data.append(
            {
                "connection": row.connection,
                "index": row.index,
                "step": row.event.get("step"),
                "what": what(row.event),
                "event": row.event,
            }
        )
        mark = f" {row.mark}" if row.mark else ""
        step = html.escape(str(row.event.get("step", "")))
        parts.append(
            f'<g class="msg dir-{html.escape(str(row.event.get("dir")))}{mark}" '
            f'data-conn="{html.escape(row.connection)}" data-i="{number}">'
            f'<rect class="hit" x="0" y="{y - ROW / 2}" width="{width}" height="{ROW}"/>'
            f'<text class="step" x="8" y="{y + 4}">{step}</text>'
            f'<line x1="{start}" y1="{y}" x2="{end}" y2="{y}" marker-end="url(#arrow-{side})"/>'
            f'<text x="{(start + end) / 2}" y="{y - 4}" text-anchor="middle">'
            f"{html.escape(label)}</text><title>{html.escape(payload)}</title></g>"
        )
    parts.append("</svg>")
    encoded = _script_safe(orjson.dumps(data).decode())
    parts.append(
        f'<script type="application/json" class="events" data-side="{side}">{encoded}</script>'
    )
    return "".join(parts)


def _arrow(
    row: _Row, x: dict[str, int], owners: dict[str, str], senders: dict[bytes, str]
) -> tuple[float, float, str]:
    event = row.event
    here = x[row.connection]
    label = what(event)
    direction = event.get("dir")
    if direction == "in":
        return here - LANE * 0.4, here - 4, label
    if direction == "out":
        return here + 4, here + LANE * 0.4, label
    if direction == "error":
        return here + 4, here + LANE * 0.4, f"{label} ({event.get('client')})"
    op = event.get("op")
    group = event.get("group")
    if op in ("group_add", "group_discard", "group_send") and group:
        kind = event.get("message", {}).get("type") if op == "group_send" else ""
        return here, x[f"group:{group}"], f"{op} {kind or ''}".strip()
    if op == "receive":
        # From the group's lifeline when a group_send delivered it, else from the sender.
        source = senders.get(message_key(event))
        kind = event.get("message", {}).get("type", "")
        if source is not None and source in x and source != row.connection:
            return x[source], here, f"receive {kind}"
        return here - LANE * 0.3, here - 4, f"receive {kind}"
    if op == "send":
        target = owners.get(str(event.get("channel")))
        kind = event.get("message", {}).get("type", "")
        if target is not None and target in x and target != row.connection:
            return here, x[target], f"send {kind}"
        return here + 4, here + LANE * 0.3, f"send {kind} {event.get('channel', '')}"
    return here + 4, here + LANE * 0.25, label


def _payload(event: Event) -> str:
    shown = {k: v for k, v in event.items() if k not in ("dir", "step")}
    return orjson.dumps(shown, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()


def _channel_owners(cassette: Cassette) -> dict[str, str]:
    """``<channel:c4>`` -> ``c4``: which connection's consumer listens on a channel."""
    owners: dict[str, str] = {}
    for connection in cassette.connections:
        for event in connection.events:
            if event.get("op") == "new_channel" and event.get("channel"):
                owners.setdefault(str(event["channel"]), connection.id)
    return owners


def _senders(cassette: Cassette) -> dict[bytes, str]:
    """The lifeline each layer message comes from: its group's, or the sending connection's."""
    found: dict[bytes, str] = {}
    for owner, event in sends(cassette):
        if owner is None:
            continue
        source = f"group:{event.get('group')}" if event.get("op") == "group_send" else owner
        found.setdefault(message_key(event), source)
    return found


_STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; display: flex; height: 100vh; }
main { flex: 1; overflow: auto; padding: 12px; }
aside { width: 360px; border-left: 1px solid #ccc; padding: 12px; overflow: auto;
        background: #fafafa; }
h1 { font-size: 16px; margin: 0 0 8px; } h2 { font-size: 14px; margin: 8px 0; }
.filters label { display: block; white-space: nowrap; }
.diagrams.two { display: flex; gap: 24px; align-items: flex-start; }
.diagrams.two > section { flex: 1; min-width: 0; overflow: auto; }
svg.diagram { color: #333; }
.lane rect { fill: #eef3fb; stroke: #5b7db1; } .lane.group rect { fill: #f6efe2; stroke: #b1885b; }
.lane line { stroke: #bbb; stroke-dasharray: 4 3; }
.msg line { stroke: currentColor; stroke-width: 1.4; }
.msg text { font-size: 11px; fill: #222; } .msg text.step { fill: #999; }
.msg .hit { fill: transparent; } .msg:hover .hit { fill: #fffbd6; }
.msg.dir-in { color: #2f7d32; } .msg.dir-out { color: #1f5fa8; } .msg.dir-layer { color: #8a3ea8; }
.msg.dir-error { color: #b3261e; }
.msg.added .hit { fill: #e3f6e5; } .msg.removed .hit { fill: #fbe3e3; }
.msg.changed .hit { fill: #fff1d0; }
.msg.pinned .hit { fill: #d9e8ff; }
.hidden { display: none; }
pre { white-space: pre-wrap; word-break: break-word; font-size: 12px; }
"""

_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def _script_safe(encoded: str) -> str:
    """JSON that no payload can break out of a ``<script>`` element with.

    ``<`` and ``>`` only occur inside JSON strings, where ``\\u003c`` means the
    same: so ``</script>``, ``<!--`` and ``<script>`` (which switch the HTML
    parser's script states and swallowed the page's own script) cannot form,
    and ``&`` and the line separators are escaped for good measure.
    """
    return encoded.translate(_SCRIPT_SAFE)


_SCRIPT = """
(function () {
  const events = {};
  document.querySelectorAll("script.events").forEach(function (node) {
    events[node.dataset.side] = JSON.parse(node.textContent);
  });
  const panel = document.getElementById("payload");
  document.querySelectorAll("svg.diagram").forEach(function (svg) {
    svg.addEventListener("click", function (e) {
      const row = e.target.closest("g.msg");
      if (!row) { return; }
      document.querySelectorAll("g.msg.pinned").forEach(function (g) {
        g.classList.remove("pinned");
      });
      row.classList.add("pinned");
      const item = events[svg.dataset.side][Number(row.dataset.i)];
      panel.textContent = item.connection + " event " + item.index + " (step " + item.step + "): "
        + item.what + "\\n\\n" + JSON.stringify(item.event, null, 2);
    });
  });
  document.querySelectorAll("input[data-filter]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('[data-conn="' + box.dataset.filter + '"]').forEach(function (n) {
        n.classList.toggle("hidden", !box.checked);
      });
    });
  });
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{style}</style></head>
<body><main><h1>{title}</h1>{panels}</main>
<aside><h2>connections</h2><div class="filters">{filters}</div>
<h2>payload</h2><pre id="payload">click an arrow</pre></aside>
<script>{script}</script></body></html>
"""

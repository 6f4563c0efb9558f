"""``chanreplay render``: a cassette as a self-contained HTML sequence diagram.

One lifeline per connection (headed by what it is: ``c4 websocket
/ws/chat/lobby/`` and its user) and one per group; every event is a row, in
causal order (by step, then connection, then position). A frame from the
client enters its connection's lifeline from the left, a frame to the
client leaves it; a ``group_add`` or ``group_send`` is an arrow from the
connection to the group, the consumer's ``receive`` an arrow from the group
(or the sending connection) to it. Each row shows what its message says
beside the arrows; clicking a row pins the whole event in the side panel.
The lifelines' heads stay in view while the rows scroll.

Switches above the diagram hide connections (their lanes and rows go, the
rest close up), and fold each HTTP exchange into one row (a login form's
requests and redirects are rarely what a reviewer came for; on by default).
With ``old``, the two versions are drawn side by side, the rows that differ
are tinted, a changed row shows each changed field's value before and after,
and "next change" / "previous change" step through them.

The page needs no network: styles, script and data are inline; the diagram
is drawn from the data by the page's script. Pure: no Django, no Channels.
"""

from __future__ import annotations

import html
from typing import Any

import orjson

from chanreplay.cassette.model import Cassette, Connection, Event
from chanreplay.diff.compare import CassetteDiff, FieldChange, diff_cassettes
from chanreplay.diff.paths import format_path, unwrap
from chanreplay.review.links import message_key, sends
from chanreplay.review.transcript import heading, username, what

__all__ = ["render_html"]

_TEXT = 160
"""Longest a row's message text gets before it is cut (the panel shows it whole)."""

_Marks = dict[tuple[str, int], tuple[str, list[dict[str, str]]]]
"""(connection id, event index) -> (``added``/``removed``/``changed``, the changed fields)."""


def render_html(cassette: Cassette, *, title: str, old: Cassette | None = None) -> str:
    """The page: one diagram, or ``old`` and ``cassette`` side by side with changes marked."""
    if old is None:
        sides = {"only": _side(cassette, {})}
    else:
        old_marks, new_marks = _marks(diff_cassettes(old, cassette))
        sides = {"old": _side(old, old_marks), "new": _side(cassette, new_marks)}
    connections = (old.connections if old else []) + cassette.connections
    seen: dict[str, str] = {}
    for connection in connections:
        seen.setdefault(connection.id, heading(connection))
    filters = "".join(
        f'<label title="{html.escape(text)}"><input type="checkbox" checked '
        f'data-filter="{html.escape(cid)}"> {html.escape(cid)}</label>'
        for cid, text in seen.items()
    )
    data = _script_safe(orjson.dumps(sides).decode())
    return _PAGE.format(
        title=html.escape(title),
        filters=filters,
        data=data,
        layout="two" if old is not None else "one",
        style=_STYLE,
        script=_SCRIPT,
    )


def _marks(diff: CassetteDiff) -> tuple[_Marks, _Marks]:
    """Which rows of each side differ, and the fields that changed in each."""
    old: _Marks = {}
    new: _Marks = {}
    for connection_diff in diff.connections:
        cid = connection_diff.connection.id
        if connection_diff.kind == "missing":
            for index in range(len(connection_diff.connection.events)):
                old[(cid, index)] = ("removed", [])
            continue
        if connection_diff.kind == "unexpected":
            for index in range(len(connection_diff.connection.events)):
                new[(cid, index)] = ("added", [])
            continue
        for event_diff in connection_diff.events:
            fields = [_field(change) for change in event_diff.changes]
            changed = event_diff.kind == "changed"
            if event_diff.expected_index is not None:
                old[(cid, event_diff.expected_index)] = (
                    ("changed", fields) if changed else ("removed", [])
                )
            if event_diff.actual_index is not None:
                new[(cid, event_diff.actual_index)] = (
                    ("changed", fields) if changed else ("added", [])
                )
    return old, new


def _field(change: FieldChange) -> dict[str, str]:
    def shown(value: Any, present: bool) -> str:
        return orjson.dumps(unwrap(value)).decode() if present else "(absent)"

    return {
        "path": format_path(change.path),
        "before": shown(change.expected, change.has_expected),
        "after": shown(change.actual, change.has_actual),
    }


def _side(cassette: Cassette, marks: _Marks) -> dict[str, Any]:
    """What the page's script draws for one cassette: its lanes and its rows."""
    order = {c.id: position for position, c in enumerate(cassette.connections)}
    lanes: list[dict[str, Any]] = []
    for connection in cassette.connections:
        lanes.append(_lane(connection))
        for event in connection.events:
            group = event.get("group")
            lane = f"group:{group}"
            if event.get("dir") == "layer" and group and all(x["id"] != lane for x in lanes):
                lanes.append({"id": lane, "kind": "group", "title": str(group), "sub": "group"})
    owners = _channel_owners(cassette)
    senders = _senders(cassette)
    events = sorted(
        ((c, i, event) for c in cassette.connections for i, event in enumerate(c.events)),
        key=lambda item: (item[2].get("step", 0), order[item[0].id], item[1]),
    )
    rows = []
    for connection, index, event in events:
        source, target, label = _arrow(connection.id, event, owners, senders)
        mark, fields = marks.get((connection.id, index), ("", []))
        rows.append(
            {
                "conn": connection.id,
                "http": connection.type == "http",
                "index": index,
                "step": event.get("step"),
                "dir": event.get("dir"),
                "from": source,
                "to": target,
                "label": label,
                "text": _text(event),
                "mark": mark,
                "fields": fields,
                "event": event,
            }
        )
    return {"lanes": lanes, "rows": rows}


def _lane(connection: Connection) -> dict[str, Any]:
    scope = connection.scope
    method = f"{scope.get('method')} " if connection.type == "http" and scope.get("method") else ""
    sub = username(connection) or "anonymous"
    if not connection.closed:
        sub += ", never closed"
    return {
        "id": connection.id,
        "kind": connection.type,
        "title": f"{connection.id} {method}{connection.path}",
        "sub": f"{connection.type} · {sub}",
    }


def _arrow(
    lane: str, event: Event, owners: dict[str, str], senders: dict[bytes, str]
) -> tuple[str, str, str]:
    """Where an event's arrow starts and ends (a lane, or ``client`` beside its lane)."""
    label = what(event)
    direction = event.get("dir")
    if direction == "in":
        return "client", lane, label
    if direction in ("out", "error"):
        suffix = f" ({event.get('client')})" if direction == "error" else ""
        return lane, "client", label + suffix
    op = event.get("op")
    group = event.get("group")
    kind = (
        str(event.get("message", {}).get("type", ""))
        if isinstance(event.get("message"), dict)
        else ""
    )
    if op in ("group_add", "group_discard", "group_send") and group:
        return lane, f"group:{group}", f"{op} {kind if op == 'group_send' else ''}".strip()
    if op == "receive":
        # From the group's lifeline when a group_send delivered it, else from the sender.
        source = senders.get(message_key(event))
        if source is not None and source != lane:
            return source, lane, f"receive {kind}".strip()
        return "layer", lane, f"receive {kind}".strip()
    if op == "send":
        target = owners.get(str(event.get("channel")))
        if target is not None and target != lane:
            return lane, target, f"send {kind}".strip()
        return lane, "layer", f"send {kind} {event.get('channel', '')}".strip()
    return lane, "layer", label


def _text(event: Event) -> str:
    """What the event's message says, in one short line (the panel shows it all)."""
    direction = event.get("dir")
    if direction == "error":
        return f"{event.get('exception')}: {event.get('detail', '')}"
    message = event.get("message")
    if not isinstance(message, dict):
        return str(event.get("error", ""))
    shown: Any = {
        key: value
        for key, value in message.items()
        if key not in ("type", "headers") and value is not None
    }
    for key in ("text", "bytes", "body"):
        if set(shown) - {"more_body"} == {key}:
            shown = shown[key]  # a frame or a body: its content alone
            break
    text = _plain(shown)
    return text if len(text) <= _TEXT else text[: _TEXT - 1] + "…"


def _plain(value: Any) -> str:
    """A message's content as a person reads it: text as text, JSON compact, bytes counted."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, payload),) = value.items()
        if tag == "$bytes_text" and isinstance(payload, str):
            return payload
        if tag == "$bytes" and isinstance(payload, str):
            return f"({len(payload) * 3 // 4} bytes)"
        if tag in ("$json", "$bytes_json"):
            return orjson.dumps(unwrap(payload)).decode()
    if value in ({}, None, ""):
        return ""
    value = unwrap(value)
    return value if isinstance(value, str) else orjson.dumps(value).decode()


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


_STYLE = """
* { box-sizing: border-box; }
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; display: flex; height: 100vh;
       color: #222; }
main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
header.bar { padding: 8px 12px; border-bottom: 1px solid #ddd; }
h1 { font-size: 15px; margin: 0 0 6px; } h2 { font-size: 13px; margin: 8px 0 4px; }
.switches { display: flex; flex-wrap: wrap; gap: 2px 10px; align-items: center;
            font-size: 12px; }
.switches label { white-space: nowrap; }
.changes { margin-left: auto; display: flex; gap: 6px; align-items: center; }
.diagrams { flex: 1; display: flex; gap: 12px; min-height: 0; }
.side { flex: 1; min-width: 0; display: flex; flex-direction: column; }
.side h2 { margin: 6px 8px; }
.scroll { flex: 1; overflow: auto; position: relative; }
.heads { position: sticky; top: 0; z-index: 3; background: #fff; height: 46px;
         border-bottom: 1px solid #ddd; display: flex; }
.corner { position: sticky; left: 0; z-index: 4; background: #fff; flex: none;
          font-size: 11px; color: #888; padding: 26px 0 0 6px; }
.lanes { position: relative; flex: none; }
.head { position: absolute; top: 4px; height: 38px; border: 1px solid #5b7db1;
        background: #eef3fb; border-radius: 4px; padding: 1px 4px; overflow: hidden;
        font-size: 11px; line-height: 17px; text-align: center; }
.head.group { border-color: #b1885b; background: #f6efe2; }
.head .title { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.head .sub { color: #666; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.body { position: relative; }
.row { position: absolute; left: 0; display: flex; cursor: pointer; }
.row .left { position: sticky; left: 0; z-index: 1; background: #fff; flex: none;
             display: flex; border-right: 1px solid #eee; }
.row:hover, .row:hover .left { background: #fffbd6; }
.row.added, .row.added .left { background: #e3f6e5; }
.row.removed, .row.removed .left { background: #fbe3e3; }
.row.changed, .row.changed .left { background: #fff1d0; }
.row.pinned, .row.pinned .left { background: #d9e8ff; }
.row.current { outline: 2px solid #e0a000; }
.row .step { width: 34px; flex: none; text-align: right; color: #999; font-size: 11px;
             padding: 4px 6px 0 0; }
.row .text { flex: 1; min-width: 0; font: 12px/24px ui-monospace, monospace; color: #333;
             overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.row .field { font: 12px/18px ui-monospace, monospace; overflow: hidden;
              text-overflow: ellipsis; white-space: nowrap; }
.fields .before { color: #a8071a; } .fields .after { color: #237804; }
.row svg { flex: none; overflow: visible; }
svg .life { stroke: #bbb; stroke-dasharray: 4 3; }
svg .arrow { stroke-width: 1.4; }
svg .label { font-size: 11px; fill: #222; }
.dir-in { color: #2f7d32; } .dir-out { color: #1f5fa8; } .dir-layer { color: #8a3ea8; }
.dir-error { color: #b3261e; } .dir-http { color: #555; }
aside { width: 320px; border-left: 1px solid #ccc; padding: 8px 12px; overflow: auto;
        background: #fafafa; }
pre { white-space: pre-wrap; word-break: break-word; font-size: 12px; }
"""

_SCRIPT = r"""
(function () {
  // Rows are laid out from the data and only those in view (and a margin) are in the
  // page: a session of 10,000 events scrolls and filters at once.
  const LANE = 140, LEFT = 330, ROW = 24, FIELD = 18, MARGIN = 30;
  const sides = JSON.parse(document.getElementById("data").textContent);
  const names = Object.keys(sides);
  const hidden = new Set();
  let foldHttp = true, onlyChanges = false, query = "", current = -1;
  const panel = document.getElementById("payload");
  const svgNS = "http://www.w3.org/2000/svg";
  const views = {};

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function svgEl(tag, attrs) {
    const node = document.createElementNS(svgNS, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  // An HTTP exchange as one row: the request, then the status it got.
  function folded(rows) {
    const out = [], seen = {};
    rows.forEach(function (row) {
      if (!(foldHttp && row.http && (row.dir === "in" || row.dir === "out"))) {
        out.push(row);
        return;
      }
      let first = seen[row.conn];
      if (!first) {
        first = seen[row.conn] = Object.assign({}, row, {
          from: "client", to: row.conn, label: "", text: "", parts: [], exchange: true,
          mark: "", fields: []
        });
        out.push(first);
      }
      first.parts.push(row);
      const message = row.event.message || {};
      if (message.type === "http.request") {
        first.label = "request";
      } else if (message.type === "http.response.start") {
        first.label = "request → " + message.status;
      }
      if (row.text && !first.text && message.type !== "http.response.start") {
        first.text = row.text;
      }
      if (row.mark && !first.mark) { first.mark = row.mark; }
      first.fields = first.fields.concat(row.fields);
    });
    return out;
  }

  function matches(row) {
    if (!query) { return true; }
    const haystack = (row.conn + " " + row.label + " " + row.text).toLowerCase();
    return haystack.indexOf(query) >= 0;
  }

  function layout(name) {
    const side = sides[name];
    const rows = folded(side.rows).filter(function (row) {
      return !hidden.has(row.conn) && matches(row) && (!onlyChanges || row.mark);
    });
    // A group's lane stays while a row that is shown uses it.
    const used = new Set();
    rows.forEach(function (row) { used.add(row.from); used.add(row.to); });
    const lanes = side.lanes.filter(function (lane) {
      return lane.kind === "group" ? used.has(lane.id) : !hidden.has(lane.id);
    });
    const x = {};
    lanes.forEach(function (lane, i) { x[lane.id] = LANE / 2 + i * LANE; });
    const tops = [];
    let height = 0;
    rows.forEach(function (row) { tops.push(height); height += ROW + FIELD * row.fields.length; });
    return { rows: rows, lanes: lanes, x: x, tops: tops, height: height,
             width: lanes.length * LANE + 20 };
  }

  function arrowEnds(row, x) {
    const here = x[row.conn];
    let a = row.from === "layer" ? here - LANE * 0.3 : x[row.from];
    let b = row.to === "layer" ? here + LANE * 0.3 : x[row.to];
    if (row.from === "client") { a = here - LANE * 0.42; b = here - 3; }
    if (row.to === "client") { a = here + 3; b = here + LANE * 0.42; }
    if (a === undefined) { a = here - LANE * 0.3; }
    if (b === undefined) { b = here + LANE * 0.3; }
    return [a, b, here];
  }

  function drawRow(view, number) {
    const row = view.rows[number];
    const line = el("div", "row dir-" + (row.exchange ? "http" : row.dir)
      + (row.mark ? " " + row.mark : "") + (number === view.current ? " current" : "")
      + (number === view.pinned ? " pinned" : ""));
    line.dataset.conn = row.conn;
    line.dataset.i = String(number);
    line.style.top = view.tops[number] + "px";
    line.style.height = (ROW + FIELD * row.fields.length) + "px";
    line.style.width = (LEFT + view.width) + "px";
    const left = el("div", "left");
    left.style.width = LEFT + "px";
    left.appendChild(el("span", "step", row.step === undefined ? "" : String(row.step)));
    const text = el("div", "text", row.text);
    text.title = row.text;
    row.fields.forEach(function (f) {
      const item = el("div", "field");
      item.appendChild(el("span", "", f.path + ": "));
      item.appendChild(el("span", "before", f.before));
      item.appendChild(el("span", "", " → "));
      item.appendChild(el("span", "after", f.after));
      text.appendChild(item);
    });
    left.appendChild(text);
    line.appendChild(left);
    const svg = svgEl("svg", { width: view.width, height: ROW, class: "lifelines" });
    const ends = arrowEnds(row, view.x), a = ends[0], b = ends[1], here = ends[2];
    const y = ROW / 2 + 3;
    svg.appendChild(svgEl("line", { class: "arrow", x1: a, y1: y, x2: b, y2: y,
      stroke: "currentColor", "marker-end": "url(#arrow)" }));
    if (row.exchange) {
      svg.appendChild(svgEl("line", { class: "arrow", x1: here - 3, y1: y + 5,
        x2: here - LANE * 0.42, y2: y + 5, stroke: "currentColor",
        "marker-end": "url(#arrow)" }));
    }
    const label = svgEl("text",
      { class: "label", x: (a + b) / 2, y: y - 4, "text-anchor": "middle" });
    label.textContent = row.label;
    svg.appendChild(label);
    line.appendChild(svg);
    line.addEventListener("click", function () {
      names.forEach(function (other) { views[other].pinned = -1; });
      view.pinned = number;
      document.querySelectorAll(".row.pinned").forEach(function (r) {
        r.classList.remove("pinned");
      });
      line.classList.add("pinned");
      const parts = row.exchange ? row.parts : [row];
      panel.textContent = parts.map(function (part) {
        return part.conn + " event " + part.index + " (step " + part.step + "): "
          + part.label + "\n" + JSON.stringify(part.event, null, 2);
      }).join("\n\n");
    });
    return line;
  }

  // The first row whose bottom is below ``y`` (the rows' tops are sorted).
  function rowAt(view, y) {
    let low = 0, high = view.rows.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (view.tops[mid] + ROW + FIELD * view.rows[mid].fields.length <= y) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low;
  }

  function paint(name) {
    const view = views[name];
    const top = view.scroll.scrollTop - view.body.offsetTop;
    const first = Math.max(0, rowAt(view, top) - MARGIN);
    const last = Math.min(view.rows.length, rowAt(view, top + view.scroll.clientHeight) + MARGIN);
    if (first === view.first && last === view.last && !view.dirty) { return; }
    view.first = first;
    view.last = last;
    view.dirty = false;
    const fragment = document.createDocumentFragment();
    for (let number = first; number < last; number++) {
      fragment.appendChild(drawRow(view, number));
    }
    view.body.replaceChildren(fragment);
  }

  function build(name) {
    const scroll = document.querySelector('.scroll[data-side="' + name + '"]');
    const view = Object.assign(layout(name), {
      scroll: scroll, first: -1, last: -1, dirty: true, current: -1, pinned: -1
    });
    views[name] = view;
    scroll.innerHTML = "";
    scroll.dataset.rows = String(view.rows.length);
    const heads = el("div", "heads");
    heads.style.width = (LEFT + view.width) + "px";
    const corner = el("div", "corner", "step   message");
    corner.style.width = LEFT + "px";
    heads.appendChild(corner);
    const strip = el("div", "lanes");
    strip.style.width = view.width + "px";
    view.lanes.forEach(function (lane) {
      const head = el("div", "head " + (lane.kind === "group" ? "group" : "connection"));
      head.dataset.conn = lane.id;
      head.style.left = (view.x[lane.id] - LANE / 2 + 4) + "px";
      head.style.width = (LANE - 8) + "px";
      head.title = lane.title + " (" + lane.sub + ")";
      head.appendChild(el("div", "title", lane.title));
      head.appendChild(el("div", "sub", lane.sub));
      strip.appendChild(head);
    });
    heads.appendChild(strip);
    scroll.appendChild(heads);
    const body = el("div", "body");
    body.style.height = view.height + "px";
    body.style.width = (LEFT + view.width) + "px";
    // The lifelines: one dashed line per lane, drawn once for the whole body.
    const mid = LANE / 2;
    body.style.backgroundImage = "linear-gradient(to right, transparent " + (mid - 1)
      + "px, #ccc " + (mid - 1) + "px, #ccc " + mid + "px, transparent " + mid + "px)";
    body.style.backgroundSize = LANE + "px 100%";
    body.style.backgroundPosition = LEFT + "px 0";
    body.style.backgroundRepeat = "repeat-x";
    scroll.appendChild(body);
    view.body = body;
    paint(name);
  }

  function buildAll() {
    names.forEach(build);
    current = -1;
    const count = document.getElementById("count");
    if (count) {
      const found = changes().length;
      count.textContent = found + (found === 1 ? " change" : " changes");
    }
  }

  // The changes, once each: a changed or added row after, a removed row before.
  function changes() {
    const found = [];
    names.forEach(function (name) {
      views[name].rows.forEach(function (row, number) {
        const counted = name === "old" ? row.mark === "removed"
          : (row.mark === "changed" || row.mark === "added");
        if (counted) { found.push([views[name].tops[number], name, number]); }
      });
    });
    return found.sort(function (p, q) { return p[0] - q[0]; });
  }

  function step(by) {
    const found = changes();
    if (!found.length) { return; }
    current = (current + by + found.length) % found.length;
    const target = found[current];
    names.forEach(function (name) {
      const view = views[name];
      view.current = name === target[1] ? target[2] : -1;
      view.dirty = true;
      view.scroll.scrollTop = view.body.offsetTop + target[0] - 80;
      paint(name);
    });
  }

  names.forEach(function (name) {
    const scroll = document.querySelector('.scroll[data-side="' + name + '"]');
    scroll.addEventListener("scroll", function () { paint(name); });
  });
  window.addEventListener("resize", function () { names.forEach(paint); });
  document.querySelectorAll("input[data-filter]").forEach(function (box) {
    box.addEventListener("change", function () {
      if (box.checked) {
        hidden.delete(box.dataset.filter);
      } else {
        hidden.add(box.dataset.filter);
      }
      buildAll();
    });
  });
  document.getElementById("fold").addEventListener("change", function (e) {
    foldHttp = e.target.checked;
    buildAll();
  });
  const search = document.getElementById("search");
  search.addEventListener("input", function () {
    query = search.value.trim().toLowerCase();
    buildAll();
  });
  const only = document.getElementById("only");
  if (only) {
    only.addEventListener("change", function () { onlyChanges = only.checked; buildAll(); });
  }
  const next = document.getElementById("next");
  const previous = document.getElementById("previous");
  if (next) { next.addEventListener("click", function () { step(1); }); }
  if (previous) { previous.addEventListener("click", function () { step(-1); }); }
  // Keys: n and p (or j and k) step through the changes, / goes to the search box.
  document.addEventListener("keydown", function (e) {
    if (e.target === search || e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "n" || e.key === "j") { step(1); e.preventDefault(); }
    if (e.key === "p" || e.key === "k") { step(-1); e.preventDefault(); }
    if (e.key === "/") { search.focus(); e.preventDefault(); }
  });
  buildAll();
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{style}</style></head>
<body class="{layout}"><main>
<header class="bar"><h1>{title}</h1>
<div class="switches"><input type="search" id="search" placeholder="search ( / )"
aria-label="search the rows"> <label><input type="checkbox" id="fold" checked> one row per
HTTP exchange</label> <span>connections:</span> {filters}</div></header>
<svg width="0" height="0" style="position:absolute"><defs><marker id="arrow"
viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker>
</defs></svg>
<div class="diagrams" id="diagrams"></div></main>
<aside><h2>event</h2><pre id="payload">click a row</pre></aside>
<script type="application/json" id="data">{data}</script>
<script>
(function () {{
  const holder = document.getElementById("diagrams");
  const sides = Object.keys(JSON.parse(document.getElementById("data").textContent));
  sides.forEach(function (name) {{
    const side = document.createElement("section");
    side.className = "side";
    if (name !== "only") {{
      const h = document.createElement("h2");
      h.textContent = name === "old" ? "before" : "after";
      side.appendChild(h);
    }}
    const scroll = document.createElement("div");
    scroll.className = "scroll";
    scroll.dataset.side = name;
    side.appendChild(scroll);
    holder.appendChild(side);
  }});
  if (sides.length === 2) {{
    const bar = document.querySelector(".switches");
    const changes = document.createElement("span");
    changes.className = "changes";
    changes.innerHTML = '<label><input type="checkbox" id="only"> changes only</label>'
      + '<span id="count"></span><button id="previous" title="p">◀ previous change'
      + '</button><button id="next" title="n">next change ▶</button>';
    bar.appendChild(changes);
  }}
}})();
</script>
<script>{script}</script></body></html>
"""

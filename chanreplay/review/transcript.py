"""A cassette as a transcript a person reads: ``chanreplay show``, and git's textconv.

One block per connection (its id, type, path and user), then one line per
event in order: the step, an arrow (``->`` from the client, ``<-`` to it,
``..`` a channel-layer operation), what it is, and its payload. JSON payloads
longer than a line are pretty-printed under it; bytes are summarised. A
``group_send`` names the connections that received it. Nothing in the
output depends on where the file lies or when it was shown, so that
``git diff`` through the textconv shows only what changed.

Pure: no Django, no Channels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson

from chanreplay.cassette.model import Cassette, Connection, Event
from chanreplay.review.links import message_key, received_by, sends

__all__ = ["Style", "plain", "transcript_json", "transcript_lines", "transcript_markdown"]

Style = Callable[[str, str], str]
"""``style(role, text)``: how a part of a line is shown (colour on a terminal)."""

LINE = 120
"""Width a payload may take on its event's line before it is pretty-printed below."""
TEXT_PREVIEW = 160
"""Characters of a text body shown."""


def plain(role: str, text: str) -> str:
    """No styling (files, pipes, git)."""
    return text


def transcript_lines(cassette: Cassette, style: Style = plain) -> Iterator[str]:
    """The transcript, line by line."""
    receivers = _Receivers(received_by(cassette))
    senders = _senders(cassette)
    events = sum(len(c.events) for c in cassette.connections)
    yield style(
        "title",
        f"{len(cassette.connections)} connection{'s' * (len(cassette.connections) != 1)}, "
        f"{events} event{'s' * (events != 1)}, {len(cassette.external)} external",
    )
    for connection in cassette.connections:
        yield ""
        yield style("connection", heading(connection))
        for event in connection.events:
            yield from _event_lines(event, style, receivers, senders, connection.id)
    if cassette.external:
        yield ""
        yield style("connection", "external (outside any connection)")
        for event in cassette.external:
            yield from _event_lines(event, style, receivers, senders, None)


def transcript_markdown(cassette: Cassette) -> str:
    """The transcript for a pull request: a heading and a fenced block per connection."""
    lines = list(transcript_lines(cassette))
    out = [f"**{lines[0]}**"]
    block: list[str] = []

    def flush() -> None:
        if block:
            out.extend(["```text", *block, "```"])
            block.clear()

    for line in lines[1:]:
        if not line:
            continue
        if not line.startswith(" "):
            flush()
            out.extend(["", f"### `{line}`", ""])
        else:
            block.append(line)
    flush()
    return "\n".join(out) + "\n"


def transcript_json(cassette: Cassette) -> Iterator[bytes]:
    """The transcript as one JSON document, in pieces (one connection per line).

    Each connection: id, type, path, user, closed, and its events, each with
    its step, direction, what it is, its payload as the text shows it, who
    received it (for a layer send), and the event itself. Written a
    connection at a time, so a large cassette needs no second copy in memory.
    """
    receivers = _Receivers(received_by(cassette))

    def events(items: list[Event], owner: str | None) -> list[dict[str, Any]]:
        return [
            {
                "step": event.get("step"),
                "dir": event.get("dir"),
                "what": what(event),
                "payload": _payload_text(event),
                **(
                    {"received_by": receivers.others(key, owner)}
                    if event.get("op") in ("group_send", "send")
                    and (key := message_key(event)) in receivers.found
                    else {}
                ),
                "event": event,
            }
            for event in items
        ]

    yield b'{"connections": ['
    for index, connection in enumerate(cassette.connections):
        entry = {
            "id": connection.id,
            "type": connection.type,
            "path": connection.path,
            "user": username(connection),
            "closed": connection.closed,
            "events": events(connection.events, connection.id),
        }
        yield (b",\n" if index else b"\n") + orjson.dumps(entry)
    yield b'\n], "external": ' + orjson.dumps(events(cassette.external, None)) + b"}\n"


def heading(connection: Connection) -> str:
    """``c5 websocket /ws/chat/lobby/ (alice)``."""
    scope = connection.scope
    method = f"{scope.get('method')} " if connection.type == "http" and scope.get("method") else ""
    query = f"?{scope['query_string']}" if scope.get("query_string") else ""
    unclosed = ", never closed" if not connection.closed else ""
    return (
        f"{connection.id} {connection.type} {method}{connection.path}{query} "
        f"({username(connection) or 'anonymous'}{unclosed})"
    )


def username(connection: Connection) -> str | None:
    """The recorded user's name, if any."""
    return connection.username


_ARROWS = {"in": "->", "out": "<-", "layer": "..", "error": "!!"}


def what(event: Event) -> str:
    """What an event is, briefly: ``websocket.send``, ``group_send chat_lobby``."""
    if event.get("dir") == "layer":
        target = event.get("group") or event.get("channel") or ""
        op = str(event.get("op", "?"))
        if op == "group_add" or op == "group_discard":
            return f"{op} {event.get('group')} {event.get('channel')}"
        error = f" !{event['error']}" if "error" in event else ""
        return f"{op} {target}{error}".rstrip()
    if event.get("dir") == "error":
        return f"raised {event.get('exception')}"
    message = event.get("message")
    kind = message.get("type", "?") if isinstance(message, dict) else "?"
    return str(kind)


class _Receivers:
    """Who received each layer message, sorted and joined once per message.

    A message sent to a large group is named on the line of every member's
    send: sorting its receivers for each line cost a large cassette most of
    its transcript. Naming them without the sender is a cut of the joined text.
    """

    def __init__(self, found: dict[bytes, list[str]]) -> None:
        self.found = found
        self._named: dict[bytes, tuple[list[str], str, dict[str, tuple[int, int]]]] = {}

    def _entry(self, key: bytes) -> tuple[list[str], str, dict[str, tuple[int, int]]]:
        """The sorted names, joined, and each name's (index, offset in the joined text)."""
        entry = self._named.get(key)
        if entry is None:
            names = sorted(set(self.found.get(key, ())))
            places: dict[str, tuple[int, int]] = {}
            at = 0
            for index, name in enumerate(names):
                places[name] = (index, at)
                at += len(name) + 2
            entry = self._named[key] = (names, ", ".join(names), places)
        return entry

    def others(self, key: bytes, owner: str | None) -> list[str]:
        """The connections that received the message ``key`` but ``owner``, sorted."""
        names, _, places = self._entry(key)
        place = places.get(owner) if owner is not None else None
        if place is None:
            return list(names)
        return names[: place[0]] + names[place[0] + 1 :]

    def others_text(self, key: bytes, owner: str | None) -> str:
        """:meth:`others`, joined with ``", "``."""
        _, joined, places = self._entry(key)
        place = places.get(owner) if owner is not None else None
        if place is None or owner is None:
            return joined
        start = place[1]
        end = start + len(owner)
        if end == len(joined):  # the last name: the separator before it goes too
            return joined[: max(start - 2, 0)]
        return joined[:start] + joined[end + 2 :]


def _event_lines(
    event: Event,
    style: Style,
    receivers: _Receivers,
    senders: dict[bytes, str],
    owner: str | None,
) -> Iterator[str]:
    arrow = _ARROWS.get(str(event.get("dir")), "??")
    step = f"{event.get('step', '?'):>4}"
    head = f"  {style('step', step)} {style(str(event.get('dir')), arrow)} {what(event)}"
    op = event.get("op")
    if op in ("group_send", "send"):
        others = receivers.others_text(message_key(event), owner)
        if others:
            head += style("note", f"  (received by {others})")
    elif op == "receive" and (sender := senders.get(message_key(event))) is not None:
        # The sender's line shows the message; here, what it was and whose.
        message = event.get("message")
        kind = message.get("type") if isinstance(message, dict) else None
        source = "this connection" if sender == owner else sender
        yield f"{head}  {style('note', f'{kind} from {source}')}"
        return
    payload = _payload(event)
    if payload is None:
        yield head
        return
    one_line = _dumps(payload) if not isinstance(payload, str) else payload
    if len(one_line) + len(head) <= LINE and "\n" not in one_line:
        yield f"{head}  {style('payload', one_line)}"
        return
    yield head
    text = (
        orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        if not isinstance(payload, str)
        else payload
    )
    for line in text.splitlines():
        yield "         " + style("payload", line)


def _payload(event: Event) -> Any:
    """What to show of an event's content: the frame's JSON or text, a summary of bytes."""
    if event.get("dir") == "error":
        detail = f"{event.get('detail')}  " if event.get("detail") else ""
        return f"{detail}(the client: {event.get('client')})"
    message = event.get("message")
    if not isinstance(message, dict):
        return None
    kind = message.get("type")
    if event.get("dir") == "layer":
        return _shown(message)
    if kind in ("websocket.receive", "websocket.send"):
        if "text" in message and message["text"] is not None:
            shown = _shown(message["text"])
            return _dumps(shown) if isinstance(shown, str) else shown  # quoted: not JSON
        return _shown(message.get("bytes"))
    if kind in ("websocket.close", "websocket.disconnect"):
        code = message.get("code")
        reason = message.get("reason")
        return f"code {code}" + (f" {reason!r}" if reason else "") if code is not None else None
    if kind == "websocket.accept":
        return _shown({k: v for k, v in message.items() if k != "type"}) or None
    if kind == "http.response.start":
        return f"{message.get('status')}  " + "; ".join(
            h for h in message.get("headers", []) if h.lower().startswith("content-type")
        )
    if kind in ("http.request", "http.response.body"):
        body = message.get("body")
        return _shown(body) if body not in (None, {"$bytes_text": ""}) else None
    rest = {k: v for k, v in message.items() if k != "type"}
    return _shown(rest) if rest else None


def _shown(value: Any) -> Any:
    """``value`` with tags made readable: JSON inline, text as text, bytes summarised."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, inner),) = value.items()
            if tag in ("$json", "$bytes_json"):
                return _shown(inner)
            if tag == "$bytes_text":
                return _preview(str(inner))
            if tag == "$bytes":
                return _bytes(str(inner))
            if tag == "$object":
                return {k: _shown(v) for k, v in inner.items()}
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def _preview(text: str) -> str:
    if len(text) <= TEXT_PREVIEW:
        return _dumps(text)
    return f"{_dumps(text[:TEXT_PREVIEW])}... ({len(text.encode())} bytes of text)"


def _bytes(encoded: str) -> str:
    import base64  # bytes are rare: not imported for every transcript

    data = base64.b64decode(encoded)
    head = data[:8].hex(" ")
    more = " ..." if len(data) > 8 else ""
    return f"<{len(data)} bytes: {head}{more}>"


def _payload_text(event: Event) -> str | None:
    payload = _payload(event)
    if payload is None:
        return None
    return payload if isinstance(payload, str) else _dumps(payload)


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _senders(cassette: Cassette) -> dict[bytes, str]:
    """For each layer message, the connection that sent it ("outside" for none)."""
    found: dict[bytes, str] = {}
    for owner, event in sends(cassette):
        found.setdefault(message_key(event), owner or "outside")
    return found

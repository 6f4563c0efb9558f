"""How ``chanreplay diff`` words a change: the summary and the unified lines."""

from __future__ import annotations

from chanreplay.cassette.model import Cassette, Connection
from chanreplay.diff import diff_cassettes
from chanreplay.review.changes import label, render_diff, summarize
from tests.diff.events import receive, send


def _chat(connection_id: str, *events: dict[str, object]) -> Connection:
    return Connection(connection_id, "websocket", {"path": "/ws/chat/"}, 1, events=list(events))


def test_an_unchanged_cassette() -> None:
    diff = diff_cassettes(
        Cassette([_chat("c1", send({"a": 1}, 1))]), Cassette([_chat("c1", send({"a": 1}, 1))])
    )
    assert summarize(diff) == "No behaviour changed."
    assert render_diff(diff) == "No behaviour changed.\n"


def test_the_summary_counts_per_path() -> None:
    old = Cassette([_chat("c1", send({"type": "message", "user": "a"}, 1), receive({"x": 1}, 2))])
    new = Cassette(
        [
            _chat("c1", send({"type": "message", "user": "b"}, 1), send({"type": "message"}, 2)),
            Connection("c2", "websocket", {"path": "/ws/echo/"}, 3),
        ]
    )
    summary = summarize(diff_cassettes(old, new))
    assert summary == (
        '`/ws/chat/`: 1 outbound "message" added; 1 inbound websocket.receive removed; '
        "`message.text.user` changed in 1 event. `/ws/echo/`: 1 connection added."
    )


def test_labels_use_the_json_type_a_reviewer_knows() -> None:
    assert label(send({"type": "created"}, 1)) == 'outbound "created"'
    assert label(receive([1, 2], 1)) == "inbound websocket.receive"
    layer = {"dir": "layer", "op": "group_send", "message": {"type": "chat.message"}, "step": 1}
    assert label(layer) == 'layer group_send "chat.message"'


def test_lines_read_as_a_unified_diff() -> None:
    old = Cassette([_chat("c1", send({"user": "a"}, 1))])
    new = Cassette([_chat("c1", send({"user": "b"}, 1))])
    text = render_diff(diff_cassettes(old, new), old="before", new="after")
    assert text.splitlines() == [
        "--- before",
        "+++ after",
        "`/ws/chat/`: `message.text.user` changed in 1 event.",
        "",
        "  c1 websocket /ws/chat/ (anonymous)",
        "    event 0 (step 1) <- websocket.send",
        '-     message.text.user: "a"',
        '+     message.text.user: "b"',
    ]

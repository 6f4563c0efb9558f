"""The transcript ``chanreplay show`` prints, line by line."""

from __future__ import annotations

import base64
import json

from chanreplay.cassette.model import Cassette, Connection
from chanreplay.review.transcript import transcript_json, transcript_lines, transcript_markdown
from tests.diff.events import accept, connect, receive, send


def _chat(*events: dict[str, object], user: str | None = "alice") -> Connection:
    return Connection(
        id="c1",
        type="websocket",
        scope={"path": "/ws/chat/lobby/", "query_string": "token=<redacted>"},
        step=1,
        user={"username": user} if user else None,
        events=list(events),
    )


def test_a_connection_reads_top_to_bottom() -> None:
    lines = list(transcript_lines(Cassette([_chat(connect(1), accept(1), receive({"a": 1}, 2))])))
    assert lines == [
        "1 connection, 3 events, 0 external",
        "",
        "c1 websocket /ws/chat/lobby/?token=<redacted> (alice)",
        "     1 -> websocket.connect",
        '     1 <- websocket.accept  {"subprotocol":null}',
        '     2 -> websocket.receive  {"a":1}',
    ]


def test_a_long_payload_is_pretty_printed_below_its_line() -> None:
    payload = {"items": [f"item number {n}" for n in range(12)]}
    lines = list(transcript_lines(Cassette([_chat(send(payload, 3))])))
    assert lines[3] == "     3 <- websocket.send"
    assert lines[4:7] == ["         {", '           "items": [', '             "item number 0",']


def test_bytes_are_summarised_and_text_frames_quoted() -> None:
    binary = {
        "dir": "out",
        "message": {
            "type": "websocket.send",
            "bytes": {"$bytes": base64.b64encode(bytes(range(20))).decode()},
        },
        "step": 4,
    }
    text = {"dir": "in", "message": {"type": "websocket.receive", "text": "ping"}, "step": 5}
    close = {"dir": "out", "message": {"type": "websocket.close", "code": 4401}, "step": 5}
    lines = list(transcript_lines(Cassette([_chat(binary, text, close, user=None)])))
    assert lines[2] == "c1 websocket /ws/chat/lobby/?token=<redacted> (anonymous)"
    assert lines[3] == "     4 <- websocket.send  <20 bytes: 00 01 02 03 04 05 06 07 ...>"
    assert lines[4] == '     5 -> websocket.receive  "ping"'
    assert lines[5] == "     5 <- websocket.close  code 4401"


def test_layer_messages_name_who_sent_and_who_received_them() -> None:
    message = {"type": "chat.message", "text": "hi"}
    sender = Connection(
        "c1",
        "websocket",
        {"path": "/a/"},
        1,
        events=[
            {"dir": "layer", "op": "group_send", "group": "room", "message": message, "step": 2}
        ],
    )
    receiver = Connection(
        "c2",
        "websocket",
        {"path": "/a/"},
        1,
        events=[
            {
                "dir": "layer",
                "op": "receive",
                "channel": "<channel:c2>",
                "message": message,
                "step": 2,
            }
        ],
    )
    lines = list(transcript_lines(Cassette([sender, receiver])))
    assert lines[3].startswith("     2 .. group_send room  (received by c2)")
    assert lines[6] == "     2 .. receive <channel:c2>  chat.message from c1"
    data = json.loads(b"".join(transcript_json(Cassette([sender, receiver]))))
    assert data["connections"][0]["events"][0]["received_by"] == ["c2"]


def test_markdown_fences_each_connection() -> None:
    text = transcript_markdown(Cassette([_chat(connect(1))]))
    assert text == (
        "**1 connection, 1 event, 0 external**\n\n"
        "### `c1 websocket /ws/chat/lobby/?token=<redacted> (alice)`\n\n"
        "```text\n     1 -> websocket.connect\n```\n"
    )


def test_an_application_error_reads_as_what_was_raised_and_what_the_client_saw() -> None:
    error = {
        "dir": "error",
        "exception": "KeyError",
        "detail": "'_auth_user_id'",
        "client": "handshake refused with HTTP 500",
        "step": 1,
    }
    lines = list(transcript_lines(Cassette([_chat(connect(1), error, user=None)])))
    assert lines[-1] == (
        "     1 !! raised KeyError  '_auth_user_id'  (the client: handshake refused with HTTP 500)"
    )
    (connection,) = json.loads(b"".join(transcript_json(Cassette([_chat(error)]))))["connections"]
    assert connection["events"][0]["what"] == "raised KeyError"


def _group(members: list[str], sender: str | None) -> Cassette:
    """A group_send at step 5 by ``sender`` (None: outside any connection), received by
    ``members`` (each one's receive of it)."""
    message = {"type": "chat.message", "text": "hi"}
    sent = {"dir": "layer", "op": "group_send", "group": "g", "message": message, "step": 5}
    received = {"dir": "layer", "op": "receive", "channel": "x", "message": message, "step": 5}
    connections = [
        Connection(id=name, type="websocket", scope={"path": "/"}, step=1, events=[received])
        for name in members
    ]
    if sender is None:
        return Cassette(connections, external=[sent])
    for connection in connections:
        if connection.id == sender:
            connection.events = [sent, received]
            break
    else:
        connections.append(
            Connection(id=sender, type="websocket", scope={"path": "/"}, step=1, events=[sent])
        )
    return Cassette(connections)


def test_received_by_names_every_receiver_but_the_sender_in_order() -> None:
    """Sorted as strings (c10 before c2); the sender first, last, in between, alone, absent."""
    members = ["c2", "c10", "c3", "c1"]
    for sender, named in [
        ("c1", "c10, c2, c3"),  # first in sorted order
        ("c3", "c1, c10, c2"),  # last
        ("c10", "c1, c2, c3"),  # in between
        ("c9", "c1, c10, c2, c3"),  # not a receiver
        (None, "c1, c10, c2, c3"),  # outside any connection
    ]:
        cassette = _group(members, sender)
        line = next(line for line in transcript_lines(cassette) if "group_send" in line)
        assert line.endswith(f"(received by {named})  " + '{"text":"hi","type":"chat.message"}')
        document = json.loads(b"".join(transcript_json(cassette)))
        events = [e for c in document["connections"] for e in c["events"]] + document["external"]
        (send_event,) = [e for e in events if e["what"] == "group_send g"]
        assert send_event["received_by"] == named.split(", ")
    alone = _group(["c1"], "c1")
    line = next(line for line in transcript_lines(alone) if "group_send" in line)
    assert "received by" not in line
    document = json.loads(b"".join(transcript_json(alone)))
    assert document["connections"][0]["events"][0]["received_by"] == []

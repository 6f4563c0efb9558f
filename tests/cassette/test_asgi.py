"""Tests of chanreplay.cassette.asgi: scopes, headers and messages in cassette form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from chanreplay.cassette.asgi import (
    check_messages,
    decode_headers,
    decode_message,
    decode_scope,
    dumps_frame_parts,
    encode_headers,
    encode_message,
    encode_scope,
    frame_parts,
)
from chanreplay.cassette.loader import load, loads, schema
from chanreplay.cassette.model import Cassette, Connection
from chanreplay.cassette.redaction import REDACTED, Redactor
from chanreplay.exceptions import CassetteFormatError, UnserializableValueError

SESSION_ID = "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8"

WEBSOCKET_SCOPE: dict[str, Any] = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "http_version": "1.1",
    "scheme": "ws",
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 54321),
    "root_path": "",
    "path": "/ws/chat/lobby/",
    "raw_path": b"/ws/chat/lobby/",
    "query_string": b"token=abc&room=lobby",
    "headers": [
        (b"host", b"127.0.0.1:8000"),
        (b"origin", b"http://127.0.0.1:8000"),
        (b"cookie", f"sessionid={SESSION_ID}; theme=dark".encode()),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (b"user-agent", b"Mozilla/5.0"),
    ],
    "subprotocols": ("chat",),
    "state": {},
    "extensions": {"websocket.http.response": {}},
}


def round_trip(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` encoded, written as JSON, read back and decoded."""
    encoded = encode_message(message, Redactor())
    return decode_message(orjson.loads(orjson.dumps(encoded)))


# -- scopes -------------------------------------------------------------------------


def test_encode_scope_keeps_only_stable_keys() -> None:
    """A scope keeps path, query, headers and protocol fields: no client, server or internals."""
    assert encode_scope(WEBSOCKET_SCOPE, Redactor()) == {
        "path": "/ws/chat/lobby/",
        "query_string": f"token={REDACTED}&room=lobby",
        "headers": [
            "host: 127.0.0.1",
            "origin: http://127.0.0.1",
            f"cookie: sessionid={REDACTED}; theme={REDACTED}",
            f"sec-websocket-key: {REDACTED}",
            "user-agent: Mozilla/5.0",
        ],
        "http_version": "1.1",
        "scheme": "ws",
        "subprotocols": ["chat"],
    }


def test_encode_scope_keeps_method_and_root_path() -> None:
    """An HTTP scope keeps its method, and a non-empty root path is kept."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/chat/",
        "root_path": "/app",
        "query_string": b"",
        "headers": [],
    }
    assert encode_scope(scope, Redactor()) == {
        "path": "/chat/",
        "query_string": "",
        "headers": [],
        "method": "POST",
        "root_path": "/app",
    }


def test_encode_scope_learns_the_session_cookie() -> None:
    """The session id in the scope's cookie header is scrubbed from later strings."""
    redactor = Redactor()
    encode_scope(WEBSOCKET_SCOPE, redactor)
    assert redactor.text(f"session {SESSION_ID}") == f"session {REDACTED}"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("host", "localhost:8000", "localhost"),
        ("host", "127.0.0.1:49152", "127.0.0.1"),
        ("host", "[::1]:8000", "[::1]"),
        ("host", "[::1]", "[::1]"),
        ("host", "example.com", "example.com"),
        ("origin", "http://localhost:8000", "http://localhost"),
        ("origin", "https://[::1]:8443", "https://[::1]"),
        ("origin", "null", "null"),
        ("referer", "http://localhost:8000/chat/?next=/a:1", "http://localhost/chat/?next=/a:1"),
        ("referer", "http://[::1]:8000/chat/", "http://[::1]/chat/"),
        ("referer", "http://localhost/chat/?at=10:30", "http://localhost/chat/?at=10:30"),
        ("x-forwarded-host", "localhost:8000", "localhost:8000"),
    ],
)
def test_ports_are_stripped_from_host_origin_referer(name: str, value: str, expected: str) -> None:
    """The server's port is dropped from Host, Origin and Referer (also IPv6), and only there."""
    headers = encode_headers([(name.encode(), value.encode())], Redactor())
    assert headers == [f"{name}: {expected}"]


# -- headers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pairs",
    [
        [(b"content-type", b"text/html; charset=utf-8")],
        [(b"x-time", b"10:30:00"), (b"x-url", b"http://a:1/b")],
        [(b"x-empty", b"")],
        [(b"x-spaced", b"  padded  ")],
        [(b"x-latin", b"caf\xe9 \xff\x80")],
        [(b"x-dup", b"1"), (b"x-dup", b"2")],
        [],
    ],
)
def test_headers_round_trip(pairs: list[tuple[bytes, bytes]]) -> None:
    """Header pairs become "name: value" strings and decode back to the same bytes pairs."""
    encoded = encode_headers(pairs, Redactor())
    assert decode_headers(orjson.loads(orjson.dumps(encoded))) == pairs


def test_header_names_are_lowercased() -> None:
    """Header names are stored in lower case, as ASGI servers deliver them."""
    assert encode_headers([(b"Content-Type", b"text/plain")], Redactor()) == [
        "content-type: text/plain"
    ]


def test_headers_accept_lists_and_bytearrays() -> None:
    """Headers given as lists of bytes-like objects are encoded like tuples of bytes."""
    assert encode_headers([[bytearray(b"x-a"), b"1"]], Redactor()) == ["x-a: 1"]


def test_encoded_headers_match_the_schema_pattern() -> None:
    """Every encoded header line matches the pattern the cassette schema requires."""
    pattern = re.compile(schema()["$defs"]["headers"]["items"]["pattern"])
    encoded = encode_scope(WEBSOCKET_SCOPE, Redactor())["headers"]
    encoded += encode_headers([(b"x-empty", b""), (b"x-colon", b":")], Redactor())
    assert all(pattern.match(line) for line in encoded)


# -- messages -----------------------------------------------------------------------

MESSAGES: list[dict[str, Any]] = [
    {"type": "websocket.connect"},
    {"type": "websocket.accept", "subprotocol": None, "headers": [(b"x-a", b"1")]},
    {"type": "websocket.accept", "subprotocol": "chat", "headers": []},
    {"type": "websocket.receive", "text": '{"message":"hi","n":[1,2.5,null]}', "bytes": None},
    {"type": "websocket.receive", "text": "plain words", "bytes": None},
    {"type": "websocket.receive", "text": "5", "bytes": None},
    {"type": "websocket.receive", "text": None, "bytes": b"\x00\x01\xff"},
    {"type": "websocket.send", "text": '{"$set":{"a":1}}'},
    {"type": "websocket.send", "bytes": b'{"json":"in bytes"}'},
    {"type": "websocket.close", "code": 4000, "reason": '{"why": "not json here"}'},
    {"type": "websocket.disconnect", "code": 1006},
    {"type": "http.request", "body": b"", "more_body": False},
    {"type": "http.request", "body": b"room=lobby&message=hi+there", "more_body": True},
    {"type": "http.request", "body": b'{"a":[1,2]}', "more_body": False},
    {"type": "http.request", "body": b"\x89PNG\r\n\x1a\n", "more_body": False},
    {
        "type": "http.response.start",
        "status": 302,
        "headers": [(b"location", b"/chat/"), (b"content-length", b"0")],
        "trailers": False,
    },
    {"type": "http.response.body", "body": "<h1>Caf\u00e9</h1>".encode(), "more_body": False},
    {"type": "http.disconnect"},
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m["type"])
def test_message_round_trip(message: dict[str, Any]) -> None:
    """A message encoded, written as JSON and read back decodes to the message it was."""
    assert round_trip(message) == message


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            {"type": "websocket.receive", "text": '{"message": "hi"}'},
            {"type": "websocket.receive", "text": {"$json": {"message": "hi"}}},
        ),
        (
            {"type": "websocket.send", "bytes": b"\x00\x01\x02"},
            {"type": "websocket.send", "bytes": {"$bytes": "AAEC"}},
        ),
        (
            {"type": "websocket.send", "bytes": b"room=lobby"},
            {"type": "websocket.send", "bytes": {"$bytes": "cm9vbT1sb2JieQ=="}},
        ),
        (
            {"type": "http.request", "body": b"room=lobby", "more_body": False},
            {"type": "http.request", "body": {"$bytes_text": "room=lobby"}, "more_body": False},
        ),
        (
            {"type": "http.response.body", "body": b'{"ok": true}'},
            {"type": "http.response.body", "body": {"$bytes_json": {"ok": True}}},
        ),
        (
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"Set-Cookie", f"sessionid={SESSION_ID}; Path=/".encode())],
            },
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [f"set-cookie: sessionid={REDACTED}; Path=/"],
            },
        ),
    ],
)
def test_encode_message(message: dict[str, Any], expected: dict[str, Any]) -> None:
    """Text frames with JSON become structure, websocket bytes base64, bodies readable text."""
    assert encode_message(message, Redactor()) == expected


def test_non_canonical_json_text_keeps_its_meaning() -> None:
    """A JSON text frame with other spacing decodes to JSON of the same meaning."""
    decoded = round_trip({"type": "websocket.receive", "text": '{ "b" : 1,\n "a": [ 2 ] }'})
    assert orjson.loads(decoded["text"]) == {"b": 1, "a": [2]}


def test_encode_message_rejects_unserializable_values() -> None:
    """A value JSON cannot hold raises, naming the message key it sits under."""
    with pytest.raises(UnserializableValueError, match=r"at message\.extra\.when"):
        encode_message({"type": "x", "extra": {"when": {1}}}, Redactor())


def test_decode_scope_rebuilds_an_asgi_scope() -> None:
    """decode_scope turns the cassette form back into a scope an application accepts."""
    encoded = orjson.loads(orjson.dumps(encode_scope(WEBSOCKET_SCOPE, Redactor())))
    scope = decode_scope("websocket", encoded)
    assert scope == {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "path": "/ws/chat/lobby/",
        "raw_path": b"/ws/chat/lobby/",
        "query_string": f"token={REDACTED}&room=lobby".encode(),
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"origin", b"http://127.0.0.1"),
            (b"cookie", f"sessionid={REDACTED}; theme={REDACTED}".encode()),
            (b"sec-websocket-key", REDACTED.encode()),
            (b"user-agent", b"Mozilla/5.0"),
        ],
        "root_path": "",
        "http_version": "1.1",
        "scheme": "ws",
        "subprotocols": ["chat"],
    }


@pytest.mark.parametrize(
    "message",
    [
        {"type": "websocket.receive", "text": "hello"},
        {"type": "websocket.send", "text": '{"a": [1, 2], "b": null}'},
        {"type": "websocket.send", "text": '{"a":1,"a":2}'},
        {"type": "websocket.receive", "bytes": b"\x00\x01binary\xff"},
        {"type": "websocket.send", "text": "<channel:c1> ünïcode"},
    ],
)
def test_frames_take_the_direct_path_with_the_same_result(message: dict[str, Any]) -> None:
    """A frame taken apart and serialised gives byte for byte what the general encoder gives."""
    parts = frame_parts(message)
    assert parts is not None
    assert dumps_frame_parts(*parts) == orjson.dumps(encode_message(message, Redactor()))


@pytest.mark.parametrize(
    "message",
    [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.send", "text": "x", "bytes": None},
        {"type": "websocket.send", "text": None},
        {"type": "http.request", "body": b""},
    ],
)
def test_anything_but_a_plain_frame_takes_the_general_path(message: dict[str, Any]) -> None:
    """Messages with other keys or types are left to encode_message."""
    assert frame_parts(message) is None


def _cassette_with(message: dict[str, Any], direction: str = "out") -> Cassette:
    event = {"dir": direction, "step": 1, "message": message}
    scope = {"path": "/ws/", "query_string": "", "headers": []}
    return Cassette([Connection(id="c1", type="websocket", scope=scope, step=1, events=[event])])


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"type": "websocket.send"}, "c1 event 0 (websocket.send): a frame with neither text"),
        ({"type": "websocket.send", "text": {"a": 1}}, "its text is dict, expected a string"),
        ({"type": "websocket.send", "bytes": "AAE="}, "its bytes are str, expected a tagged"),
        ({"type": "http.response.body", "body": 3}, "its body is int, expected a tagged"),
        ({"type": "websocket.http.response.start"}, "a response start without a status"),
        ({"type": "websocket.send", "text": {"$json": "x"}}, "the $json value at c1 event 0"),
    ],
)
def test_check_messages_names_the_event_a_reader_could_not_use(
    message: dict[str, Any], problem: str
) -> None:
    """serve and play check every message before they start: a malformed one is a
    diagnosis naming the file and the event, not a traceback halfway through."""
    with pytest.raises(CassetteFormatError) as refused:
        check_messages(_cassette_with(message), "cassettes/chat.json")
    assert str(refused.value).startswith("cassettes/chat.json: ")
    assert problem in str(refused.value)
    assert "fix: " in str(refused.value)


def test_check_messages_refuses_a_method_no_client_can_send() -> None:
    cassette = _cassette_with({"type": "websocket.send", "text": "x"})
    cassette.connections[0].scope["method"] = "G\ud7ffT"
    with pytest.raises(CassetteFormatError, match=r"c1: its scope's method .* is not an HTTP"):
        check_messages(cassette, "cassettes/chat.json")


def test_check_messages_refuses_a_path_no_client_can_ask_for() -> None:
    cassette = _cassette_with({"type": "websocket.send", "text": "x"})
    cassette.connections[0].scope["path"] = "\ud7ffws/"
    with pytest.raises(CassetteFormatError, match=r"c1: its scope's path .* does not start"):
        check_messages(cassette, "cassettes/chat.json")


@pytest.mark.parametrize("header", ["content-[ype: text/html", "x-note: one\r\ntwo"])
def test_check_messages_refuses_a_header_http_cannot_carry(header: str) -> None:
    cassette = _cassette_with({"type": "http.response.start", "status": 200, "headers": [header]})
    with pytest.raises(
        CassetteFormatError, match=r"c1 event 0 \(http.response.start\): the header"
    ):
        check_messages(cassette, "cassettes/chat.json")


def test_check_messages_accepts_every_committed_cassette() -> None:
    """The example session and every gallery app's cassette pass as they are."""
    root = Path(__file__).resolve().parents[2]
    found = [root / "cassettes" / "example_session.json"]
    found += sorted((root / "tests" / "gallery").glob("*/cassettes/*.json"))
    for path in found:
        check_messages(load(path), path)
    assert len(found) >= 10


@pytest.mark.parametrize(
    "field", [{"status": "200"}, {"status": 99}, {"code": "1000"}, {"more_body": 1}]
)
def test_the_loader_refuses_asgi_fields_of_the_wrong_type(field: dict[str, Any]) -> None:
    """A status, close code or more_body every reader relies on is checked on load."""
    message = {"type": "http.response.start", "headers": [], **field}
    document = _cassette_with(message).to_json()
    with pytest.raises(CassetteFormatError, match="message"):
        loads(orjson.dumps(document))

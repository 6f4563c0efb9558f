"""Tests of chanreplay.cassette.loader: every bad file is diagnosed; old versions keep loading."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from chanreplay.cassette import FORMAT, VERSION, load, loads, validate, writer
from chanreplay.cassette.codec import decode_value
from chanreplay.cassette.loader import schema
from chanreplay.exceptions import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    CassetteVersionError,
)

FIXTURES = Path(__file__).with_name("fixtures")
V1_MINIMAL = FIXTURES / "v1-minimal.json"


def v1_document() -> dict[str, Any]:
    """A fresh copy of the version-1 fixture as parsed JSON."""
    document: dict[str, Any] = json.loads(V1_MINIMAL.read_text(encoding="utf-8"))
    return document


def write(tmp_path: Path, data: bytes | str | Any, name: str = "chat.json") -> Path:
    """Write ``data`` (bytes, text, or a document to serialise) to a cassette file."""
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, bytes):
        data = json.dumps(data, indent=2).encode()
    path.write_bytes(data)
    return path


def load_error(path: Path) -> CassetteError:
    """The error load raises for ``path``, checked to name the file and give a fix."""
    with pytest.raises(CassetteError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n  fix: " in message
    assert caught.value.path == path
    return caught.value


# -- missing and empty files ----------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    """A missing cassette raises CassetteNotFoundError, also a FileNotFoundError, with a fix."""
    error = load_error(tmp_path / "chat.json")
    assert isinstance(error, CassetteNotFoundError)
    assert isinstance(error, FileNotFoundError)
    assert error.problem == "no such cassette"
    assert "runserver --record chat" in error.fix


def test_missing_file_lists_existing_cassettes(tmp_path: Path) -> None:
    """The error for a missing cassette lists the cassettes that do exist beside it."""
    write(tmp_path, {}, "lobby.json")
    write(tmp_path, {}, "admin.json")
    error = load_error(tmp_path / "chta.json")
    assert "admin.json, lobby.json" in error.fix


def test_missing_file_mentions_leftover_journal(tmp_path: Path) -> None:
    """A missing cassette with a journal left beside it points at `chanreplay recover`."""
    (tmp_path / ".chat.journal").write_bytes(b'{"k":"run","run":"r1"}\n')
    error = load_error(tmp_path / "chat.json")
    assert isinstance(error, CassetteNotFoundError)
    assert str(tmp_path / ".chat.journal") in error.fix
    assert f"chanreplay recover {tmp_path}" in error.fix


def test_directory_is_not_a_cassette(tmp_path: Path) -> None:
    """A directory given as a cassette raises CassetteFormatError."""
    (tmp_path / "chat.json").mkdir()
    assert isinstance(load_error(tmp_path / "chat.json"), CassetteFormatError)


@pytest.mark.parametrize("data", [b"", b"\n", b"  \n\t\n"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    """An empty (or blank) file raises CassetteFormatError saying it is empty."""
    error = load_error(write(tmp_path, data))
    assert isinstance(error, CassetteFormatError)
    assert error.problem == "the file is empty"


# -- bad JSON -------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_truncated_file(tmp_path: Path, keep: float) -> None:
    """A file cut off anywhere says it is truncated, where, and to run `chanreplay recover`."""
    data = V1_MINIMAL.read_bytes()
    cut = data[: int(len(data) * keep)]
    error = load_error(write(tmp_path, cut))
    assert isinstance(error, CassetteFormatError)
    line = cut.count(b"\n") + 1
    assert re.fullmatch(
        f"the file ends early at line {line} column \\d+: it is truncated", error.problem
    )
    assert "chanreplay recover" in error.fix


def test_truncated_file_ending_in_whitespace(tmp_path: Path) -> None:
    """A cut-off file whose last bytes are whitespace is still recognised as truncated."""
    error = load_error(write(tmp_path, b'{\n  "connections": [\n    \n\n'))
    assert error.problem == "the file ends early at line 5 column 1: it is truncated"


def test_truncated_inside_multibyte_character(tmp_path: Path) -> None:
    """A file cut off in the middle of a UTF-8 character is recognised as truncated."""
    data = '{\n  "a": "caf\u00e9'.encode()[:-1]
    error = load_error(write(tmp_path, data))
    assert error.problem == "the file ends early at line 2 column 12: it is truncated"


def test_truncated_after_non_ascii_text(tmp_path: Path) -> None:
    """Non-ASCII text before the cut does not hide that the file is truncated."""
    error = load_error(write(tmp_path, '{"a": "\u65e5\u672c\u8a9e\u00e9", "b": [1,'.encode()))
    assert error.problem == "the file ends early at line 1 column 23: it is truncated"


@pytest.mark.parametrize(
    ("data", "place", "what"),
    [
        (b'{\n  "connections": [];\n  "external": []\n}\n', "line 2 column 20", "expected ','"),
        (b'{\n  "format": chanreplay\n}\n', "line 2 column 13", "expected a JSON value"),
        (b'{"a": 1}}', "line 1 column 9", "after document"),
        (b'{"a": 1}\n}\n', "line 2 column 1", "after document"),
        (b'{"a": [1, 2,]}\n', "line 1 column 12", "trailing comma"),
    ],
)
def test_invalid_json_names_line_and_column(
    tmp_path: Path, data: bytes, place: str, what: str
) -> None:
    """Invalid JSON mid-file (not a truncation) names the line and column of the problem."""
    error = load_error(write(tmp_path, data))
    assert isinstance(error, CassetteFormatError)
    assert error.problem.startswith(f"invalid JSON at {place}: ")
    assert what in error.problem


def test_invalid_json_in_the_fixture_names_its_line(tmp_path: Path) -> None:
    """A broken line in the middle of a real cassette is located exactly."""
    lines = V1_MINIMAL.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[40] = lines[40].replace(":", "=", 1)
    assert "=" in lines[40]
    error = load_error(write(tmp_path, "".join(lines)))
    assert error.problem.startswith(f"invalid JSON at line 41 column {lines[40].index('=') + 1}:")


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    """A byte that is not UTF-8 is reported with its line and column."""
    error = load_error(write(tmp_path, b'{\n  "a": "caf\xe9"\n}\n'))
    assert error.problem == "invalid UTF-8 at line 2 column 12 (byte 13)"


# -- not a cassette, wrong version --------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], 'no "format" field'),
        ("cassette", 'no "format" field'),
        (5, 'no "format" field'),
        ({"connections": []}, 'no "format" field'),
        ({"format": "vcrpy", "version": 1}, "format is 'vcrpy'"),
        ({"format": None}, "format is None"),
    ],
)
def test_json_that_is_not_a_cassette(tmp_path: Path, document: Any, problem: str) -> None:
    """JSON that is no chanreplay cassette raises CassetteFormatError saying why."""
    error = load_error(write(tmp_path, json.dumps(document)))
    assert isinstance(error, CassetteFormatError)
    assert error.problem.startswith("not a chanreplay cassette")
    assert problem in error.problem


@pytest.mark.parametrize(
    ("version", "problem", "fix"),
    [
        (VERSION + 1, f"format version {VERSION + 1} is newer", "pip install -U chanreplay"),
        (99, "format version 99 is newer", "pip install -U chanreplay"),
        (0, "unknown format version 0", f'"version": {VERSION}'),
        (-1, "unknown format version -1", f'"version": {VERSION}'),
        ("1", "unknown format version '1'", f'"version": {VERSION}'),
        (1.0, "unknown format version 1.0", f'"version": {VERSION}'),
        (True, "unknown format version True", f'"version": {VERSION}'),
        (None, "unknown format version None", f'"version": {VERSION}'),
        ([1], "unknown format version [1]", f'"version": {VERSION}'),
    ],
)
def test_unreadable_version(tmp_path: Path, version: Any, problem: str, fix: str) -> None:
    """A version this release cannot read raises CassetteVersionError with the right fix."""
    document = v1_document()
    document["version"] = version
    error = load_error(write(tmp_path, document))
    assert isinstance(error, CassetteVersionError)
    assert problem in error.problem
    assert fix in error.fix


def test_missing_version(tmp_path: Path) -> None:
    """A cassette without a version raises CassetteVersionError."""
    document = v1_document()
    del document["version"]
    assert isinstance(load_error(write(tmp_path, document)), CassetteVersionError)


# -- schema violations --------------------------------------------------------------------


def events(document: dict[str, Any], connection: int = 0) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = document["connections"][connection]["events"]
    return result


Mutation = Callable[[dict[str, Any]], object]
SCHEMA_VIOLATIONS: list[tuple[str, Mutation, str]] = [
    (
        "bad dir",
        lambda d: events(d)[4].update(dir="sideways"),
        "connection c1 (/ws/chat/lobby/), event 4, field dir: 'sideways' is not one of",
    ),
    (
        "layer event without channel",
        lambda d: events(d)[2].pop("channel"),
        "connection c1 (/ws/chat/lobby/), event 2: 'channel' is a required property",
    ),
    (
        "layer event without op",
        lambda d: events(d)[1].pop("op"),
        "connection c1 (/ws/chat/lobby/), event 1: 'op' is a required property",
    ),
    (
        "event without dir",
        lambda d: events(d)[0].pop("dir"),
        "connection c1 (/ws/chat/lobby/), event 0: 'dir' is a required property",
    ),
    (
        "unknown op",
        lambda d: events(d)[2].update(op="group_shout"),
        "event 2, field op: 'group_shout' is not one of",
    ),
    (
        "group_send without message",
        lambda d: events(d)[5].pop("message"),
        "event 5: 'message' is a required property",
    ),
    (
        "event without step",
        lambda d: events(d, 1)[1].pop("step"),
        "connection c2 (/chat/lobby/), event 1: 'step' is a required property",
    ),
    (
        "negative step",
        lambda d: events(d, 1)[1].update(step=-1),
        "connection c2 (/chat/lobby/), event 1, field step: -1 is less than the minimum of 0",
    ),
    (
        "message without type",
        lambda d: events(d, 1)[1]["message"].pop("type"),
        "connection c2 (/chat/lobby/), event 1, field message: 'type' is a required property",
    ),
    (
        "bad message header",
        lambda d: events(d, 1)[1]["message"]["headers"].append("no-colon"),
        "event 1, field message.headers[2]: 'no-colon' does not match",
    ),
    (
        "unexpected event field",
        lambda d: events(d)[0].update(surprise=1),
        "event 0: Additional properties are not allowed ('surprise' was unexpected)",
    ),
    (
        "bad connection id",
        lambda d: d["connections"][1].update(id="x2"),
        "connection x2 (/chat/lobby/), field id: 'x2' does not match",
    ),
    (
        "connection without closed",
        lambda d: d["connections"][1].pop("closed"),
        "connection c2 (/chat/lobby/): 'closed' is a required property",
    ),
    (
        "unknown connection type",
        lambda d: d["connections"][1].update(type="lifespan"),
        "connection c2 (/chat/lobby/), field type: 'lifespan' is not one of",
    ),
    (
        "user without username",
        lambda d: d["connections"][0].update(user={"name": "alice"}),
        "connection c1 (/ws/chat/lobby/), field user: 'username' is a required property",
    ),
    (
        "bad scope header",
        lambda d: d["connections"][0]["scope"]["headers"].__setitem__(0, "Host:localhost"),
        "connection c1 (/ws/chat/lobby/), field scope.headers[0]: 'Host:localhost' does not match",
    ),
    (
        "external event without op",
        lambda d: d["external"][0].pop("op"),
        "external event 0: 'op' is a required property",
    ),
    (
        "external event that is not a layer event",
        lambda d: d["external"][0].update(dir="in"),
        "external event 0, field dir: 'layer' was expected",
    ),
    (
        "unexpected top-level field",
        lambda d: d.update(extra=1),
        "the top level: Additional properties are not allowed ('extra' was unexpected)",
    ),
    (
        "missing external",
        lambda d: d.pop("external"),
        "the top level: 'external' is a required property",
    ),
    (
        "connection that is not an object",
        lambda d: d["connections"].append([]),
        "connection ? (?): [] is not of type 'object'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "diagnosis"),
    [(mutate, diagnosis) for _, mutate, diagnosis in SCHEMA_VIOLATIONS],
    ids=[name for name, _, _ in SCHEMA_VIOLATIONS],
)
def test_schema_violation_names_the_place(tmp_path: Path, mutate: Mutation, diagnosis: str) -> None:
    """A schema violation names the connection, the event index and the field that is wrong."""
    document = v1_document()
    mutate(document)
    error = load_error(write(tmp_path, document))
    assert isinstance(error, CassetteFormatError)
    assert diagnosis in error.problem


def test_several_violations_are_counted(tmp_path: Path) -> None:
    """When several fields are wrong, the message says how many more problems there are."""
    document = v1_document()
    events(document)[0].update(surprise=1)
    events(document)[1].update(other=2)
    events(document)[2].update(third=3)
    assert "(and 2 more problems)" in str(load_error(write(tmp_path, document)))


def test_schema_check_can_be_skipped() -> None:
    """With validate_schema=False, a document the schema rejects still loads."""
    document = v1_document()
    events(document)[4]["dir"] = "sideways"
    cassette = loads(orjson.dumps(document), validate_schema=False)
    assert cassette.connections[0].events[4]["dir"] == "sideways"


def test_validate_accepts_the_fixture_and_rejects_a_violation() -> None:
    """validate passes a good document and raises on a bad one, without a path."""
    document = v1_document()
    validate(document)
    document["connections"][0]["step"] = "one"
    with pytest.raises(CassetteFormatError, match=r"^<cassette>: connection c1"):
        validate(document)


def test_loads_accepts_text_and_names_no_file() -> None:
    """loads takes text as well as bytes; its errors name "<cassette>" when no path is given."""
    assert loads(V1_MINIMAL.read_text(encoding="utf-8")) == load(V1_MINIMAL)
    with pytest.raises(CassetteFormatError, match=r"^<cassette>: the file is empty"):
        loads("")


def test_schema_is_the_shipped_one() -> None:
    """The schema load checks against declares the current format and version."""
    assert schema()["properties"]["format"] == {"const": FORMAT}
    assert schema()["properties"]["version"] == {"const": VERSION}


# -- the version-1 fixture ------------------------------------------------------------------


def test_v1_fixture_loads() -> None:
    """The hand-checked version-1 cassette loads with every field as written."""
    cassette = load(V1_MINIMAL)
    assert cassette.path == V1_MINIMAL
    assert [c.describe() for c in cassette.connections] == [
        "c1 (websocket /ws/chat/lobby/)",
        "c2 (http /chat/lobby/)",
    ]
    websocket, http = cassette.connections
    assert (websocket.step, websocket.closed, websocket.user) == (1, True, {"username": "alice"})
    assert (http.step, http.closed, http.user) == (2, True, None)
    assert websocket.scope["subprotocols"] == []
    assert "cookie: csrftoken=<redacted>; sessionid=<redacted>" in websocket.scope["headers"]
    assert http.scope["method"] == "GET"
    assert http.scope["query_string"] == "tab=%C3%A9"
    assert cassette.event_count == 16


def test_v1_fixture_event_sequence() -> None:
    """The version-1 cassette keeps its events in order, with their directions, ops and steps."""
    websocket, http = load(V1_MINIMAL).connections
    assert [
        (e["dir"], e.get("op") or e["message"]["type"], e["step"]) for e in websocket.events
    ] == [
        ("in", "websocket.connect", 1),
        ("layer", "new_channel", 1),
        ("layer", "group_add", 1),
        ("out", "websocket.accept", 1),
        ("in", "websocket.receive", 3),
        ("layer", "group_send", 3),
        ("layer", "receive", 3),
        ("out", "websocket.send", 3),
        ("layer", "receive", 4),
        ("out", "websocket.send", 4),
        ("in", "websocket.disconnect", 5),
        ("layer", "group_discard", 5),
    ]
    assert [e["message"]["type"] for e in http.events] == [
        "http.request",
        "http.response.start",
        "http.response.body",
    ]


def test_v1_fixture_values_decode() -> None:
    """The tagged values of the version-1 cassette decode to the Python values recorded."""
    cassette = load(V1_MINIMAL)
    websocket, http = cassette.connections
    assert decode_value(websocket.events[4]["message"]) == {
        "type": "websocket.receive",
        "text": '{"message":"hello"}',
        "bytes": None,
    }
    assert decode_value(websocket.events[9]["message"]) == {
        "type": "websocket.send",
        "bytes": b"\x00\x01\x02",
    }
    assert decode_value(cassette.external[0]["message"])["id"] == 2**128
    assert decode_value(http.events[0]["message"])["body"] == b""
    body = decode_value(http.events[2]["message"])["body"]
    assert body.startswith(b'<form method="post">')
    assert http.events[1]["message"]["headers"][1].startswith("set-cookie: csrftoken=<redacted>;")
    assert cassette.external == [
        {
            "dir": "layer",
            "group": "chat_lobby",
            "message": {
                "id": {"$int": str(2**128)},
                "message": "server restarting",
                "type": "chat.message",
                "user": "system",
            },
            "op": "group_send",
            "step": 4,
        }
    ]


def test_v1_fixture_is_rewritten_byte_for_byte_as_version_1() -> None:
    """A cassette written again keeps its version: a newer one would name values the
    older one holds as recorded (bindings), so relabelling it would change its meaning."""
    old = V1_MINIMAL.read_bytes()
    cassette = load(V1_MINIMAL)
    assert cassette.version == 1
    assert not cassette.binds
    assert writer.dumps(cassette) == old


# -- the version-2 fixture: error events ------------------------------------------------------

V2_ERRORS = FIXTURES / "v2-errors.json"
"""Two connections of the gallery's strict app: a handshake refused by a KeyError, and a
socket closed with 1011 by a DoesNotExist (recorded by runserver --record)."""


def test_v2_fixture_loads_with_its_error_events() -> None:
    cassette = load(V2_ERRORS)
    errors = [(c.id, e) for c in cassette.connections for e in c.events if e["dir"] == "error"]
    assert errors == [
        (
            "c1",
            {
                "client": "handshake refused with HTTP 500",
                "detail": "'_auth_user_id'",
                "dir": "error",
                "exception": "KeyError",
                "step": 2,
            },
        ),
        (
            "c4",
            {
                "client": "closed with 1011",
                "detail": "Note matching query does not exist.",
                "dir": "error",
                "exception": "notes.models.Note.DoesNotExist",
                "step": 18,
            },
        ),
    ]
    assert writer.dumps(cassette) == V2_ERRORS.read_bytes()


def test_an_error_event_in_a_version_1_cassette_is_refused_by_name(tmp_path: Path) -> None:
    """Version 1 has no error events: the loader names the event and what is wrong."""
    document = json.loads(V2_ERRORS.read_text())
    document["version"] = 1
    error = load_error(write(tmp_path, document))
    assert isinstance(error, CassetteFormatError)
    assert error.problem == (
        "connection c1 (/ws/notes/), event 2: an error event, which format version 1 does not have"
    )
    assert error.fix == 'set "version": 2 (the version that records application errors)'


@pytest.mark.parametrize(
    ("field", "value", "diagnosis"),
    [
        ("client", "it shrugged", "field client: 'it shrugged' is not one of"),
        ("exception", 7, "field exception: 7 is not of type 'string'"),
        ("detail", None, "field detail: None is not of type 'string'"),
    ],
)
def test_a_bad_error_event_is_diagnosed(
    tmp_path: Path, field: str, value: Any, diagnosis: str
) -> None:
    document = json.loads(V2_ERRORS.read_text())
    document["connections"][0]["events"][2][field] = value
    error = load_error(write(tmp_path, document))
    assert isinstance(error, CassetteFormatError)
    assert f"connection c1 (/ws/notes/), event 2, {diagnosis}" in error.problem, error.problem


def test_a_compact_load_is_the_same_cassette_in_less_memory() -> None:
    """compact=True (the review commands' load) gives an equal cassette with shared strings."""
    data = (Path(__file__).parents[2] / "cassettes" / "example_session.json").read_bytes()
    compact = loads(data, compact=True)
    assert compact == loads(data)
    kinds = [e["message"]["type"] for c in compact.connections for e in c.events if "message" in e]
    sends = [kind for kind in kinds if kind == "websocket.send"]
    assert len({id(kind) for kind in sends}) == 1  # one object for every equal value


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "chanreplay-cassette", "version": 1, "connec',
        '{"format": "chanreplay-cassette", "version": 1, "connections": [NaN], "external": []}',
    ],
)
def test_a_compact_load_diagnoses_bad_json_as_the_normal_one_does(text: str) -> None:
    with pytest.raises(CassetteFormatError) as normal:
        loads(text)
    with pytest.raises(CassetteFormatError) as compact:
        loads(text, compact=True)
    assert str(compact.value) == str(normal.value)


def _external(message_json: str) -> str:
    """A cassette whose one external event's message is ``message_json`` (raw JSON text)."""
    return (
        f'{{"format": "{FORMAT}", "version": {VERSION}, "connections": [], "external": '
        f'[{{"dir": "layer", "op": "send", "channel": "x", "message": {message_json}, '
        '"step": 1}]}'
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (_external('{"s": "\\ud800"}'), "surrogate"),
        (_external('{"n": 1e400}'), "infinity"),
        (_external('{"n": NaN}'), "invalid JSON"),
    ],
)
def test_the_compact_parse_refuses_what_the_strict_one_refuses(text: str, says: str) -> None:
    """The review commands parse compactly: a file the loader rejects is rejected there too,
    with the same diagnosis (never accepted, then crashing when written again)."""
    for compact in (False, True):
        with pytest.raises(CassetteFormatError, match=says):
            loads(text, compact=compact)


def test_utf16_is_refused_by_both_parses() -> None:
    text = _external('{"a": 1}').encode("utf-16")
    for compact in (False, True):
        with pytest.raises(CassetteFormatError, match="UTF-8"):
            loads(text, compact=compact)


def test_both_parses_read_a_huge_integer_alike() -> None:
    """Beyond 64 bits, orjson reads a number as a float; the compact parse defers to it."""
    text = _external('{"n": 123456789012345678901234567890}')
    assert loads(text).external == loads(text, compact=True).external


@pytest.mark.parametrize("depth", [250, 990, 5000])
def test_a_payload_nested_too_deep_is_refused_naming_its_place(depth: int) -> None:
    """Nested beyond what every command can write again: refused at load, with its place,
    and diagnosing it exhausts no stack."""
    text = _external('{"a": ' * depth + "1" + "}" * depth)
    for compact in (False, True):
        with pytest.raises(CassetteError) as raised:
            loads(text, compact=compact)
        # Deeper than orjson parses at all, the JSON diagnosis names the column.
        said = str(raised.value)
        assert "nested more than 200 levels deep" in said or "depth limit exceeded" in said


def test_a_payload_just_deep_enough_still_loads_and_writes_again() -> None:
    text = _external('{"a": ' * 150 + "1" + "}" * 150)
    cassette = loads(text)
    assert orjson.loads(orjson.dumps(cassette.to_json())) == cassette.to_json()


def test_a_field_of_the_wrong_type_is_diagnosed_not_a_type_error() -> None:
    text = (
        f'{{"format": "{FORMAT}", "version": {VERSION}, "connections": [], '
        '"external": [{"dir": "layer", "op": [], "step": 1}]}'
    )
    with pytest.raises(CassetteFormatError, match="external event 0, field op"):
        loads(text)


def test_a_file_of_a_hundred_thousand_bad_items_reports_the_first_of_a_capped_count() -> None:
    """The schema errors are capped: the report names the place and says "or more"."""
    bad = ",".join(['{"dir": "layer", "op": "bogus", "step": 1}'] * 100_000)
    text = f'{{"format": "{FORMAT}", "version": {VERSION}, "connections": [], "external": [{bad}]}}'
    with pytest.raises(CassetteFormatError, match=r"\(and at least 999 more problems\)"):
        loads(text)

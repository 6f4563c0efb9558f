"""Tests of chanreplay.cassette.writer: the canonical form, streaming and atomic writes."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chanreplay.cassette import load, writer
from chanreplay.cassette.model import Cassette, Connection, Event


def websocket(connection_id: str = "c1", *, events: list[Event] | None = None) -> Connection:
    return Connection(
        id=connection_id,
        type="websocket",
        scope={"path": "/ws/chat/lobby/", "query_string": "", "headers": ["host: localhost"]},
        step=1,
        user={"username": "alice"},
        events=events if events is not None else [],
    )


def stream(cassette: Cassette, path: Path) -> bytes:
    """The bytes write_stream writes for ``cassette``."""
    writer.write_stream(
        path, ((c.header(), iter(c.events)) for c in cassette.connections), iter(cassette.external)
    )
    return path.read_bytes()


CONNECT: Event = {"dir": "in", "message": {"type": "websocket.connect"}, "step": 1}
SHAPES: dict[str, Cassette] = {
    "empty": Cassette(),
    "connection without events": Cassette(connections=[websocket()]),
    "events": Cassette(
        connections=[
            websocket(
                events=[
                    CONNECT,
                    {"dir": "out", "message": {"type": "websocket.accept"}, "step": 1},
                ]
            )
        ]
    ),
    "empty containers": Cassette(
        connections=[
            Connection(
                id="c1",
                type="http",
                scope={"path": "/", "query_string": "", "headers": []},
                step=0,
                user=None,
                closed=False,
                events=[{"dir": "in", "message": {"type": "x", "a": {}, "b": [], "c": [{}]}}],
            )
        ]
    ),
    "nested payloads": Cassette(
        connections=[
            websocket(
                events=[
                    {
                        "dir": "layer",
                        "op": "group_send",
                        "group": "g",
                        "message": {"z": [[1, [2, {"y": {"x": [None, True, 1.5]}}]]], "a": 0},
                        "step": 2,
                    }
                ]
            )
        ]
    ),
    "unicode": Cassette(
        connections=[
            websocket(
                events=[
                    {
                        "dir": "in",
                        "message": {
                            "type": "websocket.receive",
                            "text": {"$json": {"é": "日本語 \u2028 \U0001f600", "q": '"\\\n\t'}},
                        },
                        "step": 2,
                    }
                ]
            )
        ]
    ),
    "external only": Cassette(
        external=[{"dir": "layer", "op": "group_send", "group": "g", "message": {}, "step": 1}]
    ),
    "several connections and external": Cassette(
        connections=[websocket("c1", events=[CONNECT]), websocket("c2"), websocket("c3")],
        external=[
            {"dir": "layer", "op": "flush", "step": 4},
            {"dir": "layer", "op": "send", "channel": "x", "message": {"type": "t"}, "step": 5},
        ],
    ),
}


@pytest.mark.parametrize("cassette", SHAPES.values(), ids=SHAPES.keys())
def test_write_stream_is_byte_identical_to_dumps(cassette: Cassette, tmp_path: Path) -> None:
    """write_stream writes exactly the bytes dumps gives, for every shape of cassette."""
    assert stream(cassette, tmp_path / "c.json") == writer.dumps(cassette)


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=15,
)
events = st.dictionaries(st.text(), json_values, max_size=4)
connections = st.builds(
    Connection,
    id=st.integers(min_value=1, max_value=99).map(lambda n: f"c{n}"),
    type=st.sampled_from(["websocket", "http"]),
    scope=st.dictionaries(st.text(), json_values, max_size=3),
    step=st.integers(min_value=0, max_value=1000),
    user=st.none() | st.fixed_dictionaries({"username": st.text()}),
    closed=st.booleans(),
    events=st.lists(events, max_size=4),
)
cassettes = st.builds(
    Cassette, connections=st.lists(connections, max_size=3), external=st.lists(events, max_size=3)
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cassette=cassettes)
def test_write_stream_matches_dumps_for_any_cassette(cassette: Cassette, tmp_path: Path) -> None:
    """write_stream and dumps agree byte for byte on generated cassettes."""
    assert stream(cassette, tmp_path / "c.json") == writer.dumps(cassette)


def test_keys_are_sorted_at_every_level() -> None:
    """Every object in the canonical form has its keys in sorted order."""
    event = {"step": 1, "message": {"z": 1, "b": {"y": 1, "a": 2}, "type": "t"}, "dir": "in"}
    cassette = Cassette(connections=[websocket(events=[event])])
    orders: list[list[str]] = []

    def remember(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        orders.append([key for key, _ in pairs])
        return dict(pairs)

    json.loads(writer.dumps(cassette), object_pairs_hook=remember)
    assert len(orders) == 7  # top, connection, scope, user, event, message, message.b
    assert all(keys == sorted(keys) for keys in orders)


def test_canonical_form_layout() -> None:
    """The canonical form is two-space indented JSON, one value per line, ending in a newline."""
    cassette = Cassette(connections=[websocket(events=[CONNECT])])
    assert writer.dumps(cassette).decode() == (
        "{\n"
        '  "connections": [\n'
        "    {\n"
        '      "closed": true,\n'
        '      "events": [\n'
        "        {\n"
        '          "dir": "in",\n'
        '          "message": {\n'
        '            "type": "websocket.connect"\n'
        "          },\n"
        '          "step": 1\n'
        "        }\n"
        "      ],\n"
        '      "id": "c1",\n'
        '      "scope": {\n'
        '        "headers": [\n'
        '          "host: localhost"\n'
        "        ],\n"
        '        "path": "/ws/chat/lobby/",\n'
        '        "query_string": ""\n'
        "      },\n"
        '      "step": 1,\n'
        '      "type": "websocket",\n'
        '      "user": {\n'
        '        "username": "alice"\n'
        "      }\n"
        "    }\n"
        "  ],\n"
        '  "external": [],\n'
        '  "format": "chanreplay-cassette",\n'
        '  "version": 3\n'
        "}\n"
    )


@pytest.mark.parametrize("cassette", SHAPES.values(), ids=SHAPES.keys())
def test_written_cassettes_load(cassette: Cassette, tmp_path: Path) -> None:
    """A cassette written by write loads back equal (schema-checked where it is valid)."""
    path = tmp_path / "c.json"
    writer.write(cassette, path)
    assert load(path, validate_schema=False) == cassette


def test_written_cassette_passes_the_schema(tmp_path: Path) -> None:
    """A realistic written cassette passes the schema check of load."""
    cassette = SHAPES["several connections and external"]
    writer.write(cassette, tmp_path / "c.json")
    assert load(tmp_path / "c.json") == cassette


def test_write_creates_missing_directories(tmp_path: Path) -> None:
    """write creates the cassette directory when it does not exist yet."""
    path = tmp_path / "a" / "b" / "c.json"
    writer.write(Cassette(), path)
    assert path.read_bytes() == writer.dumps(Cassette())


def test_durable_write_gives_the_same_bytes(tmp_path: Path) -> None:
    """A durable write_stream writes the same bytes as a plain one."""
    cassette = SHAPES["several connections and external"]
    path = tmp_path / "c.json"
    writer.write_stream(
        path,
        ((c.header(), c.events) for c in cassette.connections),
        cassette.external,
        durable=True,
    )
    assert path.read_bytes() == writer.dumps(cassette)


def test_failure_mid_stream_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    """An error while events are streamed leaves the old cassette intact and no temporary file."""
    path = tmp_path / "c.json"
    writer.write(SHAPES["events"], path)
    old = path.read_bytes()

    def failing_events() -> Iterator[Event]:
        yield CONNECT
        raise RuntimeError("the journal vanished")

    with pytest.raises(RuntimeError, match="the journal vanished"):
        writer.write_stream(path, [(websocket("c9").header(), failing_events())], [])
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["c.json"]


def test_failure_to_replace_leaves_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error when the new file replaces the old leaves the old one and no temporary file."""
    path = tmp_path / "c.json"
    writer.write(SHAPES["events"], path)
    old = path.read_bytes()

    def refuse(source: str, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        writer.write(SHAPES["unicode"], path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["c.json"]


def test_new_cassette_gets_the_usual_file_mode(tmp_path: Path) -> None:
    """A new cassette is readable as any file the process creates (umask applies), not 0600."""
    mask = os.umask(0o022)
    os.umask(mask)
    path = tmp_path / "c.json"
    writer.write(Cassette(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_rewritten_cassette_keeps_its_file_mode(tmp_path: Path) -> None:
    """Rewriting a cassette keeps the permissions the old file had."""
    path = tmp_path / "c.json"
    writer.write(Cassette(), path)
    path.chmod(0o640)
    writer.write(SHAPES["events"], path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_connection_is_written_one_event_at_a_time() -> None:
    """Compiling never holds a whole connection's rendered events: they are pulled lazily."""
    pulled = 0

    def events() -> Iterator[dict[str, Any]]:
        nonlocal pulled
        for step in range(1, 1001):
            pulled += 1
            yield {"dir": "in", "message": {"type": "websocket.connect"}, "step": step}

    header = {"closed": True, "id": "c1", "scope": {}, "step": 1, "type": "websocket", "user": None}
    chunks = writer.cassette_chunks([(header, events())], [])
    for chunk in chunks:
        if b'"step": 1\n' in chunk:
            break
    assert pulled == 1
    rest = b"".join(chunks)
    assert pulled == 1000
    assert rest.endswith(b'"version": 3\n}\n')

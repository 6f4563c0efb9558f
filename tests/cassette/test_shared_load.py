"""Loading a second version beside a first (``like``, what ``chanreplay diff`` does), and the
compact load's own checks: the same cassette and the same diagnosis as a plain load, in
less memory."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from chanreplay.cassette import load, loads
from chanreplay.cassette.model import Cassette
from chanreplay.exceptions import CassetteError, CassetteFormatError
from tests.fuzz.test_readers import bounded, mutated

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "cassettes" / "example_session.json"
V1 = Path(__file__).with_name("fixtures") / "v1-minimal.json"


def example() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return document


def text(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True)


def diagnosis(data: str, **options: Any) -> str:
    with pytest.raises(CassetteError) as raised:
        loads(data, **options)
    return str(raised.value)


def test_a_second_version_shares_the_connections_it_has_the_same() -> None:
    first = loads(EXAMPLE.read_bytes(), compact=True)
    document = example()
    document["connections"][3]["events"][4]["message"]["text"]["$json"]["user"] = "ALICE"
    second = loads(text(document), compact=True, like=first)
    assert second == loads(text(document))  # the cassette a plain load reads
    for index, (old, new) in enumerate(zip(first.connections, second.connections, strict=True)):
        if index == 3:
            assert new.events is not old.events  # changed: its own
        else:
            assert new.events is old.events
            assert new.scope is old.scope


def test_only_the_same_json_is_shared_not_equal_python_values() -> None:
    """1, 1.0 and true are equal in Python; in a cassette they differ."""
    document = example()
    payload = document["connections"][3]["events"][4]["message"]["text"]["$json"]
    payload["n"] = 1
    first = loads(text(document), compact=True)
    for other in (True, 1.0):
        payload["n"] = other
        second = loads(text(document), compact=True, like=first)
        assert second == loads(text(document))
        events = second.connections[3].events
        assert events is not first.connections[3].events
        assert type(events[4]["message"]["text"]["$json"]["n"]) is type(other)
        assert second.connections[2].events is first.connections[2].events


def test_a_type_changed_in_a_header_is_diagnosed_as_without_the_first() -> None:
    first = loads(EXAMPLE.read_bytes(), compact=True)
    document = example()
    document["connections"][1]["closed"] = 1
    data = text(document)
    assert diagnosis(data, compact=True, like=first) == diagnosis(data)


def test_a_connection_is_taken_by_its_id_and_content_not_its_place() -> None:
    first = loads(EXAMPLE.read_bytes(), compact=True)
    document = example()
    document["connections"].reverse()
    second = loads(text(document), compact=True, like=first)
    assert second == loads(text(document))
    by_id = {c.id: c for c in first.connections}
    assert all(c.events is by_id[c.id].events for c in second.connections)


def test_another_version_is_still_checked_whole() -> None:
    """Connections checked under version 1 are checked again under version 2."""
    first = loads(V1.read_bytes(), compact=True)
    document = json.loads(V1.read_text())
    document["version"] = 2
    second = loads(text(document), compact=True, like=first)
    assert second == loads(text(document))
    assert second.version == 2


@pytest.mark.parametrize(
    "broken",
    [
        lambda d: d["connections"][2].update(step=-1),  # a new connection, bad
        lambda d: d["connections"].append({"id": "c99"}),  # one the first lacks, bad
        lambda d: d["external"].append({"dir": "layer", "op": "nope", "step": 1}),
        lambda d: d.update(extra=True),
        lambda d: d.update(connections=d["connections"][0]),  # not a list
    ],
)
def test_a_bad_second_version_is_diagnosed_as_without_the_first(broken: Any) -> None:
    first = loads(EXAMPLE.read_bytes(), compact=True)
    document = example()
    broken(document)
    data = text(document)
    assert diagnosis(data, compact=True, like=first) == diagnosis(data)


@pytest.mark.parametrize(
    "data",
    [
        '{"format": "chanreplay-cassette", "version": 3, "connections": [',
        '{"format": "chanreplay-cassette", "version": 3, "connections": [1,]}',
        '{"format": "chanreplay-cassette", "version": 3, "connections": [], "external": []} x',
        '{"format": "chanreplay-cassette" "version": 3}',
        '{"format": "chanreplay-cassette", 3: 3}',
        '["chanreplay-cassette"]',
        '\ufeff{"format": "chanreplay-cassette"}',
        '{"format": "chanreplay-cassette", "version": 3, "connections": [NaN], "external": []}',
    ],
)
def test_bad_json_in_a_second_version_is_diagnosed_as_without_the_first(data: str) -> None:
    first = loads(EXAMPLE.read_bytes(), compact=True)
    assert diagnosis(data, compact=True, like=first) == diagnosis(data)


def test_json_the_standard_parser_reads_reads_the_same_apart() -> None:
    """Whitespace anywhere JSON allows it, keys repeated (the last wins), no connections."""
    first = loads(EXAMPLE.read_bytes(), compact=True)
    document = example()
    body = json.dumps(document["connections"][:3])
    data = (
        ' \n\t{ "format" :"chanreplay-cassette",\r\n"connections" : [ ] , "version":3,'
        f'"external":[] ,\n "connections":{body}  }}\n\n'
    )
    assert loads(data, compact=True, like=first) == loads(data)
    empty = '{"format": "chanreplay-cassette", "version": 3, "connections": [], "external": []}'
    assert loads(empty, compact=True, like=first) == loads(empty)


def test_a_repeated_connections_key_shares_nothing_it_does_not_keep() -> None:
    """The first list's connections are taken, then dropped for the second list's: none of
    those is taken for a connection checked before."""
    first = loads(EXAMPLE.read_bytes(), compact=True)
    document = example()
    bad = copy.deepcopy(document["connections"])
    bad[0]["step"] = -1
    data = (
        '{"format": "chanreplay-cassette", "version": 3, "external": [], '
        f'"connections": {json.dumps(document["connections"])}, '
        f'"connections": {json.dumps(bad)}}}'
    )
    assert diagnosis(data, compact=True, like=first) == diagnosis(data)


def test_load_takes_like_from_a_file(tmp_path: Path) -> None:
    first = load(EXAMPLE, compact=True)
    second = load(EXAMPLE, compact=True, like=first)
    assert second == first
    assert all(
        a.events is b.events for a, b in zip(first.connections, second.connections, strict=True)
    )
    assert isinstance(second, Cassette)
    assert second.path == EXAMPLE


# -- the compact load's own checks -----------------------------------------------------


def deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"n": value}
    return value


@pytest.mark.parametrize("where", ["connection", "external", "top"])
def test_a_value_too_deep_anywhere_is_refused_alike_by_every_load(where: str) -> None:
    document = example()
    if where == "connection":
        document["connections"][2]["events"][1]["message"]["text"] = {"$json": deep(210)}
    elif where == "external":
        document["external"] = [
            {"dir": "layer", "op": "send", "channel": "x", "step": 1, "message": deep(210)}
        ]
    else:
        document["extra"] = deep(230)
    data = json.dumps(document)
    first = loads(EXAMPLE.read_bytes(), compact=True)
    said = {
        diagnosis(data),
        diagnosis(data, compact=True),
        diagnosis(data, compact=True, like=first),
    }
    assert len(said) == 1
    assert "nested more than 200 levels deep" in said.pop()


def test_a_document_just_within_the_depth_loads_compactly() -> None:
    document = example()
    document["connections"][2]["events"][1]["message"]["text"] = {"$json": deep(190)}
    data = json.dumps(document)
    assert loads(data, compact=True) == loads(data)


def test_a_compact_load_of_a_file_not_utf8_is_diagnosed_from_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(EXAMPLE.read_bytes().replace(b"alice", b"al\xefce", 1))
    with pytest.raises(CassetteFormatError) as compact:
        load(path, compact=True)
    with pytest.raises(CassetteFormatError) as plain:
        load(path)
    assert str(compact.value) == str(plain.value)
    assert "invalid UTF-8" in str(plain.value)


@pytest.mark.parametrize("blank", [b"", b" \n\t", b"\xc2\xa0"])
def test_a_blank_file_is_diagnosed_alike_by_every_load(tmp_path: Path, blank: bytes) -> None:
    """Blank as bytes (ASCII whitespace): a no-break space is no JSON, not an empty file."""
    path = tmp_path / "blank.json"
    path.write_bytes(blank)
    said = set()
    for compact in (False, True):
        with pytest.raises(CassetteFormatError) as raised:
            load(path, compact=compact)
        said.add(str(raised.value))
    assert len(said) == 1


@bounded(200)
@given(data=mutated())
def test_a_mutated_second_version_reads_as_without_the_first(data: bytes) -> None:
    """Bytes flipped, cut or repeated, values swapped, nested deeper (the fuzz suite's
    mutations): read beside the example, the same cassette or the same diagnosis."""
    first = loads(EXAMPLE.read_bytes(), compact=True)
    outcomes: list[Any] = []
    for options in ({}, {"compact": True}, {"compact": True, "like": first}):
        try:
            outcomes.append(loads(data, **options))
        except CassetteError as error:
            outcomes.append(str(error))
    assert outcomes[0] == outcomes[1] == outcomes[2]

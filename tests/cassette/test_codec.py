"""Tests of chanreplay.cassette.codec: tagging, rejection, the fast path and the round trip."""

from __future__ import annotations

import collections
import copy
import dataclasses
import datetime
import decimal
import enum
import json
import math
import uuid
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chanreplay.cassette import codec
from chanreplay.exceptions import CassetteFormatError, UnserializableValueError

# -- helpers ------------------------------------------------------------------


def same(actual: Any, expected: Any) -> bool:
    """Deep equality that tells True from 1, 1 from 1.0, and counts nan equal to nan."""
    if type(actual) is not type(expected):
        return False
    if isinstance(actual, float) and math.isnan(actual):
        return math.isnan(expected)
    if isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            same(actual[key], expected[key]) for key in actual
        )
    if isinstance(actual, list):
        return len(actual) == len(expected) and all(
            same(a, e) for a, e in zip(actual, expected, strict=True)
        )
    return bool(actual == expected)


def recorded(value: Any) -> Any:
    """What a value looks like after the round trip: tuples are lists, byte buffers bytes."""
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, dict):
        return {key: recorded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [recorded(item) for item in value]
    return value


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.binary()
)
keys = st.text() | st.sampled_from(["$bytes", "$json", "$object", "$int", "$", "$x", "type"])
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children)
        | st.lists(children).map(tuple)
        | st.dictionaries(keys, children)
        | st.dictionaries(keys, children, min_size=1, max_size=1)
    ),
    max_leaves=30,
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


# -- bytes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "prefer_text", "expected"),
    [
        (b"\x00\x01\x02", False, {"$bytes": "AAEC"}),
        (b"", False, {"$bytes": ""}),
        (b"a=1&b=2", False, {"$bytes": "YT0xJmI9Mg=="}),
        (b"a=1&b=2", True, {"$bytes_text": "a=1&b=2"}),
        ("héllo".encode(), True, {"$bytes_text": "héllo"}),
        (b"", True, {"$bytes_text": ""}),
        (b"5", True, {"$bytes_text": "5"}),
        (b"true", True, {"$bytes_text": "true"}),
        (b'{"ok": true, "n": [1, 2]}', True, {"$bytes_json": {"ok": True, "n": [1, 2]}}),
        (b"[]", True, {"$bytes_json": []}),
        (b'{"a": 1, "a": 2}', True, {"$bytes_text": '{"a": 1, "a": 2}'}),
        (b"\xff\xfe\x00", True, {"$bytes": "//4A"}),
        (b"caf\xe9", True, {"$bytes": "Y2Fm6Q=="}),
    ],
)
def test_encode_bytes(data: bytes, prefer_text: bool, expected: Any) -> None:
    """Bytes are base64, or with prefer_text readable UTF-8 text or JSON containers."""
    assert codec.encode_bytes(data, prefer_text=prefer_text) == expected


@given(st.binary() | st.text().map(str.encode))
def test_encode_bytes_round_trip(data: bytes) -> None:
    """Tagged bytes decode to the same bytes, or with $bytes_json to the same JSON."""
    plain = codec.encode_bytes(data)
    assert codec.decode_value(orjson.loads(orjson.dumps(plain))) == data
    readable = orjson.loads(orjson.dumps(codec.encode_bytes(data, prefer_text=True)))
    decoded = codec.decode_value(readable)
    if "$bytes_json" in readable:
        assert json.loads(decoded) == json.loads(data)
    else:
        assert decoded == data


# -- text frames ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "structure"),
    [
        ('{"message": "hi"}', {"message": "hi"}),
        ('[1, "two", null, true, 1.5]', [1, "two", None, True, 1.5]),
        ("  \n{}", {}),
        ("[]", []),
        ('{"a": {"b": [{"c": "é"}]}}', {"a": {"b": [{"c": "é"}]}}),
        ("[18446744073709551615, -9223372036854775808]", [2**64 - 1, -(2**63)]),
        ('{"$set": 1}', {"$set": 1}),
    ],
)
def test_text_holding_json_container_is_structure(text: str, structure: Any) -> None:
    """A text frame that holds a JSON object or array is stored as {"$json": structure}."""
    assert codec.encode_text(text) == {"$json": structure}


@pytest.mark.parametrize(
    "text",
    [
        "5",
        "true",
        "null",
        '"quoted"',
        "hello",
        "",
        "   ",
        "{not json",
        "[1, 2",
        "{} trailing",
        '{"a": 1, "a": 2}',
        '{"outer": {"b": 1, "b": 2}}',
        "[NaN]",
        "[Infinity]",
        '{"x": -Infinity}',
        "[1e400]",
        "[-1e400]",
        "[18446744073709551616]",
        "[-9223372036854775809]",
        '["\\ud800"]',
    ],
)
def test_text_stays_string_when_structure_would_change_it(text: str) -> None:
    """Scalars, non-JSON, duplicate keys, NaN, overflowing numbers and surrogates stay strings."""
    assert codec.encode_text(text) == text


@given(json_values, st.sampled_from([None, 2]))
def test_json_text_survives_the_cassette(value: Any, indent: int | None) -> None:
    """A JSON text frame comes back from a written cassette with the same meaning."""
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    encoded = codec.encode_text(text)
    decoded = codec.decode_value(orjson.loads(orjson.dumps(encoded)))
    assert same(json.loads(decoded), json.loads(text))


@given(st.text())
def test_any_text_survives_the_cassette(text: str) -> None:
    """Any text frame is either kept as is or comes back as JSON with the same meaning."""
    encoded = codec.encode_text(text)
    decoded = codec.decode_value(orjson.loads(orjson.dumps(encoded)))
    if isinstance(encoded, str):
        assert decoded == text
    else:
        assert same(json.loads(decoded), json.loads(text))


# -- values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (False, False),
        (0, 0),
        (2**63 - 1, 2**63 - 1),
        (-(2**63), -(2**63)),
        (2**64 - 1, 2**64 - 1),
        (2**64, {"$int": "18446744073709551616"}),
        (-(2**63) - 1, {"$int": "-9223372036854775809"}),
        (10**40, {"$int": "1" + "0" * 40}),
        (1.5, 1.5),
        (-0.0, -0.0),
        (math.nan, {"$float": "nan"}),
        (math.inf, {"$float": "inf"}),
        (-math.inf, {"$float": "-inf"}),
        ("", ""),
        ("$not a tag", "$not a tag"),
        ('{"a": 1}', '{"a": 1}'),
        (b"\x00\x01\x02", {"$bytes": "AAEC"}),
        (bytearray(b"\x00\x01\x02"), {"$bytes": "AAEC"}),
        (memoryview(b"\x00\x01\x02"), {"$bytes": "AAEC"}),
        ((1, (2, 3)), [1, [2, 3]]),
        ([], []),
        ({}, {}),
    ],
)
def test_encode_value(value: Any, expected: Any) -> None:
    """Plain JSON stays as it is; big ints, non-finite floats, bytes and tuples are converted."""
    assert same(codec.encode_value(value), expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"$set": 1}, {"$object": {"$set": 1}}),
        ({"$set": 1, "a": 2}, {"$object": {"$set": 1, "a": 2}}),
        ({"$bytes": "AAEC"}, {"$object": {"$bytes": "AAEC"}}),
        ({"a": {"$b": 1}}, {"a": {"$object": {"$b": 1}}}),
        ({"$a": {"$b": b"\x00"}}, {"$object": {"$a": {"$object": {"$b": {"$bytes": "AA=="}}}}}),
        ({"a$": 1, "b": "$c"}, {"a$": 1, "b": "$c"}),
    ],
)
def test_user_dicts_with_dollar_keys_are_escaped(value: Any, expected: Any) -> None:
    """A dict with an own key starting with "$" is wrapped in $object: it never reads as a tag."""
    encoded = codec.encode_value(value)
    assert encoded == expected
    assert codec.decode_value(encoded) == value


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize("encode", [codec.encode_value, codec.dumps], ids=["encode_value", "dumps"])
@pytest.mark.parametrize(
    ("message", "path"),
    [
        ({"payload": {"when": datetime.datetime(2024, 5, 1, 12, 0)}}, "message.payload.when"),
        ({"payload": {"when": datetime.date(2024, 5, 1)}}, "message.payload.when"),
        ({"payload": {"when": datetime.time(12, 0)}}, "message.payload.when"),
        ({"tags": {"a", "b"}}, "message.tags"),
        ({"tags": frozenset()}, "message.tags"),
        ({"price": decimal.Decimal("1.10")}, "message.price"),
        ({"id": uuid.UUID(int=1)}, "message.id"),
        ({"colour": Colour.RED}, "message.colour"),
        ({"point": Point(1)}, "message.point"),
        ({"items": [1, [2, object()]]}, "message.items[1][1]"),
        ({"payload": {1: "x"}}, "message.payload[1] (a key)"),
        ({"payload": {("a", 1): "x"}}, "message.payload[('a', 1)] (a key)"),
        ({"payload": {b"k": "x"}}, "message.payload[b'k'] (a key)"),
        ({"payload": {None: "x"}}, "message.payload[None] (a key)"),
    ],
)
def test_values_json_cannot_hold_are_rejected_with_their_path(
    encode: Any, message: dict[str, Any], path: str
) -> None:
    """datetime, set, Decimal, UUID, enum, dataclass and non-str keys raise, naming the path."""
    with pytest.raises(UnserializableValueError) as caught:
        encode(message)
    assert caught.value.path == path
    assert path in str(caught.value)
    assert "fix:" in str(caught.value)
    assert isinstance(caught.value, TypeError)


@pytest.mark.parametrize(
    "encode",
    [lambda v: codec.encode_value(v, "event"), lambda v: codec.dumps(v, path="event")],
    ids=["encode_value", "dumps"],
)
def test_rejection_path_starts_with_the_given_name(encode: Any) -> None:
    """The path argument names the root of the value in the error."""
    with pytest.raises(UnserializableValueError, match=r"at event\.message\.when"):
        encode({"message": {"when": {1, 2}}})


# -- the fast path ---------------------------------------------------------------


class Label(str):
    pass


class Count(int):
    pass


class Level(enum.IntEnum):
    HIGH = 3


class Mode(enum.StrEnum):
    FAST = "fast"


class Ratio(float):
    pass


@pytest.mark.parametrize(
    "value",
    [
        {"type": "chat.message", "message": "hi", "n": 1, "ok": True, "none": None},
        {"nested": [[[{"deep": [1.5, -2, "x"]}]]]},
        {"price": "$5", "note": 'say "$bytes"'},
        {"$set": 1},
        {"a": [1, {"$b": 2}]},
        {"big": 2**64, "small": -(2**63) - 1, "edge": 2**64 - 1},
        {"nan": math.nan, "inf": math.inf, "list": [-math.inf]},
        {"none": None, "null": "null"},
        {"frame": b"\x00\xff", "buffer": bytearray(b"ab")},
        {"tuple": (1, (2, "3"))},
        {"label": Label("x"), Label("key"): Count(5)},
        {"level": Level.HIGH, "mode": Mode.FAST},
        collections.OrderedDict(b=1, a=2),
        collections.defaultdict(list, a=[1]),
        [],
        "text",
        2**70,
        math.nan,
    ],
)
def test_dumps_matches_encode_value(value: Any) -> None:
    """dumps gives the bytes orjson gives for encode_value's result, for tricky values."""
    assert codec.dumps(value) == orjson.dumps(codec.encode_value(value))


@given(values)
def test_dumps_matches_encode_value_for_any_value(value: Any) -> None:
    """dumps gives the bytes orjson gives for encode_value's result, for any recordable value."""
    assert codec.dumps(value) == orjson.dumps(codec.encode_value(value))


@given(values)
def test_round_trip_is_lossless(value: Any) -> None:
    """decode_value(loads(dumps(v))) gives v back, with tuples as lists and buffers as bytes."""
    assert same(codec.decode_value(orjson.loads(codec.dumps(value))), recorded(value))


@pytest.mark.parametrize(
    "value",
    [
        {"type": "chat.message", "message": "hi", "n": 1, "ok": True, "none": None},
        {"nested": [[[{"deep": [1.5, -2, "x", -0.0, 1e300]}]]]},
        {"unicode": "z\u00fcrich \U0001f600", "escapes": 'tab\t quote" nul\u0000'},
        {"b": 1, "a": 2},
        [],
        "text",
    ],
)
def test_dumps_exact_loads_back_as_a_deep_copy(value: Any) -> None:
    """What dumps_exact writes is dumps' output, and loading it gives an exact deep copy."""
    data = codec.dumps_exact(value)
    assert data is not None
    assert data == codec.dumps(value)
    loaded = orjson.loads(data)
    assert same(loaded, copy.deepcopy(value))
    assert orjson.dumps(loaded) == data  # key order too


@pytest.mark.parametrize(
    "value",
    [
        {"tuple": (1, 2)},
        ("a", "b"),
        {"price": "$5"},
        {"$set": 1},
        {"big": 2**64},
        {"nan": math.nan},
        {"frame": b"\x00"},
        {"label": Label("x")},
        {Label("key"): 1},
        {1: "not a str key"},
        collections.OrderedDict(a=1),
        {"level": Level.HIGH},
        {"colour": Colour.RED},
        {"id": uuid.UUID(int=7)},
        {"ratio": Ratio(0.5)},
        {"at": datetime.datetime(2026, 1, 1)},
        {"point": Point(1)},
        {"decimal": decimal.Decimal("1.5")},
    ],
)
def test_dumps_exact_refuses_what_would_not_load_back_the_same(value: Any) -> None:
    """Tuples, tags, subclasses and what orjson cannot write get None (the caller copies)."""
    assert codec.dumps_exact(value) is None


@given(values)
def test_dumps_exact_is_exact_whenever_it_answers(value: Any) -> None:
    """For any recordable value, a dumps_exact result loads back as a deep copy of it."""
    data = codec.dumps_exact(value)
    if data is not None:
        assert data == codec.dumps(value)
        assert same(orjson.loads(data), copy.deepcopy(value))


# -- decoding ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ({"$bytes": "AAEC"}, b"\x00\x01\x02"),
        ({"$bytes_text": "a=1&b=é"}, "a=1&b=é".encode()),
        ({"$bytes_json": {"a": [1, 2]}}, b'{"a":[1,2]}'),
        ({"$json": {"message": "hi"}}, '{"message":"hi"}'),
        ({"$json": {"$bytes": "AAEC"}}, '{"$bytes":"AAEC"}'),
        ({"$int": "18446744073709551616"}, 2**64),
        ({"$float": "inf"}, math.inf),
        ({"$float": "-inf"}, -math.inf),
        ({"$float": "nan"}, math.nan),
        ({"$object": {"$set": {"$bytes": "AA=="}}}, {"$set": b"\x00"}),
        ({"a": [{"$bytes": ""}]}, {"a": [b""]}),
        ({"$a": 1, "$b": 2}, {"$a": 1, "$b": 2}),
        ({"plain": "$bytes"}, {"plain": "$bytes"}),
    ],
)
def test_decode_value(encoded: Any, expected: Any) -> None:
    """Each tag decodes to the Python value it stands for; other values are kept."""
    assert same(codec.decode_value(encoded), expected)


def test_unknown_tag_is_a_format_error() -> None:
    """An unknown tag raises CassetteFormatError naming the tag, the place and the known tags."""
    with pytest.raises(CassetteFormatError) as caught:
        codec.decode_value({"text": {"$date": "2024-05-01"}}, lambda: "connection c1, event 3")
    message = str(caught.value)
    assert "'$date'" in message
    assert "connection c1, event 3" in message
    assert "fix:" in message
    assert "$bytes_json" in message


def test_unknown_tag_inside_object_is_reported_as_unknown() -> None:
    """An unknown tag nested in $object is reported as unknown, not as a bad $object."""
    with pytest.raises(CassetteFormatError, match="unknown tag '\\$nope'"):
        codec.decode_value({"$object": {"$a": {"$nope": 1}}})


@pytest.mark.parametrize(
    "encoded",
    [
        {"$bytes": "not base64!"},
        {"$bytes": 5},
        {"$bytes_text": ["a"]},
        {"$bytes_json": "text"},
        {"$json": 5},
        {"$int": "twelve"},
        {"$int": 12},
        {"$float": "fast"},
        {"$float": 1.5},
        {"$object": ["a"]},
    ],
)
def test_malformed_tag_payload_is_a_format_error(encoded: Any) -> None:
    """A tag whose payload has the wrong type or form raises CassetteFormatError with a fix."""
    with pytest.raises(CassetteFormatError) as caught:
        codec.decode_value({"message": encoded}, lambda: "external event 0")
    message = str(caught.value)
    assert next(iter(encoded)) in message
    assert "external event 0" in message
    assert "fix:" in message


@pytest.mark.parametrize(
    "text",
    [
        '{"message": "Hello, how is everyone: fine?", "user": "alice"}',
        '[1, 2.5, {"a": null, "b": [true, false]}]',
        '{"name": "caf\\u00e9"}',
    ],
)
def test_json_as_python_writes_it_becomes_structure(text: str) -> None:
    """What Python's json.dumps sends (spaced, ASCII-escaped) is stored as structure too."""
    assert codec.encode_text(text) == {"$json": json.loads(text)}


@given(
    st.one_of(
        st.text(),
        json_values.map(json.dumps),
        json_values.map(lambda value: json.dumps(value, separators=(",", ":"))),
        json_values.map(lambda value: " " + json.dumps(value, ensure_ascii=False)),
    )
)
def test_dumps_text_writes_what_the_general_encoder_writes(text: str) -> None:
    """The recorder's one-serialisation path gives byte for byte orjson.dumps(encode_text())."""
    assert codec.dumps_text(text) == orjson.dumps(codec.encode_text(text))

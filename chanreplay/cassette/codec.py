"""Turns recorded Python values into cassette JSON and back, losslessly.

JSON holds str, int, float, bool, None, lists and objects with string keys.
Everything else a channel message can carry is *tagged*: an object with one
key that starts with ``$``::

    {"$bytes": "AAEC"}            bytes, base64
    {"$bytes_text": "a=1&b=2"}    bytes that are valid UTF-8 text (HTTP bodies)
    {"$bytes_json": {...}}        bytes that are UTF-8 JSON (an object or array)
    {"$json": {...}}              a str that holds a JSON object or array
    {"$int": "1267650600228229401496703205376"}   an int outside 64 bits
    {"$float": "nan"}             nan, inf, -inf
    {"$object": {"$set": 1}}      a dict whose own keys start with "$"

Tuples are stored as arrays, as every channel layer except the in-memory one
delivers them. Values of any other type (datetime, Decimal, set, dict with
non-str keys) are rejected with :class:`UnserializableValueError`, never
silently changed.
"""

from __future__ import annotations

import base64
import json
import json.encoder
import math
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from chanreplay.exceptions import CassetteFormatError, UnserializableValueError

__all__ = [
    "TAGS",
    "check_json",
    "decode_value",
    "dumps",
    "dumps_exact",
    "dumps_text",
    "encode_bytes",
    "encode_text",
    "encode_value",
    "serialise_exact",
]

JSONValue = Any
"""A value made only of JSON types (the encoded form)."""

TAGS = frozenset({"$bytes", "$bytes_text", "$bytes_json", "$json", "$int", "$float", "$object"})

_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1


def encode_bytes(data: bytes, *, prefer_text: bool = False) -> dict[str, JSONValue]:
    """Tag ``data``; with ``prefer_text``, UTF-8 text and JSON stay readable."""
    if prefer_text:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            parsed, _ = _parse_json_container(text)
            if parsed is not _NOT_JSON:
                return {"$bytes_json": parsed}
            return {"$bytes_text": text}
    return {"$bytes": base64.b64encode(data).decode("ascii")}


def encode_text(text: str) -> JSONValue:
    """Store a text frame: as ``{"$json": ...}`` when it holds a JSON object or array."""
    parsed, _ = _parse_json_container(text)
    if parsed is _NOT_JSON:
        return text
    return {"$json": parsed}


def dumps_text(text: str) -> bytes:
    """``orjson.dumps(encode_text(text))``, with the structure serialised only once.

    The recorder calls this for every text frame, and the check that the
    frame parsed losslessly has already produced the serialisation it writes.
    """
    first = text[:1]
    if first != "{" and first != "[" and not first.isspace():
        return orjson.dumps(text)  # the common case of plain text, decided at once
    parsed, compact = _parse_json_container(text)
    if parsed is _NOT_JSON:
        return orjson.dumps(text)
    return b'{"$json":%b}' % compact


_NOT_JSON: Any = object()

_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_make_encoder is not None:
    # What json.dumps(value) builds on each call, built once: the same C
    # encoder with the same arguments (markers None: a parsed value has no
    # cycles to detect). It writes exactly what json.dumps writes.
    _encoder = _c_make_encoder(
        None, None, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
    )

    def _python_json(value: JSONValue) -> str:
        return "".join(_encoder(value, 0))

else:  # pragma: no cover - CPython always has the C accelerator

    def _python_json(value: JSONValue) -> str:
        return json.dumps(value)


def _parse_json_container(text: str) -> tuple[JSONValue, bytes]:
    """The JSON object or array ``text`` holds and its compact serialisation.

    The value is ``_NOT_JSON`` (and the bytes empty) when ``text`` does not
    hold one. Only containers qualify: a frame "5" or "true" stays a string.
    Text whose value would not survive the round trip (duplicate keys, NaN,
    integers beyond 64 bits) also stays a string, because storing it as
    structure would change it. The standard parser is used because it keeps
    big integers exact and lets us see duplicate keys; orjson would silently
    turn both into something else.
    """
    stripped = text.lstrip()
    if not stripped or stripped[0] not in "{[":
        return _NOT_JSON, b""
    # Fast path: compact JSON (what browsers send) that orjson writes back
    # byte for byte was parsed losslessly: no duplicate keys (the output would
    # be shorter), no big integers or odd number spellings (it would differ).
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _NOT_JSON, b""
    try:
        compact = orjson.dumps(value)
        if compact == text.encode():
            return value, compact
        # The same test for what Python's json.dumps sends by default (spaced
        # separators, ASCII escapes): written back the same way, the same
        # text means the same value.
        if _python_json(value) == text:
            return value, compact
    except TypeError:
        pass
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_pairs,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
        compact = orjson.dumps(value)  # raises on integers beyond 64 bits
    except (ValueError, TypeError):
        return _NOT_JSON, b""
    return value, compact


class _NotLossless(ValueError):
    """Raised while parsing JSON text that structure cannot hold unchanged."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _NotLossless("duplicate key")
    return result


def _reject_constant(name: str) -> Any:
    raise _NotLossless(name)


def _finite_float(text: str) -> float:
    # 1e400 parses to inf, which orjson would write as null.
    value = float(text)
    if not math.isfinite(value):
        raise _NotLossless(text)
    return value


def encode_value(value: Any, path: str = "message") -> JSONValue:
    """The tagged JSON form of ``value``; raise on a type JSON cannot hold.

    ``path`` names the value in error messages (``message.payload.when``).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if _INT64_MIN <= value <= _UINT64_MAX:
            return int(value)
        return {"$int": str(int(value))}
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return encode_bytes(bytes(value))
    if isinstance(value, dict):
        encoded: dict[str, JSONValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnserializableValueError(path=f"{path}[{key!r}] (a key)", value=key)
            # str.__str__: orjson takes no str subclass (a StrEnum) as a key.
            encoded[str.__str__(key)] = encode_value(item, f"{path}.{key}")
        if any(key.startswith("$") for key in encoded):
            return {"$object": encoded}
        return encoded
    if isinstance(value, (list, tuple)):
        return [encode_value(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise UnserializableValueError(path=path, value=value)


_SCALARS = frozenset({str, int, bool, type(None)})
_isfinite = math.isfinite


def _plain(value: Any, *, tuples: bool = True) -> bool:
    """True when orjson writes ``value`` faithfully, keys aside.

    That is: only exact JSON types (no subclasses) and finite floats (orjson
    writes nan as null). Dict keys are left to :func:`dumps`: orjson itself
    rejects keys that are not exact ``str``, and a key starting with ``$``
    shows in the output. ``tuples=False`` also refuses tuples (written as
    JSON arrays, they load back as lists). Runs for every recorded event, so
    the common case, a container of scalars, is one C-level pass over the types.
    """
    kind = type(value)
    if kind is dict:
        items: Iterable[Any] = value.values()
    elif kind is list or (kind is tuple and tuples):
        items = value
    else:
        return kind in _SCALARS or (kind is float and _isfinite(value))
    if _SCALARS.issuperset(map(type, items)):
        return True
    for item in items:
        kind = type(item)
        if kind in _SCALARS or (kind is float and _isfinite(item)):
            continue
        if (kind is dict or kind is list or (kind is tuple and tuples)) and _plain(
            item, tuples=tuples
        ):
            continue
        return False
    return True


def check_json(value: Any, path: str = "event") -> None:
    """Raise :class:`UnserializableValueError` unless ``value`` is made only of JSON types.

    Unlike :func:`encode_value` it tags nothing: it checks a value that is
    already in cassette form (as a ``before_record`` hook returns it).
    """
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise UnserializableValueError(path=f"{path}[{key!r}] (a key)", value=key)
            check_json(item, f"{path}.{key}")
    elif kind is list:
        for index, item in enumerate(value):
            check_json(item, f"{path}[{index}]")
    elif kind is float:
        if not math.isfinite(value):
            raise UnserializableValueError(path=path, value=value)
    elif kind is int:
        if not _INT64_MIN <= value <= _UINT64_MAX:
            raise UnserializableValueError(path=path, value=value)
    elif kind not in _SCALARS:
        raise UnserializableValueError(path=path, value=value)


def dumps(value: Any, *, path: str = "message") -> bytes:
    """Serialise ``value`` to compact tagged JSON, as fast as the value allows.

    This runs for every recorded event. Plain JSON (see :func:`_plain`) goes
    to orjson as it is; anything else (bytes, datetime, UUID, enum members,
    subclasses, nan, ``$`` keys, integers beyond 64 bits) goes through
    :func:`encode_value`, which tags the value or rejects it.
    """
    if _plain(value):
        try:
            data = orjson.dumps(value)
        except TypeError:  # an integer beyond 64 bits, a key that is not a str
            pass
        else:
            # A key starting with "$" needs escaping. The test also catches
            # string values starting with "$": those take the slow path,
            # which writes them unchanged.
            if data.find(b'"$') < 0:
                return data
    return orjson.dumps(encode_value(value, path))


def dumps_exact(value: Any) -> bytes | None:
    """:func:`dumps` of ``value`` when ``orjson.loads`` of it gives back an exact copy, else None.

    True of plain JSON values without tuples whose serialisation needs no
    tag: loading the result is then a deep copy of ``value`` (made in C,
    several times faster than :func:`copy.deepcopy`), which an in-process
    channel layer can deliver instead of copying the message again.
    """
    found = serialise_exact(value)
    return None if found is None else found[0]


def serialise_exact(value: Any) -> tuple[bytes, bool] | None:
    """``(dumps_exact(value), flat)``, or None where :func:`dumps_exact` gives None.

    ``flat``: ``value`` is a dict or list of scalars only (str, int, bool,
    None), so that a shallow copy of it is a deep copy too. Most channel
    layer messages are.
    """
    kind = type(value)
    if kind is dict or kind is list:
        items = value.values() if kind is dict else value
        # The common case first, in one C-level pass over the types.
        flat = _SCALARS.issuperset(map(type, items))
        if not flat and not _plain(value, tuples=False):
            return None
    elif not _plain(value, tuples=False):
        return None
    else:
        flat = False
    try:
        data = orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits, a key that is not a str
        return None
    # A "$" that starts a key or a string would be read back as a tag. A
    # message without any "$" needs no closer look (a one-byte search is the
    # fastest there is); one with a "$" is refused if it could be a tag.
    if data.find(b"$") >= 0 and data.find(b'"$') >= 0:
        return None
    return data, flat


def _decode_tag(tag: str, payload: JSONValue, where: Callable[[], str]) -> Any:
    if tag not in TAGS:
        raise CassetteFormatError(
            None,
            f"unknown tag {tag!r} at {where()}",
            fix="the cassette was written by a newer chanreplay or edited by hand; "
            f"known tags are {', '.join(sorted(TAGS))}",
        )
    expected = _PAYLOAD_TYPES[tag]
    if not _has_type(payload, expected):
        raise CassetteFormatError(
            None,
            f"the {tag} value at {where()} is {type(payload).__name__}, "
            f"expected {' or '.join(t.__name__ for t in expected)}",
            fix="restore the value from version control, or re-record the session",
        )
    try:
        if tag == "$bytes":
            return base64.b64decode(payload, validate=True)
        if tag == "$bytes_text":
            return payload.encode("utf-8")
        if tag == "$bytes_json":
            return orjson.dumps(payload)
        if tag == "$json":
            return orjson.dumps(payload).decode("utf-8")
        if tag == "$int":
            return int(payload)
        if tag == "$float":
            return float(payload)
        return {key: decode_value(item, where) for key, item in payload.items()}
    except (ValueError, TypeError) as error:
        if isinstance(error, CassetteFormatError):
            raise
        raise CassetteFormatError(
            None,
            f"invalid {tag} value {payload!r} at {where()}: {error}",
            fix="restore the value from version control, or re-record the session",
        ) from None


def _has_type(payload: JSONValue, expected: tuple[type, ...]) -> bool:
    # A function rather than isinstance() inline: mypy would narrow the
    # payload to object for the rest of _decode_tag.
    return isinstance(payload, expected)


_PAYLOAD_TYPES: dict[str, tuple[type, ...]] = {
    "$bytes": (str,),
    "$bytes_text": (str,),
    "$bytes_json": (dict, list),
    "$json": (dict, list),
    "$int": (str,),
    "$float": (str,),
    "$object": (dict,),
}


def decode_value(value: JSONValue, where: Callable[[], str] = lambda: "?") -> Any:
    """The Python value a tagged JSON value stands for (inverse of :func:`encode_value`)."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, payload),) = value.items()
            if key.startswith("$"):
                return _decode_tag(key, payload, where)
        return {key: decode_value(item, where) for key, item in value.items()}
    if isinstance(value, list):
        return [decode_value(item, where) for item in value]
    return value

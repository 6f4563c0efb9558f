"""Reads cassettes, and says exactly what is wrong with one that cannot be read.

Every command and every replay loads cassettes through :func:`load`, so a
bad file gets the same diagnosis everywhere: the file, the place (line and
column, or connection and event) and the fix.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from chanreplay.cassette.fastcheck import event_conforms, layer_event_conforms
from chanreplay.cassette.model import FORMAT, READABLE_VERSIONS, VERSION, Cassette
from chanreplay.exceptions import (
    CassetteFormatError,
    CassetteNotFoundError,
    CassetteVersionError,
)

__all__ = ["SCHEMA_PATH", "load", "loads", "schema", "validate"]

SCHEMA_PATH = Path(__file__).with_name(f"cassette-v{VERSION}.schema.json")
"""The JSON Schema of the format version this release writes."""


def schema_path(version: int = VERSION) -> Path:
    """The JSON Schema of format ``version`` (one this release reads)."""
    return SCHEMA_PATH.with_name(f"cassette-v{version}.schema.json")


@functools.cache
def schema(version: int = VERSION) -> dict[str, Any]:
    """The JSON Schema of cassette format ``version`` (by default the current one)."""
    result: dict[str, Any] = json.loads(schema_path(version).read_text(encoding="utf-8"))
    return result


@functools.cache
def _validator(version: int) -> Any:
    # jsonschema is imported on first use: commands that never validate start faster.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(version))


@functools.cache
def _fast_validator(version: int) -> Callable[[Any], Any]:
    """The schema compiled to Python: about ten times faster than jsonschema.

    Every load validates; jsonschema is kept for the diagnosis of a document
    this rejects, where its messages name the wrong field best.
    """
    import fastjsonschema

    validator: Callable[[Any], Any] = fastjsonschema.compile(schema(version))
    return validator


@functools.cache
def _skeleton_validator(version: int) -> Callable[[Any], Any]:
    """The schema compiled without its event rules (:mod:`.fastcheck` checks those)."""
    import copy

    import fastjsonschema

    skeleton = copy.deepcopy(schema(version))
    skeleton["$defs"]["connection"]["properties"]["events"]["items"] = {"type": "object"}
    skeleton["properties"]["external"]["items"] = {"type": "object"}
    validator: Callable[[Any], Any] = fastjsonschema.compile(skeleton)
    return validator


def _conforms(document: Any, version: int) -> bool:
    """True when ``document`` surely satisfies the schema (the fast path of every load)."""
    from fastjsonschema import JsonSchemaException

    try:
        _skeleton_validator(version)(document)
    except JsonSchemaException:
        return False
    errors = version >= 2
    return all(
        event_conforms(event, errors=errors)
        for connection in document["connections"]
        for event in connection["events"]
    ) and all(layer_event_conforms(event) for event in document["external"])


def load(path: Path | str, *, validate_schema: bool = True, compact: bool = False) -> Cassette:
    """Load the cassette at ``path``; raise a :class:`CassetteError` that diagnoses a bad file.

    ``compact`` trades a little speed for memory (see :func:`loads`).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CassetteNotFoundError(
            path,
            "no such cassette",
            fix=_missing_fix(path),
        ) from None
    except IsADirectoryError:
        raise CassetteFormatError(
            path,
            "is a directory, not a cassette file",
            fix="pass the path of a NAME.json cassette (`chanreplay recover` takes directories)",
        ) from None
    return loads(data, path=path, validate_schema=validate_schema, compact=compact)


def loads(
    data: bytes | str,
    *,
    path: Path | None = None,
    validate_schema: bool = True,
    compact: bool = False,
) -> Cassette:
    """Parse cassette text; ``path`` is only used to name the file in errors.

    With ``compact``, equal strings share one object and the parse builds no
    intermediate tree: a loaded cassette then takes about a third less memory
    (what ``chanreplay diff`` needs, holding two large versions at once).
    """
    if not data.strip():
        raise CassetteFormatError(
            path,
            "the file is empty",
            fix="re-record the session, or restore the file from version control",
        )
    document = _compact_parse(data) if compact else None
    if document is None:
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise _json_error(path, data, error) from None
    if not isinstance(document, dict) or "format" not in document:
        raise CassetteFormatError(
            path,
            'not a chanreplay cassette (no "format" field at the top level)',
            fix="pass a file written by `runserver --record` or `chanreplay proxy`",
        )
    if document["format"] != FORMAT:
        raise CassetteFormatError(
            path,
            f"not a chanreplay cassette (format is {document['format']!r}, expected {FORMAT!r})",
            fix="pass a file written by `runserver --record` or `chanreplay proxy`",
        )
    version = document.get("version")
    # type() rather than ==: true and 1.0 equal 1 in Python but are no version.
    if type(version) is not int or version not in READABLE_VERSIONS:
        if type(version) is int and version > VERSION:
            raise CassetteVersionError(
                path,
                f"format version {version} is newer than this chanreplay reads (up to {VERSION})",
                fix="upgrade chanreplay (pip install -U chanreplay)",
            )
        readable = ", ".join(str(v) for v in READABLE_VERSIONS)
        raise CassetteVersionError(
            path,
            f"unknown format version {version!r} (this chanreplay reads versions {readable})",
            fix=f'set "version": {VERSION} if the file was edited by hand, or re-record it',
        )
    _refuse_deep(document, path)
    if validate_schema:
        validate(document, path=path)
    return Cassette.from_json(document, path=path)


MAX_DEPTH = 200
"""How deep a cassette's values may nest: every command must be able to write what it
reads (orjson writes 254 levels at most), with room for the envelope around a payload."""


_HEADROOM = 254 - MAX_DEPTH
"""Levels above the document that orjson's check wraps it in (see :func:`_refuse_deep`)."""


def _refuse_deep(document: Any, path: Path | None) -> None:
    """Raise naming the first value nested deeper than :data:`MAX_DEPTH`.

    orjson writes the document wrapped in :data:`_HEADROOM` lists, in C: it
    fails only when something is too deep. Only then is the document walked
    (without recursion: a hostile file must not exhaust the stack while it is
    diagnosed) to name the place.
    """
    wrapped: Any = document
    for _ in range(_HEADROOM):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped)
    except orjson.JSONEncodeError as error:
        cannot = str(error)
    else:
        return
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        value, location = stack.pop()
        if len(location) > MAX_DEPTH:
            raise CassetteFormatError(
                path,
                f"{_place(document, location[:6])}: values nested more than {MAX_DEPTH} "
                "levels deep",
                fix="a payload this deep is no real message: re-record the session, or cut "
                "the nesting by hand",
            )
        if type(value) is int and not _MIN_INT <= value <= _MAX_INT:
            raise CassetteFormatError(
                path,
                f"{_place(document, location)}: the integer {str(value)[:40]} is beyond 64 bits",
                fix='write it as a string, or tag it as {"$int": "..."} (docs/cassette-format.md)',
            )
        if isinstance(value, dict):
            stack.extend((item, [*location, key]) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, [*location, index]) for index, item in enumerate(value))
    raise CassetteFormatError(
        path,
        f"holds a value that cannot be written again ({cannot})",
        fix="re-record the session, or restore the file from version control",
    )


_MIN_INT, _MAX_INT = -(2**63), 2**64 - 1
"""The integers orjson reads; the compact parse leaves others to it."""
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _compact_parse(data: bytes | str) -> Any:
    """``data`` parsed with equal strings shared, or None where orjson must judge it.

    The standard parser builds objects as it goes (orjson first builds a tree
    of its own) and already shares equal keys; the hook shares equal values.
    Anything it refuses, or would accept where orjson would not (NaN), goes
    back to the orjson path, which diagnoses it.
    """
    shared: dict[str, str] = {}

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        return {k: shared.setdefault(v, v) if type(v) is str else v for k, v in items}

    def refuse(name: str) -> Any:
        raise ValueError(name)

    def integer(text: str) -> int:
        number = int(text)
        if not _MIN_INT <= number <= _MAX_INT:
            raise ValueError(text)  # orjson's range: beyond it, orjson diagnoses
        return number

    def real(text: str) -> float:
        number = float(text)
        if math.isinf(number):
            raise ValueError(text)  # 1e400
        return number

    if isinstance(data, bytes):
        try:
            # Strict UTF-8, as orjson reads: json.loads would guess UTF-16 from the bytes.
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if _SURROGATE.search(data):
        return None  # orjson judges escaped surrogates (a lone one is an error)
    try:
        return json.loads(
            data,
            object_pairs_hook=pairs,
            parse_constant=refuse,
            parse_int=integer,
            parse_float=real,
        )
    except (ValueError, RecursionError):
        return None


_MAX_ERRORS = 1000
"""Schema errors collected at most before the best one is reported."""


def validate(document: Any, *, path: Path | None = None) -> None:
    """Check ``document`` against the schema of its version; raise naming the first bad place.

    A document without a version this release reads is checked against the
    current version's schema (which then names the ``version`` field).
    """
    from fastjsonschema import JsonSchemaException
    from jsonschema.exceptions import best_match

    found = document.get("version") if isinstance(document, dict) else None
    version = found if type(found) is int and found in READABLE_VERSIONS else VERSION
    if _conforms(document, version):
        return
    try:
        _fast_validator(version)(document)
    except JsonSchemaException:
        pass  # diagnosed below
    else:
        return
    if version < 2:
        _refuse_newer_events(document, path)
    # Capped: a hostile file may hold a million bad items; the best of the
    # first thousand names the place as well, without the time and memory.
    errors = list(itertools.islice(_validator(version).iter_errors(document), _MAX_ERRORS))
    if not errors:
        return
    # best_match descends into oneOf branches, so the message names the field
    # that is wrong rather than "not valid under any of the given schemas".
    error = best_match(errors)
    others = len(errors) - 1
    counted = f"at least {others}" if len(errors) == _MAX_ERRORS else str(others)
    more = f" (and {counted} more problem{'s' if others > 1 else ''})" if others else ""
    raise CassetteFormatError(
        path,
        f"{_place(document, list(error.absolute_path))}: {error.message}{more}",
        fix="re-record the session, or fix that field by hand "
        "(docs/cassette-format.md describes every field)",
    )


def _refuse_newer_events(document: Any, path: Path | None) -> None:
    """Name the first error event of a version-1 document: only version 2 has them."""
    connections = document.get("connections") if isinstance(document, dict) else None
    for number, connection in enumerate(connections if isinstance(connections, list) else []):
        events = connection.get("events") if isinstance(connection, dict) else None
        for index, event in enumerate(events if isinstance(events, list) else []):
            if isinstance(event, dict) and event.get("dir") == "error":
                raise CassetteFormatError(
                    path,
                    f"{_place(document, ['connections', number, 'events', index])}: an error "
                    "event, which format version 1 does not have",
                    fix='set "version": 2 (the version that records application errors)',
                )


def _place(document: Any, location: list[str | int]) -> str:
    """``connection c3 (/ws/chat/), event 5, message.type`` for a JSON location."""
    if len(location) >= 2 and location[0] == "connections" and isinstance(location[1], int):
        connections = document.get("connections", [])
        connection = connections[location[1]] if location[1] < len(connections) else {}
        ident = connection.get("id", f"#{location[1]}") if isinstance(connection, dict) else "?"
        scope = connection.get("scope", {}) if isinstance(connection, dict) else {}
        path = scope.get("path", "?") if isinstance(scope, dict) else "?"
        where = f"connection {ident} ({path})"
        rest = location[2:]
        if len(rest) >= 2 and rest[0] == "events":
            where += f", event {rest[1]}"
            rest = rest[2:]
        return where + (f", field {_dotted(rest)}" if rest else "")
    if len(location) >= 2 and location[0] == "external":
        rest = location[2:]
        return f"external event {location[1]}" + (f", field {_dotted(rest)}" if rest else "")
    return f"field {_dotted(location)}" if location else "the top level"


def _dotted(location: list[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location).lstrip(".")


def _json_error(
    path: Path | None, data: bytes | str, error: orjson.JSONDecodeError
) -> CassetteFormatError:
    text = data
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as bad:
            if bad.end < len(data) or bad.reason != "unexpected end of data":
                line = data.count(b"\n", 0, bad.start) + 1
                column = bad.start - data.rfind(b"\n", 0, bad.start)
                return CassetteFormatError(
                    path,
                    f"invalid UTF-8 at line {line} column {column} (byte {bad.start})",
                    fix="a cassette is UTF-8 text: restore the file from version control",
                )
            # The file ends inside a multi-byte character: it was cut off.
            line = data.count(b"\n") + 1
            return _truncated(path, line, bad.start - data.rfind(b"\n", 0, bad.start))
    # orjson counts characters; the parser reaching the end of the text (or
    # only whitespace after it) means the file was cut off.
    if error.pos >= len(text.rstrip()):
        return _truncated(path, error.lineno, error.colno)
    return CassetteFormatError(
        path,
        f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}",
        fix="restore the file from version control, or fix the JSON by hand at that place",
    )


def _truncated(path: Path | None, line: int, column: int) -> CassetteFormatError:
    return CassetteFormatError(
        path,
        f"the file ends early at line {line} column {column}: it is truncated",
        fix="if a recording was interrupted, run `chanreplay recover` on its cassette "
        "directory to rebuild it from the journal; otherwise restore it from version "
        "control",
    )


def _missing_fix(path: Path) -> str:
    journal = path.with_name(f".{path.stem}.journal")
    if journal.exists():
        return f"an interrupted recording left {journal}: run `chanreplay recover {path.parent}`"
    siblings = (
        sorted(p.name for p in path.parent.glob("*.json") if not p.name.startswith("."))
        if path.parent.is_dir()
        else []
    )
    hint = f"; cassettes in {path.parent}: {', '.join(siblings[:10])}" if siblings else ""
    return f"record it with `python manage.py runserver --record {path.stem}`{hint}"

"""Reads cassettes, and says exactly what is wrong with one that cannot be read.

Every command and every replay loads cassettes through :func:`load`, so a
bad file gets the same diagnosis everywhere: the file, the place (line and
column, or connection and event) and the fix.
"""

from __future__ import annotations

import functools
import gc
import importlib
import itertools
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from chanreplay.cassette.fastcheck import event_conforms, layer_event_conforms
from chanreplay.cassette.model import FORMAT, READABLE_VERSIONS, VERSION, Cassette
from chanreplay.exceptions import (
    CassetteFormatError,
    CassetteNotFoundError,
    CassetteVersionError,
)

if TYPE_CHECKING:
    import json

__all__ = ["SCHEMA_PATH", "load", "loads", "schema", "validate"]

SCHEMA_PATH = Path(__file__).with_name(f"cassette-v{VERSION}.schema.json")
"""The JSON Schema of the format version this release writes."""


def schema_path(version: int = VERSION) -> Path:
    """The JSON Schema of format ``version`` (one this release reads)."""
    return SCHEMA_PATH.with_name(f"cassette-v{version}.schema.json")


@functools.cache
def schema(version: int = VERSION) -> dict[str, Any]:
    """The JSON Schema of cassette format ``version`` (by default the current one)."""
    result: dict[str, Any] = orjson.loads(schema_path(version).read_bytes())
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
    import copy

    import fastjsonschema

    # A copy: fastjsonschema rewrites the references of the schema it compiles.
    validator: Callable[[Any], Any] = fastjsonschema.compile(copy.deepcopy(schema(version)))
    return validator


SKELETON_MODULE = "chanreplay.cassette.generated.skeleton_v{}"
"""The generated module of the skeleton of a format version's schema (:mod:`.schemacode`)."""


@functools.cache
def _skeleton_validator(version: int) -> tuple[Callable[[Any], Any], type[Exception]]:
    """The schema without its event rules (:mod:`.fastcheck` checks those), as Python,
    and the exception it raises for a document that does not satisfy it.

    Generated ahead of time by :mod:`.schemacode` (compiling it here took about
    20 ms of every command that loads a cassette).
    """
    module = importlib.import_module(SKELETON_MODULE.format(version))
    return module.validate, module.JsonSchemaValueException


def _conforms(document: Any, version: int) -> bool:
    """True when ``document`` surely satisfies the schema (the fast path of every load)."""
    validator, rejected = _skeleton_validator(version)
    try:
        validator(document)
    except rejected:
        return False
    errors = version >= 2
    return all(
        event_conforms(event, errors=errors)
        for connection in document["connections"]
        for event in connection["events"]
    ) and all(layer_event_conforms(event) for event in document["external"])


def load(
    path: Path | str,
    *,
    validate_schema: bool = True,
    compact: bool = False,
    like: Cassette | None = None,
) -> Cassette:
    """Load the cassette at ``path``; raise a :class:`CassetteError` that diagnoses a bad file.

    ``compact`` trades a little speed for memory, and ``like`` more (see :func:`loads`).
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
    if compact and data.strip():
        # The text takes the place of the bytes before the parse: one copy of the file
        # in memory while the document is built, not two.
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # not UTF-8: diagnosed from the bytes
        else:
            del data
            return _loads(text, path, validate_schema=validate_schema, compact=True, like=like)
    return loads(data, path=path, validate_schema=validate_schema, compact=compact, like=like)


def loads(
    data: bytes | str,
    *,
    path: Path | None = None,
    validate_schema: bool = True,
    compact: bool = False,
    like: Cassette | None = None,
) -> Cassette:
    """Parse cassette text; ``path`` is only used to name the file in errors.

    With ``compact``, equal strings share one object and the parse builds no
    intermediate tree: a loaded cassette then takes about a third less memory
    (what ``chanreplay diff`` needs, holding two large versions at once).

    ``like`` (with ``compact``), a cassette already loaded, such as the other
    version in a diff: each connection the same as one of its connections (by
    id, to the JSON type) is taken from it as soon as it is read, so the two
    versions are not held twice, and is not checked again. The two cassettes
    then share those connections' values: treat both as read-only.
    """
    if not data.strip():
        raise CassetteFormatError(
            path,
            "the file is empty",
            fix="re-record the session, or restore the file from version control",
        )
    return _loads(data, path, validate_schema=validate_schema, compact=compact, like=like)


def _loads(
    data: bytes | str,
    path: Path | None,
    *,
    validate_schema: bool,
    compact: bool,
    like: Cassette | None = None,
) -> Cassette:
    """:func:`loads` of ``data`` that is not blank."""
    # A document is a tree: the collector finds no cycle in it, only time to lose
    # walking it again and again while it grows (a fifth of a large load).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_document(
            data, path, validate_schema=validate_schema, compact=compact, like=like
        )
    finally:
        if collecting:
            gc.enable()


def _load_document(
    data: bytes | str,
    path: Path | None,
    *,
    validate_schema: bool,
    compact: bool,
    like: Cassette | None,
) -> Cassette:
    shared = _Shared(like) if compact and like is not None else None
    document = _compact_parse(data, shared) if compact else None
    # The compact parse already checked that the document can be written again.
    writable = document is not None
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
    if not writable:
        _refuse_deep(document, path)
    if validate_schema and not (shared is not None and shared.conforms(document, version)):
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
    cannot = _cannot_write(document)
    if cannot is None:
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


def _cannot_write(document: Any) -> str | None:
    """Why orjson cannot write ``document`` :data:`_HEADROOM` levels down; None when it can.

    Written a connection (and an external event) at a time, each wrapped as
    deep as it lies in the document, in the document's order: the same
    verdict as writing the whole, without a copy of the whole file in memory.
    """
    if type(document) is dict:
        parts: list[tuple[Any, int]] = []
        for key, value in document.items():
            if key in ("connections", "external") and type(value) is list:
                parts.extend((item, _HEADROOM + 2) for item in value)
            else:
                parts.append(({key: value}, _HEADROOM))
    else:
        parts = [(document, _HEADROOM)]
    for value, depth in parts:
        wrapped = value
        for _ in range(depth):
            wrapped = [wrapped]
        try:
            orjson.dumps(wrapped)
        except orjson.JSONEncodeError as error:
            return str(error)
    return None


_MIN_INT, _MAX_INT = -(2**63), 2**64 - 1
"""The integers orjson reads as integers (beyond them, it reads a float)."""
_SURROGATE = r"\\u[dD][89a-fA-F]"
"""An escaped surrogate (compiled on first use, by ``re``'s cache: not for every start)."""


class _Shared:
    """The connections of a cassette already loaded, for a second one read beside it."""

    def __init__(self, like: Cassette) -> None:
        self.version = like.version
        self.by_id = {connection.id: connection for connection in like.connections}
        # The connection dicts taken from ``like``, by id (held: no other object takes the id).
        self.taken: dict[int, dict[str, Any]] = {}

    def take(self, item: Any) -> Any:
        """``item`` (a connection as read), or the same connection of ``like`` as JSON."""
        if type(item) is not dict:
            return item
        ident = item.get("id")
        known = self.by_id.get(ident) if type(ident) is str else None
        if known is None:
            return item
        # to_json() builds the dicts of the header only: the values are the known ones.
        same = known.to_json()
        if item != same:
            return item
        try:
            # Equal as Python values, where 1, 1.0 and true are one: the JSON decides.
            if orjson.dumps(item, option=orjson.OPT_SORT_KEYS) != orjson.dumps(
                same, option=orjson.OPT_SORT_KEYS
            ):
                return item
        except orjson.JSONEncodeError:
            return item
        self.taken[id(same)] = same
        return same

    def conforms(self, document: dict[str, Any], version: int) -> bool:
        """True when ``document`` surely satisfies the schema, its connections taken from
        the known cassette (checked when it was loaded, in the same version) aside."""
        connections = document.get("connections")
        if version != self.version or not self.taken or type(connections) is not list:
            return False
        rest = [item for item in connections if self.taken.get(id(item)) is not item]
        # The schema has no rule across connections: each satisfies it or not alone.
        return _conforms({**document, "connections": rest}, version)


_SPACE = r"[ \t\n\r]*"
"""JSON's whitespace (the json module's own pattern)."""


def _parse_connections_apart(text: str, decoder: json.JSONDecoder, shared: _Shared) -> Any:
    """``text`` parsed as ``decoder.decode`` would, but each item of the top-level
    ``connections`` list parsed alone and passed through ``shared.take`` at once (so a
    connection the known cassette has is dropped before the next is read). Raises
    ValueError for anything but an object at the top (the caller then parses whole)."""
    scan = decoder.raw_decode
    blank = re.compile(_SPACE).match

    def space(at: int) -> int:
        found = blank(text, at)
        return found.end() if found else at

    at = space(0)
    if not text.startswith("{", at):
        raise ValueError("not an object")
    document: dict[str, Any] = {}
    at = space(at + 1)
    if text.startswith("}", at):
        at += 1
    else:
        while True:
            if not text.startswith('"', at):
                raise ValueError("a key expected")
            key, at = scan(text, at)
            at = space(at)
            if not text.startswith(":", at):
                raise ValueError("':' expected")
            at = space(at + 1)
            value: Any
            if key == "connections" and text.startswith("[", at):
                value = []
                at = space(at + 1)
                if text.startswith("]", at):
                    at += 1
                else:
                    while True:
                        item, at = scan(text, at)
                        value.append(shared.take(item))
                        del item
                        at = space(at)
                        if text.startswith(",", at):
                            at = space(at + 1)
                        elif text.startswith("]", at):
                            at += 1
                            break
                        else:
                            raise ValueError("',' or ']' expected")
            else:
                value, at = scan(text, at)
            document[key] = value
            at = space(at)
            if text.startswith(",", at):
                at = space(at + 1)
            elif text.startswith("}", at):
                at += 1
                break
            else:
                raise ValueError("',' or '}' expected")
    if space(at) != len(text):
        raise ValueError("extra data")
    return document


def _compact_parse(data: bytes | str, known: _Shared | None = None) -> Any:
    """``data`` parsed with equal strings shared, or None where orjson must judge it.

    The standard parser builds objects as it goes (orjson first builds a tree
    of its own) and already shares equal keys; the hook shares equal values.
    Anything it refuses, or would read otherwise than orjson (NaN, an integer
    beyond 64 bits), or that could not be written again (too deep), goes back
    to the orjson path, which reads or diagnoses it: a document this returns
    has passed :func:`_cannot_write`. With ``known``, the connections are read
    one at a time, and those it has are taken from it.
    """
    shared: dict[str, str] = {}
    share = shared.setdefault

    def values(item: dict[str, Any]) -> dict[str, Any]:
        # Built by the parser in C; only its string values are swapped for shared ones
        # (no key is added, so changing values while iterating is safe).
        for key, value in item.items():
            if type(value) is str:
                item[key] = share(value, value)
        return item

    def refuse(name: str) -> Any:
        raise ValueError(name)

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
    if re.search(_SURROGATE, data):
        return None  # orjson judges escaped surrogates (a lone one is an error)
    import json  # the standard parser: only for the compact parse

    decoder = json.JSONDecoder(object_hook=values, parse_constant=refuse, parse_float=real)
    try:
        if known is not None:
            try:
                # Most connections will be the known ones: sharing their strings first
                # would be time lost (the known cassette's are shared already).
                plain = json.JSONDecoder(parse_constant=refuse, parse_float=real)
                document = _parse_connections_apart(data, plain, known)
            except ValueError:
                known.taken.clear()
                document = decoder.decode(data)  # it decides, as without ``like``
        else:
            document = decoder.decode(data)
    except (ValueError, RecursionError):
        document = None
    # Integers are read by the parser in C; one beyond orjson's range (which orjson
    # would read as a float) fails the check, as does a value nested too deep.
    if document is None or _cannot_write(document) is not None:
        if known is not None:
            known.taken.clear()  # nothing taken: the orjson path reads it all
        return None
    return document


_MAX_ERRORS = 1000
"""Schema errors collected at most before the best one is reported."""


def validate(document: Any, *, path: Path | None = None) -> None:
    """Check ``document`` against the schema of its version; raise naming the first bad place.

    A document without a version this release reads is checked against the
    current version's schema (which then names the ``version`` field).
    """
    found = document.get("version") if isinstance(document, dict) else None
    version = found if type(found) is int and found in READABLE_VERSIONS else VERSION
    if _conforms(document, version):
        return  # the usual case: neither the full schema nor jsonschema is needed
    from fastjsonschema import JsonSchemaException

    try:
        _fast_validator(version)(document)
    except JsonSchemaException:
        pass  # diagnosed below
    else:
        return
    if version < 2:
        _refuse_newer_events(document, path)
    # jsonschema (a tenth of a second to import) only for a document to diagnose.
    from jsonschema.exceptions import best_match

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

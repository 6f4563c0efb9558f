"""The differ: what changed between two cassettes, connection by connection, field by field.

Replay compares the recorded cassette (expected) with what the app did
(actual); review compares an old cassette with a new one. Both use
:func:`diff_cassettes`. Events of a connection are aligned first (an event
added or removed does not make every later one "changed"), then each pair of
aligned events is compared field by field, through :class:`Rules` (paths to
ignore, matchers that accept more than the recorded value).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from chanreplay.cassette.binding import BOUND
from chanreplay.cassette.model import Cassette, Connection, Event
from chanreplay.cassette.redaction import REDACTED
from chanreplay.diff.matchers import Matcher, as_matcher
from chanreplay.diff.order import layer_order_like
from chanreplay.diff.paths import TRANSPARENT_TAGS, PathPattern

__all__ = [
    "CassetteDiff",
    "ConnectionDiff",
    "EventDiff",
    "FieldChange",
    "Rules",
    "diff_cassettes",
    "diff_events",
    "diff_values",
]

Kind = Literal["changed", "missing", "unexpected"]

_MISSING: Any = object()


@dataclass(frozen=True)
class Rules:
    """What a comparison overlooks: ignored paths, and matchers standing in for values."""

    ignore: tuple[PathPattern, ...] = ()
    matchers: tuple[tuple[PathPattern, Matcher], ...] = ()

    @classmethod
    def build(cls, ignore: Iterable[str] = (), matchers: Mapping[str, Any] | None = None) -> Rules:
        """Rules from the user's ``ignore=`` paths and ``matchers=`` {path: matcher}."""
        if isinstance(ignore, str):
            ignore = [ignore]
        return cls(
            ignore=tuple(PathPattern.parse(path) for path in ignore),
            matchers=tuple(
                (PathPattern.parse(path), as_matcher(matcher))
                for path, matcher in (matchers or {}).items()
            ),
        )

    def ignores(self, path: Sequence[str | int]) -> bool:
        """True when the field at ``path`` is not compared."""
        return any(pattern.matches(path) for pattern in self.ignore)

    def matcher(self, path: Sequence[str | int]) -> Matcher | None:
        """The matcher for the field at ``path``, if one was given."""
        for pattern, matcher in self.matchers:
            if pattern.matches(path):
                return matcher
        return None


@dataclass
class FieldChange:
    """One field that differs: ``expected`` / ``actual`` are absent for added / removed."""

    path: tuple[str | int, ...]
    expected: Any = _MISSING
    actual: Any = _MISSING
    matcher: Matcher | None = None
    """The matcher the actual value failed, when the path had one."""

    @property
    def has_expected(self) -> bool:
        """False when the field is new."""
        return self.expected is not _MISSING

    @property
    def has_actual(self) -> bool:
        """False when the field is gone."""
        return self.actual is not _MISSING


@dataclass
class EventDiff:
    """An event that differs: changed in place, missing from actual, or unexpected in it."""

    kind: Kind
    expected_index: int | None
    actual_index: int | None
    expected: Event | None
    actual: Event | None
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class ConnectionDiff:
    """How one connection differs; ``connection`` is the expected one (actual when new)."""

    kind: Kind
    connection: Connection
    header: list[FieldChange] = field(default_factory=list)
    events: list[EventDiff] = field(default_factory=list)
    actual: Connection | None = None


@dataclass
class CassetteDiff:
    """Everything that differs between two cassettes; empty when they agree."""

    connections: list[ConnectionDiff] = field(default_factory=list)
    external: list[EventDiff] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        """True when nothing differs."""
        return not self.connections and not self.external


def diff_values(
    expected: Any,
    actual: Any,
    rules: Rules = Rules(),
    path: tuple[str | int, ...] = (),
    *,
    raw: bool = False,
) -> list[FieldChange]:
    """The fields where ``actual`` differs from ``expected`` (both in cassette form).

    ``raw`` means the values are plain JSON from inside a frame (the payload
    of ``$json`` or ``$bytes_json``), where no key is a tag.
    """
    if path and rules.ignores(path):
        return []
    matcher = rules.matcher(path) if path else None
    if matcher is not None:
        if actual is _MISSING or not matcher.matches(_unwrap(actual, raw)[0]):
            return [FieldChange(path, expected, actual, matcher)]
        return []
    expected, expected_raw = _unwrap(expected, raw)
    actual, actual_raw = _unwrap(actual, raw)
    inner_raw = expected_raw and actual_raw
    if isinstance(expected, dict) and isinstance(actual, dict):
        if not inner_raw and (_is_leaf_tag(expected) or _is_leaf_tag(actual)):
            return _compare_whole(expected, actual, path)
        changes = []
        for key in sorted(expected.keys() | actual.keys()):
            changes += diff_values(
                expected.get(key, _MISSING),
                actual.get(key, _MISSING),
                rules,
                (*path, key),
                raw=inner_raw,
            )
        return changes
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual) and _scalars(expected) and _scalars(actual):
            return _aligned(expected, actual, rules, path)
        changes = []
        for index in range(max(len(expected), len(actual))):
            changes += diff_values(
                expected[index] if index < len(expected) else _MISSING,
                actual[index] if index < len(actual) else _MISSING,
                rules,
                (*path, index),
                raw=inner_raw,
            )
        return changes
    if expected is _MISSING and actual is _MISSING:
        return []
    return _compare_whole(expected, actual, path)


def _compare_whole(expected: Any, actual: Any, path: tuple[str | int, ...]) -> list[FieldChange]:
    if _same(expected, actual):
        return []
    return [FieldChange(path, expected, actual)]


def _same(expected: Any, actual: Any) -> bool:
    """Equal and of the same JSON types all the way down (1, 1.0 and true differ).

    A value the expected side holds as ``<redacted>`` (a secret whose value is
    not known) is the same as one the actual side names as a binding: neither
    is written, and a cassette recorded before bindings redacted what a newer
    recording names (a session key in ``Set-Cookie``).
    """
    if isinstance(expected, str) and isinstance(actual, str):
        if expected == actual:
            return True
        return REDACTED in expected and BOUND.sub(REDACTED, actual) == expected
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            _same(item, actual[key]) for key, item in expected.items()
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _same(item, other) for item, other in zip(expected, actual, strict=True)
        )
    return bool(_typed(expected) == _typed(actual))


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        return ("o", tuple(sorted((key, _typed(item)) for key, item in value.items())))
    if isinstance(value, list):
        return ("a", tuple(_typed(item) for item in value))
    return (type(value).__name__, value)


def _scalars(items: list[Any]) -> bool:
    return all(not isinstance(item, dict | list) for item in items)


def _aligned(
    expected: list[Any], actual: list[Any], rules: Rules, path: tuple[str | int, ...]
) -> list[FieldChange]:
    """Changes between two lists of scalars (headers), aligned: one insertion is one change."""
    changes: list[FieldChange] = []
    matcher = difflib.SequenceMatcher(
        a=[_typed(item) for item in expected], b=[_typed(item) for item in actual], autojunk=False
    )
    for tag, e_start, e_end, a_start, a_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(e_end - e_start, a_end - a_start) if tag == "replace" else 0
        for offset in range(paired):
            changes += diff_values(
                expected[e_start + offset],
                actual[a_start + offset],
                rules,
                (*path, e_start + offset),
            )
        for index in range(e_start + paired, e_end):
            if not rules.ignores((*path, index)):
                changes.append(FieldChange((*path, index), expected=expected[index]))
        for index in range(a_start + paired, a_end):
            if not rules.ignores((*path, index)):
                changes.append(FieldChange((*path, index), actual=actual[index]))
    return changes


_RAW_TAGS = frozenset({"$json", "$bytes_json"})
"""Tags whose payload is plain JSON (no tags inside); ``$object``'s payload is tagged."""


def _unwrap(value: Any, raw: bool) -> tuple[Any, bool]:
    """The value a transparent tag stands for, and whether that is raw JSON."""
    if raw:
        return value, True
    if isinstance(value, dict) and len(value) == 1:
        ((key, payload),) = value.items()
        if key in TRANSPARENT_TAGS:
            return payload, key in _RAW_TAGS
    return value, False


def _is_leaf_tag(value: dict[str, Any]) -> bool:
    """True for a tagged scalar (``{"$bytes": ...}``): compared whole, not by key."""
    return len(value) == 1 and next(iter(value)).startswith("$")


def _signature(event: Event) -> tuple[Any, ...]:
    """What must agree for two events to be aligned as "the same event, maybe changed"."""
    message = _unwrap(event.get("message"), False)[0]
    kind = message.get("type") if isinstance(message, dict) else None
    if kind is not None and not isinstance(kind, str):
        # A layer message is free-form: its "type" may be a list, which aligns by content.
        kind = repr(kind)
    return (event.get("dir"), event.get("op"), kind)


def diff_events(
    expected: Sequence[Event], actual: Sequence[Event], rules: Rules = Rules()
) -> list[EventDiff]:
    """How the ``actual`` events differ from the ``expected`` ones, in order.

    Events are aligned on their whole content first, so an event added or
    removed among many alike (a run of frames) is one difference, not a shift
    of all that follow; what differs is then paired by kind, as "changed".
    """
    differences: list[EventDiff] = []
    exact = difflib.SequenceMatcher(
        a=[_content(e) for e in expected], b=[_content(e) for e in actual], autojunk=False
    )
    for tag, e_start, e_end, a_start, a_end in exact.get_opcodes():
        if tag == "equal":
            continue
        by_kind = difflib.SequenceMatcher(
            a=[_signature(e) for e in expected[e_start:e_end]],
            b=[_signature(e) for e in actual[a_start:a_end]],
            autojunk=False,
        )
        for kind, e_from, e_to, a_from, a_to in by_kind.get_opcodes():
            paired = min(e_to - e_from, a_to - a_from) if kind in ("equal", "replace") else 0
            if kind == "replace":
                # An event standing in for another of the same direction pairs
                # with it (an accept became a close); across directions it is
                # one removed and one added, not a change of "dir".
                paired = next(
                    (
                        offset
                        for offset in range(paired)
                        if _direction(expected[e_start + e_from + offset])
                        != _direction(actual[a_start + a_from + offset])
                    ),
                    paired,
                )
            for offset in range(paired):
                e_index, a_index = e_start + e_from + offset, a_start + a_from + offset
                changes = diff_values(expected[e_index], actual[a_index], rules)
                if changes:
                    differences.append(
                        EventDiff(
                            "changed",
                            e_index,
                            a_index,
                            expected[e_index],
                            actual[a_index],
                            changes,
                        )
                    )
            for e_index in range(e_start + e_from + paired, e_start + e_to):
                differences.append(EventDiff("missing", e_index, None, expected[e_index], None))
            for a_index in range(a_start + a_from + paired, a_start + a_to):
                differences.append(EventDiff("unexpected", None, a_index, None, actual[a_index]))
    return differences


def _direction(event: Event) -> tuple[Any, Any]:
    return (event.get("dir"), event.get("op"))


def _same_json(expected: Any, actual: Any) -> bool:
    """True when the two values are the same JSON, types and key order included: then
    they never differ, whatever the rules (one check in C, not a walk in Python)."""
    if expected is actual:
        return True
    if len(expected) != len(actual) or expected != actual:  # unequal as Python values
        return False
    # Equal as Python values, where 1, 1.0 and true are one: the JSON decides.
    try:
        return orjson.dumps(expected) == orjson.dumps(actual)
    except orjson.JSONEncodeError:
        return False  # compared event by event, as ever


def _content(event: Event) -> bytes:
    """An event's whole content, for exact alignment."""
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def diff_cassettes(
    expected: Cassette, actual: Cassette, rules: Rules = Rules(), *, external: bool = True
) -> CassetteDiff:
    """How ``actual`` differs from ``expected``: connections matched by id.

    ``external=False`` leaves the external events out (a replay injects them:
    they cannot differ).
    """
    result = CassetteDiff()
    actual_by_id = {connection.id: connection for connection in actual.connections}
    for connection in expected.connections:
        other = actual_by_id.pop(connection.id, None)
        if other is None:
            result.connections.append(ConnectionDiff("missing", connection))
            continue
        # The rules name fields of events; the header is compared exactly.
        expected_header, actual_header = connection.header(), other.header()
        header = (
            []
            if _same_json(expected_header, actual_header)
            else diff_values(expected_header, actual_header)
        )
        if _same_json(connection.events, other.events):
            # The usual case in a review: nothing to align or compare field by field
            # (events the same to the byte never differ, whatever the rules).
            if header:
                result.connections.append(
                    ConnectionDiff("changed", connection, header, [], actual=other)
                )
            continue
        ordered = layer_order_like(connection.events, other.events, rules)
        events = diff_events(connection.events, ordered, rules)
        if header or events:
            result.connections.append(
                ConnectionDiff("changed", connection, header, events, actual=other)
            )
    for other in actual_by_id.values():
        result.connections.append(ConnectionDiff("unexpected", other, actual=other))
    if external:
        result.external = diff_events(expected.external, actual.external, rules)
    return result

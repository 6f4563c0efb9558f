"""Tests of chanreplay.diff.paths: parsing patterns, wildcards, tags seen through, printing."""

from __future__ import annotations

from typing import Any

import pytest

from chanreplay.diff.paths import TRANSPARENT_TAGS, PathPattern, format_path, unwrap

# -- PathPattern.parse --------------------------------------------------------


def test_parse_splits_a_dotted_path_into_parts() -> None:
    """A dotted path becomes its parts, and the text is kept as the user wrote it."""
    pattern = PathPattern.parse("message.text.user")
    assert pattern.parts == ("message", "text", "user")
    assert pattern.text == "message.text.user"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("$.message.text", ("message", "text")),
        ("  message.text  ", ("message", "text")),
        ("  $.message  ", ("message",)),
        ("**.id", ("**", "id")),
        ("message.headers.*", ("message", "headers", "*")),
        ("step", ("step",)),
    ],
)
def test_parse_strips_whitespace_and_a_leading_dollar_dot(
    text: str, parts: tuple[str, ...]
) -> None:
    """``$.`` (JSONPath style) and surrounding blanks are not part of the path."""
    pattern = PathPattern.parse(text)
    assert pattern.parts == parts
    assert pattern.text == text


def test_parse_keeps_a_dollar_that_is_not_a_prefix() -> None:
    """Only ``$.`` at the start is dropped: a field named ``$`` or ``$x`` stays a field."""
    assert PathPattern.parse("$").parts == ("$",)
    assert PathPattern.parse("message.$type").parts == ("message", "$type")


@pytest.mark.parametrize("text", ["", "   ", "$.", "a..b", ".a", "a.", "a.b.", "$..a"])
def test_parse_rejects_empty_patterns_and_empty_parts(text: str) -> None:
    """An empty pattern or an empty part is a ValueError naming the pattern and the syntax."""
    with pytest.raises(ValueError, match="invalid path") as caught:
        PathPattern.parse(text)
    message = str(caught.value)
    assert repr(text) in message
    assert "'message.text.user'" in message
    assert "'**'" in message


def test_patterns_are_frozen_and_compare_by_value() -> None:
    """Two parses of the same text are equal and hashable (usable in sets and Rules)."""
    assert PathPattern.parse("a.b") == PathPattern.parse("a.b")
    assert len({PathPattern.parse("a.b"), PathPattern.parse("a.b")}) == 1
    with pytest.raises(AttributeError):
        PathPattern.parse("a.b").text = "c"  # type: ignore[misc]


# -- matching -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("message.text.user", ("message", "text", "user"), True),
        ("message.text.user", ("message", "text"), False),
        ("message.text.user", ("message", "text", "user", "id"), False),
        ("message.text.user", ("message", "text", "name"), False),
        ("message.headers.3", ("message", "headers", 3), True),
        ("message.headers.3", ("message", "headers", 4), False),
        ("$.message.text", ("message", "text"), True),
    ],
)
def test_plain_patterns_match_exactly_that_path(
    pattern: str, path: tuple[str | int, ...], expected: bool
) -> None:
    """Without wildcards a pattern names one path; list indexes compare as their text."""
    assert PathPattern.parse(pattern).matches(path) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("message", "headers", 0), True),
        (("message", "headers", "anything"), True),
        (("message", "headers"), False),
        (("message", "headers", 0, "name"), False),
        (("message", "body", 0), False),
    ],
)
def test_star_stands_for_exactly_one_key_or_index(
    path: tuple[str | int, ...], expected: bool
) -> None:
    """``*`` matches one part, never zero and never two."""
    assert PathPattern.parse("message.headers.*").matches(path) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("id",), True),
        (("message", "id"), True),
        (("message", "text", 3, "id"), True),
        (("message", "text", "user"), False),
        (("message", "id", "x"), False),
        ((), False),
    ],
)
def test_double_star_stands_for_any_depth(path: tuple[str | int, ...], expected: bool) -> None:
    """``**.id`` is every ``id`` field, at the root or at any depth, and nothing below it."""
    assert PathPattern.parse("**.id").matches(path) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("message.**", ("message",), True),
        ("message.**", ("message", "text", "user"), True),
        ("message.**", ("other", "text"), False),
        ("**", (), True),
        ("**", ("a", 1, "b"), True),
        ("a.**.z", ("a", "z"), True),
        ("a.**.z", ("a", "b", "c", "z"), True),
        ("a.**.z", ("a", "b", "c"), False),
        ("*.*", ("a", "b"), True),
        ("*.*", ("a",), False),
        ("*.**.id", ("id",), False),
        ("*.**.id", ("m", "id"), True),
    ],
)
def test_wildcards_combine(pattern: str, path: tuple[str | int, ...], expected: bool) -> None:
    """``**`` may match zero parts (also at the end and in the middle); ``*`` needs one."""
    assert PathPattern.parse(pattern).matches(path) is expected


def test_matches_accepts_a_list_as_the_path() -> None:
    """Any sequence of keys and indexes can be matched, not only tuples."""
    assert PathPattern.parse("a.*.c").matches(["a", 0, "c"])


# -- unwrap -------------------------------------------------------------------


def test_transparent_tags_are_the_json_holding_ones() -> None:
    """Exactly the tags whose payload is structured JSON are seen through."""
    assert frozenset({"$json", "$bytes_json", "$object"}) == TRANSPARENT_TAGS


@pytest.mark.parametrize("tag", sorted(TRANSPARENT_TAGS))
def test_unwrap_takes_off_a_transparent_tag(tag: str) -> None:
    """The payload of ``$json``, ``$bytes_json`` and ``$object`` is returned."""
    assert unwrap({tag: {"user": "alice"}}) == {"user": "alice"}


def test_unwrap_takes_off_nested_transparent_tags() -> None:
    """Tags wrapping tags are all taken off."""
    assert unwrap({"$json": {"$object": {"$x": 1}}}) == {"$x": 1}


@pytest.mark.parametrize(
    "value",
    [
        {"$bytes": "AAEC"},
        {"$bytes_text": "a=1"},
        {"$int": "1267650600228229401496703205376"},
        {"$float": "nan"},
        {"user": "alice"},
        {"$json": [1], "other": 2},
        {},
        [{"$json": [1]}],
        "text",
        5,
        None,
    ],
)
def test_unwrap_leaves_everything_else_alone(value: Any) -> None:
    """Leaf tags, plain objects, objects of several keys, lists and scalars are unchanged."""
    assert unwrap(value) is value


# -- format_path --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("message", "text", "user"), "message.text.user"),
        (("message", "headers", 3), "message.headers.3"),
        (("step",), "step"),
        ((), "(event)"),
    ],
)
def test_format_path_prints_dotted_paths(path: tuple[str | int, ...], text: str) -> None:
    """Paths print dotted, indexes as numbers, and the root as ``(event)``."""
    assert format_path(path) == text


def test_a_printed_path_parses_back_to_a_pattern_matching_it() -> None:
    """What a report prints can be pasted into ``ignore=``."""
    path = ("message", "text", "items", 2, "id")
    assert PathPattern.parse(format_path(path)).matches(path)

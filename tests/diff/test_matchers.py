"""Tests of chanreplay.diff.matchers: the ready-made matchers, Regex, Predicate, as_matcher."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pytest

from chanreplay.diff.matchers import (
    ANY,
    ANY_INT,
    ANY_NUMBER,
    ANY_STRING,
    Matcher,
    Predicate,
    Regex,
    as_matcher,
)

# -- the ready-made matchers --------------------------------------------------


@pytest.mark.parametrize("value", [None, True, 0, -1.5, "", "x", [], {}, {"$bytes": "AA=="}])
def test_any_accepts_every_value(value: Any) -> None:
    """ANY accepts anything, None and empty containers included."""
    assert ANY.matches(value) is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", True), ("alice", True), (1, False), (None, False), (b"x", False), (["a"], False)],
)
def test_any_string_accepts_only_strings(value: Any, expected: bool) -> None:
    """ANY_STRING accepts str (the empty one too) and nothing else."""
    assert ANY_STRING.matches(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, True),
        (-7, True),
        (2**70, True),
        (True, False),
        (False, False),
        (1.0, False),
        ("1", False),
        (None, False),
    ],
)
def test_any_int_accepts_integers_but_not_booleans(value: Any, expected: bool) -> None:
    """ANY_INT rejects bool (a subclass of int in Python, a different type in JSON)."""
    assert ANY_INT.matches(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, True),
        (3, True),
        (2.5, True),
        (-0.0, True),
        (float("inf"), True),
        (True, False),
        (False, False),
        ("2.5", False),
        (None, False),
        ({"$float": "nan"}, False),
    ],
)
def test_any_number_accepts_ints_and_floats_but_not_booleans(value: Any, expected: bool) -> None:
    """ANY_NUMBER accepts int and float; bool and numeric strings are no numbers."""
    assert ANY_NUMBER.matches(value) is expected


@pytest.mark.parametrize(
    ("matcher", "description"),
    [
        (ANY, "anything"),
        (ANY_STRING, "any string"),
        (ANY_INT, "any integer"),
        (ANY_NUMBER, "any number"),
    ],
)
def test_ready_made_matchers_describe_themselves(matcher: Matcher, description: str) -> None:
    """describe() is what reports print; repr() wraps it in angle brackets."""
    assert matcher.describe() == description
    assert repr(matcher) == f"<{description}>"


def test_the_base_matcher_is_abstract() -> None:
    """A Matcher subclass must implement matches() and describe()."""
    matcher = Matcher()
    with pytest.raises(NotImplementedError):
        matcher.matches(1)
    with pytest.raises(NotImplementedError):
        matcher.describe()


def test_a_subclass_is_a_matcher() -> None:
    """A user-written Matcher subclass works through matches() and describe()."""

    class Even(Matcher):
        def matches(self, value: Any) -> bool:
            return isinstance(value, int) and value % 2 == 0

        def describe(self) -> str:
            return "an even number"

    even = Even()
    assert even.matches(4) is True
    assert even.matches(3) is False
    assert repr(even) == "<an even number>"
    assert as_matcher(even) is even


# -- Regex --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12:30", True), ("1:30", False), ("12:30pm", False), ("at 12:30", False), ("", False)],
)
def test_regex_must_match_the_whole_string(value: str, expected: bool) -> None:
    """Regex uses fullmatch: a match at the start or inside is not enough."""
    assert Regex(r"\d{2}:\d{2}").matches(value) is expected


@pytest.mark.parametrize("value", [12, None, ["12"], {"$json": "12"}, b"12"])
def test_regex_rejects_what_is_not_a_string(value: Any) -> None:
    """Non-strings never match, however they would print."""
    assert Regex(r"\d+").matches(value) is False


def test_regex_keeps_a_compiled_pattern_and_its_flags() -> None:
    """A compiled pattern is used as it is, flags included."""
    compiled = re.compile("hello", re.IGNORECASE)
    matcher = Regex(compiled)
    assert matcher.pattern is compiled
    assert matcher.matches("HeLLo") is True


def test_regex_describes_its_pattern() -> None:
    """Reports show the pattern between slashes."""
    assert Regex(r"c\d+").describe() == r"a string matching /c\d+/"
    assert repr(Regex("a|b")) == "<a string matching /a|b/>"


# -- Predicate ----------------------------------------------------------------


def test_predicate_accepts_what_the_function_accepts() -> None:
    """The function's truthiness decides, and matches() returns a real bool."""
    positive = Predicate(lambda value: value > 0)
    assert positive.matches(3) is True
    assert positive.matches(-3) is False
    length: Callable[[Any], Any] = len  # returns an int, not a bool
    counted = Predicate(length)
    assert counted.matches([1]) is True
    assert counted.matches([]) is False


@pytest.mark.parametrize("value", [None, "text", {"a": 1}])
def test_a_predicate_that_raises_rejects_the_value(value: Any) -> None:
    """A function that cannot judge a value (TypeError, KeyError...) rejects it quietly."""
    assert Predicate(lambda v: v > 0).matches(value) is False
    assert Predicate(lambda v: v["missing"]).matches(value) is False


def test_predicate_describes_the_function_by_qualified_name() -> None:
    """A named function is shown by its qualified name (``<locals>`` and all)."""

    def is_lobby(value: object) -> bool:
        return value == "lobby"

    assert Predicate(is_lobby).describe() == (
        "a value accepted by "
        "test_predicate_describes_the_function_by_qualified_name.<locals>.is_lobby"
    )
    assert Predicate(str.isdigit).describe() == "a value accepted by str.isdigit"
    assert Predicate(lambda value: True).describe().endswith(".<locals>.<lambda>")


def test_predicate_describes_a_callable_without_a_name_by_its_repr() -> None:
    """A callable without ``__qualname__`` (a partial) is shown by its repr."""
    function = functools.partial(isinstance)
    assert Predicate(function).describe() == f"a value accepted by {function!r}"


# -- as_matcher ---------------------------------------------------------------


def test_as_matcher_returns_a_matcher_unchanged() -> None:
    """A matcher is used as it is (the same object)."""
    assert as_matcher(ANY_INT) is ANY_INT


def test_as_matcher_wraps_a_compiled_regex_in_regex() -> None:
    """A compiled regular expression becomes a full-match Regex."""
    matcher = as_matcher(re.compile(r"c\d+"))
    assert isinstance(matcher, Regex)
    assert matcher.matches("c12") is True
    assert matcher.matches("c12x") is False


def test_as_matcher_wraps_a_callable_in_predicate() -> None:
    """A function or other callable becomes a Predicate."""
    matcher = as_matcher(lambda value: value == "lobby")
    assert isinstance(matcher, Predicate)
    assert matcher.matches("lobby") is True
    assert matcher.matches("random") is False
    assert isinstance(as_matcher(str.isdigit), Predicate)


@pytest.mark.parametrize("value", ["\\d+", 5, None, ["a"], {"a": 1}, b"x"])
def test_as_matcher_rejects_other_values_with_a_helpful_message(value: Any) -> None:
    """A plain string (not compiled), number or container is a TypeError listing what works."""
    with pytest.raises(TypeError) as caught:
        as_matcher(value)
    message = str(caught.value)
    assert message.startswith(f"{value!r} is not a matcher")
    for option in ("ANY", "ANY_STRING", "ANY_INT", "ANY_NUMBER", "Regex('...')", "function"):
        assert option in message


@pytest.mark.parametrize(
    ("text", "accepted", "refused"),
    [
        ("any", None, object()),
        ("string", "x", 1),
        ("INT", 3, 3.5),
        ("number", 3.5, "3.5"),
        (r"regex:\d\d:\d\d", "09:30", "9:30"),
    ],
)
def test_a_command_line_names_a_matcher(text: str, accepted: Any, refused: Any) -> None:
    from chanreplay.diff.matchers import named

    matcher = named(text)
    assert matcher.matches(accepted)
    if text != "any":
        assert not matcher.matches(refused)


@pytest.mark.parametrize(
    ("text", "says"),
    [("integer", "give any, string, int, number or regex:PATTERN"), ("regex:(", "not a regular")],
)
def test_a_name_that_is_no_matcher_says_what_is(text: str, says: str) -> None:
    from chanreplay.diff.matchers import named

    with pytest.raises(ValueError, match=says):
        named(text)

"""Matchers: what an expected value may be replaced by where exact equality is too strict.

``matchers={"message.text.id": ANY_INT, "message.text.at": Regex(r"\\d{2}:\\d{2}")}``
accepts any integer id and any time of day at those paths. A plain callable
works too (``lambda value: value > 0``), and so does a compiled regular
expression. On the command line (``--match PATH=MATCHER``) a matcher is
named: ``any``, ``string``, ``int``, ``number`` or ``regex:PATTERN``
(:func:`named`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "ANY",
    "ANY_INT",
    "ANY_NUMBER",
    "ANY_STRING",
    "Matcher",
    "Predicate",
    "Regex",
    "as_matcher",
    "named",
]


class Matcher:
    """Decides whether an actual value is acceptable in place of the recorded one."""

    def matches(self, value: Any) -> bool:
        """True when ``value`` (in cassette form) is acceptable."""
        raise NotImplementedError

    def describe(self) -> str:
        """How reports name what was expected (``any string``)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.describe()}>"


class _Kind(Matcher):
    def __init__(self, description: str, accepts: Callable[[Any], bool]) -> None:
        self._description = description
        self._accepts = accepts

    def matches(self, value: Any) -> bool:
        return self._accepts(value)

    def describe(self) -> str:
        return self._description


ANY = _Kind("anything", lambda value: True)
ANY_STRING = _Kind("any string", lambda value: isinstance(value, str))
ANY_INT = _Kind("any integer", lambda value: isinstance(value, int) and not isinstance(value, bool))
ANY_NUMBER = _Kind(
    "any number",
    lambda value: isinstance(value, int | float) and not isinstance(value, bool),
)


class Regex(Matcher):
    """A string that matches ``pattern`` in full."""

    def __init__(self, pattern: str | re.Pattern[str]) -> None:
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and self.pattern.fullmatch(value) is not None

    def describe(self) -> str:
        return f"a string matching /{self.pattern.pattern}/"


class Predicate(Matcher):
    """Any value for which ``function(value)`` is true."""

    def __init__(self, function: Callable[[Any], bool]) -> None:
        self.function = function

    def matches(self, value: Any) -> bool:
        try:
            return bool(self.function(value))
        except Exception:  # a predicate that cannot judge a value rejects it
            return False

    def describe(self) -> str:
        name = getattr(self.function, "__qualname__", repr(self.function))
        return f"a value accepted by {name}"


def as_matcher(value: Any) -> Matcher:
    """A :class:`Matcher` from what a user passed: a matcher, a regex or a callable."""
    if isinstance(value, Matcher):
        return value
    if isinstance(value, re.Pattern):
        return Regex(value)
    if callable(value):
        return Predicate(value)
    raise TypeError(
        f"{value!r} is not a matcher: pass ANY, ANY_STRING, ANY_INT, ANY_NUMBER, "
        "Regex('...'), a compiled regular expression or a function value -> bool"
    )


NAMES = {"any": ANY, "string": ANY_STRING, "int": ANY_INT, "number": ANY_NUMBER}
"""The matchers a command line names."""


def named(text: str) -> Matcher:
    """The matcher ``text`` names: ``any``, ``string``, ``int``, ``number`` or ``regex:PATTERN``.

    Raises ``ValueError`` saying what is accepted for anything else.
    """
    if text.startswith("regex:"):
        try:
            return Regex(text[len("regex:") :])
        except re.error as error:
            raise ValueError(f"{text!r}: not a regular expression ({error})") from None
    known = NAMES.get(text.lower())
    if known is None:
        raise ValueError(
            f"{text!r} names no matcher: give any, string, int, number or regex:PATTERN"
        )
    return known

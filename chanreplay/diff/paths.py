"""JSON paths into events: how ``ignore=`` and ``matchers=`` name a field, and how reports do.

A path is dotted: ``message.text.user`` names the ``user`` field of the JSON
a text frame holds; ``message.headers.3`` the fourth header. ``*`` stands for
one key or index, ``**`` for any number of them (``**.id`` is every ``id``
field at any depth). Paths see through the cassette's tags: the JSON inside a
text frame's ``{"$json": ...}`` (or a body's ``$bytes_json``, or an escaped
``$object``) is addressed as if it were inline, so ``message.text.user``
rather than ``message.text.$json.user``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["TRANSPARENT_TAGS", "PathPattern", "format_path", "unwrap"]

TRANSPARENT_TAGS = frozenset({"$json", "$bytes_json", "$object"})
"""Tags whose payload a path addresses directly."""

Path = tuple[str | int, ...]


def unwrap(value: Any) -> Any:
    """``value`` with any transparent tag taken off (the JSON it stands for)."""
    while isinstance(value, dict) and len(value) == 1:
        ((key, payload),) = value.items()
        if key not in TRANSPARENT_TAGS:
            break
        value = payload
    return value


def format_path(path: Path) -> str:
    """``message.text.user``: a path as reports print it (``(event)`` for the root)."""
    return ".".join(str(part) for part in path) or "(event)"


@dataclass(frozen=True)
class PathPattern:
    """A dotted path with ``*`` and ``**`` wildcards, matched against concrete paths."""

    text: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> PathPattern:
        """Parse ``text``; raise ValueError (naming the pattern) when it is empty."""
        stripped = text.strip().removeprefix("$.")
        if not stripped or any(part == "" for part in stripped.split(".")):
            raise ValueError(
                f"invalid path {text!r}: use dotted field names such as 'message.text.user', "
                "with '*' for any one key or index and '**' for any depth"
            )
        return cls(text, tuple(stripped.split(".")))

    def matches(self, path: Sequence[str | int]) -> bool:
        """True when the concrete ``path`` is named by this pattern."""
        return _match(self.parts, tuple(str(part) for part in path))


def _match(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match(rest, path[skip:]) for skip in range(len(path) + 1))
    if not path:
        return False
    return (head == "*" or head == path[0]) and _match(rest, path[1:])

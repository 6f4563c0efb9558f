"""Which cassettes a test run used: the pytest plugin saves it, ``chanreplay lint`` reads it.

Every cassette a test names goes through :func:`chanreplay.testing.replay.cassette_path`,
which notes it here. At the end of the run the plugin stores the set in pytest's
cache (``.pytest_cache/v/chanreplay/used``); under pytest-xdist each worker hands
its set to the controller, which stores the union.

Pure: no Django, no Channels.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CACHE_KEY", "USED", "note", "read_cache"]

CACHE_KEY = "chanreplay/used"
"""The pytest cache key (``.pytest_cache/v/chanreplay/used``)."""

USED: set[str] = set()
"""Absolute paths of the cassettes this process used."""


def note(path: Path) -> None:
    """Remember that a test used the cassette at ``path``."""
    USED.add(str(path.resolve()))


def read_cache(root: Path) -> set[Path] | None:
    """The cassettes the last test run under ``root`` used, or None when it recorded none."""
    import json

    stored = root / ".pytest_cache" / "v" / CACHE_KEY
    try:
        paths = json.loads(stored.read_text())
    except (OSError, ValueError):
        return None
    return {Path(p) for p in paths}

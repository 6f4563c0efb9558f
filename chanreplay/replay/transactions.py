"""``transaction.on_commit`` in a replay: callbacks run as the application's transaction commits.

A ``django.test.TestCase`` wraps each test in a transaction that is rolled
back, so an ``on_commit`` callback registered while the test runs is only
kept, never run: "committing" never happens. Applications broadcast from
such callbacks (model observers, signal handlers that wait for the row to be
committed), so under a plain ``TestCase`` a replay would wait for frames the
real server sent.

For the duration of a replay the test's own transaction is taken as the
outermost level, the way the development server's connection in autocommit
mode was: a callback registered outside any transaction the application
opened runs at once, and one registered inside an ``atomic`` block the
application opened runs when that block exits without an error (and is
dropped when it rolls back), as a real commit would. Nothing changes for a
``TransactionTestCase``, whose transactions commit for real.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CommitEmulation", "emulated_commits"]

logger = logging.getLogger("chanreplay")


@dataclass
class _Level:
    """Where the test's transaction stands on one connection when the replay starts."""

    depth: int
    """How many ``atomic`` blocks the test itself has open."""
    kept: int
    """How many callbacks the test registered before the replay (left to the test)."""


@dataclass
class CommitEmulation:
    """The connections whose test transaction stands in for autocommit, while installed."""

    levels: dict[int, _Level] = field(default_factory=dict)
    """By ``id()`` of each connection object (one per thread and alias)."""
    connections: dict[int, Any] = field(default_factory=dict)

    def level(self, connection: Any) -> _Level | None:
        """The test's level on ``connection``, when its callbacks are emulated."""
        return self.levels.get(id(connection))

    def pending(self) -> list[str]:
        """Callbacks registered during the replay that have not run: how to name them."""
        names = []
        for key, level in self.levels.items():
            connection = self.connections[key]
            for _, func, _ in connection.run_on_commit[level.kept :]:
                names.append(f"{getattr(func, '__qualname__', repr(func))} ({connection.alias})")
        return names


_active: CommitEmulation | None = None
_lock = threading.Lock()


def _run(connection: Any, level: _Level) -> None:
    """Run the callbacks the application registered since the replay began, in order."""
    # A callback may register another (or open a transaction that does): take
    # them one at a time, as Django's own commit does.
    while len(connection.run_on_commit) > level.kept:
        _, func, robust = connection.run_on_commit.pop(level.kept)
        if robust:
            try:
                func()
            except Exception as error:
                logger.error(
                    "Error calling %s in on_commit() (%s).",
                    getattr(func, "__qualname__", func),
                    error,
                    exc_info=True,
                )
        else:
            func()


def _patched_on_commit(original: Callable[..., None]) -> Callable[..., None]:
    def on_commit(self: Any, func: Callable[[], Any], robust: bool = False) -> None:
        original(self, func, robust)
        active = _active
        level = active.level(self) if active is not None else None
        if level is not None and len(self.atomic_blocks) <= level.depth:
            # Registered outside any transaction of the application: in
            # autocommit mode Django would have run it at once.
            _run(self, level)

    return on_commit


def _patched_exit(original: Callable[..., Any]) -> Callable[..., Any]:
    def __exit__(self: Any, exc_type: Any, exc_value: Any, traceback: Any) -> Any:
        from django.db import transaction

        result = original(self, exc_type, exc_value, traceback)
        active = _active
        connection = transaction.get_connection(self.using)
        level = active.level(connection) if active is not None else None
        if level is not None and len(connection.atomic_blocks) <= level.depth:
            if exc_type is None:
                _run(connection, level)  # the application's transaction "committed"
            else:
                del connection.run_on_commit[level.kept :]  # it rolled back
        return result

    return __exit__


@contextlib.contextmanager
def emulated_commits() -> Iterator[CommitEmulation]:
    """Run ``on_commit`` callbacks as committed transactions would, for the ``with`` block.

    Covers the calling thread's connections that are inside a transaction of
    the test's own (a ``TestCase``); the application's thread-sensitive work
    runs in that thread during a replay.
    """
    global _active
    from django.db import connections, transaction
    from django.db.backends.base.base import BaseDatabaseWrapper

    emulation = CommitEmulation()
    for alias in connections:
        connection = connections[alias]
        if connection.in_atomic_block:
            key = id(connection)
            emulation.levels[key] = _Level(
                len(connection.atomic_blocks), len(connection.run_on_commit)
            )
            emulation.connections[key] = connection
    if not emulation.levels:
        yield emulation  # autocommit: Django runs callbacks at commit itself
        return
    with _lock:
        if _active is not None:
            raise RuntimeError("replays cannot emulate commits twice at once")
        _active = emulation
        on_commit = BaseDatabaseWrapper.on_commit
        exit_ = transaction.Atomic.__exit__
        BaseDatabaseWrapper.on_commit = _patched_on_commit(on_commit)  # type: ignore[method-assign]
        transaction.Atomic.__exit__ = _patched_exit(exit_)  # type: ignore[method-assign]
    try:
        yield emulation
    finally:
        with _lock:
            BaseDatabaseWrapper.on_commit = on_commit  # type: ignore[method-assign]
            transaction.Atomic.__exit__ = exit_  # type: ignore[method-assign]
            _active = None

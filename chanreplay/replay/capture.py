"""A test's own traffic, recorded, and the record modes that decide what becomes of it.

A test that drives the application itself (with Channels' communicators)
talks to a :class:`CapturedSession`: the application wrapped by the same
recorder ``runserver --record`` uses, with captive in-memory layers. After
the test body, :func:`settle` compares what happened with the cassette, or
writes it, as the record mode says:

``none``
    The cassette must exist, and what happened must match it (the default,
    and the only mode under ``CI=true``).
``once``
    A missing cassette is written; an existing one is compared.
``new_episodes``
    The connections the cassette has are compared; connections it lacks are
    appended to it.
``all``
    The cassette is written from what happened, every time.

With update requested (``--chanreplay-update``), a cassette that differs is
rewritten from what happened and the test passes.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chanreplay.asgi import RecordingMiddleware
from chanreplay.cassette import load, writer
from chanreplay.cassette.model import Cassette
from chanreplay.cassette.values import forget_values
from chanreplay.diff import CassetteDiff, Rules, diff_cassettes
from chanreplay.exceptions import CassetteNotFoundError, ConfigurationError
from chanreplay.recorder import state
from chanreplay.recorder.memory import MemoryJournal
from chanreplay.recorder.recording import Recording
from chanreplay.replay.driver import captive_layers

__all__ = ["TEST_RECORD_MODES", "CapturedSession", "Outcome", "effective_mode", "settle"]

TEST_RECORD_MODES = ("none", "once", "new_episodes", "all")


class CapturedSession:
    """The application a test drives, recorded into memory; itself an ASGI application."""

    def __init__(self, application: Any, recording: Recording) -> None:
        self.journal = MemoryJournal()
        self.recording = recording
        self.application = RecordingMiddleware(application, recording=recording)
        self._stack = contextlib.ExitStack()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.application(scope, receive, send)

    def start(self) -> None:
        """Begin recording: captive layers for every alias, this session as the recording."""
        self.recording.start_in(self.journal)
        self._stack.enter_context(captive_layers())
        self._stack.enter_context(state.replaying(self.recording))

    def stop(self) -> None:
        """Stop recording and put the configured layers back."""
        self._stack.close()

    def cassette(self) -> Cassette:
        """What the application did so far."""
        return self.journal.cassette()


@dataclass
class Outcome:
    """What :func:`settle` did: whether it wrote the cassette, and what differed."""

    wrote: bool
    diff: CassetteDiff | None = None

    @property
    def failed(self) -> bool:
        """True when what happened differs from the cassette and nothing was rewritten."""
        return not self.wrote and self.diff is not None and not self.diff.equal


def effective_mode(mode: str) -> str:
    """``mode`` checked; ``none`` under ``CI=true``, where cassettes are never written."""
    if mode not in TEST_RECORD_MODES:
        raise ConfigurationError(
            f"unknown record mode {mode!r}: choose one of {', '.join(TEST_RECORD_MODES)}"
        )
    return "none" if os.environ.get("CI") == "true" else mode


def settle(
    path: Path, actual: Cassette, mode: str, *, update: bool = False, rules: Rules | None = None
) -> Outcome:
    """Compare ``actual`` with the cassette at ``path``, or write it, as ``mode`` says."""
    mode = effective_mode(mode)
    rules = rules or Rules()
    exists = path.exists()
    if mode == "all" or (not exists and mode in ("once", "new_episodes")):
        writer.write(actual, path)
        forget_values(path)
        return Outcome(wrote=True)
    if not exists:
        raise CassetteNotFoundError(
            path,
            "no such cassette, and record mode 'none' does not record one",
            fix="run the test once with --chanreplay-record-mode=once to record it, "
            "and commit the cassette",
        )
    expected = load(path)
    if mode == "new_episodes":
        known = {connection.id for connection in expected.connections}
        old = Cassette(
            [c for c in actual.connections if c.id in known],
            actual.external,
            version=expected.version,
        )
        diff = diff_cassettes(expected, old, rules, external=False)
        new = [c for c in actual.connections if c.id not in known]
        if diff.equal and new:
            merged = Cassette(
                [*expected.connections, *new], actual.external, version=expected.version
            )
            writer.write(merged, path)
            forget_values(path)
            return Outcome(wrote=True, diff=diff)
    else:
        diff = diff_cassettes(expected, actual, rules)
    if not diff.equal and update:
        writer.write(actual, path)
        forget_values(path)
        return Outcome(wrote=True, diff=diff)
    return Outcome(wrote=False, diff=diff)

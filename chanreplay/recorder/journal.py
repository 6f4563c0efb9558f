"""The append-only journal a recording writes as events happen.

A recording never rewrites what it has written: each event is one JSON line
appended to ``cassettes/.NAME.journal``. A background thread moves lines from
memory to the file every :data:`FLUSH_INTERVAL` (50 ms) and, shortly after a
connection closes, compiles the journal into the cassette (atomically, so the
cassette on disk always loads; incrementally: :mod:`chanreplay.recorder.compiler`).
A killed process therefore loses about the events of its last 50 ms, and its
journal still compiles: a torn last line is skipped.

Journal records (one per line)::

    {"k": "run", "run": "<run id>"}                 a process started writing
    {"k": "open", "c": "c1", "type": ..., "scope": ..., "user": ..., "step": 1}
    {"k": "ev", "c": "c1", "e": {...event...}}       "c" is null for external events
    {"k": "close", "c": "c1"}

This module is pure: it imports neither Django nor Channels, so ``chanreplay
recover`` starts fast.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from chanreplay.cassette.binding import BOUND
from chanreplay.cassette.loader import load
from chanreplay.cassette.model import VERSION, Cassette
from chanreplay.cassette.values import Kept, read_values, write_values
from chanreplay.exceptions import CassetteFormatError, ChanreplayError, JournalLocked
from chanreplay.recorder.compiler import (
    CompileResult,
    JournalCompiler,
    compile_journal,
    open_fields,
    positioned_records,
)
from chanreplay.recorder.deferred import JournalLine, render_batch

__all__ = [
    "JournalFile",
    "JournalLocked",
    "JournalState",
    "JournalWriter",
    "in_use",
    "journal_lines",
    "journal_path",
    "read_state",
    "recover",
    "take_pending",
    "wait_released",
]

FLUSH_INTERVAL = 0.05
"""Seconds between moves of buffered lines to the journal file."""


def ticks(stop: threading.Event, interval: float = FLUSH_INTERVAL) -> Iterator[None]:
    """Yield every ``interval`` seconds, on a fixed schedule, until ``stop`` is set.

    The schedule does not drift by the time the work between ticks takes:
    what a killed server loses is what was recorded since the last tick, so
    the window stays ``interval`` plus one batch's work, not their sum
    growing with load. A tick missed (the work took longer) is not made up
    in a burst.
    """
    deadline = time.monotonic() + interval
    while not stop.wait(max(0.0, deadline - time.monotonic())):
        yield
        deadline = max(deadline + interval, time.monotonic())


COMPILE_DELAY = 0.2
"""Seconds after a connection closes before the cassette is rebuilt."""


def journal_path(cassette: Path) -> Path:
    """Where the journal of the cassette at ``cassette`` lives."""
    return cassette.with_name(f".{cassette.stem}.journal")


@dataclass
class JournalState:
    """What a resumed recording must continue from."""

    run: str | None = None
    connections: int = 0
    step: int = 0
    external_channels: int = 0
    records: int = 0
    version: int = VERSION
    """The format version the journal is recorded in (an older cassette appended to)."""
    bindings: dict[str, int] = field(default_factory=dict)
    """The highest number each kind of binding has (``{"uuid": 3}``): a resumed
    recording goes on from there, so that two values never share a name."""


_EXTERNAL_CHANNEL = re.compile(rb"<channel:x(\d+)>")
_BOUND = re.compile(BOUND.pattern.encode())


def read_state(path: Path) -> JournalState:
    """The counters a recording resuming the journal at ``path`` continues from."""
    state = JournalState()
    for record in _records(path):
        state.records += 1
        kind = record.get("k")
        if kind == "run":
            state.run = record.get("run")
        elif kind == "format" and type(record.get("version")) is int:
            state.version = record["version"]
        elif kind == "open":
            state.connections = max(state.connections, int(record["c"][1:]))
            state.step = max(state.step, int(record.get("step", 0)))
        elif kind == "ev":
            state.step = max(state.step, int(record["e"].get("step", 0)))
    with contextlib.suppress(FileNotFoundError):
        data = path.read_bytes()
        for match in _EXTERNAL_CHANNEL.finditer(data):
            state.external_channels = max(state.external_channels, int(match.group(1)))
        for match in _BOUND.finditer(data):
            kind = match.group(1).decode()
            state.bindings[kind] = max(state.bindings.get(kind, 0), int(match.group(2)))
    return state


def _records(path: Path) -> Iterator[dict[str, Any]]:
    for _, record in positioned_records(path):
        yield record


def journal_lines(cassette: Cassette, run: str) -> Iterator[bytes]:
    """The journal records of an existing cassette (to append new episodes to it)."""
    yield orjson.dumps({"k": "run", "run": run}) + b"\n"
    if cassette.version != VERSION:
        # The episodes appended are recorded in the cassette's own version.
        yield orjson.dumps({"k": "format", "version": cassette.version}) + b"\n"
    for connection in cassette.connections:
        header = connection.header()
        yield orjson.dumps({"k": "open", "c": connection.id, **open_fields(header)}) + b"\n"
        for event in connection.events:
            yield orjson.dumps({"k": "ev", "c": connection.id, "e": event}) + b"\n"
        if connection.closed:
            yield orjson.dumps({"k": "close", "c": connection.id}) + b"\n"
    for event in cassette.external:
        yield orjson.dumps({"k": "ev", "c": None, "e": event}) + b"\n"


def in_use(journal: Path) -> bool:
    """True while a running process writes ``journal`` (it holds the journal's lock)."""
    try:
        handle = journal.open("rb")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


RELEASE_TIMEOUT = 5.0
"""Seconds to wait for a journal's writer to finish after its recording process died."""


def wait_released(journal: Path, timeout: float = RELEASE_TIMEOUT) -> bool:
    """Wait up to ``timeout`` seconds until no process holds ``journal``; True once none does.

    A recording process that dies leaves its writer process writing out what
    it was sent, for a moment, before it lets go of the journal.
    """
    deadline = time.monotonic() + timeout
    while in_use(journal):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _refuse_live(journal: Path) -> None:
    if not wait_released(journal):
        raise JournalLocked(
            f"{journal}: a running process is recording into this journal; stop that "
            "server first (its cassette is written when it stops)"
        )


class JournalFile:
    """The journal file of one recording, locked, with the cassette compiled from it.

    Used by whichever side writes: the :class:`JournalWriter` thread, or the
    writer process (:mod:`chanreplay.recorder.writer_process`).
    """

    def __init__(
        self,
        journal: Path,
        cassette: Path,
        *,
        lock_timeout: float = 0.0,
        clean: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.journal = journal
        self.cassette = cassette
        self.clean = clean
        journal.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = journal.open("ab")
        # One writer per journal: a second process would interleave its
        # counters with ours and corrupt the recording. A server process the
        # autoreloader restarts waits (``lock_timeout``) for the old one to exit.
        deadline = time.monotonic() + lock_timeout
        while True:
            try:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                self._file.close()
                raise JournalLocked(
                    f"{journal}: another process is already recording into this journal; "
                    "stop it first, or record under another name"
                ) from None
        if self._file.tell() and not _ends_with_newline(journal):
            # A killed process left a torn last line: end it, so the first
            # line we append is not glued to it (and skipped with it).
            self._file.write(b"\n")
            self._file.flush()
        self._compiler = JournalCompiler(journal, cassette)
        self._kept_before: Kept | None = None
        self.compile_cost = 0.0
        """Seconds the last compile took (a compile is never requested more often)."""

    def write(self, data: bytes) -> None:
        """Clean whole journal lines and append them to the file."""
        if self.clean is not None:
            # Redaction happens here, on the whole batch at once: one scan of
            # the joined lines costs far less than one per event.
            data = self.clean(data)
        if data:
            self._file.write(data)
            self._file.flush()

    def compile(self, *, durable: bool = False) -> CompileResult:
        """Rebuild the cassette from what the file holds (and the values kept beside it)."""
        started = time.monotonic()
        result = self._compiler.compile(durable=durable)
        readable = getattr(self.clean, "readable", None)
        if readable is not None:
            kept = readable()
            if kept:
                if self._kept_before is None:
                    # A resumed recording (an autoreload) goes on from what the
                    # process before it kept; read once, before this one writes.
                    self._kept_before = read_values(self.cassette)
                write_values(self.cassette, self._kept_before.then(kept))
        self.compile_cost = time.monotonic() - started
        return result

    def close(self) -> None:
        """Close the file, releasing its lock."""
        self._file.close()


class JournalWriter:
    """Appends journal lines from any thread; a background thread writes and compiles.

    :attr:`append` is the hot path: it only appends bytes to a list. The
    thread passes each batch through ``clean`` (redaction: nothing reaches
    the file before it), moves it to the file every :data:`FLUSH_INTERVAL` seconds and
    rebuilds the cassette :data:`COMPILE_DELAY` seconds after
    :meth:`request_compile`, never more often than compiling takes.
    """

    def __init__(
        self,
        journal: Path,
        cassette: Path,
        *,
        on_error: Callable[[BaseException], None] | None = None,
        lock_timeout: float = 0.0,
        clean: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.journal = journal
        self.cassette = cassette
        self._on_error = on_error
        self._journal = JournalFile(journal, cassette, lock_timeout=lock_timeout, clean=clean)
        self._pending: list[JournalLine] = []
        self.append: Callable[[JournalLine], None] = self._pending.append
        """Queue one record (a complete line ending in ``\\n``, or a frame to
        serialise with the batch: :mod:`chanreplay.recorder.deferred`). The list's own
        method: this runs for every event, and a Python method around it
        would cost as much again as the append."""
        self._lock = threading.Lock()
        self._compile_at: float | None = None
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name=f"chanreplay-journal-{cassette.stem}", daemon=True
        )
        self._thread.start()

    @property
    def clean(self) -> Callable[[bytes], bytes] | None:
        """What each batch passes through before it is written."""
        return self._journal.clean

    @clean.setter
    def clean(self, clean: Callable[[bytes], bytes] | None) -> None:
        self._journal.clean = clean

    def request_compile(self) -> None:
        """Ask for the cassette to be rebuilt shortly (debounced)."""
        if self._compile_at is None:
            self._compile_at = time.monotonic() + max(COMPILE_DELAY, self._journal.compile_cost)

    def flush(self) -> None:
        """Move every queued line to the journal file now."""
        with self._lock:
            batch = take_pending(self._pending)
            if batch and not self._closed:
                self._journal.write(render_batch(batch))

    def compile(self, *, durable: bool = False) -> CompileResult:
        """Flush, then rebuild the cassette from the journal."""
        self.flush()
        return self._journal.compile(durable=durable)

    def close(self, *, compile: bool = True) -> CompileResult | None:
        """Stop the thread, write everything, and (by default) compile a final cassette."""
        if self._closed:
            return None
        self._stop.set()
        self._thread.join(timeout=10)
        result = self.compile(durable=True) if compile else None
        self.flush()
        with self._lock:
            self._closed = True
            self._journal.close()
        return result

    def _run(self) -> None:
        for _ in ticks(self._stop):
            try:
                self.flush()
                if self._compile_at is not None and time.monotonic() >= self._compile_at:
                    self._compile_at = None
                    self.compile()
            except Exception as error:  # the server must keep running
                if self._on_error is not None:
                    self._on_error(error)

    def remove(self) -> None:
        """Delete the journal file (after a final compile)."""
        self.journal.unlink(missing_ok=True)


def take_pending(pending: list[JournalLine]) -> list[JournalLine]:
    """Remove and return what ``pending`` holds, safely against appends from other threads.

    Take a prefix of the one list and delete it: each step is a single list
    operation, so an append from another thread lands either in this batch
    or in the next one. (Swapping in a new list would lose an append that
    fetched the old list just before.)
    """
    count = len(pending)
    batch = pending[:count]
    del pending[:count]
    return batch


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def recover(journal: Path) -> tuple[Path, CompileResult]:
    """Compile the journal at ``journal`` into its cassette and delete the journal.

    The cassette is built beside it and loaded (the loader's full check)
    before it takes the cassette's name: a journal that does not make a
    loadable cassette is kept, and nothing is written. What the journal held
    that is no record (lines that are not JSON, a torn last line) is lost;
    the result says which lines.
    """
    name = journal.name
    if not (name.startswith(".") and name.endswith(".journal")):
        raise CassetteFormatError(
            journal, "not a journal file", fix="journals are named .NAME.journal"
        )
    cassette = journal.with_name(name[1 : -len(".journal")] + ".json")
    _refuse_live(journal)
    trial = journal.with_name(f"{name}.recovering.json")
    try:
        result = compile_journal(journal, trial, durable=True)
        if not result.written:  # the journal holds nothing to recover
            os.unlink(journal)
            return cassette, result
        load(trial)
    except (ChanreplayError, ValueError, TypeError) as error:
        trial.unlink(missing_ok=True)
        raise CassetteFormatError(
            journal,
            f"does not make a loadable cassette ({str(error).splitlines()[0]})",
            fix="the journal is kept as it was; restore it from a backup, or remove the "
            "lines that are wrong and run chanreplay recover again",
        ) from None
    os.replace(trial, cassette)
    os.unlink(journal)
    return cassette, result

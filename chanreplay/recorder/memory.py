"""A journal kept in memory: where a replay's recorder writes what the app actually did.

It takes the same lines a :class:`~chanreplay.recorder.journal.JournalWriter`
takes, cleaned the same way (placeholders, redaction), so what a replay
records is in exactly the form the cassette holds. Each record is also handed
to an observer as it arrives, before it is cleaned: the replayer waits on
them, and reads only what cleaning never changes (the record's kind, its
connection, its step). The cleaning waits until the records are read, and
then takes them all as one batch, as the writer process takes its batches:
a cleaner call per line cost a small replay more than everything it cleaned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from chanreplay.cassette.model import Cassette, Connection
from chanreplay.recorder.cleaning import CONTROL
from chanreplay.recorder.compiler import CompileResult, open_fields
from chanreplay.recorder.deferred import JournalLine, render_batch
from chanreplay.recorder.journal import take_pending

__all__ = ["MemoryJournal", "cassette_from_records"]

Observer = Callable[[dict[str, Any]], None]


class MemoryJournal:
    """Journal records in memory, parsed; the :class:`JournalSink` of a replay."""

    def __init__(self, observer: Observer | None = None) -> None:
        self.clean: Callable[[bytes], bytes] | None = None
        self._records: list[dict[str, Any]] = []
        self._pending: list[JournalLine] = []
        self._observer = observer

    def append(self, line: JournalLine) -> None:
        """Keep one journal line, to be cleaned when the records are read; tell the observer."""
        if isinstance(line, bytes) and not line.endswith(b"\n"):
            line += b"\n"  # joined with the next in a batch: it must end
        self._pending.append(line)
        if self._observer is not None:
            record = _uncleaned(line)
            if record is not None:
                self._observer(record)

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record so far, cleaned and parsed, in order."""
        batch = take_pending(self._pending)
        if batch:
            data = render_batch(batch)
            if self.clean is not None:
                data = self.clean(data)  # control lines applied and left out
            self._records.extend(orjson.loads(line) for line in data.splitlines())
        return self._records

    def cassette(self) -> Cassette:
        """What was recorded so far, as a cassette."""
        return cassette_from_records(self.records)

    def compile(self, *, durable: bool = False) -> CompileResult:
        """A summary of what was recorded (there is no file to write)."""
        cassette = self.cassette()
        return CompileResult(
            connections=len(cassette.connections),
            events=cassette.event_count,
            unclosed=[c.id for c in cassette.connections if not c.closed],
        )

    def close(self, *, compile: bool = True) -> CompileResult | None:
        """Stop: nothing to flush."""
        return self.compile() if compile else None

    def request_compile(self) -> None:
        """Nothing to do: the records are always up to date."""

    def flush(self) -> None:
        """Nothing to do: there is no file."""

    def remove(self) -> None:
        """Nothing to do: there is no file."""


def _uncleaned(line: JournalLine) -> dict[str, Any] | None:
    """The record ``line`` holds as it came, before cleaning (None: a control line)."""
    if isinstance(line, bytes):
        return None if line.startswith(CONTROL) else orjson.loads(line)
    owner, _, _, _, step = line  # a frame: its kind, connection and step are all it needs
    return {"k": "ev", "c": orjson.loads(owner), "e": {"step": step}}


def cassette_from_records(records: Iterable[dict[str, Any]]) -> Cassette:
    """The cassette that journal ``records`` describe (as compiling them would write it)."""
    opened: dict[str, dict[str, Any]] = {}
    events: dict[str | None, list[dict[str, Any]]] = {None: []}
    closed: set[str] = set()
    for record in records:
        kind = record.get("k")
        if kind == "open":
            opened[record["c"]] = open_fields(record)
            events.setdefault(record["c"], [])
        elif kind == "ev" and record.get("c") in events:
            events[record.get("c")].append(record["e"])
        elif kind == "close":
            closed.add(record["c"])
    connections = [
        Connection(
            id=cid,
            closed=cid in closed,
            events=events[cid],
            **fields,
        )
        for cid, fields in opened.items()
    ]
    return Cassette(connections=connections, external=events[None])

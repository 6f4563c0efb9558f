"""A journal kept in memory: where a replay's recorder writes what the app actually did.

It takes the same lines a :class:`~chanreplay.recorder.journal.JournalWriter`
takes, cleaned the same way (placeholders, redaction), so what a replay
records is in exactly the form the cassette holds. Each record is also handed
to an observer as it arrives: the replayer waits on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from chanreplay.cassette.model import Cassette, Connection
from chanreplay.recorder.compiler import CompileResult, open_fields
from chanreplay.recorder.deferred import JournalLine, render_line

__all__ = ["MemoryJournal", "cassette_from_records"]

Observer = Callable[[dict[str, Any]], None]


class MemoryJournal:
    """Journal records in memory, parsed; the :class:`JournalSink` of a replay."""

    def __init__(self, observer: Observer | None = None) -> None:
        self.clean: Callable[[bytes], bytes] | None = None
        self.records: list[dict[str, Any]] = []
        self._observer = observer

    def append(self, line: JournalLine) -> None:
        """Clean, parse and keep one journal line; tell the observer."""
        line = render_line(line)
        if self.clean is not None:
            line = self.clean(line)
            if not line:  # a control line (see chanreplay.recorder.cleaning)
                return
        record = orjson.loads(line)
        self.records.append(record)
        if self._observer is not None:
            self._observer(record)

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

"""Builds the cassette from a recording's journal, incrementally.

A recording rebuilds its cassette shortly after every connection closes, so
the cassette on disk is never more than a moment behind. Rebuilding from
scratch would cost time in proportion to the whole session, over and over: a
long session would make the server slower the longer it records. A
:class:`JournalCompiler` therefore remembers what it did last time:

* how far it read the journal, and where each connection's events are in it
  (byte offsets only: the events themselves are read back one at a time);
* where each connection's rendered events are in the cassette it last wrote.

The next compile reads only the journal's new lines, copies the rendered
events of every connection from the previous cassette, and renders only the
events added since. The output is byte for byte what a compile from scratch
writes (the canonical form does not depend on how it was produced); when the
previous cassette is not exactly the file this compiler wrote (someone
replaced it), it renders everything again.

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from chanreplay.cassette import writer
from chanreplay.cassette.model import VERSION, Event
from chanreplay.exceptions import CassetteFormatError

__all__ = ["CompileResult", "JournalCompiler", "compile_journal", "positioned_records"]

_COPY_CHUNK = 1 << 20
"""Bytes copied from the previous cassette per read (memory stays small)."""


def positioned_records(path: Path, start: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every whole record from byte ``start`` of the journal, with its offset."""
    for position, _, record in _lines(path, start):
        if record is not None:
            yield position, record


def _lines(path: Path, start: int) -> Iterator[tuple[int, int, dict[str, Any] | None]]:
    """(offset, end, record) of each whole line from ``start``; record None when unreadable.

    A torn last line (the process died mid-write) ends the iteration: it was
    never journaled whole. A line that is not a JSON object is no record.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        handle.seek(start)
        offset = start
        for line in handle:
            if not line.endswith(b"\n"):
                return
            position, offset = offset, offset + len(line)
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                record = None
            yield position, offset, record if isinstance(record, dict) else None


_RECORD_FIELDS: dict[str, tuple[tuple[str, type | tuple[type, ...]], ...]] = {
    "open": (
        ("c", str),
        ("type", str),
        ("scope", dict),
        ("user", (dict, type(None))),
        ("step", int),
    ),
    "ev": (("c", (str, type(None))), ("e", dict)),
    "close": (("c", str),),
}
"""The fields each kind of journal record needs, with their types."""


def _well_formed(record: dict[str, Any]) -> bool:
    """True when ``record`` has the fields its kind needs (a corrupted line has not)."""
    needed = _RECORD_FIELDS.get(str(record.get("k")))
    if needed is None:
        return True  # run, format and other kinds carry nothing a cassette needs
    return all(name in record and isinstance(record[name], kind) for name, kind in needed)


def open_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The connection header fields an ``open`` record (or a connection header) carries."""
    return {key: record[key] for key in ("type", "scope", "user", "step")}


@dataclass
class CompileResult:
    """What compiling a journal found."""

    connections: int = 0
    events: int = 0
    unclosed: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    """Line numbers (from 1) of the journal's lines that were no record: lost."""
    torn: bool = False
    """True when the journal ends in part of a line (the process died writing it)."""
    written: bool = True
    """False when the journal held nothing to record and no cassette was written."""


@dataclass
class _Rendered:
    """Where a list of events was rendered in the cassette last written."""

    offset: int
    length: int
    count: int


class JournalCompiler:
    """Compiles one journal into one cassette, each time reusing the previous compile."""

    def __init__(self, journal: Path, cassette: Path) -> None:
        self.journal = journal
        self.cassette = cassette
        self._read_to = 0
        self._opened: dict[str, int] = {}
        """Each connection's ``open`` record, by its offset (headers are read when needed)."""
        self._offsets: dict[str | None, array[int]] = {None: array("q")}
        self._closed: set[str] = set()
        self._events = 0
        # Keyed like _offsets: a connection id, or None for the external events.
        self._rendered: dict[str | None, _Rendered] = {}
        self._whole: dict[str, _Rendered] = {}
        """Connections rendered whole while closed and unchanged since: copied as they are."""
        self._written: tuple[int, int, int] | None = None
        """(inode, size, mtime) of the cassette this compiler last wrote."""
        self._version = VERSION
        """The format version to write: an older cassette appended to keeps its own."""
        self._lines_read = 0
        self._skipped: list[int] = []

    def compile(self, *, durable: bool = False) -> CompileResult:
        """Write the cassette the journal describes so far, atomically."""
        if not self.journal.exists():
            raise CassetteFormatError(self.journal, "no such journal", fix="nothing to recover")
        self._read_new_records()
        if not self._opened and not self._events:
            # Nothing was recorded (a server stopped before any traffic): a cassette
            # of nothing would replace the one committed, or block the next --record.
            return CompileResult(
                skipped=list(self._skipped),
                torn=self.journal.stat().st_size > self._read_to,
                written=False,
            )
        with self._previous() as previous:
            rendered: dict[str | None, _Rendered] = {}
            whole: dict[str, _Rendered] = {}
            chunks = _Counted(self._chunks(previous, rendered, whole))
            writer.write_chunks(self.cassette, chunks, durable=durable)
        self._rendered = rendered
        self._whole = whole
        status = self.cassette.stat()
        self._written = (status.st_ino, status.st_size, status.st_mtime_ns)
        return CompileResult(
            connections=len(self._opened),
            events=self._events,
            unclosed=[cid for cid in self._opened if cid not in self._closed],
            skipped=list(self._skipped),
            torn=self.journal.stat().st_size > self._read_to,
        )

    # -- the journal ------------------------------------------------------
    def _read_new_records(self) -> None:
        """Index the records appended since the last compile."""
        for offset, end, record in _lines(self.journal, self._read_to):
            self._read_to = end
            self._lines_read += 1
            if record is None or not _well_formed(record):
                self._skipped.append(self._lines_read)
                continue
            kind = record.get("k")
            if kind == "open":
                assert record is not None
                cid = record["c"]
                self._opened[cid] = offset
                self._offsets.setdefault(cid, array("q"))
                self._whole.pop(cid, None)
            elif kind == "ev":
                assert record is not None
                owner = record.get("c")
                positions = self._offsets.get(owner)
                if positions is None:
                    continue  # its connection was never opened: it is not written
                positions.append(offset)
                self._events += 1
                if owner is not None:
                    # An application can outlive its connection a little (a
                    # group_discard after the disconnect): a closed one can change.
                    self._whole.pop(owner, None)
            elif kind == "close":
                assert record is not None
                self._closed.add(record["c"])
                self._whole.pop(record["c"], None)
            elif kind == "format":
                assert record is not None
                version = record.get("version")
                self._version = version if type(version) is int else VERSION

    def _header(self, cid: str) -> dict[str, Any]:
        """Connection ``cid``'s header fields, read back from its ``open`` record."""
        with self.journal.open("rb") as handle:
            handle.seek(self._opened[cid])
            record = orjson.loads(handle.readline())
        return {**open_fields(record), "id": cid, "closed": cid in self._closed}

    def _events_of(self, key: str | None, start: int) -> Iterator[Event]:
        """The events of connection ``key`` (None: external) from its ``start``-th on."""
        with self.journal.open("rb") as handle:
            for position in self._offsets[key][start:]:
                handle.seek(position)
                event: Event = orjson.loads(handle.readline())["e"]
                yield event

    # -- the previous cassette --------------------------------------------
    def _previous(self) -> _Previous:
        """The cassette this compiler wrote last, if it is still exactly that file."""
        if self._written is None:
            return _Previous(None)
        try:
            fd = os.open(self.cassette, os.O_RDONLY)
        except OSError:
            return _Previous(None)
        status = os.fstat(fd)
        if (status.st_ino, status.st_size, status.st_mtime_ns) != self._written:
            os.close(fd)
            return _Previous(None)
        return _Previous(fd)

    # -- rendering --------------------------------------------------------
    def _chunks(
        self,
        previous: _Previous,
        rendered: dict[str | None, _Rendered],
        whole: dict[str, _Rendered],
    ) -> Iterator[Any]:
        """The cassette's chunks; records where each event list and closed connection landed.

        Yields bytes, or :class:`_Mark` objects that :class:`_Counted` turns
        into the output offset at that point (they are not written).
        """
        connections = (self._connection(cid, previous, rendered, whole) for cid in self._opened)
        external = _EventList(self, None, previous, rendered)
        yield from writer.cassette_chunks(connections, external, version=self._version)

    def _connection(
        self,
        cid: str,
        previous: _Previous,
        rendered: dict[str | None, _Rendered],
        whole: dict[str, _Rendered],
    ) -> writer.Connection:
        """How the writer gets connection ``cid``: copied whole, or its header and events."""
        if previous.fd is not None and cid in self._whole:
            return _Copied(previous, self._whole[cid], whole, cid)
        events = _EventList(self, cid, previous, rendered)
        if cid in self._closed:
            return _Tracked(self._header(cid), events, whole, cid)
        return self._header(cid), events


class _Mark:
    """A position in the output that :class:`_Counted` reports to ``sink``."""

    __slots__ = ("sink",)

    def __init__(self, sink: list[int]) -> None:
        self.sink = sink


class _Counted:
    """Chunks with their output offsets: passes bytes on, resolves marks."""

    def __init__(self, chunks: Iterator[Any]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        offset = 0
        for chunk in self._chunks:
            if isinstance(chunk, _Mark):
                chunk.sink.append(offset)
                continue
            offset += len(chunk)
            yield chunk


class _Previous:
    """The previous cassette's file descriptor (or None), closed on exit."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    def __enter__(self) -> _Previous:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)

    def copy(self, offset: int, length: int) -> Iterator[bytes]:
        """``length`` bytes of the previous cassette from ``offset``, in bounded pieces."""
        assert self.fd is not None
        while length > 0:
            piece = os.pread(self.fd, min(length, _COPY_CHUNK), offset)
            if not piece:
                raise CassetteFormatError(None, "the previous cassette ended early")
            offset += len(piece)
            length -= len(piece)
            yield piece


class _EventList(writer.EventList):
    """A connection's events for the writer: the rendered ones copied, the new ones rendered."""

    def __init__(
        self,
        compiler: JournalCompiler,
        key: str | None,
        previous: _Previous,
        rendered: dict[str | None, _Rendered],
    ) -> None:
        self._compiler = compiler
        self._key = key
        self._previous = previous
        self._rendered = rendered

    def body(self, separator: bytes, render: writer.Render) -> Iterator[Any]:
        """The array's items joined by ``separator``; marks where they start and end."""
        total = len(self._compiler._offsets[self._key])
        if total == 0:
            return
        before = self._compiler._rendered.get(self._key)
        start: list[int] = []
        end: list[int] = []
        yield _Mark(start)
        done = 0
        if before is not None and self._previous.fd is not None and before.count <= total:
            yield from self._previous.copy(before.offset, before.length)
            done = before.count
        for index, event in enumerate(self._compiler._events_of(self._key, done), done):
            yield (separator if index else b"") + render(event)
        yield _Mark(end)
        # Marks resolve as the chunks are consumed, before this line runs.
        self._rendered[self._key] = _Rendered(start[0], end[0] - start[0], total)


class _Copied(writer.Prerendered):
    """A closed, unchanged connection: its bytes copied from the previous cassette."""

    def __init__(
        self, previous: _Previous, span: _Rendered, whole: dict[str, _Rendered], cid: str
    ) -> None:
        self._previous = previous
        self._span = span
        self._whole = whole
        self._cid = cid

    def chunks(self) -> Iterator[Any]:
        start: list[int] = []
        yield _Mark(start)
        yield from self._previous.copy(self._span.offset, self._span.length)
        self._whole[self._cid] = _Rendered(start[0], self._span.length, self._span.count)


class _Tracked(writer.Prerendered):
    """A closed connection rendered now, whose place is kept for copying next time."""

    def __init__(
        self,
        header: dict[str, Any],
        events: _EventList,
        whole: dict[str, _Rendered],
        cid: str,
    ) -> None:
        self._header = header
        self._events = events
        self._whole = whole
        self._cid = cid

    def chunks(self) -> Iterator[Any]:
        start: list[int] = []
        end: list[int] = []
        yield _Mark(start)
        yield from writer.connection_chunks(self._header, self._events)
        yield _Mark(end)
        self._whole[self._cid] = _Rendered(start[0], end[0] - start[0], 0)


def outcome(result: CompileResult, cassette: Path) -> str:
    """What a final compile did, for the line a stopping server prints."""
    if not result.written:
        kept = f" ({cassette} is as it was)" if cassette.exists() else ""
        return f"nothing was recorded: no cassette written{kept}"
    unclosed = f", {len(result.unclosed)} never closed" if result.unclosed else ""
    return f"wrote {cassette} ({result.connections} connections{unclosed}, {result.events} events)"


def compile_journal(journal: Path, cassette: Path, *, durable: bool = False) -> CompileResult:
    """Write the cassette that ``journal`` describes to ``cassette``, atomically (one shot).

    Memory stays small whatever the journal's size: only byte offsets are held,
    and events are read back one at a time as the cassette is written.
    """
    return JournalCompiler(journal, cassette).compile(durable=durable)

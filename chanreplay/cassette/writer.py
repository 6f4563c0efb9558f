"""Writes cassettes in their one canonical form, atomically.

The canonical form is the cassette's JSON with keys sorted and two-space
indentation, one value per line: the same session always gives the same
bytes, and a changed field changes one line. :func:`write_stream` produces
exactly what :func:`dumps` produces for the whole document, but one event at a
time, so compiling a long recording never holds it all in memory.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from chanreplay.cassette.model import FORMAT, VERSION, Cassette, Event

__all__ = [
    "Connection",
    "EventList",
    "Prerendered",
    "Render",
    "cassette_chunks",
    "connection_chunks",
    "dumps",
    "write",
    "write_chunks",
    "write_stream",
]

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def dumps(cassette: Cassette) -> bytes:
    """The canonical bytes of ``cassette``."""
    return orjson.dumps(cassette.to_json(), option=_OPTIONS) + b"\n"


def write(cassette: Cassette, path: Path) -> None:
    """Write ``cassette`` to ``path`` atomically (readers see the old or the new file)."""
    _atomic_write(path, [dumps(cassette)])


def write_stream(
    path: Path,
    connections: Iterable[Connection],
    external: Iterable[Event] | EventList,
    *,
    durable: bool = False,
) -> None:
    """Write a cassette given as (connection header, events) pairs, atomically.

    ``durable`` also flushes the file to stable storage before it replaces the
    old one (worth its cost only for the final write of a recording).
    """
    write_chunks(path, cassette_chunks(connections, external), durable=durable)


def write_chunks(path: Path, chunks: Iterable[bytes], *, durable: bool = False) -> None:
    """Write the bytes ``chunks`` (from :func:`cassette_chunks`) to ``path``, atomically."""
    _atomic_write(path, chunks, durable=durable)


Render = Callable[[Event], bytes]
"""Turns one event into its canonical bytes at the depth of the array being written."""


class EventList:
    """The events of one array, as the writer asks for them.

    The writer calls :meth:`body` with the separator between items and the
    function that renders one event. Override it to supply the items another
    way (the incremental compiler copies items it rendered before). Chunks
    that are not bytes are passed through to the consumer of
    :func:`cassette_chunks` untouched: markers it may use to learn offsets.
    """

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self._events = events

    def body(self, separator: bytes, render: Render) -> Iterator[Any]:
        """The rendered items joined by ``separator`` (nothing for no items)."""
        first = True
        for event in self._events:
            yield render(event) if first else separator + render(event)
            first = False


class Prerendered:
    """A connection object supplied as its rendered chunks rather than header and events."""

    def chunks(self) -> Iterator[Any]:
        """The connection object's bytes (and any markers), exactly as the writer renders it."""
        raise NotImplementedError


Connection = tuple[dict[str, Any], "Iterable[Event] | EventList"] | Prerendered
"""One connection for :func:`cassette_chunks`: (header, events), or already rendered."""


def _indented(value: Any, depth: int) -> bytes:
    data = orjson.dumps(value, option=_OPTIONS)
    # JSON strings never hold a raw newline, so every newline is layout.
    return data.replace(b"\n", b"\n" + b"  " * depth)


def _array(events: Iterable[Event] | EventList, depth: int) -> Iterator[Any]:
    """Chunks of a JSON array of events at ``depth``."""
    items = events if isinstance(events, EventList) else EventList(events)
    pad = b"  " * (depth + 1)
    yield b"["
    empty = True
    for chunk in items.body(b",\n" + pad, lambda event: _indented(event, depth + 1)):
        if empty:
            yield b"\n" + pad
            empty = False
        yield chunk
    yield b"]" if empty else b"\n" + b"  " * depth + b"]"


def connection_chunks(header: dict[str, Any], events: Iterable[Event] | EventList) -> Iterator[Any]:
    """Chunks of one connection object, its events rendered one at a time."""
    pad = b"      "
    yield b"{"
    members = sorted({**header, "events": None}.items())
    for index, (key, value) in enumerate(members):
        yield b"\n" + pad + orjson.dumps(key) + b": "
        if key == "events":
            yield from _array(events, 3)
        else:
            yield _indented(value, 3)
        if index < len(members) - 1:
            yield b","
    yield b"\n    }"


def cassette_chunks(
    connections: Iterable[Connection],
    external: Iterable[Event] | EventList,
    *,
    version: int = VERSION,
) -> Iterator[Any]:
    """The canonical bytes of a cassette, in chunks (plus any markers its event lists yield)."""
    yield b'{\n  "connections": '
    first = True
    for connection in connections:
        yield (b"[\n" if first else b",\n") + b"    "
        if isinstance(connection, Prerendered):
            yield from connection.chunks()
        else:
            yield from connection_chunks(*connection)
        first = False
    yield b"[]" if first else b"\n  ]"
    yield b',\n  "external": '
    yield from _array(external, 1)
    yield b',\n  "format": ' + orjson.dumps(FORMAT)
    yield b',\n  "version": ' + orjson.dumps(version) + b"\n}\n"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# Read once: setting the umask to read it is not thread-safe.
_UMASK = _umask()


def _mode(path: Path) -> int:
    """The permissions to give ``path``: its current ones, or what ``open`` would give."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def _atomic_write(path: Path, chunks: Iterable[bytes], *, durable: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[bytes]
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file readable by its owner only; a cassette is
        # meant to be shared (committed, read by a container's host user).
        os.fchmod(fd, _mode(path))
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

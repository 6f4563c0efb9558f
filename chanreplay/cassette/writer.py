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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from chanreplay.cassette.model import FORMAT, VERSION, Cassette, Event

__all__ = ["dumps", "write", "write_stream"]

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def dumps(cassette: Cassette) -> bytes:
    """The canonical bytes of ``cassette``."""
    return orjson.dumps(cassette.to_json(), option=_OPTIONS) + b"\n"


def write(cassette: Cassette, path: Path) -> None:
    """Write ``cassette`` to ``path`` atomically (readers see the old or the new file)."""
    _atomic_write(path, [dumps(cassette)])


def write_stream(
    path: Path,
    connections: Iterable[tuple[dict[str, Any], Iterable[Event]]],
    external: Iterable[Event],
    *,
    durable: bool = False,
) -> None:
    """Write a cassette given as (connection header, events) pairs, atomically.

    ``durable`` also flushes the file to stable storage before it replaces the
    old one (worth its cost only for the final write of a recording).
    """
    _atomic_write(path, _chunks(connections, external), durable=durable)


def _indented(value: Any, depth: int) -> bytes:
    data = orjson.dumps(value, option=_OPTIONS)
    # JSON strings never hold a raw newline, so every newline is layout.
    return data.replace(b"\n", b"\n" + b"  " * depth)


def _array(items: Iterable[Any], depth: int, render: Any) -> Iterator[bytes]:
    """Chunks of a JSON array at ``depth`` whose items ``render`` turns into bytes."""
    pad = b"  " * (depth + 1)
    first = True
    for item in items:
        yield (b"[\n" if first else b",\n") + pad + render(item)
        first = False
    yield b"[]" if first else b"\n" + b"  " * depth + b"]"


def _connection(pair: tuple[dict[str, Any], Iterable[Event]]) -> Iterator[bytes]:
    """Chunks of one connection object, its events rendered one at a time."""
    header, events = pair
    pad = b"      "
    yield b"{"
    members = sorted({**header, "events": None}.items())
    for index, (key, value) in enumerate(members):
        yield b"\n" + pad + orjson.dumps(key) + b": "
        if key == "events":
            yield from _array(events, 3, lambda e: _indented(e, 4))
        else:
            yield _indented(value, 3)
        if index < len(members) - 1:
            yield b","
    yield b"\n    }"


def _chunks(
    connections: Iterable[tuple[dict[str, Any], Iterable[Event]]], external: Iterable[Event]
) -> Iterator[bytes]:
    yield b'{\n  "connections": '
    first = True
    for pair in connections:
        yield (b"[\n" if first else b",\n") + b"    "
        yield from _connection(pair)
        first = False
    yield b"[]" if first else b"\n  ]"
    yield b',\n  "external": '
    yield from _array(external, 1, lambda e: _indented(e, 2))
    yield b',\n  "format": ' + orjson.dumps(FORMAT)
    yield b',\n  "version": ' + orjson.dumps(VERSION) + b"\n}\n"


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

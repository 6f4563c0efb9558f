"""Journal lines whose serialisation waits for the next batch: websocket frames.

A recording server records each websocket frame on its event loop, between
the server's own work for the same message: parsing the frame, routing it,
running the consumer, framing the reply. That work fills the CPU's caches
with the server's code and data, so serialising the frame on the spot runs
cold: in a ``runserver`` echo it took about 9 us for a small JSON text frame
that takes 1.6 us in a loop. The recorder therefore queues a frame as its
parts (all immutable: ``bytes`` and ``str``) and the journal thread
serialises the whole batch at once, every 50 ms, with the serialiser's code
warm: :func:`render_batch`. The bytes written are the same as when the frame
is serialised at once.

Only frames that cannot fail to serialise are queued this way (binary
frames, and text that is ASCII, which CPython knows without looking at it):
a frame JSON cannot hold must still raise where it is recorded.

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

from typing import TypeAlias

from chanreplay.cassette.asgi import dumps_frame_parts

__all__ = ["DeferredFrame", "JournalLine", "render_batch", "render_line"]

DeferredFrame: TypeAlias = tuple[bytes, bytes, bytes, str | bytes, int]
"""A websocket frame event not yet serialised.

``(owner, direction, kind, payload, step)``: the connection as it appears in
journal lines (``b'"c1"'``), ``b"in"`` or ``b"out"``, the frame's type
serialised, its text or bytes, and its step.
"""

JournalLine: TypeAlias = bytes | DeferredFrame
"""What a recording hands its journal sink: a complete line, or a frame to serialise."""

_FRAME_LINE = b'{"k":"ev","c":%b,"e":{"dir":"%b","message":%b,"step":%d}}\n'
"""The journal line of a frame event (the same bytes as an event serialised at once)."""


def render_line(line: JournalLine) -> bytes:
    """``line`` as the bytes the journal holds."""
    if isinstance(line, bytes):
        return line
    owner, direction, kind, payload, step = line
    return _FRAME_LINE % (owner, direction, dumps_frame_parts(kind, payload), step)


def render_batch(batch: list[JournalLine]) -> bytes:
    """The lines of ``batch`` as one run of journal bytes, in order."""
    return b"".join([render_line(line) for line in batch])

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

Where the journal is written by a child process (the writer process), the
recording process does not serialise frames at all: it hands each one over
as it is, a short header and the payload's bytes (:func:`stream_batch`), and
the writer renders it (:class:`StreamReader`), on its own core. Serialising
a text frame that holds JSON means parsing it, which cost a recording
server more per echo than everything else it records together.

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

from typing import TypeAlias

from chanreplay.cassette.asgi import dumps_frame_parts
from chanreplay.recorder.cleaning import find_marked

__all__ = [
    "DeferredFrame",
    "JournalLine",
    "StreamReader",
    "render_batch",
    "render_line",
    "request_record",
    "stream_batch",
]

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
    try:
        # A batch of complete lines only (channel-layer traffic) is joined as it
        # is: a Python call per line would cost this process more than the join.
        return b"".join(batch)  # type: ignore[arg-type]
    except TypeError:  # frames to serialise (join stops at the first)
        return b"".join([line if isinstance(line, bytes) else render_line(line) for line in batch])


# -- handing frames over to the writer process as they are ------------------------------

_RAW = b"#"
"""How a record of the stream to the writer process starts that is no journal line:
a frame (``t``, ``b``) or a request (``q``). No journal line, control line or
request starts so."""
_RAW_HEAD = b"#%d %b %b %d %b %b\n"
"""``#LENGTH t|b DIRECTION STEP KIND OWNER``, then the payload's bytes and ``\n``."""


def _raw(frame: DeferredFrame) -> tuple[bytes, bytes, bytes]:
    """The parts of ``frame``'s record (its payload not copied again to join them)."""
    owner, direction, kind, payload, step = frame
    if type(payload) is str:
        data = payload.encode()  # ASCII (see the module docstring): never fails
        form = b"t"
    else:
        data = payload  # type: ignore[assignment]
        form = b"b"
    return _RAW_HEAD % (len(data), form, direction, step, kind, owner), data, b"\n"


def request_record(request: bytes) -> bytes:
    """A request to the writer process (``?soon``, ``?flush 3``) as a record of the stream:
    the writer finds it without searching every line for it."""
    return b"#%d q\n%b\n" % (len(request), request)


def stream_batch(batch: list[JournalLine]) -> bytes:
    """The lines of ``batch`` as the stream to the writer process: complete lines as
    they are, each frame as a raw one (read back by :class:`StreamReader`), in order."""
    try:
        return b"".join(batch)  # type: ignore[arg-type]
    except TypeError:  # frames (join stops at the first)
        parts: list[bytes] = []
        for line in batch:
            if isinstance(line, bytes):
                parts.append(line)
            else:
                parts += _raw(line)
        return b"".join(parts)


class StreamReader:
    """Reads the stream :func:`stream_batch` makes, in pieces as they arrive.

    Each call returns what the pieces so far complete, in order, as
    ``(request, part)``: runs of whole journal lines, frames rendered
    (:func:`render_line`: the same bytes :func:`render_batch` gives of the
    same lines), and each request (:func:`request_record`) on its own. What
    is incomplete is kept for the next piece; a stream that ends there (the
    recording process died writing) loses only that.
    """

    def __init__(self) -> None:
        self.pending = b""
        """The start of a line or record whose end has not come yet."""

    def feed(self, chunk: bytes) -> list[tuple[bool, bytes]]:
        """What ``chunk`` completes (with what came before it), in order."""
        data = self.pending + chunk if self.pending else chunk
        size = len(data)
        parts: list[tuple[bool, bytes]] = []
        lines: list[bytes] = []
        done = 0
        while done < size:
            if data.startswith(_RAW, done):
                head = data.find(b"\n", done)
                if head < 0:
                    break
                fields = data[done + 1 : head].split(b" ", 5)
                end = head + 1 + int(fields[0])
                if end >= size:  # the payload and its closing newline
                    break
                payload = data[head + 1 : end]
                done = end + 1
                if fields[1] == b"q":
                    if lines:
                        parts.append((False, b"".join(lines)))
                        lines = []
                    parts.append((True, payload))
                    continue
                _, form, direction, step, kind, owner = fields
                text: str | bytes = payload.decode() if form == b"t" else payload
                lines.append(render_line((owner, direction, kind, text, int(step))))
                continue
            # Journal lines hold no raw newline: a record only starts after one.
            start = find_marked(data, _RAW, done)
            if start < 0:
                end = data.rfind(b"\n", done) + 1
                if end:
                    lines.append(data[done:end])
                    done = end
                break
            lines.append(data[done:start])
            done = start
        if lines:
            parts.append((False, b"".join(lines)))
        self.pending = data[done:]
        return parts

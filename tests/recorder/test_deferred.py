"""Tests of chanreplay.recorder.deferred: frames serialised with their batch."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from chanreplay.cassette.asgi import encode_message, frame_parts
from chanreplay.cassette.redaction import Redactor
from chanreplay.recorder.deferred import (
    DeferredFrame,
    JournalLine,
    StreamReader,
    render_batch,
    render_line,
    request_record,
    stream_batch,
)

# JSON text frames (structure) as well as plain text; no lone surrogates
# (the recorder serialises those at once, to raise where they are sent).
texts = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"])),
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    ).map(lambda value: orjson.dumps(value).decode()),
)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(["websocket.receive", "websocket.send"])}
).flatmap(
    lambda base: st.one_of(
        st.builds(lambda text: {**base, "text": text}, texts),
        st.builds(lambda data: {**base, "bytes": data}, st.binary()),
    )
)


def deferred(message: dict[str, object], direction: bytes, step: int) -> DeferredFrame:
    parts = frame_parts(message)
    assert parts is not None
    return (b'"c1"', direction, parts[0], parts[1], step)


def serialised_at_once(message: dict[str, object], direction: str, step: int) -> bytes:
    """The journal line of the event, by the general encoder."""
    event = {"dir": direction, "message": encode_message(message, Redactor()), "step": step}
    return b'{"k":"ev","c":"c1","e":%b}\n' % orjson.dumps(event)


@given(frames, st.sampled_from(["in", "out"]), st.integers(1, 10**9))
def test_a_deferred_frame_renders_as_the_event_serialised_at_once(
    message: dict[str, object], direction: str, step: int
) -> None:
    """Deferring changes when a frame is serialised, never the bytes written."""
    line = deferred(message, direction.encode(), step)
    assert render_line(line) == serialised_at_once(message, direction, step)


def test_a_batch_keeps_its_order_and_passes_complete_lines_through() -> None:
    """Lines already serialised (opens, layer events, control lines) stay as they are, in place."""
    first = {"type": "websocket.receive", "text": '{"a": 1}'}
    second = {"type": "websocket.send", "bytes": b"\x00\xff"}
    batch: list[JournalLine] = [
        b'{"k":"open","c":"c1"}\n',
        deferred(first, b"in", 2),
        b"!learn secret\n",
        deferred(second, b"out", 2),
    ]
    assert render_batch(batch) == b"".join(
        [
            b'{"k":"open","c":"c1"}\n',
            serialised_at_once(first, "in", 2),
            b"!learn secret\n",
            serialised_at_once(second, "out", 2),
        ]
    )
    assert render_line(b"!learn secret\n") == b"!learn secret\n"


@given(
    st.lists(
        st.one_of(
            st.builds(deferred, frames, st.sampled_from([b"in", b"out"]), st.integers(1, 10**9)),
            st.sampled_from([b'{"k":"open","c":"c1","t":"#a\\n#b"}\n', b"!learn secret\n"]),
            st.sampled_from([b"?soon", b"?flush 3"]).map(request_record),
        ),
        max_size=12,
    ),
    st.data(),
)
def test_the_stream_to_the_writer_renders_as_the_batch_in_any_pieces(
    batch: list[JournalLine], data: st.DataObject
) -> None:
    """Frames handed to the writer process as they are come out as render_batch's bytes,
    requests on their own and in their place, however the pipe cuts the stream;
    what is incomplete waits for the rest."""
    stream = stream_batch(batch)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(stream)), max_size=8)))
    reader = StreamReader()
    pieces = [
        stream[start:end] for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True)
    ]
    read = [part for piece in pieces for part in reader.feed(piece)]
    assert reader.pending == b""
    expected = [
        (True, line.split(b"\n")[1])  # a request record
        if isinstance(line, bytes) and line.startswith(b"#")
        else (False, render_line(line))
        for line in batch
    ]
    assert _joined(read) == _joined(expected)


def _joined(parts: list[tuple[bool, bytes]]) -> list[tuple[bool, bytes]]:
    """``parts`` with neighbouring runs of lines joined (where a stream is cut does not matter)."""
    joined: list[tuple[bool, bytes]] = []
    for request, part in parts:
        if not request and joined and not joined[-1][0]:
            joined[-1] = (False, joined[-1][1] + part)
        elif request or part:
            joined.append((request, part))
    return joined


def test_a_frame_cut_short_by_a_dead_recording_is_held_back_not_written() -> None:
    """A frame whose payload (or its end) never came is no line: it stays pending."""
    frame = deferred({"type": "websocket.receive", "text": "a\n#b"}, b"in", 7)
    stream = stream_batch([b'{"k":"open","c":"c1"}\n', frame])
    reader = StreamReader()
    assert reader.feed(stream[:-1]) == [(False, b'{"k":"open","c":"c1"}\n')]
    assert reader.feed(stream[-1:]) == [(False, render_line(frame))]
    assert reader.feed(b"") == []

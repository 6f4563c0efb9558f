"""The proxy's frame reader, fed frames that the websockets library wrote."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Close as WsClose
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from chanreplay.exceptions import FrameError
from chanreplay.proxy.frames import Close, FrameReader, close_frame


def frame(opcode: Opcode, data: bytes, *, fin: bool = True, mask: bool = True) -> bytes:
    return Frame(opcode, data, fin=fin).serialize(mask=mask)


def read(*chunks: bytes) -> list[object]:
    reader = FrameReader()
    return [message for chunk in chunks for message in reader.feed(chunk)]


@pytest.mark.parametrize("mask", [True, False], ids=["from a client", "from a server"])
def test_text_and_binary_messages(mask: bool) -> None:
    data = frame(Opcode.TEXT, "héllo".encode(), mask=mask) + frame(
        Opcode.BINARY, b"\x00\xff", mask=mask
    )
    assert read(data) == ["héllo", b"\x00\xff"]


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 1 << 20])
def test_every_length_encoding(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert read(frame(Opcode.BINARY, payload)) == [payload]


@given(
    messages=st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
)
def test_any_chunking_gives_the_same_messages(messages: list[bytes], cuts: list[int]) -> None:
    """TCP splits and joins frames anywhere: the messages do not depend on where."""
    data = b"".join(frame(Opcode.BINARY, m) for m in messages)
    points = sorted({min(cut, len(data)) for cut in cuts} | {0, len(data)})
    chunks = [data[a:b] for a, b in itertools.pairwise(points)]
    assert read(*chunks) == messages


def test_byte_by_byte() -> None:
    data = frame(Opcode.TEXT, b"x" * 70_000) + frame(Opcode.TEXT, b"next")
    reader = FrameReader()
    got = [m for i in range(len(data)) for m in reader.feed(data[i : i + 1])]
    assert got == ["x" * 70_000, "next"]


def test_fragments_join_and_control_frames_between_them_pass() -> None:
    data = (
        frame(Opcode.TEXT, b"hel", fin=False)
        + frame(Opcode.PING, b"are you there")
        + frame(Opcode.CONT, b"lo ", fin=False)
        + frame(Opcode.PONG, b"")
        + frame(Opcode.CONT, b"world")
    )
    assert read(data) == ["hello world"]


def test_close_frames_give_code_and_reason() -> None:
    with_reason = WsClose(4000, "bye now").serialize()
    assert read(frame(Opcode.CLOSE, with_reason)) == [Close(4000, "bye now")]
    assert read(frame(Opcode.CLOSE, b"")) == [Close(1005, "")]


@pytest.mark.parametrize("mask", [None, b"\x01\x02\x03\x04"], ids=["a server's", "a client's"])
def test_close_frame_is_what_websockets_reads(mask: bytes | None) -> None:
    stream = StreamReader()
    stream.feed_data(close_frame(1001, "going away", mask=mask))
    parser = Frame.parse(stream.read_exact, mask=mask is not None)
    with pytest.raises(StopIteration) as done:
        next(parser)
    parsed = done.value.value
    assert WsClose.parse(parsed.data) == WsClose(1001, "going away")


@pytest.mark.parametrize("no_context_takeover", [False, True])
def test_compressed_messages_inflate(no_context_takeover: bool) -> None:
    """permessage-deflate as the websockets library writes it, with and without context takeover."""
    deflate = PerMessageDeflate(
        remote_no_context_takeover=False,
        local_no_context_takeover=no_context_takeover,
        remote_max_window_bits=15,
        local_max_window_bits=15,
    )
    texts = ["the same words again " * 20, "the same words again " * 20, "and new ones"]
    data = b"".join(
        Frame(Opcode.TEXT, t.encode()).serialize(mask=True, extensions=[deflate]) for t in texts
    )
    assert data.count(b"the same") == 0  # compressed on the wire
    assert read(data) == texts


def test_a_compressed_fragmented_message() -> None:
    deflate = PerMessageDeflate(False, False, 15, 15)
    first = Frame(Opcode.BINARY, b"abc" * 100, fin=False)
    rest = Frame(Opcode.CONT, b"def" * 100)
    data = first.serialize(mask=True, extensions=[deflate]) + rest.serialize(
        mask=True, extensions=[deflate]
    )
    assert read(data) == [b"abc" * 100 + b"def" * 100]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (frame(Opcode.TEXT, b"\xff\xfe"), "not UTF-8"),
        (frame(Opcode.CONT, b"orphan"), "no message to continue"),
        (bytes((0xC2, 0x03)) + b"\xff" * 3, "does not inflate"),  # RSV1, block type 3
    ],
    ids=["invalid UTF-8", "orphan continuation", "bad deflate"],
)
def test_what_cannot_be_read_is_a_frame_error(data: bytes, problem: str) -> None:
    with pytest.raises(FrameError, match=problem):
        read(data)

"""Websocket frames read off the bytes that cross the capture proxy (RFC 6455, RFC 7692).

The proxy forwards a websocket's bytes as they come and reads them only for
the record, after they are on their way: nothing here rewrites a frame. A
:class:`FrameReader` reads one direction of one connection. It unmasks,
joins fragmented messages, inflates ``permessage-deflate`` messages (the
client and the server negotiated it end to end; the reader only follows),
and yields the messages an ASGI application would have seen: text (a
``str``), bytes and the close frame (a :class:`Close`). Pings and pongs
cross the proxy but are not ASGI messages, so they are not yielded.

This module is pure: it imports neither Django, Channels nor aiohttp.
"""

from __future__ import annotations

import zlib
from typing import NamedTuple, TypeAlias

from chanreplay.exceptions import FrameError

try:
    from websockets.speedups import apply_mask
except ImportError:  # websockets built without its C extension
    from websockets.utils import apply_mask

__all__ = ["Close", "FrameReader", "Message", "close_frame"]


class Close(NamedTuple):
    """A close frame's code (1005 when it gives none) and reason."""

    code: int
    reason: str


Message: TypeAlias = str | bytes | Close
"""A text message, a binary one, or a close frame."""

_TEXT, _BINARY, _CLOSE = 0x1, 0x2, 0x8
_NO_STATUS = 1005
"""The code of a close frame that gives none (RFC 6455 7.4.1)."""
_DEFLATE_TAIL = b"\x00\x00\xff\xff"
"""What a sender strips from each compressed message (RFC 7692 7.2.1)."""


class FrameReader:
    """Reads the frames of one direction of a websocket, fed the bytes as they arrive."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._need = 2
        """Bytes :attr:`_buffer` must hold before the next frame can be complete."""
        self._opcode = 0
        """Of the message being read (its first frame's)."""
        self._compressed = False
        self._fragments: list[bytes] = []
        self._inflater: zlib._Decompress | None = None

    def feed(self, data: bytes) -> list[Message]:
        """Read ``data``; return the messages it completes, in order.

        Payloads are read through a memoryview and copied once, into the
        message (unmasked, decoded) they make, not first sliced out.
        """
        buffer = self._buffer
        if buffer:
            buffer += data
            if len(buffer) < self._need:
                return []
            data = bytes(buffer)
            buffer.clear()
        messages: list[Message] = []
        pos, end = 0, len(data)
        self._need = 2
        with memoryview(data) as view:
            while end - pos >= 2:
                second = data[pos + 1]
                length = second & 0x7F
                start = pos + 2
                if length >= 126:
                    start += 2 if length == 126 else 8
                    if start > end:
                        self._need = start - pos
                        break
                    length = int.from_bytes(data[pos + 2 : start], "big")
                masked = second & 0x80
                if masked:
                    start += 4
                stop = start + length
                if stop > end:
                    self._need = stop - pos
                    break
                payload: bytes | memoryview = view[start:stop]
                if masked:
                    payload = apply_mask(payload, data[start - 4 : start])
                self._frame(data[pos], payload, messages)
                pos = stop
            if pos < end:
                buffer += view[pos:]
        return messages

    def _frame(self, first: int, payload: bytes | memoryview, messages: list[Message]) -> None:
        opcode = first & 0x0F
        if opcode >= _CLOSE:  # a control frame: never fragmented, never compressed
            if opcode == _CLOSE:
                messages.append(_close(bytes(payload)))
            return
        if opcode:  # the first frame of a message
            self._opcode = opcode
            self._compressed = bool(first & 0x40)  # RSV1: permessage-deflate
            self._fragments = []
        elif not self._opcode:
            raise FrameError("a continuation frame with no message to continue")
        if not first & 0x80:  # FIN unset: more fragments follow
            self._fragments.append(bytes(payload))
            return
        if self._fragments:
            self._fragments.append(bytes(payload))
            payload = b"".join(self._fragments)
            self._fragments = []
        opcode, self._opcode = self._opcode, 0
        if self._compressed:
            payload = self._inflate(payload)
        if opcode == _TEXT:
            try:
                messages.append(str(payload, "utf-8"))
            except UnicodeDecodeError as error:
                # The server fails such a connection (1007): the client sent no text.
                raise FrameError(f"a text message that is not UTF-8 ({error.reason})") from None
        elif opcode == _BINARY:
            messages.append(bytes(payload))

    def _inflate(self, payload: bytes | memoryview) -> bytes:
        # One inflater per direction keeps the sliding window that context
        # takeover relies on; a sender without it starts afresh each message,
        # which the same inflater reads just as well.
        if self._inflater is None:
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            data = self._inflater.decompress(bytes(payload) + _DEFLATE_TAIL)
        except zlib.error as error:
            raise FrameError(f"a compressed message that does not inflate ({error})") from None
        if self._inflater.eof:  # the sender ended its deflate stream: the next starts anew
            self._inflater = None
        return data


def _close(payload: bytes) -> Close:
    if len(payload) < 2:
        return Close(_NO_STATUS, "")
    return Close(int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8", "replace"))


def close_frame(code: int, reason: str = "", *, mask: bytes | None = None) -> bytes:
    """A close frame with ``code`` and ``reason``: a server's, or with ``mask`` a client's."""
    payload = code.to_bytes(2, "big") + reason.encode()[:123]
    if mask is None:
        return bytes((0x88, len(payload))) + payload
    return bytes((0x88, 0x80 | len(payload))) + mask + apply_mask(payload, mask)

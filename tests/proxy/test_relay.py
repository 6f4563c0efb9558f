"""The proxy's websocket relay, in-process: a websockets server behind, raw sockets in front."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode

from chanreplay.cassette import load
from chanreplay.proxy.frames import close_frame
from chanreplay.proxy.relay import HandshakeError, WebsocketRelay, _parse_head, upgrade_request
from chanreplay.proxy.server import CaptureProxy
from chanreplay.recorder.recording import Recording


def test_the_handshake_goes_upstream_as_it_came_but_for_hop_by_hop_headers() -> None:
    request = upgrade_request(
        "/ws/echo/?room=1",
        [
            (b"Host", b"127.0.0.1:8001"),
            (b"Connection", b"keep-alive, Upgrade"),
            (b"Upgrade", b"WebSocket"),
            (b"Keep-Alive", b"300"),
            (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
            (b"Sec-WebSocket-Extensions", b"permessage-deflate"),
            (b"Cookie", b"a=1"),
            (b"Cookie", b"b=2"),
        ],
    )
    assert request == (
        b"GET /ws/echo/?room=1 HTTP/1.1\r\n"
        b"Host: 127.0.0.1:8001\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
        b"Cookie: a=1\r\n"
        b"Cookie: b=2\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n\r\n"
    )


def test_the_upstreams_answer_is_read() -> None:
    answer = _parse_head(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Protocol: echo.v1\r\n\r\n"
    )
    assert (answer.status, answer.subprotocol) == (101, "echo.v1")
    assert _parse_head(b"HTTP/1.1 403 Forbidden\r\n\r\n").subprotocol is None
    with pytest.raises(HandshakeError, match="not an HTTP status line"):
        _parse_head(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")


async def _echo(ws: ServerConnection) -> None:
    with contextlib.suppress(ConnectionClosed):  # it fails a client that sends invalid text
        async for message in ws:
            await ws.send(message)


@contextlib.asynccontextmanager
async def _recording_proxy(
    upstream: int, tmp_path: Path
) -> AsyncIterator[tuple[int, Recording, web.AppRunner]]:
    """A recording proxy in this event loop, in front of ``upstream``."""
    recording = Recording("relay", cassette_dir=tmp_path, writer_process=False)
    recording.start()
    runner = web.AppRunner(CaptureProxy(f"http://127.0.0.1:{upstream}", recording).application())
    await runner.setup()
    listening = socket.create_server(("127.0.0.1", 0))
    await web.SockSite(runner, listening).start()
    try:
        yield listening.getsockname()[1], recording, runner
    finally:
        await runner.cleanup()
        recording.stop()


@pytest.fixture
async def proxy(tmp_path: Path) -> AsyncIterator[tuple[int, Recording, web.AppRunner]]:
    """A recording proxy in front of a websockets echo server."""
    async with serve(_echo, "127.0.0.1", 0) as upstream:
        port = upstream.sockets[0].getsockname()[1]
        async with _recording_proxy(port, tmp_path) as proxy:
            yield proxy


async def _handshake(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16))
    writer.write(
        b"GET /raw HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    return reader, writer


def _events(recording: Recording) -> list[dict[str, Any]]:
    recording.stop()
    [connection] = load(recording.cassette_path).connections
    return [e["message"] for e in connection.events]


async def test_chunks_split_anywhere_are_recorded_as_whole_messages(
    proxy: tuple[int, Recording, web.AppRunner],
) -> None:
    port, recording, runner = proxy
    reader, writer = await _handshake(port)
    data = Frame(Opcode.TEXT, b"split across three writes").serialize(mask=True)
    for part in (data[:1], data[1:9], data[9:]):
        writer.write(part)
        await writer.drain()
        await asyncio.sleep(0.05)
    reply = await reader.readexactly(2 + len(b"split across three writes"))
    assert reply.endswith(b"split across three writes")
    writer.write(Frame(Opcode.CLOSE, b"\x03\xe8").serialize(mask=True))
    await reader.read()  # the server's close, then the end of the connection
    writer.close()
    server = runner.server
    assert server is not None

    async def forgotten() -> None:  # aiohttp learns that the relayed connection is gone
        while server.connections:  # noqa: ASYNC110  (aiohttp offers no event for it)
            await asyncio.sleep(0.01)

    await asyncio.wait_for(forgotten(), 30)
    assert _events(recording)[2:] == [
        {"type": "websocket.receive", "text": "split across three writes"},
        {"type": "websocket.send", "text": "split across three writes"},
        {"type": "websocket.disconnect", "code": 1000},
    ]


async def test_what_is_not_a_frame_still_crosses_and_stops_the_recording(
    proxy: tuple[int, Recording, web.AppRunner], caplog: pytest.LogCaptureFixture
) -> None:
    port, recording, _ = proxy
    reader, writer = await _handshake(port)
    writer.write(Frame(Opcode.TEXT, b"fine").serialize(mask=True))
    assert (await reader.readexactly(6))[2:] == b"fine"
    with caplog.at_level(logging.WARNING, logger="chanreplay.proxy"):
        writer.write(Frame(Opcode.TEXT, b"\xff not utf-8").serialize(mask=True))
        answer = await reader.read()  # the server fails the connection itself
    writer.close()
    assert (answer[0], answer[2:4]) == (0x88, b"\x03\xef")  # its close reached the client: 1007
    assert "stopped recording websocket c1: the client sent a text message" in caplog.text
    assert _events(recording) == [
        {"type": "websocket.connect"},
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.receive", "text": "fine"},
        {"type": "websocket.send", "text": "fine"},
    ]


async def _speak_and_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A server that answers the handshake, a message and its close in one write, then hangs up."""
    request = await reader.readuntil(b"\r\n\r\n")
    key = next(
        line.split(b":", 1)[1].strip()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: "
        + accept
        + b"\r\n\r\n"
        + Frame(Opcode.TEXT, b"welcome").serialize(mask=False)
        + close_frame(4002, "that was all")
    )
    writer.close()


async def test_a_server_that_speaks_and_hangs_up_before_the_client_says_anything(
    tmp_path: Path,
) -> None:
    """What came with the handshake's answer reaches the client, and so does the end."""
    upstream = await asyncio.start_server(_speak_and_hang_up, "127.0.0.1", 0)
    proxy = _recording_proxy(upstream.sockets[0].getsockname()[1], tmp_path)
    async with upstream, proxy as (port, recording, _):
        async with connect(f"ws://127.0.0.1:{port}/bye") as ws:
            assert await ws.recv() == "welcome"
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 30)
        assert (ws.close_code, ws.close_reason) == (4002, "that was all")
        assert _events(recording)[2:] == [
            {"type": "websocket.send", "text": "welcome"},
            {"type": "websocket.close", "code": 4002, "reason": "that was all"},
            {"type": "websocket.disconnect", "code": 4002},
        ]


async def test_an_upstream_gone_before_the_join_still_reaches_and_ends_the_client() -> None:
    """The race the test above leaves to timing: the upstream hung up before the join."""
    upstream = await asyncio.start_server(_speak_and_hang_up, "127.0.0.1", 0)
    async with upstream:
        relay = WebsocketRelay(None)
        request = upgrade_request("/bye", [(b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ==")])
        answer = await relay.connect("127.0.0.1", upstream.sockets[0].getsockname()[1], request)

        async def hung_up() -> None:
            while not relay._upstream.lost:  # noqa: ASYNC110  (the relay has no event for it)
                await asyncio.sleep(0.01)

        await asyncio.wait_for(hung_up(), 30)
        ours, theirs = socket.socketpair()
        loop = asyncio.get_running_loop()
        client, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
        relay.join(client, answer)
        reader, writer = await asyncio.open_connection(sock=theirs)
        received = await asyncio.wait_for(reader.read(), 30)  # all of it, then the end
        writer.close()
        await asyncio.wait_for(relay.finished, 30)
    assert received.startswith(answer.head)
    assert received.endswith(close_frame(4002, "that was all"))


async def test_a_failing_record_does_not_stop_the_relay(
    proxy: tuple[int, Recording, web.AppRunner],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, recording, _ = proxy

    def broken(*args: object) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(WebsocketRelay, "message", broken)
    with caplog.at_level(logging.WARNING, logger="chanreplay.proxy"):
        async with connect(f"ws://127.0.0.1:{port}/echo") as ws:
            for text in ("one", "two"):
                await ws.send(text)
                assert await ws.recv() == text
    assert "stopped recording websocket c1: recording failed (RuntimeError(" in caplog.text
    assert _events(recording) == [
        {"type": "websocket.connect"},
        {"type": "websocket.accept", "subprotocol": None},
    ]


async def test_a_refused_handshake_leaves_no_connection_to_the_upstream_open() -> None:
    hung_up = asyncio.Event()

    async def refuse_and_keep_alive(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await reader.read()  # until the proxy closes its end
        hung_up.set()
        writer.close()

    upstream = await asyncio.start_server(refuse_and_keep_alive, "127.0.0.1", 0)
    async with upstream:
        relay = WebsocketRelay(None)
        request = upgrade_request("/", [(b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ==")])
        answer = await relay.connect("127.0.0.1", upstream.sockets[0].getsockname()[1], request)
        assert answer.status == 403
        await asyncio.wait_for(hung_up.wait(), 30)

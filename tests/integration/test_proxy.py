"""``chanreplay proxy`` between real websocket and HTTP clients and a real daphne server."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chanreplay.cassette import load
from tests.servers import Server, ServerFactory

SECRET_COOKIE = "sessionid=0123456789abcdefghijklmnopqrstuv"
TOKEN = "Bearer s3cr3t-t0ken-that-must-not-reach-disk"


def _proxy(servers: ServerFactory, upstream: str, name: str | None = "edge") -> Server:
    args = [sys.executable, "-m", "chanreplay", "proxy", "--upstream", upstream]
    args += ["--listen", "127.0.0.1:{port}"]
    if name:
        args += ["--record", name, "--cassette-dir", str(servers.cassette_dir)]
    return servers.start(args)


def _frames(path: Path, connection_path: str) -> list[tuple[str, Any]]:
    """(direction, message) of every event of the connections at ``connection_path``."""
    return [
        (e["dir"], e["message"])
        for c in load(path).connections
        if c.path == connection_path
        for e in c.events
    ]


async def _session(base: str) -> None:
    ws_base = base.replace("http", "ws")
    headers = {"Cookie": SECRET_COOKIE, "Authorization": TOKEN}
    async with connect(f"{ws_base}/ws/echo/", origin=base, additional_headers=headers) as ws:
        await ws.send("hello")
        assert await ws.recv() == "echo: hello"
        await ws.send("close")  # the consumer closes with 4000
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4000
    async with connect(f"{ws_base}/ws/binary/", origin=base, max_size=None) as ws:
        payload = bytes(range(256)) * 4096  # 1 MB
        await ws.send(payload)
        assert await ws.recv() == payload[::-1]


def test_the_proxy_forwards_and_records_the_client_edge(servers: ServerFactory) -> None:
    upstream = servers.runserver(record=None)
    proxy = _proxy(servers, upstream.base)
    asyncio.run(_session(proxy.base))
    request = urllib.request.Request(f"{proxy.base}/api/stats/", headers={"Cookie": SECRET_COOKIE})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        assert b'"path": "/api/stats/"' in response.read()
    assert proxy.stop(signal.SIGTERM) == 0, proxy.output()

    cassette = servers.cassette_dir / "edge.json"
    text = cassette.read_text()
    assert "0123456789abcdefghijklmnopqrstuv" not in text
    assert "s3cr3t-t0ken" not in text
    echo = _frames(cassette, "/ws/echo/")
    assert echo[:4] == [
        ("in", {"type": "websocket.connect"}),
        ("out", {"type": "websocket.accept", "subprotocol": None}),
        ("in", {"type": "websocket.receive", "text": "hello"}),
        ("out", {"type": "websocket.send", "text": "echo: hello"}),
    ]
    assert ("out", {"type": "websocket.close", "code": 4000}) in echo
    binary = _frames(cassette, "/ws/binary/")
    sent = [m for d, m in binary if d == "in" and m["type"] == "websocket.receive"]
    assert len(sent) == 1
    assert list(sent[0]["bytes"]) == ["$bytes"]  # a megabyte of bytes, tagged
    stats = _frames(cassette, "/api/stats/")
    assert stats[0] == (
        "in",
        {"type": "http.request", "body": {"$bytes_text": ""}, "more_body": False},
    )
    assert stats[1][1]["status"] == 200


def test_the_same_session_records_the_same_bytes(fresh_servers: Any) -> None:
    recorded = []
    for _ in range(2):
        servers: ServerFactory = fresh_servers()
        upstream = servers.runserver(record=None)
        proxy = _proxy(servers, upstream.base)
        asyncio.run(_session(proxy.base))
        proxy.stop(signal.SIGTERM)
        recorded.append((servers.cassette_dir / "edge.json").read_bytes())
    assert recorded[0] == recorded[1]


def test_a_subprotocol_is_negotiated_through_the_proxy(servers: ServerFactory) -> None:
    upstream = servers.runserver(record=None)
    proxy = _proxy(servers, upstream.base)

    async def session() -> str | None:
        url = proxy.base.replace("http", "ws") + "/ws/echo/"
        async with connect(url, origin=proxy.base, subprotocols=["other", "echo.v1"]) as ws:
            await ws.send("hi")
            assert await ws.recv() == "echo: hi"
            return ws.subprotocol

    assert asyncio.run(session()) == "echo.v1"
    proxy.stop(signal.SIGTERM)
    connection = load(servers.cassette_dir / "edge.json").connections[0]
    assert connection.scope["subprotocols"] == ["other", "echo.v1"]
    assert connection.events[1]["message"] == {"type": "websocket.accept", "subprotocol": "echo.v1"}


def test_a_hundred_concurrent_connections(servers: ServerFactory) -> None:
    upstream = servers.runserver(record=None)
    proxy = _proxy(servers, upstream.base)
    ws_base = proxy.base.replace("http", "ws")

    async def one(number: int) -> None:
        async with connect(f"{ws_base}/ws/echo/", origin=proxy.base) as ws:
            await ws.send(f"n{number}")
            assert await ws.recv() == f"echo: n{number}"

    async def all_of_them() -> None:
        await asyncio.gather(*(one(n) for n in range(100)))

    asyncio.run(all_of_them())
    proxy.stop(signal.SIGTERM)
    connections = load(servers.cassette_dir / "edge.json").connections
    assert len(connections) == 100
    texts = sorted(
        e["message"]["text"]
        for c in connections
        for e in c.events
        if e["dir"] == "out" and e["message"]["type"] == "websocket.send"
    )
    assert texts == sorted(f"echo: n{n}" for n in range(100))


def test_an_upstream_that_dies_mid_session(servers: ServerFactory) -> None:
    upstream = servers.runserver(record=None)
    proxy = _proxy(servers, upstream.base)
    ws_base = proxy.base.replace("http", "ws")

    async def session() -> int | None:
        async with connect(f"{ws_base}/ws/echo/", origin=proxy.base) as ws:
            await ws.send("before")
            assert await ws.recv() == "echo: before"
            upstream.kill()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 30)
            return ws.close_code

    # The connection drops without a close frame (1006), as it would without the proxy.
    assert asyncio.run(session()) == 1006
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{proxy.base}/api/stats/")
    assert refused.value.code == 502
    assert "the upstream" in refused.value.read().decode()
    proxy.stop(signal.SIGTERM)
    echo = _frames(servers.cassette_dir / "edge.json", "/ws/echo/")
    assert ("out", {"type": "websocket.send", "text": "echo: before"}) in echo
    assert ("out", {"type": "websocket.close", "code": 1006}) in echo
    stats = _frames(servers.cassette_dir / "edge.json", "/api/stats/")
    assert stats[1][1]["status"] == 502


def test_a_proxy_stopped_under_open_websockets_says_it_goes_away(servers: ServerFactory) -> None:
    upstream = servers.runserver(record=None)
    proxy = _proxy(servers, upstream.base)

    async def session() -> tuple[int | None, str | None]:
        async with connect(proxy.base.replace("http", "ws") + "/ws/echo/", origin=proxy.base) as ws:
            await ws.send("hello")
            assert await ws.recv() == "echo: hello"
            stopped = asyncio.get_running_loop().run_in_executor(None, proxy.stop)
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 60)
            assert await stopped == 0, proxy.output()
            return ws.close_code, ws.close_reason

    assert asyncio.run(session()) == (1001, "the proxy is shutting down")
    echo = _frames(servers.cassette_dir / "edge.json", "/ws/echo/")
    assert echo[-1] == ("in", {"type": "websocket.disconnect", "code": 1001})


def test_bad_options_are_usage_errors(servers: ServerFactory) -> None:
    import subprocess

    for args, message in (
        (["--upstream", "ftp://x"], "give an http:// or https:// URL"),
        (["--upstream", "http://127.0.0.1:1", "--listen", "nowhere"], "give HOST:PORT"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "chanreplay", "proxy", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        assert message in done.stderr


def test_any_upstream_server_uvicorn(servers: ServerFactory) -> None:
    """Not only daphne: the same session through the proxy to uvicorn serving the project."""
    pytest.importorskip("uvicorn", reason="uvicorn is in the test extra")
    upstream = servers.start(
        [sys.executable, "-m", "uvicorn", "example.asgi:application", "--port", "{port}"],
        env=servers.env(DJANGO_SETTINGS_MODULE="example.settings"),
    )
    proxy = _proxy(servers, upstream.base)
    asyncio.run(_session(proxy.base))
    proxy.stop(signal.SIGTERM)
    echo = _frames(servers.cassette_dir / "edge.json", "/ws/echo/")
    assert ("out", {"type": "websocket.send", "text": "echo: hello"}) in echo
    assert ("out", {"type": "websocket.close", "code": 4000}) in echo


def test_a_proxy_recorded_cassette_plays_and_serves(servers: ServerFactory) -> None:
    """What the proxy recorded plays back against the server, and serves as its mock."""
    import subprocess

    upstream = servers.runserver(record=None)
    proxy = _proxy(servers, upstream.base)
    asyncio.run(_session(proxy.base))
    assert proxy.stop(signal.SIGTERM) == 0, proxy.output()
    cassette = str(servers.cassette_dir / "edge.json")

    def play(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "chanreplay",
                "play",
                cassette,
                "--against",
                upstream.base,
                *extra,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    # The recorded Authorization header was redacted: play asks for it by name.
    refused = play()
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "'authorization' (header of c1 /ws/echo/, request)" in refused.stderr
    played = play("--secret", f"authorization={TOKEN}")
    assert played.returncode == 0, played.stdout + played.stderr
    assert played.stdout == "No behaviour changed.\n"

    mock = servers.start(
        [sys.executable, "-m", "chanreplay", "serve", cassette, "--listen", "127.0.0.1:{port}"]
    )

    async def against_the_mock() -> None:
        async with connect(mock.base.replace("http", "ws") + "/ws/echo/") as ws:
            await ws.send("hello")
            assert await ws.recv() == "echo: hello"

    asyncio.run(against_the_mock())


def test_compression_is_what_the_upstream_would_have_negotiated(servers: ServerFactory) -> None:
    """A client offering permessage-deflate gets it through the proxy only where the server agrees.

    Daphne does not compress; uvicorn (with the websockets library) does.
    """
    pytest.importorskip("uvicorn", reason="uvicorn is in the test extra")
    daphne = servers.runserver(record=None)
    uvicorn = servers.start(
        [sys.executable, "-m", "uvicorn", "example.asgi:application", "--port", "{port}"],
        env=servers.env(DJANGO_SETTINGS_MODULE="example.settings"),
    )

    async def negotiated(base: str) -> str | None:
        async with connect(base.replace("http", "ws") + "/ws/echo/", origin=base) as ws:
            await ws.send("hi")
            assert await ws.recv() == "echo: hi"
            assert ws.response is not None
            return ws.response.headers.get("Sec-WebSocket-Extensions")

    for upstream in (daphne, uvicorn):
        direct = asyncio.run(negotiated(upstream.base))
        proxy = _proxy(servers, upstream.base, name=None)
        through = asyncio.run(negotiated(proxy.base))
        proxy.stop(signal.SIGTERM)
        assert (through is None) == (direct is None), (upstream.base, direct, through)
    assert asyncio.run(negotiated(uvicorn.base)) is not None  # the comparison means something


PLAIN_SERVER = Path(__file__).resolve().parents[1] / "plain_websocket_server.py"


def test_frames_cross_unchanged_to_a_server_that_is_not_django(servers: ServerFactory) -> None:
    """Compression, ping and pong, close code and reason: what client and server say, as said.

    The upstream is the websockets library's own server, which compresses
    and closes with a reason (daphne does neither).
    """
    upstream = servers.start([sys.executable, str(PLAIN_SERVER), "{port}"])
    proxy = _proxy(servers, upstream.base)
    large = "abc" * 100_000

    async def session() -> tuple[int | None, str | None, str | None]:
        async with connect(proxy.base.replace("http", "ws") + "/echo", max_size=None) as ws:
            await ws.send("héllo")
            assert await ws.recv() == "héllo"
            await ws.send(b"\x00\x01\xff")
            assert await ws.recv() == b"\x00\x01\xff"
            pong = await ws.ping(b"are you there")
            await asyncio.wait_for(pong, 30)  # the server's pong came back through the proxy
            await ws.send(large)
            assert await ws.recv() == large
            await ws.send("close")
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            assert ws.response is not None
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
            return ws.close_code, ws.close_reason, extensions

    code, reason, extensions = asyncio.run(session())
    assert (code, reason) == (4001, "asked to close")
    assert extensions is not None
    assert "permessage-deflate" in extensions  # negotiated end to end
    assert proxy.stop(signal.SIGTERM) == 0, proxy.output()
    events = _frames(servers.cassette_dir / "edge.json", "/echo")
    types = [(direction, message["type"]) for direction, message in events]
    assert types == [
        ("in", "websocket.connect"),
        ("out", "websocket.accept"),
        *[("in", "websocket.receive"), ("out", "websocket.send")] * 3,
        ("in", "websocket.receive"),
        ("out", "websocket.close"),
        ("in", "websocket.disconnect"),
    ]
    texts = [message.get("text") for _, message in events]
    assert texts[2:4] == ["héllo", "héllo"]  # inflated: the cassette holds what was said
    assert texts[6:8] == [large, large]
    assert events[4][1]["bytes"] == events[5][1]["bytes"] != {}
    assert events[-2][1] == {"type": "websocket.close", "code": 4001, "reason": "asked to close"}
    assert events[-1][1] == {"type": "websocket.disconnect", "code": 4001}


def test_a_refused_handshake_reaches_the_client(servers: ServerFactory) -> None:
    from websockets.exceptions import InvalidStatus

    upstream = servers.start([sys.executable, str(PLAIN_SERVER), "{port}"])
    proxy = _proxy(servers, upstream.base)

    async def refused() -> int:
        with pytest.raises(InvalidStatus) as error:
            async with connect(proxy.base.replace("http", "ws") + "/refused"):
                pass
        return error.value.response.status_code

    assert asyncio.run(refused()) == 403
    proxy.stop(signal.SIGTERM)
    events = _frames(servers.cassette_dir / "edge.json", "/refused")
    assert [m for _, m in events] == [
        {"type": "websocket.connect"},
        {"type": "websocket.close", "code": 1000},
    ]


def test_a_failed_handshake_is_recorded_and_served_with_its_status_and_body(
    servers: ServerFactory,
) -> None:
    """An upstream 500 at the handshake reaches the client as it was, is recorded as the ASGI
    denial response (status, headers, body), and ``serve`` answers with the same."""
    from websockets.exceptions import InvalidStatus

    upstream = servers.start([sys.executable, str(PLAIN_SERVER), "{port}"])
    proxy = _proxy(servers, upstream.base)

    async def broken(base: str) -> tuple[int, str | None, bytes]:
        with pytest.raises(InvalidStatus) as error:
            async with connect(base.replace("http", "ws") + "/broken"):
                pass
        response = error.value.response
        return response.status_code, response.headers.get("X-Why"), response.body

    assert asyncio.run(broken(proxy.base)) == (500, "broken", b"it broke\n")
    proxy.stop(signal.SIGTERM)
    cassette = servers.cassette_dir / "edge.json"
    events = [m for _, m in _frames(cassette, "/broken")]
    assert [m["type"] for m in events] == [
        "websocket.connect",
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert events[1]["status"] == 500
    assert "x-why: broken" in events[1]["headers"]
    assert events[2]["body"] == {"$bytes_text": "it broke\n"}
    mock = servers.start(
        [sys.executable, "-m", "chanreplay", "serve", str(cassette), "--listen", "127.0.0.1:{port}"]
    )
    assert asyncio.run(broken(mock.base)) == (500, "broken", b"it broke\n")


def test_a_push_caused_on_another_connection_follows_its_cause(servers: ServerFactory) -> None:
    """A frame one socket gets because another client posted (a view's ``group_send``) takes
    the step of that post; so ``serve`` holds it until the post comes, and ``play`` sends the
    post before it waits for the frame."""
    import subprocess

    upstream = servers.runserver(record=None)
    proxy = _proxy(servers, upstream.base)

    def post(base: str) -> None:
        request = urllib.request.Request(f"{base}/announce/lobby/", data=b"text=tea", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    async def session(base: str, *, early: float = 0.0) -> dict[str, Any]:
        async with connect(base.replace("http", "ws") + "/ws/chat/lobby/", origin=base) as ws:
            if early:  # nothing may come before its cause
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(ws.recv(), early)
            await asyncio.to_thread(post, base)
            return dict(json.loads(await asyncio.wait_for(ws.recv(), 10)))

    announced = asyncio.run(session(proxy.base))
    assert announced == {"type": "announcement", "text": "tea"}
    proxy.stop(signal.SIGTERM)
    cassette = servers.cassette_dir / "edge.json"
    connections = {c.path: c for c in load(cassette).connections}
    request = next(e for e in connections["/announce/lobby/"].events if e["dir"] == "in")
    frame = next(
        e for e in connections["/ws/chat/lobby/"].events if e["message"]["type"] == "websocket.send"
    )
    assert frame["step"] == request["step"]

    played = subprocess.run(
        [sys.executable, "-m", "chanreplay", "play", str(cassette), "--against", upstream.base],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert (played.returncode, played.stdout) == (0, "No behaviour changed.\n"), played.stderr
    mock = servers.start(
        [sys.executable, "-m", "chanreplay", "serve", str(cassette), "--listen", "127.0.0.1:{port}"]
    )
    assert asyncio.run(session(mock.base, early=0.5)) == announced


def test_the_example_session_recorded_at_the_edge_plays_and_serves(fresh_servers: Any) -> None:
    """The example project's whole scripted session (a login, two chat clients, an
    announcement posted over HTTP, notes a model signal broadcasts, echo, binary) recorded by
    the proxy: it plays against a fresh server with no difference, and the same script runs
    to its end against ``serve`` of it."""
    import subprocess

    from tests.integration.test_pytest_plugin import PASSWORD
    from tests.servers import run_session

    recording: ServerFactory = fresh_servers()
    proxy = _proxy(recording, recording.runserver(record=None).base)
    run_session(proxy.base)
    assert proxy.stop(signal.SIGTERM) == 0, proxy.output()
    cassette = str(recording.cassette_dir / "edge.json")

    fresh = fresh_servers().runserver(record=None)
    secret = ["--secret", f"password={PASSWORD}"]
    played = subprocess.run(
        [sys.executable, "-m", "chanreplay", "play", cassette, "--against", fresh.base, *secret],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert played.returncode == 0, played.stdout + played.stderr
    assert played.stdout == "No behaviour changed.\n"
    serve = [sys.executable, "-m", "chanreplay", "serve", cassette, *secret]
    mock = recording.start([*serve, "--listen", "127.0.0.1:{port}"])
    run_session(mock.base)


def test_a_real_browser_through_the_proxy(servers: ServerFactory, browser: Any) -> None:
    """Chromium loads the chat page and chats through the proxy; the cassette holds both."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    upstream = servers.runserver(record=None)
    proxy = _proxy(servers, upstream.base)
    browser.get(f"{proxy.base}/chat/lobby/")
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-connected"))
    browser.find_element(By.ID, "message").send_keys("hello through the proxy\n")
    wait.until(lambda d: "anonymous: hello through the proxy" in d.find_element(By.ID, "log").text)
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    browser.get("about:blank")  # leaving the page closes its websocket
    assert proxy.stop(signal.SIGTERM) == 0, proxy.output()

    cassette = servers.cassette_dir / "edge.json"
    page = _frames(cassette, "/chat/lobby/")
    assert page[1][1]["status"] == 200
    chat = [c for c in load(cassette).connections if c.path == "/ws/chat/lobby/"]
    assert len(chat) == 1
    offered = [h for h in chat[0].scope["headers"] if h.startswith("sec-websocket-extensions:")]
    assert "permessage-deflate" in offered[0]  # what Chromium offers (and daphne declines)
    messages = [e["message"] for e in chat[0].events]
    assert {
        "type": "websocket.receive",
        "text": {"$json": {"message": "hello through the proxy"}},
    } in messages
    assert any(
        m["type"] == "websocket.send" and "hello through the proxy" in json.dumps(m)
        for m in messages
    )
    assert messages[-1]["type"] == "websocket.disconnect"

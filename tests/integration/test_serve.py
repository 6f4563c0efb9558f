"""``chanreplay serve``: the example session's server side answering real clients."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import signal
import sys
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.integration.test_pytest_plugin import PASSWORD
from tests.review.test_cli import EXAMPLE
from tests.servers import Server, ServerFactory


@pytest.fixture
def mock(servers: ServerFactory) -> Server:
    return servers.start(
        [sys.executable, "-m", "chanreplay", "serve", str(EXAMPLE), "--listen", "127.0.0.1:{port}"]
    )


def test_a_client_that_does_what_was_recorded_gets_the_recorded_replies(mock: Server) -> None:
    ws_base = mock.base.replace("http", "ws")

    async def session() -> None:
        async with connect(f"{ws_base}/ws/echo/") as ws:
            await ws.send("ping")
            assert await ws.recv() == "echo: ping"
            await ws.send("close")
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 4000
        async with connect(f"{ws_base}/ws/binary/") as ws:
            await ws.send(b"\x00\x01\x02chanreplay\xff")
            assert await ws.recv() == b"\xffyalpernahc\x02\x01\x00"

    asyncio.run(session())
    with urllib.request.urlopen(f"{mock.base}/api/stats/") as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"notes": 1, "path": "/api/stats/"}
        assert response.headers["Content-Type"] == "application/json"


def test_a_broadcast_waits_for_the_message_that_caused_it(mock: Server) -> None:
    """Two chat clients: the reply to one reaches the other only when it was sent."""
    url = mock.base.replace("http", "ws") + "/ws/chat/lobby/"

    async def session() -> None:
        async with connect(url) as alice, connect(url) as other:
            with pytest.raises(TimeoutError):  # nothing yet: alice has not spoken
                await asyncio.wait_for(other.recv(), 0.5)
            await alice.send(json.dumps({"message": "hello"}))
            assert json.loads(await other.recv())["message"] == "hello"
            assert json.loads(await alice.recv())["message"] == "hello"

    asyncio.run(session())


def test_what_the_cassette_does_not_cover_is_refused_and_logged(mock: Server) -> None:
    url = mock.base.replace("http", "ws") + "/ws/echo/"

    async def session() -> int | None:
        async with connect(url) as ws:
            await ws.send("not what was recorded")
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            return ws.close_code

    assert asyncio.run(session()) == 4400
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{mock.base}/nowhere/")
    assert missing.value.code == 404
    assert "no (more) GET /nowhere/" in missing.value.read().decode()
    mock.stop(signal.SIGTERM)
    output = mock.output()
    assert "sent 'not what was recorded'; the cassette expects 'ping'" in output
    assert "no recorded http connection left for GET /nowhere/" in output


def test_given_secrets_are_sent_in_replies_and_checked_in_requests(servers: ServerFactory) -> None:
    """The login answers with the given session id, and only to the given password."""
    mock = servers.start(
        [
            sys.executable,
            "-m",
            "chanreplay",
            "serve",
            str(EXAMPLE),
            "--listen",
            "127.0.0.1:{port}",
            "--secret",
            "sessionid=mock-session",
            "--secret",
            f"password={PASSWORD}",
        ]
    )

    def login(password: str) -> tuple[int, str, list[str]]:
        """POST the login form; the status, body and Set-Cookie headers of the answer."""
        connection = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
        form = urlencode(
            {"username": "alice", "password": password, "csrfmiddlewaretoken": "anything"}
        )
        try:
            connection.request(
                "POST", "/login/", form, {"Content-Type": "application/x-www-form-urlencoded"}
            )
            response = connection.getresponse()
            body = response.read().decode()
            return response.status, body, response.headers.get_all("Set-Cookie") or []
        finally:
            connection.close()

    status, body, _ = login("a guess")
    assert status == 403
    assert "wrong 'password'" in body
    status, _, cookies = login(PASSWORD)  # the recorded login is still there to be taken
    assert status == 302
    assert any(c.startswith("sessionid=mock-session;") for c in cookies), cookies
    # The CSRF cookie is a binding no secret names: a value made up for it, never a placeholder.
    csrf = next(c for c in cookies if c.startswith("csrftoken="))
    assert re.match(r"csrftoken=[A-Za-z0-9_-]{16,};", csrf), cookies
    # Its expiry was recorded as <volatile>: it goes out as a real date a year ahead.
    expiry = re.search(r"expires=(\w{3}, \d{2} \w{3} (\d{4}) [\d:]{8} GMT);", csrf)
    assert expiry is not None, cookies
    assert int(expiry.group(2)) >= 2026, cookies
    mock.stop(signal.SIGTERM)
    output = mock.output()
    assert "POST /login/ sent another 'password' than the one given with --secret" in output
    assert "'<redacted>'" not in output  # every reply value is filled

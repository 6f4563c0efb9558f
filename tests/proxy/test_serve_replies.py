"""What ``serve`` sends where the cassette holds no value: never a placeholder."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from chanreplay.cassette.model import Cassette, Connection
from chanreplay.cassette.redaction import REDACTED
from chanreplay.proxy.serve import MockServer


def login_exchange() -> Connection:
    """A token login: the response body carries the token, redacted by the recorder."""
    scope = {
        "type": "http",
        "path": "/api/login/",
        "method": "POST",
        "headers": ["content-type: application/json"],
        "query_string": "",
    }
    events = [
        {"dir": "in", "message": {"type": "http.request", "body": {"$bytes_json": {}}}, "step": 1},
        {
            "dir": "out",
            "message": {
                "type": "http.response.start",
                "status": 200,
                "headers": ["content-type: application/json", "expires: <volatile>"],
            },
            "step": 1,
        },
        {
            "dir": "out",
            "message": {"type": "http.response.body", "body": {"$bytes_json": {"token": REDACTED}}},
            "step": 1,
        },
    ]
    return Connection(id="c1", type="http", scope=scope, step=1, events=events)


async def test_a_redacted_reply_value_no_secret_fills_goes_out_made_up() -> None:
    server = MockServer(Cassette([login_exchange()], []))
    assert set(server.invented) == {"token"}
    async with TestClient(TestServer(server.application())) as client:
        response = await client.post("/api/login/", json={})
        assert response.status == 200
        assert await response.json() == {"token": server.invented["token"]}
        assert REDACTED not in server.invented["token"]
        assert "<volatile>" not in response.headers["Expires"]


async def test_a_secret_given_for_a_reply_value_goes_out_instead() -> None:
    server = MockServer(Cassette([login_exchange()], []), secrets={"token": "given"})
    assert server.invented == {}
    async with TestClient(TestServer(server.application())) as client:
        response = await client.post("/api/login/", json={})
        assert await response.json() == {"token": "given"}

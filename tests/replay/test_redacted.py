"""Finding the redacted values of a connection's client and server sides."""

from __future__ import annotations

from chanreplay.cassette.model import Connection
from chanreplay.replay.redacted import Redacted, client_side, server_side

LOGIN = Connection(
    id="c2",
    type="http",
    scope={
        "path": "/login/",
        "method": "POST",
        "query_string": "next=/&token=<redacted>",
        "headers": [
            "content-type: application/x-www-form-urlencoded",
            "cookie: csrftoken=<redacted>; theme=dark",
            "authorization: Bearer <redacted>",
        ],
    },
    step=1,
    events=[
        {
            "dir": "in",
            "step": 1,
            "message": {
                "type": "http.request",
                "body": {"$bytes_text": "username=alice&password=<redacted>"},
            },
        },
        {
            "dir": "out",
            "step": 1,
            "message": {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    "content-type: application/json",
                    "set-cookie: sessionid=<redacted>; HttpOnly; Path=/",
                    "set-cookie: theme=dark; Path=/",
                ],
            },
        },
        {
            "dir": "out",
            "step": 1,
            "message": {
                "type": "http.response.body",
                "body": {"$bytes_json": {"user": "alice", "api": [{"key": "<redacted>"}]}},
            },
        },
    ],
)

SOCKET = Connection(
    id="c3",
    type="websocket",
    scope={"path": "/ws/", "headers": ["sec-websocket-key: <redacted>"]},
    step=2,
    events=[
        {
            "dir": "in",
            "step": 2,
            "message": {"type": "websocket.receive", "text": {"$json": {"secret": "<redacted>"}}},
        },
        {
            "dir": "out",
            "step": 2,
            "message": {"type": "websocket.send", "text": {"$json": {"token": "<redacted>"}}},
        },
        {"dir": "in", "step": 3, "message": {"type": "websocket.receive", "text": "<redacted>"}},
    ],
)


def test_the_client_side_of_a_request_names_each_redacted_field_and_its_place() -> None:
    assert client_side(LOGIN) == [
        Redacted("csrftoken", "cookie", "c2 POST /login/"),
        Redacted("authorization", "header", "c2 POST /login/"),
        Redacted("token", "query", "c2 POST /login/"),
        Redacted("password", "form", "c2 POST /login/", 0),
    ]


def test_the_server_side_of_a_request_names_cookies_it_set_and_json_keys() -> None:
    assert server_side(LOGIN) == [
        Redacted("sessionid", "set-cookie", "c2 POST /login/", 1),
        Redacted("key", "json", "c2 POST /login/", 2),
    ]


def test_websocket_frames_are_searched_by_direction() -> None:
    """A plain text frame that is all redacted has no field name to ask for."""
    assert client_side(SOCKET) == [
        Redacted("sec-websocket-key", "header", "c3 /ws/"),
        Redacted("secret", "json", "c3 /ws/", 0),
    ]
    assert server_side(SOCKET) == [Redacted("token", "json", "c3 /ws/", 1)]


def test_a_place_reads_as_where_to_look() -> None:
    assert str(client_side(LOGIN)[3]) == "'password' (form of c2 POST /login/, event 0)"

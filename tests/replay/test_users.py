"""Which users a session assumed and which it signed up itself."""

from __future__ import annotations

from chanreplay.cassette.model import Cassette, Connection
from chanreplay.replay.users import assumed_users, signed_up_users, usernames

SCOPE = {"path": "/", "query_string": "", "headers": []}


def post(cid: str, body: str, user: str | None = None) -> Connection:
    events = [
        {
            "dir": "in",
            "message": {"type": "http.request", "body": {"$bytes_text": body}, "more_body": False},
            "step": 2,
        }
    ]
    return Connection(cid, "http", SCOPE, 1, {"username": user} if user else None, True, events)


def socket(cid: str, user: str) -> Connection:
    return Connection(cid, "websocket", SCOPE, 1, {"username": user}, True, [])


def test_a_sign_up_form_makes_its_user_and_a_login_form_assumes_one() -> None:
    cassette = Cassette(
        [
            post("c1", "username=alice&password=<redacted>&csrfmiddlewaretoken=<redacted>"),
            socket("c2", "alice"),
            post("c3", "username=newbie&password1=<redacted>&password2=<redacted>"),
            socket("c4", "newbie"),
            socket("c5", "alice"),
            post("c6", "title=hello", user="carol"),
        ]
    )
    assert usernames(cassette.connections) == ["alice", "newbie", "carol"]
    assert signed_up_users(cassette) == {"newbie"}
    assert assumed_users(cassette) == ["alice", "carol"]


def test_bodies_that_are_not_forms_are_no_sign_up() -> None:
    json_body = Connection(
        "c1",
        "http",
        SCOPE,
        1,
        None,
        True,
        [
            {
                "dir": "in",
                "message": {"type": "http.request", "body": {"$bytes_json": {"username": "x"}}},
                "step": 2,
            },
            {"dir": "in", "message": {"type": "http.request", "body": {"$bogus": 1}}, "step": 3},
        ],
    )
    assert signed_up_users(Cassette([json_body, socket("c2", "x")])) == set()

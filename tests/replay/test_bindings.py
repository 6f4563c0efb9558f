"""Tests of chanreplay.replay.bindings: made-up values, shapes made live, where bindings start."""

from __future__ import annotations

import base64
import datetime
import string
from typing import Any

import orjson
import pytest

from chanreplay.cassette.binding import Binder, kind_of
from chanreplay.cassette.model import Cassette, Connection, Event
from chanreplay.replay.bindings import bound_fields, defined_at, first_made, live_shapes, made_up

NOW = datetime.datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=datetime.UTC)


def connection(
    cid: str, step: int, events: list[Event], *, path: str = "/ws/", kind: str = "websocket"
) -> Connection:
    return Connection(id=cid, type=kind, scope={"path": path}, step=step, events=events)


def response(step: int, *headers: str, body: Any = None) -> list[Event]:
    """An HTTP response the server sent: its start (with ``headers``) and its body."""
    start = {"type": "http.response.start", "status": 200, "headers": list(headers)}
    events: list[Event] = [{"dir": "out", "step": step, "message": start}]
    if body is not None:
        message = {"type": "http.response.body", "body": body}
        events.append({"dir": "out", "step": step, "message": message})
    return events


def frame(direction: str, step: int, text: Any) -> Event:
    kind = "websocket.receive" if direction == "in" else "websocket.send"
    return {"dir": direction, "step": step, "message": {"type": kind, "text": text}}


# -- made_up -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["uuid", "hex", "jwt", "token"])
def test_a_made_up_value_has_its_bindings_kind(kind: str) -> None:
    """A value made up for ``<kind:N>`` is recognised as that kind again."""
    assert all(kind_of(made_up(kind)) == kind for _ in range(200))


@pytest.mark.parametrize("kind", ["uuid", "hex", "jwt", "token"])
def test_made_up_values_are_fresh(kind: str) -> None:
    """Every call makes a new value."""
    assert len({made_up(kind) for _ in range(100)}) == 100


def test_a_made_up_jwt_is_an_unsigned_token() -> None:
    """The JWT has a JSON header (alg none) and a JSON payload with a fresh jti."""
    header, payload, signature = made_up("jwt").split(".")

    def decoded(part: str) -> Any:
        return orjson.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    assert decoded(header) == {"alg": "none", "typ": "JWT"}
    assert set(decoded(payload)) == {"jti"}
    assert signature == ""


@pytest.mark.parametrize("kind", ["uuid", "hex", "jwt", "token"])
def test_a_binder_names_a_made_up_value_in_any_text(kind: str) -> None:
    """A made-up value is found again inside longer text, as a live value would be."""
    value = made_up(kind)
    names = Binder()
    assert names.server(f"id={value}&next=/x/{value}/") == f"id=<{kind}:1>&next=/x/<{kind}:1>/"


def test_a_made_up_token_is_shaped_like_a_django_secret() -> None:
    """A token is 32 letters and digits, as Django's CSRF secret and session key are."""
    token = made_up("token")
    assert len(token) == 32
    assert set(token) <= set(string.ascii_letters + string.digits)


def test_an_unknown_kind_gets_a_token() -> None:
    """A kind this release does not know is still given some random value (a token)."""
    assert kind_of(made_up("session")) == "token"


# -- live_shapes -------------------------------------------------------------------------


def test_live_shapes_makes_each_shape_the_time_given() -> None:
    """Epoch shapes become numbers, date shapes text, all at ``now``, however deep."""
    recorded = {
        "s": "<epoch-s>",
        "ms": "<epoch-ms>",
        "at": "<datetime>",
        "day": "<date>",
        "text": "from <date> to <datetime>",
        "list": [{"deep": "<epoch-s>"}],
    }
    assert live_shapes(recorded, NOW) == {
        "s": 1772368215,
        "ms": 1772368215250,
        "at": "2026-03-01T12:30:15.250000Z",
        "day": "2026-03-01",
        "text": "from 2026-03-01 to 2026-03-01T12:30:15.250000Z",
        "list": [{"deep": 1772368215}],
    }


@pytest.mark.parametrize(
    "value",
    [
        "<uuid:1>",
        "Bearer <jwt:1>",
        "at <epoch-s>",
        "<epoch-s> ",
        "<redacted>",
        "<dates>",
        "<datetime",
        {"<datetime>": 1},
        {"$bytes": "AAEC"},
        3,
        None,
        True,
    ],
)
def test_live_shapes_leaves_everything_else(value: Any) -> None:
    """Bindings, other placeholders, keys, an epoch shape within text and non-strings stay."""
    assert live_shapes(value, NOW) == value


def test_live_shapes_gives_back_what_a_binder_shapes() -> None:
    """What live_shapes makes, a binder at the same time writes as the same shapes."""
    recorded = {"s": "<epoch-s>", "ms": "<epoch-ms>", "at": ["<datetime>", "on <date>"]}
    names = Binder(now=NOW.timestamp)
    assert names.server(live_shapes(recorded, NOW)) == recorded


# -- bound_fields ------------------------------------------------------------------------


def test_bound_fields_names_cookies_and_json_keys() -> None:
    """A binding's field is the cookie or JSON key the server first sent it in."""
    body = {"$bytes_json": {"access": "<jwt:1>", "user": {"id": "<uuid:1>", "refresh": "<jwt:2>"}}}
    login = connection(
        "c1",
        1,
        response(
            1,
            "set-cookie: sessionid=<token:1>; HttpOnly; Path=/",
            "set-cookie: csrftoken=<token:2>; Path=/",
            "set-cookie: theme=dark; Path=/",
            body=body,
        ),
        kind="http",
    )
    assert bound_fields(Cassette(connections=[login])) == {
        "token:1": "sessionid",
        "token:2": "csrftoken",
        "jwt:1": "access",
        "uuid:1": "id",
        "jwt:2": "refresh",
    }


def test_bound_fields_ignores_what_clients_send_and_values_with_more_text() -> None:
    """Only what the server sent counts, and only a value that is one binding."""
    chat = connection(
        "c1",
        1,
        [
            frame("in", 1, {"$json": {"mine": "<uuid:1>"}}),
            frame("out", 2, {"$json": {"url": "/trips/<uuid:1>/", "auth": "Bearer <jwt:1>"}}),
            frame("out", 3, {"$json": {"trip": "<uuid:1>"}}),
            {"dir": "layer", "op": "group_send", "step": 4, "message": {"token": "<token:1>"}},
        ],
    )
    assert bound_fields(Cassette(connections=[chat])) == {"uuid:1": "trip", "token:1": "token"}


def test_bound_fields_takes_the_first_field_by_step() -> None:
    """The field of the earliest server event wins, across connections and external events."""
    late = connection("c1", 1, [frame("out", 9, {"$json": {"later": "<uuid:1>"}})])
    early = connection("c2", 2, [frame("out", 3, {"$json": {"first": "<uuid:1>"}})])
    external: list[Event] = [
        {"dir": "layer", "op": "send", "step": 2, "message": {"outside": "<jwt:1>"}},
        {"dir": "layer", "op": "send", "step": 8, "message": {"again": "<jwt:1>", "u": "<uuid:1>"}},
    ]
    cassette = Cassette(connections=[late, early], external=external)
    assert bound_fields(cassette) == {"jwt:1": "outside", "uuid:1": "first"}


def test_bound_fields_of_a_cassette_without_bindings_is_empty() -> None:
    """Redacted and exact values name no binding."""
    login = connection(
        "c1",
        1,
        response(1, "set-cookie: sessionid=<redacted>; Path=/", body={"$bytes_json": {"a": 1}}),
        kind="http",
    )
    assert bound_fields(Cassette(connections=[login])) == {}


# -- defined_at --------------------------------------------------------------------------


def _cassette() -> Cassette:
    login = connection(
        "c1",
        1,
        [
            {"dir": "in", "step": 1, "message": {"type": "http.request", "body": "<uuid:1>"}},
            *response(2, "set-cookie: sessionid=<token:1>; Path=/"),
        ],
        path="/login/",
        kind="http",
    )
    trips = connection(
        "c2",
        3,
        [
            frame("in", 3, "<token:1>"),
            frame("out", 4, {"$json": {"trip": "<uuid:10>"}}),
            {"dir": "error", "step": 5, "exception": "KeyError", "detail": "<hex:1>"},
        ],
        path="/ws/trips/",
    )
    external: list[Event] = [
        {
            "dir": "layer",
            "op": "group_send",
            "group": "g",
            "step": 6,
            "message": {"id": "<uuid:1>"},
        },
        {"dir": "layer", "op": "group_add", "group": "trip_<uuid:2>", "step": 7},
    ]
    return Cassette(connections=[login, trips], external=external)


def test_defined_at_names_the_first_server_event_with_the_binding() -> None:
    """The clause names the connection, the event's index and its type."""
    cassette = _cassette()
    assert defined_at(cassette, "token:1") == (
        "the recording made it in c1 (http /login/), event 1 (http.response.start)"
    )
    assert defined_at(cassette, "uuid:10") == (
        "the recording made it in c2 (websocket /ws/trips/), event 1 (websocket.send)"
    )
    assert defined_at(cassette, "hex:1") == (
        "the recording made it in c2 (websocket /ws/trips/), event 2 (error)"
    )


def test_defined_at_skips_what_a_client_sent() -> None:
    """A binding a client sent first (here in c1) is made where the server sent it."""
    clause = defined_at(_cassette(), "uuid:1")
    assert clause.startswith("the recording made it ")
    assert clause.endswith("outside any connection, external event 0 (group_send)")
    assert "c1" not in clause
    assert defined_at(_cassette(), "uuid:2").endswith(
        "outside any connection, external event 1 (group_add)"
    )


def test_defined_at_of_an_external_event_reads_well() -> None:
    """The clause for an external event has no stray "in"."""
    assert defined_at(_cassette(), "uuid:1") == (
        "the recording made it outside any connection, external event 0 (group_send)"
    )


def test_defined_at_tells_a_binding_from_a_longer_number() -> None:
    """``uuid:1`` is not found in ``<uuid:10>``."""
    cassette = Cassette(connections=[_cassette().connections[1]])
    assert defined_at(cassette, "uuid:10").endswith("event 1 (websocket.send)")
    assert defined_at(cassette, "uuid:1") == (
        "the cassette shows no event of the server's that made it"
    )


def test_first_made_gives_the_connection_index_and_event() -> None:
    """first_made finds the server's first event with the binding; None when there is none."""
    cassette = _cassette()
    login, trips = cassette.connections
    assert first_made(cassette, "token:1") == (login, 1, login.events[1])
    assert first_made(cassette, "uuid:10") == (trips, 1, trips.events[1])
    assert first_made(cassette, "uuid:1") == (None, 0, cassette.external[0])
    assert first_made(cassette, "jwt:1") is None


def test_first_made_goes_by_step_not_by_connection_order() -> None:
    """A connection opened later that made the value at an earlier step is the one named."""
    late = connection("c1", 1, [frame("out", 9, {"$json": {"id": "<uuid:1>"}})])
    early = connection("c2", 2, [frame("out", 3, {"$json": {"id": "<uuid:1>"}})])
    cassette = Cassette(connections=[late, early])
    assert first_made(cassette, "uuid:1") == (early, 0, early.events[0])
    assert defined_at(cassette, "uuid:1") == (
        "the recording made it in c2 (websocket /ws/), event 0 (websocket.send)"
    )


def test_defined_at_of_a_binding_the_server_never_made() -> None:
    """A name no server event holds is reported as such."""
    assert defined_at(_cassette(), "jwt:1") == (
        "the cassette shows no event of the server's that made it"
    )


REPLY_TIME = datetime.datetime(2026, 12, 7, 14, 0, tzinfo=datetime.UTC)


def test_volatile_headers_go_out_as_dates_and_other_placeholders_not_at_all() -> None:
    """``expires`` is now plus the ``max-age`` beside it (a header or a cookie's); a volatile
    header that is no time (a body's length) is left out rather than sent as a placeholder."""
    from chanreplay.replay.bindings import live_headers

    recorded = [
        (b"date", b"<volatile>"),
        (b"expires", b"<volatile>"),
        (b"cache-control", b"max-age=60"),
        (b"content-length", b"<volatile>"),
        (b"set-cookie", b"csrftoken=x; expires=<volatile>; Max-Age=31449600; Path=/"),
        (b"set-cookie", b'sessionid=""; expires=<volatile>; Max-Age=0; Path=/'),
    ]
    assert live_headers(recorded, REPLY_TIME) == [
        (b"date", b"Mon, 07 Dec 2026 14:00:00 GMT"),
        (b"expires", b"Mon, 07 Dec 2026 14:01:00 GMT"),
        (b"cache-control", b"max-age=60"),
        (
            b"set-cookie",
            b"csrftoken=x; expires=Mon, 06 Dec 2027 14:00:00 GMT; Max-Age=31449600; Path=/",
        ),
        (b"set-cookie", b'sessionid=""; expires=Mon, 07 Dec 2026 14:00:00 GMT; Max-Age=0; Path=/'),
    ]

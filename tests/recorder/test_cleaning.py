"""The journal cleaner: placeholders and redaction on whole batches, control lines in order."""

from __future__ import annotations

import datetime
from typing import Any

import orjson
import pytest

from chanreplay.cassette.binding import Binder
from chanreplay.cassette.redaction import REDACTED, VOLATILE, Redactor
from chanreplay.recorder.cleaning import JournalCleaner, bound_event, control_line, split_marked

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
LIVE = "specific..inmemory!AbCdEfGhIjKl"
SECRET = "s3cr3t-session-value-0123456789"


def line(event: dict[str, object], connection: str | None = "c1") -> bytes:
    """One journal line holding ``event``."""
    return orjson.dumps({"k": "ev", "c": connection, "e": event}) + b"\n"


def texts(cleaned: bytes) -> list[object]:
    """The ``text`` of each event's message in cleaned journal lines."""
    return [orjson.loads(row)["e"]["message"]["text"] for row in cleaned.splitlines()]


def frame(text: str) -> bytes:
    return line({"dir": "in", "message": {"type": "websocket.receive", "text": text}, "step": 1})


@pytest.mark.parametrize("paths", [(), ("message.card",)])
def test_cleaning_a_batch_equals_cleaning_each_line(paths: tuple[str, ...]) -> None:
    """Only suspect lines are parsed, and the result is what cleaning every line gives."""
    events = [
        {"dir": "in", "message": {"type": "websocket.receive", "text": "héllo wörld"}, "step": 1},
        {"dir": "layer", "op": "send", "channel": "x", "message": {"reply": LIVE}, "step": 2},
        {"dir": "in", "message": {"type": "t", "password": "hunter2", "card": "4111"}, "step": 3},
        {"dir": "out", "message": {"type": "t", "text": "50% off, key lime pie"}, "step": 4},
        {"dir": "out", "message": {"type": "t", "body": "a=1&api_key=zzz"}, "step": 5},
        {"dir": "out", "message": {"type": "t", "jwt": JWT}, "step": 6},
    ]
    batch = b"".join(line(event) for event in events)
    registration = control_line("chan", [LIVE, "<channel:c1>"])
    by_line = JournalCleaner(Redactor(paths=paths))
    by_line(registration)
    one_by_one = b"".join(by_line(row) for row in batch.splitlines(True))
    assert JournalCleaner(Redactor(paths=paths))(registration + batch) == one_by_one
    cleaned = one_by_one.decode()
    for secret in (LIVE, "hunter2", "zzz", JWT):
        assert secret not in cleaned
    assert "<channel:c1>" in cleaned
    assert "héllo wörld" in cleaned
    assert ("4111" in cleaned) is not bool(paths)


def test_a_learned_secret_is_scrubbed_only_from_the_lines_after_it() -> None:
    """What was recorded before the secret was known keeps it, in any batching."""
    stream = [
        frame(f"before {SECRET}"),
        control_line("learn", SECRET),
        frame(f"after {SECRET}"),
    ]
    whole = JournalCleaner(Redactor())(b"".join(stream))
    assert texts(whole) == [f"before {SECRET}", f"after {REDACTED}"]
    cleaner = JournalCleaner(Redactor())
    assert b"".join(cleaner(part) for part in stream) == whole


def test_a_value_posted_under_a_secret_name_is_scrubbed_from_all_that_follows() -> None:
    """A password posted in a form (or a PIN in a frame) is a secret by what the session
    said of it: every later line loses it (other connections, free text, the same event's
    echo), in any batching; a short one leaves JSON keys be (a field may be named so)."""
    posted = line(
        {
            "dir": "in",
            "message": {
                "type": "http.request",
                "body": {"$bytes_text": "user=carol&pass=tulip-42"},
            },
            "step": 1,
        },
        "c1",
    )
    echoed = line(
        {"dir": "in", "message": {"type": "t", "pin": "8642-1357", "echo": "pin 8642-1357"}}, "c2"
    )
    later = [
        frame("login carol tulip-42"),
        line({"dir": "out", "message": {"type": "t", "text": {"tulip-42": "a key"}}}, "c3"),
        frame("unlock with 8642-1357"),
    ]
    stream = [frame("before: tulip-42"), posted, echoed, *later]
    whole = JournalCleaner(Redactor())(b"".join(stream))
    cleaner = JournalCleaner(Redactor())
    assert b"".join(cleaner(part) for part in stream) == whole
    rows = records(whole)
    assert rows[0]["e"]["message"]["text"] == "before: tulip-42"  # recorded before it was known
    assert rows[1]["e"]["message"]["body"] == {"$bytes_text": f"user=carol&pass={REDACTED}"}
    assert rows[2]["e"]["message"] == {"type": "t", "pin": REDACTED, "echo": f"pin {REDACTED}"}
    assert rows[3]["e"]["message"]["text"] == f"login carol {REDACTED}"
    assert rows[4]["e"]["message"]["text"] == {"tulip-42": "a key"}
    assert rows[5]["e"]["message"]["text"] == f"unlock with {REDACTED}"


def test_control_lines_are_applied_wherever_they_fall_in_a_batch() -> None:
    """First, last, several in a row: each applies from its place on and none is written."""
    cleaner = JournalCleaner(Redactor())
    batch = b"".join(
        [
            control_line("learn", SECRET),
            control_line("chan", [LIVE, "<channel:c2>"]),
            frame(f"{SECRET} {LIVE}"),
            control_line("learn", "an0th3r-s3cr3t-v4lu3"),
        ]
    )
    cleaned = cleaner(batch)
    assert texts(cleaned) == [f"{REDACTED} <channel:c2>"]
    assert not cleaned.startswith(b"!")
    assert b"!" not in cleaned
    assert texts(cleaner(frame("an0th3r-s3cr3t-v4lu3"))) == [REDACTED]


def test_a_batch_of_control_lines_only_writes_nothing() -> None:
    """A batch that only teaches the cleaner leaves nothing to write."""
    cleaner = JournalCleaner(Redactor())
    assert cleaner(control_line("learn", SECRET)) == b""


def test_an_unknown_control_line_is_an_error() -> None:
    """A control line from a newer recorder is not silently written or dropped."""
    with pytest.raises(ValueError, match="unknown journal control line"):
        JournalCleaner(Redactor())(b"!rotate {}\n")


def test_the_cleaner_learns_only_from_the_stream() -> None:
    """A twin shares the configuration, not what the original redactor learned."""
    original = Redactor(keys=["pin"])
    original.learn(SECRET)
    twin = original.twin()
    assert twin.secrets == frozenset()
    assert twin.is_secret_key("pin")
    assert texts(JournalCleaner(twin)(frame(SECRET))) == [SECRET]


def test_split_marked_keeps_order_and_isolates_each_marked_line() -> None:
    """Runs of ordinary lines stay together; every marked line comes alone, in place."""
    batch = b"!a\na\nb\n!b\n!c\nc\n"
    assert list(split_marked(batch, b"!")) == [
        (True, b"!a\n"),
        (False, b"a\nb\n"),
        (True, b"!b\n"),
        (True, b"!c\n"),
        (False, b"c\n"),
    ]
    assert list(split_marked(b"a\n", b"!")) == [(False, b"a\n")]


# -- bindings ----------------------------------------------------------------------------

SESSION_KEY = "vkp1yi21l00g5a1d1ed5epfgx6zhhknn"  # a Django session key: bound as a token
UUID = "3f2a9c1e-7b4d-4e8a-9f10-2c3d4e5f6a7b"
NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC).timestamp()
"""The recording's time in these tests, far from the machine's clock."""


def opened(scope: dict[str, Any], connection: str = "c1", step: int = 1) -> bytes:
    """The journal line that opens ``connection`` with ``scope``."""
    record = {"k": "open", "c": connection, "type": "http", "scope": scope, "user": None}
    return orjson.dumps({**record, "step": step}) + b"\n"


def response_start(*headers: str, connection: str = "c1", step: int = 1) -> bytes:
    """An http.response.start the server sent, with ``headers``."""
    message = {"type": "http.response.start", "status": 200, "headers": list(headers)}
    return line({"dir": "out", "message": message, "step": step}, connection)


def sent(text: Any, connection: str = "c1", step: int = 1) -> bytes:
    """A websocket frame the server sent (``text`` in cassette form)."""
    message = {"type": "websocket.send", "text": text}
    return line({"dir": "out", "message": message, "step": step}, connection)


def records(cleaned: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(row) for row in cleaned.splitlines()]


def binder() -> Binder:
    return Binder(now=lambda: NOW)


def test_a_session_key_minted_in_set_cookie_is_one_binding_everywhere() -> None:
    """Set-Cookie mints the key, a later Cookie sends it back: one <token:N>, no raw value."""
    batch = b"".join(
        [
            opened({"path": "/login/", "headers": ["host: testserver"]}, "c1", 1),
            response_start(f"set-cookie: sessionid={SESSION_KEY}; HttpOnly; Path=/", step=1),
            orjson.dumps({"k": "close", "c": "c1"}) + b"\n",
            opened(
                {"path": "/ws/", "headers": [f"cookie: sessionid={SESSION_KEY}; theme=dark"]},
                "c2",
                2,
            ),
            sent(f"welcome back, {SESSION_KEY}", "c2", 3),
        ]
    )
    cleaned = JournalCleaner(Redactor(), binder())(batch)
    assert SESSION_KEY.encode() not in cleaned
    rows = records(cleaned)
    assert rows[1]["e"]["message"]["headers"] == [
        "set-cookie: sessionid=<token:1>; HttpOnly; Path=/"
    ]
    assert rows[3]["scope"]["headers"] == [f"cookie: sessionid=<token:1>; theme={REDACTED}"]
    assert rows[4]["e"]["message"]["text"] == "welcome back, <token:1>"


def test_cleaning_with_a_binder_does_not_depend_on_batching() -> None:
    """One batch or line by line, the binder names the same values the same way."""
    stream = [
        opened({"path": "/", "headers": ["host: testserver"]}),
        response_start(f"set-cookie: sessionid={SESSION_KEY}; Path=/", "content-length: 12"),
        sent({"$json": {"trip": UUID, "at": "2026-03-01T12:00:00Z"}}),
        control_line("chan", [LIVE, "<channel:c1>"]),
        frame(f"open /trips/{UUID}/ for {LIVE}"),
        opened({"path": "/ws/", "headers": [f"cookie: sessionid={SESSION_KEY}"]}, "c2", 2),
    ]
    whole = JournalCleaner(Redactor(), binder())(b"".join(stream))
    cleaner = JournalCleaner(Redactor(), binder())
    assert b"".join(cleaner(part) for part in stream) == whole
    rows = records(whole)
    assert rows[1]["e"]["message"]["headers"] == [
        "set-cookie: sessionid=<token:1>; Path=/",
        f"content-length: {VOLATILE}",
    ]
    assert [row["e"]["message"]["text"] for row in rows[2:4]] == [
        {"$json": {"trip": "<uuid:1>", "at": "<datetime>"}},
        "open /trips/<uuid:1>/ for <channel:c1>",
    ]
    assert rows[4]["scope"]["headers"] == ["cookie: sessionid=<token:1>"]


@pytest.mark.parametrize("with_binder", [True, False], ids=["binder", "no-binder"])
def test_headers_of_an_open_record_are_redacted_by_the_cleaner(with_binder: bool) -> None:
    """The recorder writes a scope's headers raw; the cleaner redacts them."""
    scope = {
        "path": "/ws/",
        "query_string": "token=hunter2&room=lobby",
        "headers": [
            "host: testserver",
            f"cookie: sessionid={SECRET}; csrftoken=abc",
            "authorization: Basic YWxpY2U6d29uZGVybGFuZA==",
            "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==",
        ],
    }
    cleaner = JournalCleaner(Redactor(), binder() if with_binder else None)
    cleaned = cleaner(opened(scope))
    assert records(cleaned)[0]["scope"] == {
        "path": "/ws/",
        "query_string": f"token={REDACTED}&room=lobby",
        "headers": [
            "host: testserver",
            f"cookie: sessionid={REDACTED}; csrftoken={REDACTED}",
            f"authorization: Basic {REDACTED}",
            f"sec-websocket-key: {REDACTED}",
        ],
    }
    assert SECRET in cleaner.redactor.secrets


@pytest.mark.parametrize("with_binder", [True, False], ids=["binder", "no-binder"])
def test_headers_of_a_response_are_redacted_by_the_cleaner(with_binder: bool) -> None:
    """Response headers reach the cleaner raw; secrets in them go, dates turn volatile."""
    cleaned = JournalCleaner(Redactor(), binder() if with_binder else None)(
        response_start(
            f"set-cookie: theme={SECRET}; expires=Thu, 15 May 2025 12:00:00 GMT; Path=/",
            "date: Thu, 15 May 2025 12:00:00 GMT",
            "x-api-key: k",
        )
    )
    assert records(cleaned)[0]["e"]["message"]["headers"] == [
        f"set-cookie: theme={REDACTED}; expires={VOLATILE}; Path=/",
        f"date: {VOLATILE}",
        f"x-api-key: {REDACTED}",
    ]


def test_content_length_is_volatile_only_with_a_binder() -> None:
    """A body may hold bound values whose length changes: only a binding recording drops it."""
    batch = opened(
        {"path": "/", "headers": ["content-length: 27", "host: testserver"]}
    ) + response_start("content-type: text/html", "content-length: 1234")
    bound = records(JournalCleaner(Redactor(), binder())(batch))
    assert bound[0]["scope"]["headers"] == [f"content-length: {VOLATILE}", "host: testserver"]
    assert bound[1]["e"]["message"]["headers"] == [
        "content-type: text/html",
        f"content-length: {VOLATILE}",
    ]
    exact = records(JournalCleaner(Redactor())(batch))
    assert exact[0]["scope"]["headers"] == ["content-length: 27", "host: testserver"]
    assert exact[1]["e"]["message"]["headers"] == [
        "content-type: text/html",
        "content-length: 1234",
    ]


def test_without_a_binder_values_stay_exact() -> None:
    """A replay of a version-2 cassette records made values and timestamps as they are."""
    stream = [
        response_start(f"set-cookie: csrftoken={SESSION_KEY}; Path=/", "content-length: 2"),
        sent({"$json": {"trip": UUID, "at": "2026-03-01T12:00:00Z", "n": int(NOW)}}),
        frame(f"/trips/{UUID}/"),
        control_line("count", {"uuid": 3}),
        sent(UUID),
    ]
    cleaned = JournalCleaner(Redactor())(b"".join(stream))
    rows = records(cleaned)
    assert rows[0]["e"]["message"]["headers"] == [
        f"set-cookie: csrftoken={REDACTED}; Path=/",
        "content-length: 2",
    ]
    assert texts(b"\n".join(cleaned.splitlines()[1:])) == [
        {"$json": {"trip": UUID, "at": "2026-03-01T12:00:00Z", "n": int(NOW)}},
        f"/trips/{UUID}/",
        UUID,
    ]
    assert b"<uuid:" not in cleaned


def test_a_count_line_continues_the_numbering() -> None:
    """After ``!count {"uuid": 3}`` the next UUID the server makes is <uuid:4>."""
    cleaner = JournalCleaner(Redactor(), binder())
    cleaned = cleaner(
        control_line("count", {"uuid": 3, "token": 1}) + sent(f"{UUID} {SESSION_KEY}")
    )
    assert texts(cleaned) == ["<uuid:4> <token:2>"]
    assert cleaner.binder is not None
    assert cleaner.binder.counts == {"jwt": 0, "uuid": 4, "hex": 0, "token": 2}


@pytest.mark.parametrize("with_binder", [True, False], ids=["binder", "no-binder"])
def test_a_secret_from_a_cookie_header_is_scrubbed_after_its_line_only(with_binder: bool) -> None:
    """Lines before the Cookie header in the same batch keep the value; lines after lose it."""
    batch = b"".join(
        [
            frame(f"before {SECRET}"),
            opened({"path": "/ws/", "headers": [f"cookie: sessionid={SECRET}"]}, "c2", 2),
            frame(f"after {SECRET}"),
            sent(f"echo {SECRET}", "c2", 3),
        ]
    )
    cleaned = JournalCleaner(Redactor(), binder() if with_binder else None)(batch)
    rows = records(cleaned)
    assert rows[0]["e"]["message"]["text"] == f"before {SECRET}"
    assert rows[1]["scope"]["headers"] == [f"cookie: sessionid={REDACTED}"]
    assert rows[2]["e"]["message"]["text"] == f"after {REDACTED}"
    assert rows[3]["e"]["message"]["text"] == f"echo {REDACTED}"


def test_a_client_made_cookie_is_redacted_not_bound() -> None:
    """A random cookie the client sent first stays a secret: redacted and learned."""
    client_key = "m1D9JZLDwzkfBm07wcBBOnU9FT7SUzMf"
    batch = opened({"path": "/", "headers": [f"cookie: csrftoken={client_key}"]}) + sent(
        f"your token is {client_key}"
    )
    cleaned = JournalCleaner(Redactor(), binder())(batch)
    assert client_key.encode() not in cleaned
    assert b"<token:" not in cleaned
    assert texts(b"\n".join(cleaned.splitlines()[1:])) == [f"your token is {REDACTED}"]


def test_bound_event_names_by_side_and_redacts_headers() -> None:
    """bound_event names server values on "out", client values on "in", and redacts headers."""
    names = binder()
    redactor = Redactor()
    out = bound_event(
        {
            "dir": "out",
            "message": {
                "type": "http.response.start",
                "headers": [f"set-cookie: sessionid={SESSION_KEY}", "content-length: 9"],
            },
        },
        redactor,
        names,
    )
    assert out["message"]["headers"] == [
        "set-cookie: sessionid=<token:1>",
        f"content-length: {VOLATILE}",
    ]
    layer = bound_event(
        {"dir": "layer", "op": "group_send", "group": f"trip_{UUID}"}, redactor, names
    )
    assert layer["group"] == "trip_<uuid:1>"
    incoming = bound_event(
        {"dir": "in", "message": {"type": "websocket.receive", "text": f"{SESSION_KEY} {UUID}"}},
        redactor,
        names,
    )
    assert incoming["message"]["text"] == "<token:1> <uuid:1>"
    error = bound_event({"dir": "error", "detail": f"no trip {UUID}"}, redactor, names)
    assert error["detail"] == "no trip <uuid:1>"


def test_a_bound_session_key_never_reaches_the_journal() -> None:
    """A session key the server minted is not written, wherever a client sends it back."""
    body = {"$bytes_text": f"next=%2Fchat%2F%3Fs%3D{SESSION_KEY}"}
    batch = response_start(f"set-cookie: sessionid={SESSION_KEY}; Path=/") + line(
        {"dir": "in", "message": {"type": "http.request", "body": body}, "step": 2}
    )
    assert SESSION_KEY.encode() not in JournalCleaner(Redactor())(batch)  # scrubbed
    assert SESSION_KEY.encode() not in JournalCleaner(Redactor(), binder())(batch)


def test_a_count_line_keeps_what_the_binder_named() -> None:
    """``!count`` only raises the numbers: a value named before it keeps its name."""
    cleaner = JournalCleaner(Redactor(), binder())
    assert texts(cleaner(sent(UUID))) == ["<uuid:1>"]
    later = cleaner(control_line("count", {"uuid": 3}) + frame(f"/trips/{UUID}/"))
    assert texts(later) == ["/trips/<uuid:1>/"]


def test_a_count_line_keeps_the_binders_clock() -> None:
    """After ``!count`` timestamps are still judged by the clock the binder was given."""
    cleaner = JournalCleaner(Redactor(), binder())
    assert texts(cleaner(sent("due 2026-03-02"))) == ["due <date>"]
    assert texts(cleaner(control_line("count", {"uuid": 3}) + sent("due 2026-03-02"))) == [
        "due <date>"
    ]


def test_an_exact_line_keeps_the_values_at_its_paths() -> None:
    """``!exact [...]`` (EXACT_PATHS, sent as the journal opens): values there stay as sent."""
    made = "3f2a1b9c-8d7e-4f5a-9b6c-1d2e3f4a5b6c"
    cleaner = JournalCleaner(Redactor(), Binder())
    reply = {"dir": "out", "message": {"type": "websocket.send", "text": {"$json": {"id": made}}}}
    batch = control_line("exact", ["message.text.id"]) + line(reply)
    cleaned = cleaner(batch)
    assert made.encode() in cleaned
    assert b"<uuid:" not in cleaned


def test_readable_values_leave_out_jwts_and_secrets_kept_by_name() -> None:
    """What a recording may keep for reading: the UUID yes; the JWT and the session key
    (it stood in a cookie, a secret's place) no."""
    made = "3f2a1b9c-8d7e-4f5a-9b6c-1d2e3f4a5b6c"
    session = "k3j9x2qw7mzpl0ab4cd8ef1gh5ij6kl0"
    cleaner = JournalCleaner(Redactor(), Binder())
    headers = [f"set-cookie: sessionid={session}; Path=/"]
    start = {"dir": "out", "message": {"type": "http.response.start", "headers": headers}}
    reply = {
        "dir": "out",
        "message": {"type": "websocket.send", "text": {"$json": {"id": made, "t": JWT}}},
    }
    cleaner(line(start) + line(reply))
    assert cleaner.readable().bindings == {"uuid:1": made}
    assert not JournalCleaner(Redactor()).readable()


def test_readable_timestamps_are_kept_by_connection_and_place() -> None:
    """A timestamp shaped in the cassette is kept for reading with the connection and the
    place it was sent at, in order; one a client sent is not (it stays in the cassette)."""
    now = datetime.datetime.now(datetime.UTC)
    first, second = now.isoformat(), (now + datetime.timedelta(seconds=1)).isoformat()
    cleaner = JournalCleaner(Redactor(), Binder(keep_times=True))

    def sent(stamp: str, direction: str = "out") -> dict[str, Any]:
        kind = "websocket.send" if direction == "out" else "websocket.receive"
        return {"dir": direction, "message": {"type": kind, "text": {"$json": {"sent": stamp}}}}

    cleaner(line(sent(first)) + line(sent(second)) + line(sent(first, "in"), "c2"))
    assert cleaner.readable().timestamps == {"c1": {"message.text.sent": [first, second]}}
    # A replay's recorder, which has no file to keep them in, does not keep them.
    replay = JournalCleaner(Redactor(), Binder())
    replay(line(sent(first)))
    assert replay.readable().timestamps == {}


def test_a_secret_that_turns_up_again_is_written_redacted_and_said_once_a_place(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The gate before disk: a known secret in a later event is redacted, and a warning names
    the place (connection and message type) once, however often it turns up there."""
    cleaner = JournalCleaner(Redactor())
    stream = [
        control_line("learn", SECRET),
        frame(f"your session is {SECRET}"),
        frame(f"still {SECRET}"),
        line({"dir": "out", "message": {"type": "websocket.send", "text": SECRET}}, "c2"),
    ]
    with caplog.at_level("WARNING", logger="chanreplay"):
        cleaned = b"".join(cleaner(part) for part in stream)
    assert SECRET.encode() not in cleaned
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2, warnings
    assert "turned up again in c1 websocket.receive (step 1)" in warnings[0]
    assert "c2 websocket.send" in warnings[1]


def test_a_value_holding_a_known_secret_is_never_kept_for_reading() -> None:
    """A view that echoes SECRET_KEY: the binder names it like any value the server made,
    but the values kept beside the cassette never hold a secret the session revealed."""
    secret_key = "zoo-insecure-9f3Kq2LmZx7Rt4Vw8Yb1Nc6Hd0Jf5Gs"
    cleaner = JournalCleaner(Redactor(), binder())
    cleaned = cleaner(
        control_line("learn", secret_key)
        + sent({"debug": secret_key, "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"})
    )
    assert secret_key.encode() not in cleaned
    kept = orjson.dumps(cleaner.readable().bindings)
    assert secret_key.encode() not in kept
    assert b"7c9e6679-7425-40de-944b-e07fc1f90ae7" in kept


@pytest.mark.parametrize(
    "text",
    [
        "x" * 5000,
        "echo: " + "A" * 3000,
        "ab" * 2000,
        "0" * 300 + "1",
        "x" * 400 + "2026-12-07" + "x" * 400,
        "1765000000" + "y" * 400,
        "k3J9x_Qw2mZpL0aB" * 40,
        "deadbeef0123" * 40,
        "00000000-0000-0000-0000-000000000000",
    ],
)
def test_long_runs_are_cleaned_as_the_binder_sees_them(text: str) -> None:
    """The checks in C that spare long runs the binder's expressions change nothing:
    a batch is cleaned as each of its lines is, one by one, without them."""
    from chanreplay.recorder import cleaning

    batch = frame(text) + frame("reply " + text)
    fast = JournalCleaner(Redactor(), Binder())(batch)
    original = cleaning._LONG
    cleaning._LONG = 10**9  # every run goes to the expressions
    try:
        slow = JournalCleaner(Redactor(), Binder())(batch)
    finally:
        cleaning._LONG = original
    assert fast == slow

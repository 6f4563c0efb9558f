"""Tests of chanreplay.cassette.binding: which values look made, and how a Binder names them."""

from __future__ import annotations

import datetime
import secrets
import string
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from chanreplay.cassette.binding import (
    BOUND,
    KINDS,
    WINDOW,
    Binder,
    bound_places,
    fill,
    is_bound,
    kind_of,
    names_in,
)

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC).timestamp()
"""The time of the recording in these tests (far enough from the real clock to matter)."""

UUID_1 = "3f2a9c1e-7b4d-4e8a-9f10-2c3d4e5f6a7b"
UUID_2 = "c0ffee00-1234-4abc-8def-0123456789ab"
JWT_1 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
JWT_2 = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2JieSJ9.YW5vdGhlci1zaWduYXR1cmU"
TOKEN_1 = "fNqv1mBHV68q8xQw"  # secrets.token_urlsafe(12)
TOKEN_2 = "Az5ne7YBb3KEwyRF7W6gC-64OW6LPQ7c"  # secrets.token_urlsafe(24)
HEX_1 = "7b0e9bb27ff7ff838634bcb0aeb8e097474a60e0"  # secrets.token_hex(20)
CLIENT_ID = "m1D9JZLDwzkfBm07wcBBOnU9FT7SUzMf"


def binder() -> Binder:
    """A binder whose clock stands still at :data:`NOW`."""
    return Binder(now=lambda: NOW)


def iso(offset_days: float) -> str:
    """An ISO-8601 date-time ``offset_days`` from :data:`NOW`, as DRF writes it."""
    moment = datetime.datetime.fromtimestamp(NOW, datetime.UTC)
    return (moment + datetime.timedelta(days=offset_days)).isoformat().replace("+00:00", "Z")


# -- kind_of -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (JWT_1, "jwt"),
        ("eyJhbGciOiJub25lIn0.eyJqdGkiOiJhYmMifQ.", "jwt"),
        (UUID_1, "uuid"),
        (UUID_1.upper(), "uuid"),
        (HEX_1, "hex"),
        ("4d9888a78b1cc39755f442c9b815c1d0", "hex"),  # token_hex(16)
        ("DEADBEEF01234567", "hex"),
        ("0123456789abcdef", "hex"),
        ("vkp1yi21l00g5a1d1ed5epfgx6zhhknn", "token"),  # a Django session key
        ("m1D9JZLDwzkfBm07wcBBOnU9FT7SUzMf", "token"),  # a Django CSRF secret
        ("nVrdUh0JxCgZROyK3gVry1h91nCsJCC2iaFsbnBXGuIhymrG6sU1G7J7pJMZlHrM", "token"),
        ("h9DMlr9ZcjTu", "token"),  # token_urlsafe(9)
        (TOKEN_1, "token"),
        ("8ZYqTF6bJTpA1jdVNUDHTQ", "token"),  # token_urlsafe(16)
        (TOKEN_2, "token"),
        ("tb4ZTp2xjuyryXBrv5qjaNGTYvfosRJdMUInYzRRjmg", "token"),  # token_urlsafe(32)
        ("k3J9x_Qw2mZpL0aB", "token"),
        ("oU-AXKg6n-DF", "token"),
        ("DeadBeef01234567abcd", "token"),  # hexadecimal in both cases: no digest
        ("hzkxmqwvbtrplnfd", "token"),  # one case, but no word has six consonants in a row
        ("user-k3J9xQw2m-profile", "token"),  # a slug around nine random characters
        ("order_Xk9mP2qL7_summary", "token"),
    ],
)
def test_kind_of_recognises_made_values(value: str, kind: str) -> None:
    """JWTs and UUIDs by their form; digests and tokens (session keys, token_urlsafe) by chance."""
    assert kind_of(value) == kind


@pytest.mark.parametrize(
    "value",
    [
        "csrfmiddlewaretoken",
        "bootstrap-4-grid-system",
        "user_2024_report",
        "notification_type",
        "sec-websocket-extensions",
        "content-security-policy",
        "x-forwarded-proto",
        "websocket_receive",
        "chat_message_sent",
        "application_json",
        "room-abc123-lobby-main",
        "TripStatusChanged",
        "getUserProfileById",
        "strengths",
        "2026-12-07T04",
        "2026-12-07",
        "0123456789",
        "1234567890123456",
        "xxxxxxxxxxxx",
        "ababababab1",
        "aaaaaaaaaa-bbbbbbbbbb",
        "deadbeefdeadbeef",
        "abc123XYZ",  # too short to be anything
        "hello world and more",
        "",
    ],
)
def test_kind_of_leaves_words_slugs_and_identifiers_alone(value: str) -> None:
    """Words, slugs, identifiers, dates, numbers and repeated characters are no made values."""
    assert kind_of(value) is None


def _misses(make: Callable[[], str], count: int) -> list[str]:
    return [value for value in (make() for _ in range(count)) if kind_of(value) is None]


def test_kind_of_recognises_nearly_every_short_url_safe_token() -> None:
    """At least 99.5% of 2,000 ``token_urlsafe(12)`` are tokens.

    ``secrets`` cannot be seeded; the measured miss rate is about 0.013%
    (a token that happens to read as words), so 10 misses in 2,000 is a margin
    that a correct classifier practically never exceeds.
    """
    misses = _misses(lambda: secrets.token_urlsafe(12), 2000)
    assert len(misses) <= 10, misses


@pytest.mark.parametrize("nbytes", range(9, 33))
def test_kind_of_recognises_url_safe_tokens_of_every_length(nbytes: int) -> None:
    """``token_urlsafe(9)`` to ``(32)``: at most 2% of 200 missed (measured: under 0.2%)."""
    misses = _misses(lambda: secrets.token_urlsafe(nbytes), 200)
    assert len(misses) <= 4, misses


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: str(uuid.uuid4()), "uuid"),
        (lambda: secrets.token_hex(20), "hex"),
        (
            lambda: "".join(
                secrets.choice(string.ascii_lowercase + string.digits) for _ in range(32)
            ),
            "token",
        ),
    ],
    ids=["uuid4", "token_hex(20)", "session-key"],
)
def test_kind_of_recognises_every_uuid_digest_and_session_key(
    make: Callable[[], str], kind: str
) -> None:
    """All of 1,000 uuid4, ``token_hex(20)`` and Django session keys get their kind."""
    kinds = {kind_of(make()) for _ in range(1000)}
    assert kinds == {kind}


@pytest.mark.parametrize("value", ["3eb93e44553c5b5b", "f3364763f4c372cf"])
def test_kind_of_recognises_short_digests_with_few_distinct_digits(value: str) -> None:
    """Real ``token_hex(8)`` outputs are digests although only 7 digits recur in them."""
    assert kind_of(value) == "hex"


# -- placeholders ------------------------------------------------------------------------


def test_is_bound_and_names_in() -> None:
    """A placeholder alone is bound; names_in lists the bindings a text uses, in order."""
    assert is_bound("<uuid:1>")
    assert is_bound("<token:123>")
    assert not is_bound("<uuid:1> ")
    assert not is_bound("Bearer <jwt:1>")
    assert not is_bound("<uuid:0>")
    assert not is_bound("<uuid:01>")
    assert not is_bound("<date>")
    assert not is_bound("<channel:c1>")
    assert names_in("/trips/<uuid:2>/?t=<token:1>&u=<uuid:2>") == ["uuid:2", "token:1", "uuid:2"]
    assert names_in("<datetime> <redacted> <epoch-s>") == []
    assert all(BOUND.fullmatch(f"<{kind}:1>") for kind in KINDS)


# -- Binder: naming ----------------------------------------------------------------------


def test_server_values_are_numbered_per_kind_in_order_of_first_appearance() -> None:
    """Each kind counts on its own, from 1, in the order values first appear."""
    names = binder()
    sent = names.server(
        {"a": UUID_1, "b": JWT_1, "c": UUID_2, "d": TOKEN_1, "e": HEX_1, "f": [JWT_2, UUID_1]}
    )
    assert sent == {
        "a": "<uuid:1>",
        "b": "<jwt:1>",
        "c": "<uuid:2>",
        "d": "<token:1>",
        "e": "<hex:1>",
        "f": ["<jwt:2>", "<uuid:1>"],
    }
    assert names.counts == {"jwt": 2, "uuid": 2, "hex": 1, "token": 1}


def test_a_value_has_one_name_wherever_it_appears() -> None:
    """In later events, inside longer strings and in object keys the same value is one name."""
    names = binder()
    assert names.server({"id": UUID_1, "token": JWT_1}) == {"id": "<uuid:1>", "token": "<jwt:1>"}
    assert names.server(
        {
            "url": f"/api/trips/{UUID_1}/",
            "auth": f"Bearer {JWT_1}",
            "query": f"token={JWT_1}&x=1",
            UUID_1: {"text": f"trip {UUID_1} of {UUID_1}"},
        }
    ) == {
        "url": "/api/trips/<uuid:1>/",
        "auth": "Bearer <jwt:1>",
        "query": "token=<jwt:1>&x=1",
        "<uuid:1>": {"text": "trip <uuid:1> of <uuid:1>"},
    }
    assert names.counts == {"jwt": 1, "uuid": 1, "hex": 0, "token": 0}


def test_a_client_sending_a_server_value_sends_its_placeholder() -> None:
    """What the server made and a client sends back is a binding, in any position."""
    names = binder()
    names.server({"trip": {"id": UUID_1}, "access": JWT_1, "share": TOKEN_1})
    assert names.client(
        {
            "path": f"/api/trips/{UUID_1}/",
            "headers": [f"authorization: Bearer {JWT_1}"],
            "query_string": f"token={JWT_1}&share={TOKEN_1}",
        }
    ) == {
        "path": "/api/trips/<uuid:1>/",
        "headers": ["authorization: Bearer <jwt:1>"],
        "query_string": "token=<jwt:1>&share=<token:1>",
    }
    assert names.value("uuid:1") == UUID_1
    assert names.value("jwt:1") == JWT_1
    assert names.value("token:1") == TOKEN_1
    assert names.value("uuid:2") is None


def test_client_values_stay_exact_also_where_the_server_echoes_them() -> None:
    """A value a client made first is sent again on replay: it is never named."""
    names = binder()
    sent = {"id": UUID_1, "nonce": CLIENT_ID}
    assert names.client(sent) == sent
    assert names.server({"echo": UUID_1, "nonce": f"re: {CLIENT_ID}"}) == {
        "echo": UUID_1,
        "nonce": f"re: {CLIENT_ID}",
    }
    assert names.client({"again": UUID_1}) == {"again": UUID_1}
    assert names.counts == dict.fromkeys(KINDS, 0)


def test_a_client_value_never_becomes_a_binding_after_the_fact() -> None:
    """Only what the server sent first is named; the client's own values are kept."""
    names = binder()
    names.client(TOKEN_1)
    assert names.server(f"{TOKEN_1} {TOKEN_2}") == f"{TOKEN_1} <token:1>"
    assert names.value("token:1") == TOKEN_2


def test_bind_registers_a_made_up_value() -> None:
    """A value a replay made up is named as given, counted, and numbering goes on after it."""
    names = binder()
    names.bind("uuid:3", UUID_1)
    assert names.value("uuid:3") == UUID_1
    assert names.counts["uuid"] == 3
    assert names.client({"id": UUID_1}) == {"id": "<uuid:3>"}
    assert names.server({"echo": UUID_1, "new": UUID_2}) == {"echo": "<uuid:3>", "new": "<uuid:4>"}
    names.bind("token:1", TOKEN_1)
    assert names.counts == {"jwt": 0, "uuid": 4, "hex": 0, "token": 1}


def test_bind_never_lowers_a_count() -> None:
    """Binding a low number after higher ones keeps the highest count."""
    names = binder()
    names.server([UUID_1, UUID_2])
    names.bind("uuid:1", "another-value-0000")
    assert names.counts["uuid"] == 2


def test_start_continues_numbering() -> None:
    """A resumed recording goes on from the numbers already used; unknown kinds are ignored."""
    names = Binder(now=lambda: NOW, start={"uuid": 3, "jwt": 1, "channel": 9})
    assert names.counts == {"jwt": 1, "uuid": 3, "hex": 0, "token": 0}
    assert names.server([UUID_1, JWT_1, TOKEN_1]) == ["<uuid:4>", "<jwt:2>", "<token:1>"]


def test_start_is_copied() -> None:
    """The mapping given as start is not changed by the binder."""
    start = {"uuid": 2}
    names = Binder(now=lambda: NOW, start=start)
    names.server(UUID_1)
    assert start == {"uuid": 2}
    assert names.counts["uuid"] == 3


# -- Binder: timestamps ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "shaped"),
    [
        (iso(0), "<datetime>"),
        (iso(-3.5), "<datetime>"),
        (iso(29), "<datetime>"),
        ("2026-03-01 12:00", "<datetime>"),
        ("2026-03-01T12:00:00.123456+01:00", "<datetime>"),
        ("2026-03-02", "<date>"),
        ("2026-02-14", "<date>"),
        (f"created {iso(0)} due 2026-03-08.", "created <datetime> due <date>."),
        (iso(-400), iso(-400)),
        ("1990-05-17", "1990-05-17"),
        ("2026-06-01", "2026-06-01"),
        ("2026-02-30", "2026-02-30"),
    ],
)
def test_dates_near_the_recording_are_written_by_shape(sent: str, shaped: str) -> None:
    """ISO date-times and dates within :data:`WINDOW` of now become shapes; others stay."""
    assert binder().server({"at": sent}) == {"at": shaped}


@pytest.mark.parametrize(
    ("sent", "shaped"),
    [
        (int(NOW), "<epoch-s>"),
        (NOW + 0.25, "<epoch-s>"),
        (int(NOW) - WINDOW + 1, "<epoch-s>"),
        (int(NOW) + WINDOW - 1, "<epoch-s>"),
        (int(NOW * 1000), "<epoch-ms>"),
        (int(NOW * 1000) - 86_400_000, "<epoch-ms>"),
        (int(NOW) + WINDOW + 1, int(NOW) + WINDOW + 1),
        (1_000_000_000, 1_000_000_000),
        (0, 0),
        (1, 1),
        (42, 42),
        (-1, -1),
        (3.5, 3.5),
        (True, True),
        (False, False),
        (None, None),
    ],
)
def test_epoch_numbers_near_the_recording_are_written_by_shape(sent: Any, shaped: Any) -> None:
    """Epoch seconds and milliseconds near now become shapes; bools, small and far numbers stay."""
    assert binder().server({"at": sent}) == {"at": shaped}


def test_a_client_timestamp_stays_as_sent() -> None:
    """Only what the server sends is shaped: a replay sends the client's own values again."""
    sent = {"at": iso(0), "day": "2026-03-02", "ts": int(NOW), "ms": int(NOW * 1000)}
    assert binder().client(sent) == sent


def test_the_window_is_the_binders_own_clock() -> None:
    """Near and far are judged by the ``now`` given, not by the machine's clock."""
    assert Binder(now=lambda: NOW).server("2026-03-02") == "<date>"
    assert Binder(now=lambda: NOW + 365 * 86400).server("2026-03-02") == "2026-03-02"


def test_dates_do_not_become_bindings() -> None:
    """A date-time next to made values is shaped, and the values around it still named."""
    assert binder().server(f"{UUID_1} at {iso(1)} by {TOKEN_1}") == (
        "<uuid:1> at <datetime> by <token:1>"
    )


# -- Binder: what is never touched -------------------------------------------------------


def test_bytes_values_are_never_touched() -> None:
    """Base64 and spelled-out numbers are no text: nothing in them is named or shaped."""
    names = binder()
    untouched = {
        "bytes": {"$bytes": UUID_1},
        "token": {"$bytes": TOKEN_1},
        "int": {"$int": str(int(NOW) * 10**12)},
        "float": {"$float": "nan"},
    }
    assert names.server(untouched) == untouched
    assert names.client(untouched) == untouched
    assert names.counts == dict.fromkeys(KINDS, 0)


def test_text_bodies_are_looked_into() -> None:
    """``$bytes_text`` and ``$json`` hold text: their made values are named."""
    names = binder()
    assert names.server(
        {"body": {"$bytes_json": {"id": UUID_1}}, "text": {"$json": {"t": TOKEN_1}}}
    ) == {"body": {"$bytes_json": {"id": "<uuid:1>"}}, "text": {"$json": {"t": "<token:1>"}}}
    assert names.client({"$bytes_text": f"id={UUID_1}&t={TOKEN_1}"}) == {
        "$bytes_text": "id=<uuid:1>&t=<token:1>"
    }


def test_ordinary_messages_pass_unchanged() -> None:
    """A message of words, slugs, small numbers and far dates comes out equal."""
    message = {
        "type": "chat.message",
        "room": "bootstrap-4-grid-system",
        "report": "user_2024_report",
        "kind": "notification_type",
        "count": 3,
        "ok": True,
        "born": "1990-05-17",
        "text": "hello, csrfmiddlewaretoken is a form field",
    }
    assert binder().server(message) == message


# -- fill --------------------------------------------------------------------------------


def test_fill_replaces_the_placeholders_lookup_knows() -> None:
    """Known names become live values, in keys and nested text; unknown ones stay."""
    live = {"uuid:1": UUID_1, "jwt:1": JWT_1}
    recorded = {
        "<uuid:1>": ["/trips/<uuid:1>/", "Bearer <jwt:1>", "<token:9>", 3, None],
        "n": 1,
        "when": "<datetime>",
    }
    assert fill(recorded, live.get) == {
        UUID_1: [f"/trips/{UUID_1}/", f"Bearer {JWT_1}", "<token:9>", 3, None],
        "n": 1,
        "when": "<datetime>",
    }


def test_fill_with_nothing_known_changes_nothing() -> None:
    """A lookup that knows nothing (None) leaves every placeholder as it is."""
    recorded = {"a": "<uuid:1> and <jwt:2>", "b": ["<hex:3>"]}
    assert fill(recorded, lambda name: None) == recorded


def test_fill_undoes_what_the_binder_named() -> None:
    """Filling with the binder's own values gives back what was sent (timestamps aside)."""
    names = binder()
    sent = {"trip": UUID_1, "links": [f"/t/{UUID_1}/?s={TOKEN_1}"], "auth": f"Bearer {JWT_1}"}
    named = names.server(sent)
    assert named != sent
    assert fill(named, names.value) == sent


# -- determinism -------------------------------------------------------------------------


def _session(names: Binder) -> list[Any]:
    """One session as a binder sees it: what either side sent, in order."""
    return [
        names.client({"type": "websocket.receive", "text": {"$json": {"nonce": CLIENT_ID}}}),
        names.server({"type": "websocket.send", "text": {"$json": {"trip": UUID_1, "at": iso(0)}}}),
        names.server(["set-cookie: sessionid=vkp1yi21l00g5a1d1ed5epfgx6zhhknn; Path=/"]),
        names.client(["cookie: sessionid=vkp1yi21l00g5a1d1ed5epfgx6zhhknn"]),
        names.server({"access": JWT_1, "refresh": JWT_2, "digest": HEX_1, "n": int(NOW)}),
        names.client({"path": f"/api/trips/{UUID_1}/", "auth": f"Bearer {JWT_1}"}),
        names.server({"echo": CLIENT_ID, "new": UUID_2, "old": UUID_1}),
    ]


def test_two_binders_fed_the_same_session_give_the_same_output() -> None:
    """Naming depends on the session only: two recordings give the same bytes."""
    first, second = binder(), binder()
    assert _session(first) == _session(second)
    assert first.counts == second.counts == {"jwt": 2, "uuid": 2, "hex": 1, "token": 1}


def test_a_session_with_other_values_gives_the_same_output() -> None:
    """Another run of the session (other made values, same order) names them the same."""
    names = binder()
    expected = _session(names)
    other = binder()
    other_values = [
        other.client({"type": "websocket.receive", "text": {"$json": {"nonce": CLIENT_ID}}}),
        other.server({"type": "websocket.send", "text": {"$json": {"trip": UUID_2, "at": iso(1)}}}),
        other.server(["set-cookie: sessionid=0dl4xk2s9wq8e7r6t5y4u3i2o1p0zmxn; Path=/"]),
        other.client(["cookie: sessionid=0dl4xk2s9wq8e7r6t5y4u3i2o1p0zmxn"]),
        other.server({"access": JWT_2, "refresh": JWT_1, "digest": HEX_1[::-1], "n": int(NOW) + 5}),
        other.client({"path": f"/api/trips/{UUID_2}/", "auth": f"Bearer {JWT_2}"}),
        other.server({"echo": CLIENT_ID, "new": UUID_1, "old": UUID_2}),
    ]
    assert other_values == expected


# -- known gaps --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("next=%2Ftrips%2F{uuid}%2F", "next=%2Ftrips%2F<uuid:1>%2F"),
        ("next=%2Fpay%3Fs%3D{token}", "next=%2Fpay%3Fs%3D<token:1>"),
        ("ids={token}%2C{token}", "ids=<token:1>%2C<token:1>"),
    ],
)
def test_a_server_value_after_a_percent_escape_is_a_binding(template: str, expected: str) -> None:
    """A client sending a server value URL-encoded sends its placeholder, never the value."""
    names = binder()
    names.server({"id": UUID_1, "share": TOKEN_1})
    sent = template.format(uuid=UUID_1, token=TOKEN_1)
    assert names.client({"$bytes_text": sent}) == {"$bytes_text": expected}


def test_exact_paths_keep_their_values_and_nothing_else() -> None:
    """EXACT_PATHS: a value at a named place (tags and arrays not counting, ``*`` any one
    key) is recorded as it is, neither bound nor shaped; the same value elsewhere is named."""
    now = 1_800_000_000.0
    made = str(uuid.uuid4())
    stamp = datetime.datetime.fromtimestamp(now, datetime.UTC).isoformat()
    binder = Binder(now=lambda: now, exact=["message.text.created", "message.text.items.*"])
    message = {
        "text": {
            "$json": {
                "created": stamp,
                "id": made,
                "items": [{"id": made}, {"id": made}],
                "updated": stamp,
            }
        }
    }
    assert binder.server(message, ("message",)) == {
        "text": {
            "$json": {
                "created": stamp,
                "id": "<uuid:1>",
                "items": [{"id": made}, {"id": made}],
                "updated": "<datetime>",
            }
        }
    }
    # Without the path the event gives, nothing is exact: the place is not known.
    assert binder.server({"created": stamp}) == {"created": "<datetime>"}


WORDY_TOKEN = "zj-lnduznpNi"
"""What ``secrets.token_urlsafe(9)`` gave once: random, but it reads as words."""


def test_a_random_value_can_read_as_words() -> None:
    """Why places exist: one short token in a thousand is not recognised by its looks."""
    assert kind_of(WORDY_TOKEN) is None


def test_bound_places_are_where_the_server_always_sent_one_kind_of_binding() -> None:
    """Only places holding a whole binding of one kind in every server event count; what
    clients sent, a binding inside longer text or beside a word leaves a place out."""

    def frame(direction: str, text: Any) -> dict[str, Any]:
        kind = "websocket.send" if direction == "out" else "websocket.receive"
        return {"dir": direction, "message": {"type": kind, "text": {"$json": text}}}

    def out(text: Any) -> dict[str, Any]:
        return frame("out", text)

    events = [
        out({"id": "<token:1>", "note": {"public_id": "<token:2>"}, "owner": "<uuid:1>"}),
        out({"id": "<token:3>", "items": [{"key": "<hex:1>"}, {"key": "<hex:2>"}]}),
        out({"owner": "alice", "url": "/notes/<token:1>/", "kind": "<token:1>"}),
        out({"kind": "<uuid:2>"}),
        frame("in", {"c": "<token:1>"}),
        {"dir": "layer", "op": "send", "message": {"type": "note.made", "ref": "<jwt:1>"}},
    ]
    assert bound_places(events) == {
        "message.text.id": "token",
        "message.text.note.public_id": "token",
        "message.text.items.key": "hex",
        "message.ref": "jwt",
    }


def test_a_binder_names_a_wordy_value_where_the_recording_had_a_binding() -> None:
    """At a bound place a value of the kind's form is named whatever it reads as, and so
    is the same value wherever it appears afterwards, from either side."""
    message = {"type": "websocket.send", "text": {"$json": {"id": WORDY_TOKEN}}}
    plain = Binder()
    assert plain.server(message, ("message",)) == message
    binder = Binder(places={"message.text.id": "token"})
    assert binder.server(message, ("message",)) == {
        "type": "websocket.send",
        "text": {"$json": {"id": "<token:1>"}},
    }
    assert binder.value("token:1") == WORDY_TOKEN
    assert binder.client({"path": f"/notes/{WORDY_TOKEN}/"}, ("scope",)) == {
        "path": "/notes/<token:1>/"
    }
    assert binder.server(f"see /notes/{WORDY_TOKEN}/") == "see /notes/<token:1>/"


@pytest.mark.parametrize("value", ["milk", "a word with spaces in it", "x" * 9, ""])
def test_a_bound_place_names_only_values_of_the_kinds_form(value: str) -> None:
    """A short word or text with spaces where a token was is a change, not a token."""
    binder = Binder(places={"message.id": "token"})
    assert binder.server({"id": value}, ("message",)) == {"id": value}


def test_a_bound_place_leaves_a_value_the_client_sent_first() -> None:
    """A client's own value echoed at a bound place stays as it is, as recording keeps it."""
    binder = Binder(places={"message.id": "token"})
    assert binder.client({"id": WORDY_TOKEN}, ("message",)) == {"id": WORDY_TOKEN}
    assert binder.server({"id": WORDY_TOKEN}, ("message",)) == {"id": WORDY_TOKEN}

"""Tests of chanreplay.cassette.redaction: headers, secret keys, forms, learned secrets."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chanreplay.cassette.redaction import REDACTED, VOLATILE, Redactor

SESSION_ID = "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8"
CSRF_TOKEN = "Zx9Yw8Xv7Wu6Vt5Us4Tr3Sq2Rp1Qo0Pn"


# -- headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            f"sessionid={SESSION_ID}; csrftoken={CSRF_TOKEN}",
            f"sessionid={REDACTED}; csrftoken={REDACTED}",
        ),
        ("theme=dark", f"theme={REDACTED}"),
        ("a=1;b=2;  c=", f"a={REDACTED}; b={REDACTED}; c={REDACTED}"),
        ('quoted="a b c"', f"quoted={REDACTED}"),
        ("", ""),
    ],
)
def test_cookie_header_keeps_names_and_redacts_values(value: str, expected: str) -> None:
    """A Cookie header keeps every cookie's name and loses every value."""
    assert Redactor().header("cookie", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            f"sessionid={SESSION_ID}; expires=Thu, 15 May 2025 12:00:00 GMT; HttpOnly; "
            "Max-Age=1209600; Path=/; SameSite=Lax",
            f"sessionid={REDACTED}; expires={VOLATILE}; HttpOnly; Max-Age=1209600; Path=/; "
            "SameSite=Lax",
        ),
        (
            f"csrftoken={CSRF_TOKEN}; Expires=Thu, 15 May 2025 12:00:00 GMT; Secure",
            f"csrftoken={REDACTED}; expires={VOLATILE}; Secure",
        ),
        ('messages="abc"; Path=/', f"messages={REDACTED}; Path=/"),
        ("sessionid=; Max-Age=0; Path=/", f"sessionid={REDACTED}; Max-Age=0; Path=/"),
    ],
)
def test_set_cookie_redacts_value_and_expiry(value: str, expected: str) -> None:
    """Set-Cookie loses its value and expiry date and keeps its other attributes."""
    assert Redactor().header("set-cookie", value) == expected


@pytest.mark.parametrize("name", ["authorization", "proxy-authorization"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", f"Bearer {REDACTED}"),
        ("Basic YWxpY2U6d29uZGVybGFuZA==", f"Basic {REDACTED}"),
        ("Token 0123456789abcdef0123", f"Token {REDACTED}"),
        ("rawsecretwithoutscheme", REDACTED),
    ],
)
def test_authorization_keeps_scheme(name: str, value: str, expected: str) -> None:
    """Authorization headers keep their scheme and lose their credentials."""
    assert Redactor().header(name, value) == expected


@pytest.mark.parametrize(
    "name",
    ["sec-websocket-key", "sec-websocket-accept", "x-csrftoken", "x-api-key", "x-auth-token"],
)
def test_secret_headers_are_redacted(name: str) -> None:
    """Secret headers such as Sec-WebSocket-Key are blanked whole."""
    assert Redactor().header(name, "dGhlIHNhbXBsZSBub25jZQ==") == REDACTED


def test_configured_secret_headers_are_redacted() -> None:
    """Headers named in the configuration are blanked, whatever case they were given in."""
    redactor = Redactor(headers=["X-Tenant-Id"])
    assert redactor.header("x-tenant-id", "abc") == REDACTED
    assert Redactor().header("x-tenant-id", "abc") == "abc"


@pytest.mark.parametrize("name", ["date", "expires", "last-modified"])
def test_volatile_headers_are_replaced(name: str) -> None:
    """Date-like headers are replaced by a placeholder, so a re-recording gives the same bytes."""
    assert Redactor().header(name, "Thu, 15 May 2025 12:00:00 GMT") == VOLATILE


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("user-agent", "Mozilla/5.0 (X11; Linux x86_64)"),
        ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("accept", "*/*"),
        ("etag", '"abc"'),
    ],
)
def test_ordinary_headers_are_kept(name: str, value: str) -> None:
    """Headers that hold no secret are recorded unchanged."""
    assert Redactor().header(name, value) == value


# -- secret keys ------------------------------------------------------------------

SECRET_KEYS = [
    "password",
    "Password",
    "PASSWORD",
    "password1",
    "new_password1",
    "new_password2",
    "old_password",
    "new-password",
    "passwd",
    "secret",
    "client_secret",
    "client-secret",
    "token",
    "access_token",
    "refresh_token",
    "csrf_token",
    "csrftoken",
    "csrfmiddlewaretoken",
    "api_key",
    "apikey",
    "api-key",
    "X-Api-Key",
    "stripe_api_key",
    "sessionid",
    "session_id",
    "session-key",
    "authorization",
    "private_key",
    "user.x_token",
    "clé_token",
    "refreshToken",
    "accessKey",
    "apiKey",
    "APIKey",
    "API_KEY",
    "PassWord",
    "access_key",
    "pass",
    "user-pass",
    "pwd",
    "passphrase",
    "credential",
    "credentials",
    "otp",
    "pin",
    "auth",
    "basic_auth",
    "csrf",
    "refresh",
]
LOOK_ALIKES = [
    "tokens",
    "token_count",
    "tokenizer",
    "passwords",
    "password_hint",
    "secretary",
    "session",
    "keys",
    "author",
    "username",
    "mytoken",
    "pa\u017f\u017fword",
    "compass",
    "passage",
    "spin",
    "pinned",
    "oauth",
    "authored",
    "refreshed",
    "keypad",
    "option",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_keys_are_redacted(key: str) -> None:
    """The value of an object key whose name looks secret is redacted, however deep."""
    event = {"message": {"text": {"$json": {"form": [{key: "hunter2", "keep": "me"}]}}}}
    assert Redactor().value(event) == {
        "message": {"text": {"$json": {"form": [{key: REDACTED, "keep": "me"}]}}}
    }


@pytest.mark.parametrize("key", LOOK_ALIKES)
def test_look_alike_keys_are_kept(key: str) -> None:
    """Keys that only resemble a secret name (tokens, token_count) are not redacted."""
    event = {"message": {key: "value"}}
    assert Redactor().value(event) == event


def test_secret_key_redacts_its_whole_value() -> None:
    """A secret key's value is replaced whole, whatever its type."""
    event = {"token": {"nested": [1, 2]}, "api_key": 12345, "password": None}
    assert Redactor().value(event) == {"token": REDACTED, "api_key": REDACTED, "password": REDACTED}


def test_tag_keys_are_not_names() -> None:
    """A tag such as $json is transparent: its payload is redacted under the tagged key's path."""
    redactor = Redactor(paths=["message.text.card"])
    event = {"message": {"text": {"$json": {"card": "4111", "other": 1}}}}
    assert redactor.value(event) == {"message": {"text": {"$json": {"card": REDACTED, "other": 1}}}}


# -- forms and query strings ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("token=abc&page=2", f"token={REDACTED}&page=2"),
        (
            "username=alice&password=hunter2&next=%2Fchat%2F",
            f"username=alice&password={REDACTED}&next=%2Fchat%2F",
        ),
        (
            "csrfmiddlewaretoken=abc&message=hi+there",
            f"csrfmiddlewaretoken={REDACTED}&message=hi+there",
        ),
        ("new%5Fpassword=x&a=1", f"new%5Fpassword={REDACTED}&a=1"),
        ("page=2&sort=%7Ename", "page=2&sort=%7Ename"),
        ("room=lobby", "room=lobby"),
        ("", ""),
    ],
)
def test_query_string_redacts_secret_fields(query: str, expected: str) -> None:
    """Secret query fields lose their values; a query without secrets is kept byte for byte."""
    assert Redactor().query_string(query) == expected


def test_form_body_is_redacted() -> None:
    """A URL-encoded form body stored as $bytes_text has its secret fields redacted."""
    body = {"$bytes_text": "username=alice&password=hunter2&new_password1=x&api_key=k"}
    event = {"message": {"type": "http.request", "body": body}}
    assert Redactor().value(event)["message"]["body"] == {
        "$bytes_text": f"username=alice&password={REDACTED}&new_password1={REDACTED}"
        f"&api_key={REDACTED}"
    }


@pytest.mark.parametrize(
    "text",
    [
        "e=mc2 & more",
        "token: abc",
        "1+1=2",
    ],
)
def test_prose_is_not_parsed_as_a_form(text: str) -> None:
    """Text that is not a whole form body (spaces, no field list) is not rewritten."""
    assert Redactor().text(text) == text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<input type="hidden" name="csrfmiddlewaretoken" value="Zx9Yw8Xv7Wu6">',
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{REDACTED}">',
        ),
        (
            '<input value="Zx9Yw8Xv7Wu6" name="csrfmiddlewaretoken" type="hidden">',
            f'<input value="{REDACTED}" name="csrfmiddlewaretoken" type="hidden">',
        ),
        (
            "<input type='hidden' name='csrfmiddlewaretoken' value='Zx9Yw8Xv7Wu6'>",
            f"<input type='hidden' name='csrfmiddlewaretoken' value='{REDACTED}'>",
        ),
        (
            '<form><input name="csrfmiddlewaretoken" value="one"><input name="csrfmiddlewaretoken"'
            ' value="two"></form>',
            f'<form><input name="csrfmiddlewaretoken" value="{REDACTED}"><input '
            f'name="csrfmiddlewaretoken" value="{REDACTED}"></form>',
        ),
    ],
)
def test_django_csrf_input_is_redacted(html: str, expected: str) -> None:
    """The hidden input of {% csrf_token %} loses its value, in either attribute order."""
    assert Redactor().value({"body": {"$bytes_text": html}}) == {"body": {"$bytes_text": expected}}


def test_other_inputs_keep_their_values() -> None:
    """Inputs other than csrfmiddlewaretoken keep their values."""
    html = '<input name="room" value="lobby"><input name="csrfmiddlewaretoken" value="x">'
    assert Redactor().text(html).startswith('<input name="room" value="lobby">')


# -- learned secrets ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cookie", f"sessionid={SESSION_ID}"),
        ("cookie", f'sessionid="{SESSION_ID}"'),
        ("set-cookie", f"sessionid={SESSION_ID}; Path=/"),
        ("authorization", f"Bearer {SESSION_ID}"),
        ("x-api-key", SESSION_ID),
    ],
)
def test_secret_seen_in_a_header_is_scrubbed_later(name: str, value: str) -> None:
    """A secret value seen in a header is scrubbed from every later string and header."""
    redactor = Redactor()
    redactor.header(name, value)
    event = {"message": {"text": {"$json": {"echo": f"your session is {SESSION_ID}!"}}}}
    assert redactor.value(event) == {
        "message": {"text": {"$json": {"echo": f"your session is {REDACTED}!"}}}
    }
    assert redactor.header("referer", f"http://testserver/?s={SESSION_ID}") == (
        f"http://testserver/?s={REDACTED}"
    )


def test_longest_learned_secret_is_replaced_whole() -> None:
    """A learned secret that contains another is replaced as one."""
    redactor = Redactor()
    redactor.learn("a" * 16)
    redactor.learn("a" * 16 + "b" * 16)
    assert redactor.scrub("x" + "a" * 16 + "b" * 16 + "y") == f"x{REDACTED}y"


@pytest.mark.parametrize("cookie", ["theme=dark", "lang=en", "sid=0123456789abcde"])
def test_short_cookie_values_are_not_scrubbed_from_prose(cookie: str) -> None:
    """Cookie values shorter than 16 characters are redacted in the header only."""
    redactor = Redactor()
    redactor.header("cookie", cookie)
    text = f"switch to {cookie.partition('=')[2]} mode"
    assert redactor.text(text) == text


def test_redacted_placeholder_is_never_learned() -> None:
    """A value that is already the placeholder is not learned, so it does not scrub itself."""
    redactor = Redactor()
    redactor.learn(REDACTED)
    assert redactor.scrub(f"a {REDACTED} b") == f"a {REDACTED} b"
    assert not redactor.might_need(orjson.dumps({"t": REDACTED}))


# -- configuration --------------------------------------------------------------------


@pytest.mark.parametrize("key", ["card_number", "Card-Number", "CARD_NUMBER", "card-number"])
def test_configured_keys_are_redacted(key: str) -> None:
    """Keys named in the configuration are redacted whatever their case or separator."""
    redactor = Redactor(keys=["card-number"])
    assert redactor.value({"message": {key: "4111"}}) == {"message": {key: REDACTED}}
    assert redactor.query_string(f"{key}=4111&a=1") == f"{key}={REDACTED}&a=1"


def test_configured_keys_may_be_a_generator() -> None:
    """Configured keys given as a one-shot iterable still reach the pre-check."""
    redactor = Redactor(keys=(k for k in ["card_number"]))
    data = orjson.dumps({"card_number": "4111"})
    assert redactor.might_need(data)
    assert redactor.value(orjson.loads(data)) == {"card_number": REDACTED}


@pytest.mark.parametrize(
    ("paths", "event", "expected"),
    [
        (
            ["message.text.card"],
            {"message": {"text": {"$json": {"card": "4111", "name": "A"}}}},
            {"message": {"text": {"$json": {"card": REDACTED, "name": "A"}}}},
        ),
        (
            ["message.*.card"],
            {"message": {"a": {"card": 1}, "b": {"card": 2}, "card": 3}},
            {"message": {"a": {"card": REDACTED}, "b": {"card": REDACTED}, "card": 3}},
        ),
        (
            ["message.text.card"],
            {"message": {"text": {"deeper": {"card": "4111"}}}},
            {"message": {"text": {"deeper": {"card": "4111"}}}},
        ),
        (
            ["message.items.card"],
            {"message": {"items": [{"card": 1}, {"card": 2}]}},
            {"message": {"items": [{"card": REDACTED}, {"card": REDACTED}]}},
        ),
        (
            ["*"],
            {"message": 1, "step": 2},
            {"message": REDACTED, "step": REDACTED},
        ),
    ],
)
def test_configured_paths_are_redacted(paths: list[str], event: Any, expected: Any) -> None:
    """Configured dotted paths are redacted; "*" matches one level; lists share their path."""
    assert Redactor(paths=paths).value(event) == expected


# -- might_need -----------------------------------------------------------------------

ORDINARY_EVENTS: list[Any] = [
    {"dir": "in", "message": {"type": "websocket.connect"}, "step": 1},
    {"dir": "out", "message": {"type": "websocket.accept", "subprotocol": None}, "step": 1},
    {
        "dir": "in",
        "message": {"type": "websocket.receive", "text": {"$json": {"message": "hello"}}},
        "step": 2,
    },
    {"dir": "out", "message": {"type": "websocket.send", "text": "tokens are fun"}, "step": 2},
    {
        "dir": "layer",
        "op": "group_send",
        "group": "chat_lobby",
        "message": {"type": "chat.message", "token_count": 3, "tokens": ["a", "b"]},
        "step": 2,
    },
    {
        "dir": "out",
        "message": {
            "type": "http.response.start",
            "status": 200,
            "headers": ["content-type: text/html; charset=utf-8", "content-length: 1234"],
        },
        "step": 3,
    },
    {
        "dir": "out",
        "message": {"type": "http.response.body", "body": {"$bytes_text": "<h1>Lobby</h1>"}},
        "step": 3,
    },
    {"dir": "in", "message": {"type": "http.request", "body": {"$bytes_text": "room=lobby&n=2"}}},
    {"dir": "in", "message": {"type": "websocket.receive", "bytes": {"$bytes": "AAEC"}}},
]


@pytest.mark.parametrize("event", ORDINARY_EVENTS)
def test_might_need_is_false_for_ordinary_events(event: Any) -> None:
    """Ordinary events skip redaction: the pre-check says no."""
    assert not Redactor().might_need(orjson.dumps(event))


def sample_redactors() -> list[Redactor]:
    learned = Redactor()
    learned.header("cookie", f"sessionid={SESSION_ID}")
    learned.header("authorization", 'Bearer quote"back\\slash-secret')
    configured = Redactor(keys=["card-number", "pin code"], paths=["message.card"])
    extra_only = Redactor(keys=["card-number", "pin code"])
    return [Redactor(), learned, configured, extra_only]


SAMPLES: list[Any] = [
    *ORDINARY_EVENTS,
    *({key: "v"} for key in SECRET_KEYS + LOOK_ALIKES),
    *({"text": f"a=1&{key}=v"} for key in SECRET_KEYS + LOOK_ALIKES),
    *({"text": f"{key}=v&a=1"} for key in SECRET_KEYS + LOOK_ALIKES),
    {"text": "a=1&new%5Fpassword=v"},
    {"text": "a=1&pass%77ord=v"},
    {"card_number": 1},
    {"CARD-NUMBER": 1},
    {"cardnumber": 1},
    {"pin code": 1},
    {"text": "pin+code=1234&a=1"},
    {"message": {"card": 1}},
    {"body": {"$bytes_text": '<input name="csrfmiddlewaretoken" value="x">'}},
    {"text": f"session {SESSION_ID}"},
    {"text": 'his secret is quote"back\\slash-secret, really'},
    {"text": f"{SESSION_ID[:-1]}"},
    {"$object": {"$x": {"password": 1}}},
    {"list": [[{"token": 1}]]},
    {"text": '{"msg": "{\\"password\\": \\"hunter22\\"}"}'},
    {"text": '{"refreshToken": "r"}'},
    {"bytes": {"$bytes": base64.b64encode(b'{"password": "hunter22"}').decode()}},
    {"bytes": {"$bytes": base64.b64encode(b"user=a&pin=1234").decode()}},
    {"bytes": {"$bytes": base64.b64encode(f"sid {SESSION_ID}".encode()).decode()}},
    {"bytes": {"$bytes": base64.b64encode(b"\x00\x01password=x").decode()}},
]


@pytest.mark.parametrize(
    "redactor", sample_redactors(), ids=["default", "learned", "configured", "extra"]
)
def test_might_need_is_true_whenever_value_changes_something(redactor: Redactor) -> None:
    """For every sample, the pre-check says yes whenever value() would change the event."""
    missed = [
        sample
        for sample in SAMPLES
        if redactor.value(sample) != sample and not redactor.might_need(orjson.dumps(sample))
    ]
    assert missed == []


def test_samples_exercise_both_answers() -> None:
    """The might_need samples include events that value() changes and events it keeps."""
    redactor = Redactor()
    changed = [sample for sample in SAMPLES if redactor.value(sample) != sample]
    assert 0 < len(changed) < len(SAMPLES)


field_names = st.sampled_from(SECRET_KEYS + LOOK_ALIKES + ["a", "room", "card-number"]) | st.text(
    min_size=1
)
form_texts = st.lists(
    st.tuples(field_names, st.text(alphabet="abc123%_-+", max_size=5)), min_size=1, max_size=4
).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs))
events = st.recursive(
    st.none() | st.integers(min_value=-(2**63), max_value=2**63) | st.text() | form_texts,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(field_names, children, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.parametrize(
    "redactor", sample_redactors(), ids=["default", "learned", "configured", "extra"]
)
@given(event=events)
def test_might_need_never_misses_a_change(redactor: Redactor, event: Any) -> None:
    """For generated events, might_need is True whenever value() would change something."""
    if redactor.value(event) != event:
        assert redactor.might_need(orjson.dumps(event))


def test_json_inside_a_string_is_redacted_as_json() -> None:
    """A frame whose field holds serialised JSON: its keys count as any object's."""
    inner = '{"credentials": {"pass": "tulip-42"}, "room": "lobby"}'
    redacted = Redactor().value({"text": {"$json": {"msg": inner}}})
    assert orjson.loads(redacted["text"]["$json"]["msg"]) == {
        "credentials": REDACTED,
        "room": "lobby",
    }
    untouched = '{"room": "lobby", "n": 1}'
    assert Redactor().value({"msg": untouched}) == {"msg": untouched}  # bytes kept as they were


def test_a_binary_frame_that_holds_text_is_redacted_and_stays_binary() -> None:
    def payload(data: bytes) -> dict[str, str]:
        return {"$bytes": base64.b64encode(data).decode()}

    def text_of(value: dict[str, str]) -> str:
        return base64.b64decode(value["$bytes"]).decode()

    redactor = Redactor()
    assert orjson.loads(text_of(redactor.value(payload(b'{"password": "tulip-42"}')))) == {
        "password": REDACTED
    }
    assert text_of(redactor.value(payload(b"user=a&pin=1234"))) == f"user=a&pin={REDACTED}"
    redactor.header("cookie", f"sessionid={SESSION_ID}")
    assert text_of(redactor.value(payload(f"sid {SESSION_ID}".encode()))) == f"sid {REDACTED}"
    digest = payload(hashlib.sha256(b"x").digest())
    assert redactor.value(digest) == digest  # data, not text: left as it is


@pytest.mark.parametrize("name", ["sec-websocket-key", "sec-websocket-accept"])
def test_handshake_nonces_are_redacted_but_not_learned(name: str) -> None:
    """A per-connection nonce is redacted where it is, never searched for afterwards."""
    redactor = Redactor()
    nonce = "dGhlIHNhbXBsZSBub25jZQ=="
    assert redactor.header(name, nonce) == REDACTED
    assert redactor.scrub(f"x {nonce} y") == f"x {nonce} y"
    assert redactor.scrub_json(orjson.dumps(nonce)) == orjson.dumps(nonce)


# -- bindings ---------------------------------------------------------------------------
# A binding (<jwt:1>) stands for a value the server made that was never written: it is
# kept where the secret it replaced would have been redacted, and a placeholder with
# anything else beside it is redacted as any secret.


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cookie", "sessionid=<token:1>"),
        ("cookie", "sessionid=<token:1>; csrftoken=<token:2>"),
        ("set-cookie", "sessionid=<token:1>; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax"),
        ("authorization", "Bearer <jwt:1>"),
        ("authorization", "<jwt:1>"),
        ("proxy-authorization", "Token <token:3>"),
        ("x-csrftoken", "<token:2>"),
        ("x-api-key", "<hex:1>"),
    ],
)
def test_bindings_in_secret_headers_are_kept(name: str, value: str) -> None:
    """A secret header that holds only bindings (and a scheme) is recorded as it is."""
    redactor = Redactor()
    assert redactor.header(name, value) == value
    assert redactor.secrets == frozenset()


def test_cookie_bindings_are_kept_beside_redacted_cookies() -> None:
    """In one Cookie header a bound value is kept and a raw one redacted (and learned)."""
    redactor = Redactor()
    assert redactor.header("cookie", f"sessionid=<token:1>; csrftoken={CSRF_TOKEN}") == (
        f"sessionid=<token:1>; csrftoken={REDACTED}"
    )
    assert redactor.secrets == frozenset({CSRF_TOKEN})


def test_set_cookie_binding_keeps_its_value_and_loses_its_expiry() -> None:
    """A bound Set-Cookie keeps its placeholder; its expiry date is still volatile."""
    value = "sessionid=<token:1>; expires=Thu, 15 May 2025 12:00:00 GMT; HttpOnly; Path=/"
    assert Redactor().header("set-cookie", value) == (
        f"sessionid=<token:1>; expires={VOLATILE}; HttpOnly; Path=/"
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("authorization", "Bearer <jwt:1> extra", f"Bearer {REDACTED}"),
        ("authorization", "Basic <token:1>", f"Basic {REDACTED}"),
        ("authorization", "Bearer <jwt:1>x", f"Bearer {REDACTED}"),
        ("x-csrftoken", "<token:1>-and-more", REDACTED),
        ("x-csrftoken", "<uuid:0>", REDACTED),
        ("x-csrftoken", "<redacted>", REDACTED),
        ("cookie", "sessionid=<token:1>abc", f"sessionid={REDACTED}"),
        ("set-cookie", "sessionid=<token:1>abc; Path=/", f"sessionid={REDACTED}; Path=/"),
    ],
)
def test_a_binding_with_other_text_in_a_secret_header_is_redacted(
    name: str, value: str, expected: str
) -> None:
    """Anything beside a binding in a secret header may be secret: the value goes."""
    assert Redactor().header(name, value) == expected


@pytest.mark.parametrize("key", ["token", "access_token", "csrfmiddlewaretoken", "session_key"])
@pytest.mark.parametrize("bound", ["<jwt:1>", "<token:2>", "Bearer <jwt:1>", "<uuid:1> <uuid:2>"])
def test_bindings_under_secret_keys_are_kept(key: str, bound: str) -> None:
    """A secret JSON key whose value is bindings only keeps it."""
    event = {"message": {"text": {"$json": {key: bound, "password": "hunter2"}}}}
    assert Redactor().value(event) == {
        "message": {"text": {"$json": {key: bound, "password": REDACTED}}}
    }


@pytest.mark.parametrize(
    "value",
    ["<jwt:1> extra", "hunter2 <token:1>", "Bearer <jwt:1> and more", "<token:1><redacted>x"],
)
def test_a_binding_with_other_text_under_a_secret_key_is_redacted(value: str) -> None:
    """A placeholder plus other text under a secret key is redacted whole."""
    assert Redactor().value({"password": value, "token": value}) == {
        "password": REDACTED,
        "token": REDACTED,
    }


def test_a_form_keeps_its_csrf_binding_and_loses_its_password() -> None:
    """A login form: the bound csrfmiddlewaretoken stays, the password is redacted."""
    body = {"$bytes_text": "csrfmiddlewaretoken=<token:1>&username=alice&password=hunter2"}
    assert Redactor().value({"message": {"type": "http.request", "body": body}}) == {
        "message": {
            "type": "http.request",
            "body": {
                "$bytes_text": f"csrfmiddlewaretoken=<token:1>&username=alice&password={REDACTED}"
            },
        }
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("token=<jwt:1>&page=2", "token=<jwt:1>&page=2"),
        ("csrfmiddlewaretoken=<token:1>&room=lobby", "csrfmiddlewaretoken=<token:1>&room=lobby"),
        ("token=<jwt:1>x&page=2", f"token={REDACTED}&page=2"),
        ("token=<jwt:1>&api_key=zzz", f"token=<jwt:1>&api_key={REDACTED}"),
    ],
)
def test_query_string_keeps_bound_secret_fields(query: str, expected: str) -> None:
    """A secret query field holding only a binding keeps it; one with more is redacted."""
    assert Redactor().query_string(query) == expected


def test_a_form_with_a_bound_field_name_is_still_a_form() -> None:
    """A field name that is a placeholder does not hide the form's secret fields."""
    redacted = Redactor().text("<token:1>=1&password=hunter2")
    assert redacted.endswith(f"&password={REDACTED}")
    assert "hunter2" not in redacted


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<input type="hidden" name="csrfmiddlewaretoken" value="<token:1>">',
            '<input type="hidden" name="csrfmiddlewaretoken" value="<token:1>">',
        ),
        (
            '<input value="<token:1>" name="csrfmiddlewaretoken" type="hidden">',
            '<input value="<token:1>" name="csrfmiddlewaretoken" type="hidden">',
        ),
        (
            '<input name="csrfmiddlewaretoken" value="<token:1>"><input name="csrfmiddlewaretoken"'
            f' value="{CSRF_TOKEN}">',
            '<input name="csrfmiddlewaretoken" value="<token:1>"><input name="csrfmiddlewaretoken"'
            f' value="{REDACTED}">',
        ),
        (
            '<input type="hidden" name="csrfmiddlewaretoken" value="<token:1>abc">',
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{REDACTED}">',
        ),
    ],
)
def test_django_csrf_input_keeps_its_binding(html: str, expected: str) -> None:
    """The {% csrf_token %} input keeps a bound value; a raw one (or more) is redacted."""
    assert Redactor().value({"body": {"$bytes_text": html}}) == {"body": {"$bytes_text": expected}}


def test_headers_redacts_cassette_header_lines() -> None:
    """headers() redacts "name: value" lines as header() does, bindings kept."""
    redactor = Redactor()
    assert redactor.headers(
        [
            "host: testserver",
            f"cookie: sessionid=<token:1>; csrftoken={CSRF_TOKEN}",
            "authorization: Bearer <jwt:1>",
            "x-csrftoken: <token:2>",
            "date: Thu, 15 May 2025 12:00:00 GMT",
            f"referer: http://testserver/?c={CSRF_TOKEN}",
        ]
    ) == [
        "host: testserver",
        f"cookie: sessionid=<token:1>; csrftoken={REDACTED}",
        "authorization: Bearer <jwt:1>",
        "x-csrftoken: <token:2>",
        f"date: {VOLATILE}",
        f"referer: http://testserver/?c={REDACTED}",
    ]


def test_scope_redacts_headers_query_string_and_values() -> None:
    """scope() redacts a connection's headers, query string and secret keys; bindings stay."""
    redactor = Redactor()
    scope = {
        "path": "/ws/chat/",
        "query_string": "token=<jwt:1>&api_key=zzz&room=lobby",
        "headers": [f"cookie: sessionid={SESSION_ID}", "authorization: Bearer <jwt:1>"],
        "session": {"session_key": "<token:1>", "password": "hunter2"},
    }
    assert redactor.scope(scope) == {
        "path": "/ws/chat/",
        "query_string": f"token=<jwt:1>&api_key={REDACTED}&room=lobby",
        "headers": [f"cookie: sessionid={REDACTED}", "authorization: Bearer <jwt:1>"],
        "session": {"session_key": "<token:1>", "password": REDACTED},
    }
    assert scope["headers"] == [f"cookie: sessionid={SESSION_ID}", "authorization: Bearer <jwt:1>"]
    assert redactor.secrets == frozenset({SESSION_ID})


@pytest.mark.parametrize(
    "text",
    [
        "next=/trips/<uuid:1>/&password=hunter2",
        "next=%2Ftrips%2F<uuid:1>%2F&password=hunter2",
        "<uuid:1>=1&password=hunter2",
    ],
)
def test_a_form_rewritten_for_a_secret_keeps_bindings_in_other_fields(text: str) -> None:
    """Redacting a password must not hide the binding in the field beside it."""
    assert "<uuid:1>" in Redactor().text(text)


@pytest.mark.parametrize("name", ["x-access-key", "x-refresh-token", "x-user-password"])
def test_a_header_named_as_a_secret_is_one(name: str) -> None:
    redactor = Redactor()
    assert redactor.header(name, "header-secret-0123") == REDACTED
    assert redactor.text("later: header-secret-0123") == f"later: {REDACTED}"


MULTIPART = (
    "--b0undary\r\n"
    'Content-Disposition: form-data; name="username"\r\n\r\ncarol\r\n'
    "--b0undary\r\n"
    'Content-Disposition: form-data; name="password"\r\n\r\nmultipart-pass-66\r\n'
    "--b0undary\r\n"
    'Content-Disposition: form-data; name="picture"; filename="me.png"\r\n'
    "Content-Type: image/png\r\n\r\n"
)


def test_a_multipart_form_loses_its_secret_fields_and_keeps_its_file() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    as_text = Redactor().value({"body": {"$bytes_text": MULTIPART + "x\r\n--b0undary--\r\n"}})
    assert "multipart-pass-66" not in as_text["body"]["$bytes_text"]
    assert f'name="password"\r\n\r\n{REDACTED}\r\n--' in as_text["body"]["$bytes_text"]
    raw = MULTIPART.encode() + png + b"\r\n--b0undary--\r\n"
    event = {"body": {"$bytes": base64.b64encode(raw).decode()}}
    assert Redactor().might_need(orjson.dumps(event))
    redacted = base64.b64decode(Redactor().value(event)["body"]["$bytes"])
    assert b"multipart-pass-66" not in redacted
    assert b'name="username"\r\n\r\ncarol\r\n' in redacted
    assert png in redacted  # the file's bytes, every one kept

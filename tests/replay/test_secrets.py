"""Tests of chanreplay.replay.secrets: filling ``<redacted>`` values by name for a replay."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest

from chanreplay.cassette.redaction import REDACTED
from chanreplay.replay.secrets import Secrets

SECRETS = Secrets(
    {
        "Password": "p&ss w=rd",
        "csrftoken": "TOKEN",
        "sessionid": "SESSION",
        "x_csrftoken": "HEADER",
        "api-key": "KEY",
    }
)


def test_the_placeholder_is_the_cassettes() -> None:
    """The module fills exactly the marker the recorder writes."""
    assert REDACTED == "<redacted>"


# -- value ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("password", "p&ss w=rd"),
        ("PASSWORD", "p&ss w=rd"),
        ("Password", "p&ss w=rd"),
        ("X-CSRFToken", "HEADER"),
        ("x-csrftoken", "HEADER"),
        ("X_CSRFTOKEN", "HEADER"),
        ("api-key", "KEY"),
        ("API-Key", "KEY"),
        ("username", None),
        ("csrf", None),
    ],
)
def test_value_looks_names_up_case_insensitively_with_dash_as_underscore(
    name: str, value: str | None
) -> None:
    """Names match whatever their case; ``X-CSRFToken`` finds ``x_csrftoken``."""
    assert SECRETS.value(name) == value


def test_values_are_stored_under_lowercase_names() -> None:
    """The mapping given is kept, its names lowercased."""
    assert Secrets({"Password": "a", "X-Y": "b"}).values == {"password": "a", "x-y": "b"}
    assert Secrets().values == {}
    assert Secrets(None).value("anything") is None


# -- cookies and headers -----------------------------------------------------------


def test_cookie_fills_known_redacted_cookies_and_keeps_the_rest() -> None:
    """Known cookies get their value; unknown ones stay redacted; others are untouched."""
    header = f"sessionid={REDACTED}; theme=dark;csrftoken={REDACTED}; other={REDACTED}; flag"
    assert SECRETS.cookie(header) == (
        f"sessionid=SESSION; theme=dark; csrftoken=TOKEN; other={REDACTED}; flag"
    )


def test_cookie_only_fills_values_that_are_exactly_redacted() -> None:
    """A cookie whose value merely contains the marker, or was not redacted, is left as it is."""
    header = f"sessionid=abc; csrftoken=x{REDACTED}"
    assert SECRETS.cookie(header) == header


def test_headers_fill_cookies_and_redacted_header_values() -> None:
    """The Cookie header is filled cookie by cookie, other headers by their own name."""
    headers = [
        (b"host", b"testserver"),
        (b"Cookie", f"sessionid={REDACTED}; csrftoken={REDACTED}".encode()),
        (b"X-CSRFToken", REDACTED.encode()),
        (b"api-key", f"key {REDACTED}".encode()),
        (b"authorization", f"Bearer {REDACTED}".encode()),
    ]
    assert SECRETS.headers(headers) == [
        (b"host", b"testserver"),
        (b"Cookie", b"sessionid=SESSION; csrftoken=TOKEN"),
        (b"X-CSRFToken", b"HEADER"),
        (b"api-key", b"key KEY"),
        (b"authorization", f"Bearer {REDACTED}".encode()),
    ]


def test_set_cookie_fills_the_cookie_it_sets_and_keeps_its_attributes() -> None:
    """A mock server's reply sets the real value; unknown or unredacted cookies stay."""
    header = f"sessionid={REDACTED}; expires=<volatile>; HttpOnly; Path=/"
    assert SECRETS.set_cookie(header) == "sessionid=SESSION; expires=<volatile>; HttpOnly; Path=/"
    assert SECRETS.set_cookie(f"other={REDACTED}; Path=/") == f"other={REDACTED}; Path=/"
    assert SECRETS.set_cookie("theme=dark") == "theme=dark"
    assert SECRETS.headers([(b"Set-Cookie", f"csrftoken={REDACTED}".encode())]) == [
        (b"Set-Cookie", b"csrftoken=TOKEN")
    ]


def test_headers_keep_latin_1_values() -> None:
    """Header bytes are latin-1: bytes above 127 survive the round trip."""
    headers = [(b"x-name", "caf\xe9".encode("latin-1"))]
    assert SECRETS.headers(headers) == headers


# -- forms -----------------------------------------------------------------------


def test_form_fills_known_fields_url_encoded() -> None:
    """A known value is URL-encoded; every field keeps its place."""
    text = f"username=alice&password={REDACTED}&next=%2Fchat%2F"
    filled = SECRETS.form(text)
    assert filled == "username=alice&password=p%26ss+w%3Drd&next=%2Fchat%2F"
    assert parse_qsl(filled) == [
        ("username", "alice"),
        ("password", "p&ss w=rd"),
        ("next", "/chat/"),
    ]


def test_form_leaves_unknown_fields_redacted() -> None:
    """An unknown field still reads ``<redacted>`` once decoded."""
    filled = SECRETS.form(f"password={REDACTED}&csrfmiddlewaretoken={REDACTED}")
    assert parse_qsl(filled) == [("password", "p&ss w=rd"), ("csrfmiddlewaretoken", REDACTED)]


def test_form_without_a_redacted_value_is_returned_unchanged() -> None:
    """Nothing to fill: the very same text, not even re-encoded."""
    text = "q=a%20b&x=1&empty="
    assert SECRETS.form(text) is text


def test_form_keeps_blank_values() -> None:
    """A blank field is kept while another is filled."""
    assert parse_qsl(SECRETS.form(f"a=&password={REDACTED}"), keep_blank_values=True) == [
        ("a", ""),
        ("password", "p&ss w=rd"),
    ]


# -- JSON --------------------------------------------------------------------------


def test_json_fills_string_values_by_their_key_at_any_depth() -> None:
    """Nested objects and lists are walked; a list item is filled by its list's key."""
    value: Any = {
        "password": REDACTED,
        "user": {"csrftoken": REDACTED, "name": "alice"},
        "sessionid": [REDACTED, "plain", REDACTED],
        "other": REDACTED,
        "count": 3,
    }
    assert SECRETS.json(value) == {
        "password": "p&ss w=rd",
        "user": {"csrftoken": "TOKEN", "name": "alice"},
        "sessionid": ["SESSION", "plain", "SESSION"],
        "other": REDACTED,
        "count": 3,
    }


def test_json_leaves_a_redacted_value_without_a_key() -> None:
    """A bare redacted string or one in a top-level list has no name to look up."""
    assert SECRETS.json(REDACTED) == REDACTED
    assert SECRETS.json([REDACTED, 1]) == [REDACTED, 1]


def test_json_only_fills_values_that_are_exactly_redacted() -> None:
    """A string that merely contains the marker is left alone."""
    assert SECRETS.json({"password": f"x{REDACTED}"}) == {"password": f"x{REDACTED}"}


# -- bodies ------------------------------------------------------------------------


def test_a_form_body_is_filled() -> None:
    """A URL-encoded body gets its known fields filled."""
    body = f"username=alice&password={REDACTED}".encode()
    filled = SECRETS.body(body, "application/x-www-form-urlencoded")
    assert filled == b"username=alice&password=p%26ss+w%3Drd"


def test_a_body_without_a_content_type_is_left_as_recorded() -> None:
    """No content type: Django would not read it as a form either, so it is not rewritten."""
    body = f"password={REDACTED}".encode()
    assert SECRETS.body(body, "") is body


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"],
)
def test_a_json_body_is_filled(content_type: str) -> None:
    """A body whose content type mentions json is parsed and written back, filled."""
    body = orjson.dumps({"login": {"password": REDACTED}, "remember": True})
    filled = SECRETS.body(body, content_type)
    assert orjson.loads(filled) == {"login": {"password": "p&ss w=rd"}, "remember": True}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"username=alice&password=secret", "application/x-www-form-urlencoded"),
        (b'{"password": "x"}', "application/json"),
        (b"\xff\xfe binary", "application/octet-stream"),
        (b"", ""),
    ],
)
def test_a_body_without_redacted_values_is_the_same_object(body: bytes, content_type: str) -> None:
    """Nothing redacted: the body is returned as it is, the same object."""
    assert SECRETS.body(body, content_type) is body


def test_an_invalid_json_body_is_returned_unchanged() -> None:
    """A json content type with a body that is not JSON: left as it is."""
    body = f"password={REDACTED}".encode()
    assert SECRETS.body(body, "application/json") is body


def test_a_body_that_is_not_utf8_is_returned_unchanged() -> None:
    """A form body that cannot be decoded is left as it is."""
    body = b"\xff" + REDACTED.encode()
    assert SECRETS.body(body, "application/x-www-form-urlencoded") is body


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            b'--B\r\nContent-Disposition: form-data; name="note"\r\n\r\n<redacted>\r\n--B--\r\n',
            "multipart/form-data; boundary=B",
        ),
        (b"token: <redacted>, see you", "text/plain"),
    ],
)
def test_a_body_that_is_neither_form_nor_json_is_not_rewritten(
    body: bytes, content_type: str
) -> None:
    """Only form and JSON bodies are rewritten; others reach the app byte for byte."""
    assert Secrets().body(body, content_type) == body


# -- text frames -------------------------------------------------------------------


def test_a_json_text_frame_is_filled() -> None:
    """A websocket frame holding JSON gets its known fields filled."""
    frame = orjson.dumps({"type": "login", "password": REDACTED, "other": REDACTED}).decode()
    assert orjson.loads(SECRETS.text(frame)) == {
        "type": "login",
        "password": "p&ss w=rd",
        "other": REDACTED,
    }


@pytest.mark.parametrize("frame", ["hello", '{"password": "x"}', "", "[1, 2]"])
def test_a_text_frame_without_redacted_values_is_the_same_object(frame: str) -> None:
    """Nothing redacted: the frame is returned as it is."""
    assert SECRETS.text(frame) is frame


def test_a_text_frame_that_is_not_json_is_returned_unchanged() -> None:
    """Plain text holding the marker cannot be filled by name: left as it is."""
    frame = f"my password is {REDACTED}"
    assert SECRETS.text(frame) is frame


# -- empty secrets -------------------------------------------------------------------


def test_an_empty_secret_fills_a_cookie_and_a_header() -> None:
    """An empty string is a value: cookies and headers get it."""
    secrets = Secrets({"pw": ""})
    assert secrets.cookie(f"pw={REDACTED}") == "pw="
    assert secrets.headers([(b"pw", REDACTED.encode())]) == [(b"pw", b"")]


def test_an_empty_secret_fills_a_form_and_json() -> None:
    """An empty string fills form fields and JSON values as it fills cookies."""
    secrets = Secrets({"pw": ""})
    assert secrets.form(f"pw={REDACTED}") == "pw="
    assert secrets.json({"pw": REDACTED}) == {"pw": ""}


# -- differs -------------------------------------------------------------------


def test_differs_names_the_redacted_field_whose_given_value_was_not_sent() -> None:
    """Only redacted fields with a known value are checked, at any depth."""
    recorded = {"user": "alice", "password": REDACTED, "keys": [{"api-key": REDACTED}]}
    right = {"user": "bob", "password": "p&ss w=rd", "keys": [{"api-key": "KEY"}]}
    assert SECRETS.differs(right, recorded) is None
    assert SECRETS.differs({**right, "password": "guess"}, recorded) == "password"
    assert SECRETS.differs({**right, "keys": [{"api-key": "nope"}]}, recorded) == "api-key"
    assert SECRETS.differs({"token": "anything"}, {"token": REDACTED}) is None  # not given


def test_a_secret_word_fills_the_fields_it_names() -> None:
    """``password`` fills a sign-up form's password1 and password2; an exact name wins."""
    secrets = Secrets({"password": "pw", "old_password": "old"})
    assert secrets.value("password1") == "pw"
    assert secrets.value("new_password2") == "pw"
    assert secrets.value("old_password") == "old"
    assert secrets.value("PASSWORD") == "pw"
    assert secrets.value("passwords") is None
    assert secrets.value("token1") is None
    form = "username=newbie&password1=<redacted>&password2=<redacted>"
    assert secrets.form(form) == "username=newbie&password1=pw&password2=pw"


def test_values_of_one_user_come_first_for_that_user() -> None:
    secrets = Secrets({"password": {"alice": "wonderland", "bob": "builder"}, "token": "shared"})
    assert secrets.value("password") is None  # nobody's in particular
    assert secrets.for_user("alice").value("password") == "wonderland"
    assert secrets.for_user("bob").value("password1") == "builder"
    assert secrets.for_user("carol").value("password") is None
    assert secrets.for_user("bob").value("token") == "shared"
    assert secrets.users == {"alice", "bob"}


def test_a_value_for_everyone_else_stands_beside_the_users_own() -> None:
    secrets = Secrets({"password": {"alice": "wonderland", "*": "shared"}})
    assert secrets.for_user("alice").value("password") == "wonderland"
    assert secrets.for_user("carol").value("password") == "shared"
    assert secrets.value("password") == "shared"


def test_a_login_form_takes_the_password_of_the_user_it_names() -> None:
    """An anonymous request (the login itself) has no recorded user: the form names one."""
    secrets = Secrets({"password": {"alice": "wonderland", "bob": "builder"}})
    assert secrets.form("username=bob&password=<redacted>") == "username=bob&password=builder"
    assert secrets.form("username=dave&password=<redacted>") == (
        "username=dave&password=%3Credacted%3E"  # no value for dave: left as recorded
    )
    login = {"action": "login", "credentials": {"user": "alice", "password": "<redacted>"}}
    assert secrets.json(login)["credentials"]["password"] == "wonderland"
    assert orjson.loads(secrets.text(orjson.dumps(login).decode()))["credentials"] == {
        "user": "alice",
        "password": "wonderland",
    }
    # The connection's recorded user wins over a name in the content.
    assert (
        secrets.for_user("alice")
        .form("username=bob&password=<redacted>")
        .endswith("password=wonderland")
    )


def test_differs_checks_the_password_of_the_user_the_recording_names() -> None:
    secrets = Secrets({"password": {"alice": "wonderland", "bob": "builder"}})
    recorded = {"username": "bob", "password": "<redacted>"}
    assert secrets.differs({"username": "bob", "password": "builder"}, recorded) is None
    assert secrets.differs({"username": "bob", "password": "wonderland"}, recorded) == "password"


def test_with_values_adds_values_for_everyone_and_keeps_the_users_own() -> None:
    secrets = Secrets({"password": {"alice": "wonderland"}}).for_user("alice")
    added = secrets.with_values({"sessionid": "abc"})
    assert added.value("sessionid") == "abc"
    assert added.value("password") == "wonderland"
    assert added.user == "alice"

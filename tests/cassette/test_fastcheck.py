"""The loader's fast event check never accepts what the JSON Schema rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from chanreplay.cassette import VERSION, load
from chanreplay.cassette.fastcheck import event_conforms, layer_event_conforms
from chanreplay.cassette.loader import schema
from chanreplay.cassette.model import CLIENT_OUTCOMES

_VALIDATOR = Draft202012Validator(schema())
_V1_VALIDATOR = Draft202012Validator(schema(1))
EXAMPLE = Path(__file__).parents[2] / "cassettes" / "example_session.json"

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(-1, 3), st.sampled_from(["", "x"])
)
OPS = ["send", "receive", "new_channel", "group_add", "group_discard", "group_send", "flush"]


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    """An event the schema accepts, of every kind."""
    step = draw(st.integers(0, 5))
    if draw(st.integers(0, 4)) == 0:
        return {
            "dir": "error",
            "step": step,
            "exception": draw(st.sampled_from(["KeyError", "chat.models.Note.DoesNotExist"])),
            "detail": draw(st.sampled_from(["", "'user'"])),
            "client": draw(st.sampled_from(sorted(CLIENT_OUTCOMES.values()))),
        }
    if draw(st.booleans()):
        message: dict[str, Any] = {"type": draw(st.sampled_from(["websocket.send", "x"]))}
        if draw(st.booleans()):
            message["headers"] = draw(st.lists(st.sampled_from(["host: a", "x-y: 1 2"])))
        return {"dir": draw(st.sampled_from(["in", "out"])), "step": step, "message": message}
    op = draw(st.sampled_from(OPS))
    event: dict[str, Any] = {"dir": "layer", "op": op, "step": step}
    if op in ("send", "receive", "new_channel", "group_add", "group_discard"):
        event["channel"] = "<channel:c1>"
    if op in ("group_add", "group_discard", "group_send"):
        event["group"] = "room"
    if op in ("send", "group_send", "receive"):
        event["message"] = {"type": "chat.message"}
    if draw(st.booleans()):
        event["layer"] = "other"
    return event


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event, then up to three changes that may or may not break it."""
    event = draw(valid_events())
    for _ in range(draw(st.integers(0, 3))):
        key = draw(
            st.sampled_from([*event, "extra", "error", "op", "dir", "message", "client", "detail"])
        )
        change = draw(st.sampled_from(["delete", "scalar", "nested"]))
        if change == "delete":
            event.pop(key, None)
        elif change == "scalar":
            event[key] = draw(
                st.one_of(scalars, st.sampled_from(["in", "layer", "error", "explode", *OPS]))
            )
        elif isinstance(event.get("message"), dict):
            event["message"][draw(st.sampled_from(["type", "headers"]))] = draw(
                st.one_of(scalars, st.just(["bad"]), st.just([" x: 1"]))
            )
    return event


def _document(event: Any, *, external: bool, version: int = VERSION) -> dict[str, Any]:
    connection = {
        "id": "c1",
        "type": "websocket",
        "scope": {"path": "/", "query_string": "", "headers": []},
        "step": 1,
        "user": None,
        "closed": True,
        "events": [] if external else [event],
    }
    return {
        "format": "chanreplay-cassette",
        "version": version,
        "connections": [connection],
        "external": [event] if external else [],
    }


@settings(max_examples=1500)
@given(events())
def test_an_event_the_fast_check_accepts_is_valid(event: dict[str, Any]) -> None:
    if event_conforms(event):
        assert _VALIDATOR.is_valid(_document(event, external=False)), event
    if event_conforms(event, errors=False):
        assert _V1_VALIDATOR.is_valid(_document(event, external=False, version=1)), event
    if layer_event_conforms(event):
        assert _VALIDATOR.is_valid(_document(event, external=True)), event


def test_an_error_event_is_valid_in_version_2_only() -> None:
    error = {
        "dir": "error",
        "step": 3,
        "exception": "KeyError",
        "detail": "'_auth_user_id'",
        "client": "handshake refused with HTTP 500",
    }
    assert event_conforms(error)
    assert _VALIDATOR.is_valid(_document(error, external=False))
    assert not event_conforms(error, errors=False)
    assert not _V1_VALIDATOR.is_valid(_document(error, external=False, version=1))
    assert not event_conforms({**error, "client": "a shrug"})


def test_recorded_events_take_the_fast_path() -> None:
    """Every event of a real recording passes the fast check (else loads would be slow)."""
    cassette = load(EXAMPLE)
    assert all(event_conforms(e) for c in cassette.connections for e in c.events)

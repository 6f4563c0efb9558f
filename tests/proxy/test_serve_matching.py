"""How ``serve`` decides that a client's frame is the one the cassette expects."""

from __future__ import annotations

import json

from aiohttp import WSMessage, WSMsgType

from chanreplay.cassette.redaction import REDACTED
from chanreplay.proxy.serve import _matches
from chanreplay.replay.secrets import Secrets

NONE = Secrets()


def text(data: str) -> WSMessage:
    return WSMessage(WSMsgType.TEXT, data, None)


def test_json_frames_compare_as_json() -> None:
    expected = {"type": "websocket.receive", "text": {"$json": {"a": 1, "b": [2]}}}
    assert _matches(text('{"b": [2], "a": 1}'), expected, NONE)
    assert not _matches(text('{"a": 2, "b": [2]}'), expected, NONE)


def test_a_secret_the_client_sends_matches_its_redacted_recording() -> None:
    """The cassette holds the token redacted; the client sends the real one."""
    expected = {
        "type": "websocket.receive",
        "text": {"$json": {"action": "auth", "token": REDACTED}},
    }
    assert _matches(text(json.dumps({"action": "auth", "token": "live-value"})), expected, NONE)
    assert not _matches(text(json.dumps({"action": "other", "token": "x"})), expected, NONE)


def test_plain_text_frames_compare_as_text() -> None:
    expected = {"type": "websocket.receive", "text": "ping"}
    assert _matches(text("ping"), expected, NONE)
    assert not _matches(text("pong"), expected, NONE)
    assert not _matches(WSMessage(WSMsgType.BINARY, b"ping", None), expected, NONE)


def test_a_given_secret_must_be_the_one_the_client_sends() -> None:
    """With ``--secret token=right`` the mock checks the credential instead of taking any."""
    expected = {
        "type": "websocket.receive",
        "text": {"$json": {"action": "auth", "token": REDACTED}},
    }
    given = Secrets({"token": "right"})
    assert _matches(text(json.dumps({"action": "auth", "token": "right"})), expected, given)
    assert not _matches(text(json.dumps({"action": "auth", "token": "wrong"})), expected, given)

"""The differ skips connections whose events and header are the same JSON (most of a
review's): only values equal in Python but of another JSON type still differ."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chanreplay.cassette.model import Cassette
from chanreplay.diff.compare import Rules, diff_cassettes
from chanreplay.diff.matchers import ANY_INT
from tests.diff.events import accept, connect, connection, receive, send


def chat(cid: str = "c1", **payload: Any) -> Cassette:
    events = [connect(1), accept(1), receive({"message": "hi", **payload}, 2), send({"n": 1}, 2)]
    return Cassette([connection(cid, events, user={"username": "alice"})])


def test_equal_cassettes_and_shared_events_are_equal() -> None:
    old = chat()
    assert diff_cassettes(old, copy.deepcopy(old)).equal
    shared = Cassette([copy.copy(old.connections[0])])  # the same events list
    assert shared.connections[0].events is old.connections[0].events
    assert diff_cassettes(old, shared).equal


@pytest.mark.parametrize("other", [True, 1.0, "1"])
def test_a_value_of_another_json_type_still_differs(other: Any) -> None:
    result = diff_cassettes(chat(n=1), chat(n=other))
    (changed,) = result.connections
    (event,) = changed.events
    assert [c.path for c in event.changes] == [("message", "text", "n")]


def test_a_header_of_another_json_type_still_differs() -> None:
    old, new = chat(), chat()
    new.connections[0].step = 1.0  # type: ignore[assignment]
    (changed,) = diff_cassettes(old, new).connections
    assert [c.path for c in changed.header] == [("step",)]
    assert changed.events == []


def test_a_changed_header_with_the_same_events_is_reported_without_events() -> None:
    old, new = chat(), chat()
    new.connections[0].user = {"username": "bob"}
    (changed,) = diff_cassettes(old, new).connections
    assert changed.kind == "changed"
    assert [c.path for c in changed.header] == [("user", "username")]
    assert changed.events == []
    assert changed.actual is new.connections[0]


def test_rules_never_make_the_same_events_differ() -> None:
    """A matcher the recorded value fails does not report events that are the same: as
    before the fast path, identical events align and are never compared field by field."""
    old = chat(n="not a number")
    rules = Rules.build(matchers={"message.text.n": ANY_INT})
    assert diff_cassettes(old, copy.deepcopy(old), rules).equal

"""A connection's layer operations within one step compare as a multiset; frames keep order."""

from __future__ import annotations

import itertools

from chanreplay.cassette.model import Cassette, Event
from chanreplay.diff import Rules, diff_cassettes, settle_layer_order
from chanreplay.diff.order import layer_order_like
from tests.diff.events import connection, group_send, receive, send


def discard(group: str, step: int) -> Event:
    return {
        "dir": "layer",
        "op": "group_discard",
        "group": group,
        "channel": "<channel:c1>",
        "step": step,
    }


def disconnect(step: int) -> Event:
    return {"dir": "in", "message": {"type": "websocket.disconnect", "code": 1000}, "step": step}


ROOMS = ["lobby", "games", "music"]


def leaving(order: list[str], step: int = 5) -> list[Event]:
    """A disconnect handler leaving every joined room, in ``order`` (a set's)."""
    events: list[Event] = [disconnect(step)]
    for room in order:
        events += [group_send(room, step, user="alice"), discard(room, step)]
        events.append(send({"leave": room}, step))  # to a client that is gone
    return events


def test_every_order_of_a_steps_layer_operations_is_the_same_behaviour() -> None:
    expected = leaving(ROOMS)
    for order in itertools.permutations(ROOMS):
        actual = leaving(list(order))
        assert layer_order_like(expected, actual) == expected
        diff = diff_cassettes(
            Cassette([connection("c1", expected)]), Cassette([connection("c1", actual)])
        )
        assert diff.equal, order


def test_frames_to_a_client_that_is_still_there_keep_their_order() -> None:
    expected = [receive({"go": 1}, 2), send({"n": 1}, 2), send({"n": 2}, 2)]
    actual = [receive({"go": 1}, 2), send({"n": 2}, 2), send({"n": 1}, 2)]
    assert layer_order_like(expected, actual) == actual
    diff = diff_cassettes(
        Cassette([connection("c1", expected)]), Cassette([connection("c1", actual)])
    )
    assert not diff.equal


def test_operations_of_different_steps_are_not_exchanged() -> None:
    expected = [group_send("a", 2), group_send("b", 2), group_send("c", 3), group_send("d", 3)]
    actual = [group_send("b", 2), group_send("a", 2), group_send("d", 3), group_send("c", 3)]
    assert layer_order_like(expected, actual) == expected
    crossed = [group_send("c", 2), group_send("b", 2), group_send("a", 3), group_send("d", 3)]
    assert layer_order_like(expected, crossed) == crossed  # b and d are already in place


def test_an_operation_that_changed_is_reported_and_the_rest_still_pair_up() -> None:
    expected = [group_send("a", 2, text="x"), group_send("b", 2), group_send("c", 2)]
    actual = [group_send("c", 2), group_send("a", 2, text="y"), group_send("b", 2)]
    ordered = layer_order_like(expected, actual)
    assert ordered == [group_send("a", 2, text="y"), group_send("b", 2), group_send("c", 2)]
    diff = diff_cassettes(
        Cassette([connection("c1", expected)]), Cassette([connection("c1", actual)])
    )
    (changed,) = diff.connections
    (event,) = changed.events
    assert (event.kind, event.expected_index, event.actual_index) == ("changed", 0, 0)
    assert [c.path for c in event.changes] == [("message", "text")]


def test_the_rules_decide_what_counts_as_the_same_operation() -> None:
    expected = [group_send("a", 2, at="10:00"), group_send("b", 2, at="10:00")]
    actual = [group_send("b", 2, at="11:30"), group_send("a", 2, at="11:31")]
    rules = Rules.build(ignore=["message.at"])
    assert layer_order_like(expected, actual, rules) == [actual[1], actual[0]]
    diff = diff_cassettes(
        Cassette([connection("c1", expected)]), Cassette([connection("c1", actual)]), rules
    )
    assert diff.equal


def test_settle_layer_order_works_connection_by_connection() -> None:
    expected = Cassette([connection("c1", leaving(ROOMS)), connection("c2", [send({"x": 1}, 1)])])
    actual = Cassette(
        [connection("c1", leaving(ROOMS[::-1])), connection("c3", [send({"x": 1}, 1)])]
    )
    settled = settle_layer_order(expected, actual)
    assert settled.connections[0].events == leaving(ROOMS)
    assert settled.connections[1] == actual.connections[1]  # no counterpart: untouched

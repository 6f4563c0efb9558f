"""Tests of chanreplay.diff.compare: field-by-field diffs, event alignment, cassette diffs."""

from __future__ import annotations

import re
from typing import Any

import pytest

from chanreplay.cassette.model import Cassette, Event
from chanreplay.cassette.redaction import REDACTED
from chanreplay.diff.compare import (
    CassetteDiff,
    EventDiff,
    FieldChange,
    Rules,
    diff_cassettes,
    diff_events,
    diff_values,
)
from chanreplay.diff.matchers import ANY, ANY_INT, ANY_STRING, Predicate, Regex
from chanreplay.diff.paths import PathPattern
from tests.diff.events import accept, connect, connection, group_send, receive, send

# -- helpers ------------------------------------------------------------------


def summary(changes: list[FieldChange]) -> list[tuple[tuple[str | int, ...], Any, Any]]:
    """(path, expected, actual) per change, ``"-"`` for an absent side."""
    return [
        (
            change.path,
            change.expected if change.has_expected else "-",
            change.actual if change.has_actual else "-",
        )
        for change in changes
    ]


def kinds(differences: list[EventDiff]) -> list[tuple[str, int | None, int | None]]:
    """(kind, expected index, actual index) per event difference."""
    return [(d.kind, d.expected_index, d.actual_index) for d in differences]


# -- diff_values: structure ----------------------------------------------------


def test_equal_values_have_no_changes() -> None:
    """Deeply equal values give an empty list."""
    value = {"a": [1, {"b": "x"}], "c": None, "d": {"$bytes": "AAEC"}}
    assert diff_values(value, {"a": [1, {"b": "x"}], "c": None, "d": {"$bytes": "AAEC"}}) == []


def test_nested_dicts_report_the_path_of_the_changed_leaf() -> None:
    """Only the differing leaf is reported, by its full path."""
    expected = {"message": {"type": "t", "payload": {"user": {"name": "alice", "id": 1}}}}
    actual = {"message": {"type": "t", "payload": {"user": {"name": "bob", "id": 1}}}}
    assert summary(diff_values(expected, actual)) == [
        (("message", "payload", "user", "name"), "alice", "bob")
    ]


def test_changes_come_in_sorted_key_order() -> None:
    """Several changes are listed by key, whatever the dicts' order."""
    changes = diff_values({"b": 1, "a": 1, "c": 1}, {"c": 2, "b": 2, "a": 2})
    assert [change.path for change in changes] == [("a",), ("b",), ("c",)]


def test_a_missing_key_has_no_actual_and_an_unexpected_key_no_expected() -> None:
    """Removed fields carry only ``expected``, added ones only ``actual``."""
    changes = diff_values({"gone": 1, "kept": 2}, {"kept": 2, "new": {"x": 3}})
    assert summary(changes) == [(("gone",), 1, "-"), (("new",), "-", {"x": 3})]
    gone, new = changes
    assert (gone.has_expected, gone.has_actual) == (True, False)
    assert (new.has_expected, new.has_actual) == (False, True)


def test_a_missing_none_is_not_the_same_as_none() -> None:
    """A key holding null and an absent key differ."""
    assert summary(diff_values({"a": None}, {})) == [(("a",), None, "-")]


def test_lists_of_the_same_length_compare_index_by_index() -> None:
    """Items are paired by position; the path carries the index as an int."""
    changes = diff_values({"items": [{"id": 1}, {"id": 2}]}, {"items": [{"id": 1}, {"id": 3}]})
    assert summary(changes) == [(("items", 1, "id"), 2, 3)]


def test_a_longer_list_of_objects_reports_the_extra_items() -> None:
    """Lists of objects are not aligned: items past the shorter list are added or removed."""
    assert summary(diff_values([{"a": 1}], [{"a": 1}, {"a": 2}])) == [((1,), "-", {"a": 2})]
    assert summary(diff_values([{"a": 1}, {"a": 2}], [{"a": 1}])) == [((1,), {"a": 2}, "-")]


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        (1, 1.0),
        (1.0, 1),
        (1, True),
        (True, 1),
        (0, False),
        (0, None),
        ("1", 1),
        ([], {}),
        ({"a": 1}, [1]),
    ],
)
def test_values_of_different_types_differ_even_when_python_says_equal(
    expected: Any, actual: Any
) -> None:
    """1, 1.0 and True are three different JSON values: one change at the root."""
    assert summary(diff_values({"v": expected}, {"v": actual})) == [(("v",), expected, actual)]


def test_the_root_itself_can_differ() -> None:
    """Two scalars that differ give one change with the empty path."""
    assert summary(diff_values(1, 2)) == [((), 1, 2)]


# -- diff_values: tags ---------------------------------------------------------


@pytest.mark.parametrize("tag", ["$json", "$bytes_json", "$object"])
def test_transparent_tags_are_seen_through(tag: str) -> None:
    """Paths into tagged JSON read as if inline: ``message.text.user``, no tag in between."""
    expected = {"message": {"text": {tag: {"user": "alice", "room": "lobby"}}}}
    actual = {"message": {"text": {tag: {"user": "bob", "room": "lobby"}}}}
    assert summary(diff_values(expected, actual)) == [(("message", "text", "user"), "alice", "bob")]


def test_a_json_frame_compared_with_a_plain_text_frame_is_one_change() -> None:
    """A frame that was JSON and is now plain text is reported whole at the frame's path."""
    changes = diff_values({"text": {"$json": {"a": 1}}}, {"text": "oops"})
    assert summary(changes) == [(("text",), {"a": 1}, "oops")]


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ({"$bytes": "AAEC"}, {"$bytes": "AAED"}),
        ({"$bytes_text": "a=1"}, {"$bytes_text": "a=2"}),
        ({"$int": "18446744073709551616"}, {"$int": "18446744073709551617"}),
        ({"$float": "nan"}, {"$float": "inf"}),
        ({"$bytes": "AAEC"}, {"$bytes_text": "hi"}),
    ],
)
def test_leaf_tags_are_compared_whole(expected: Any, actual: Any) -> None:
    """A tagged scalar is one value: the change is at its path, with the tags as they are."""
    assert summary(diff_values({"body": expected}, {"body": actual})) == [
        (("body",), expected, actual)
    ]


def test_an_unchanged_leaf_tag_is_no_change() -> None:
    """Equal leaf tags compare equal."""
    assert diff_values({"body": {"$bytes": "AAEC"}}, {"body": {"$bytes": "AAEC"}}) == []


def test_a_leaf_tag_on_the_actual_side_is_also_compared_whole() -> None:
    """JSON body expected, text body actual: one change at ``body``, as the reverse gives."""
    json_body = {"body": {"$bytes_json": {"ok": True}}}
    text_body = {"body": {"$bytes_text": "<html>error</html>"}}
    assert len(diff_values(text_body, json_body)) == 1  # the reverse direction: whole
    assert summary(diff_values(json_body, text_body)) == [
        (("body",), {"ok": True}, {"$bytes_text": "<html>error</html>"})
    ]


def test_a_dollar_key_inside_a_json_frame_is_a_field_paths_can_name() -> None:
    """``{"$type": ...}`` sent by the app is a field: ``message.text.$type`` ignores it."""
    # What the codec stores for the text frame '{"$type": "ping"}':
    expected = {"message": {"text": {"$json": {"$type": "ping"}}}}
    actual = {"message": {"text": {"$json": {"$type": "pong"}}}}
    assert diff_values(expected, actual, Rules.build(ignore=["message.text.$type"])) == []


def test_a_json_key_inside_a_frame_is_not_taken_for_a_tag() -> None:
    """The frames '{"a": {"$json": [1]}}' and '{"a": [1]}' differ."""
    expected = {"text": {"$json": {"a": {"$json": [1]}}}}
    actual = {"text": {"$json": {"a": [1]}}}
    assert diff_values(expected, actual) != []


# -- diff_values: aligned lists of scalars --------------------------------------


def test_one_inserted_header_is_exactly_one_change() -> None:
    """Lists of strings of different lengths are aligned: the headers after it are not changed."""
    expected = ["host: a", "accept: */*", "cookie: x", "user-agent: t"]
    actual = ["host: a", "accept: */*", "x-new: 1", "cookie: x", "user-agent: t"]
    changes = diff_values({"headers": expected}, {"headers": actual})
    assert summary(changes) == [(("headers", 2), "-", "x-new: 1")]


def test_one_removed_header_is_exactly_one_change() -> None:
    """A removal is reported at its index in the expected list."""
    expected = ["host: a", "accept: */*", "cookie: x", "user-agent: t"]
    actual = ["host: a", "cookie: x", "user-agent: t"]
    assert summary(diff_values({"headers": expected}, {"headers": actual})) == [
        (("headers", 1), "accept: */*", "-")
    ]


def test_a_replaced_run_pairs_items_then_reports_the_rest() -> None:
    """Replacing two items by three: two changed in place, the third added."""
    changes = diff_values(["a", "b", "c", "z"], ["a", "x", "y", "w", "z"])
    assert summary(changes) == [((1,), "b", "x"), ((2,), "c", "y"), ((3,), "-", "w")]


def test_aligned_paired_items_still_compare_types() -> None:
    """Scalars paired in a replaced run are compared by type too."""
    assert summary(diff_values(["a", 1, "z"], ["a", "1", "x", "z"])) == [
        ((1,), 1, "1"),
        ((2,), "-", "x"),
    ]


def test_aligned_lists_tell_1_from_1_0_and_true() -> None:
    """[1, 0] becoming [True, False] is reported whether or not the length also changes."""
    same_length = diff_values({"a": [1, 0, "x"]}, {"a": [True, False, "x"]})
    assert summary(same_length) == [(("a", 0), 1, True), (("a", 1), 0, False)]
    longer = diff_values({"a": [1, 0, "x"]}, {"a": [True, False, "x", "y"]})
    assert summary(longer) == [
        (("a", 0), 1, True),
        (("a", 1), 0, False),
        (("a", 3), "-", "y"),
    ]


def test_aligned_insertions_respect_ignore() -> None:
    """An ignored index is not reported, as inserted or as removed."""
    rules = Rules.build(ignore=["headers.2"])
    changes = diff_values({"headers": ["a", "b"]}, {"headers": ["a", "b", "c"]}, rules)
    assert changes == []
    assert diff_values({"headers": ["a", "b", "c"]}, {"headers": ["a", "b"]}, rules) == []


def test_lists_of_equal_length_are_not_aligned() -> None:
    """A shift in a same-length list is index by index (alignment is for length changes)."""
    changes = diff_values(["a", "b", "c"], ["x", "a", "b"])
    assert [change.path for change in changes] == [(0,), (1,), (2,)]


# -- diff_values: rules ----------------------------------------------------------


def test_ignore_drops_the_field_and_everything_below() -> None:
    """An ignored path is not compared, nor anything inside it."""
    expected = {"message": {"text": {"$json": {"at": {"h": 1}, "user": "alice"}}}}
    actual = {"message": {"text": {"$json": {"at": {"h": 2}, "user": "alice"}}}}
    assert diff_values(expected, actual, Rules.build(ignore=["message.text.at"])) == []


def test_ignore_also_covers_missing_and_added_fields() -> None:
    """A field that appears or disappears at an ignored path is no change."""
    rules = Rules.build(ignore=["message.text.at"])
    assert diff_values({"message": {"text": {"at": 1}}}, {"message": {"text": {}}}, rules) == []
    assert diff_values({"message": {"text": {}}}, {"message": {"text": {"at": 1}}}, rules) == []


@pytest.mark.parametrize(
    ("pattern", "remaining"),
    [
        ("**.id", [("message", "text", "user")]),
        ("message.text.items.*.id", [("message", "text", "id"), ("message", "text", "user")]),
        ("message.*.items", [("message", "text", "user"), ("message", "text", "id")]),
        ("$.message.text", []),
    ],
)
def test_ignore_paths_with_wildcards(pattern: str, remaining: list[tuple[str, ...]]) -> None:
    """``*`` and ``**`` in ignore paths reach through lists and tags."""
    expected = {
        "message": {"text": {"$json": {"id": 1, "user": "a", "items": [{"id": 1}, {"id": 2}]}}}
    }
    actual = {
        "message": {"text": {"$json": {"id": 9, "user": "b", "items": [{"id": 7}, {"id": 8}]}}}
    }
    changes = diff_values(expected, actual, Rules.build(ignore=[pattern]))
    assert sorted(change.path for change in changes) == sorted(remaining)


def test_the_root_is_never_ignored() -> None:
    """``**`` ignores every field, but a root that is not a dict is still compared."""
    rules = Rules.build(ignore=["**"])
    assert diff_values({"a": 1}, {"a": 2, "b": 3}, rules) == []
    assert summary(diff_values(1, 2, rules)) == [((), 1, 2)]


def test_a_passing_matcher_replaces_equality() -> None:
    """A value the matcher accepts is no change, however it differs from the recorded one."""
    rules = Rules.build(
        matchers={"message.text.id": ANY_INT, "message.text.at": Regex(r"\d\d:\d\d")}
    )
    expected = {"message": {"text": {"$json": {"id": 1, "at": "10:00"}}}}
    actual = {"message": {"text": {"$json": {"id": 42, "at": "23:59"}}}}
    assert diff_values(expected, actual, rules) == []


def test_a_failing_matcher_is_a_change_that_names_the_matcher() -> None:
    """The change carries the matcher the actual value failed, for the report."""
    rules = Rules.build(matchers={"message.text.id": ANY_INT})
    expected = {"message": {"text": {"$json": {"id": 1}}}}
    actual = {"message": {"text": {"$json": {"id": "1"}}}}
    (change,) = diff_values(expected, actual, rules)
    assert change.path == ("message", "text", "id")
    assert change.matcher is rules.matchers[0][1]
    assert (change.expected, change.actual) == (1, "1")


def test_a_matcher_rejects_a_missing_field() -> None:
    """Even ANY fails when the field is absent from the actual value."""
    rules = Rules.build(matchers={"id": ANY})
    (change,) = diff_values({"id": 1}, {}, rules)
    assert change.matcher is ANY
    assert (change.has_expected, change.has_actual) == (True, False)


def test_a_matcher_accepts_a_field_that_was_not_recorded() -> None:
    """A field new in actual is fine when the matcher accepts its value."""
    rules = Rules.build(matchers={"id": ANY_INT})
    assert diff_values({}, {"id": 5}, rules) == []
    (change,) = diff_values({}, {"id": "5"}, rules)
    assert change.matcher is ANY_INT


def test_a_matcher_sees_the_json_inside_a_tag() -> None:
    """At a tagged value the matcher gets the JSON the tag stands for, not the tag."""
    seen: list[Any] = []

    def accept_all(value: Any) -> bool:
        seen.append(value)
        return True

    rules = Rules.build(matchers={"message.text": accept_all})
    assert (
        diff_values({"message": {"text": "x"}}, {"message": {"text": {"$json": [1]}}}, rules) == []
    )
    assert seen == [[1]]


def test_a_matcher_covers_the_whole_subtree() -> None:
    """Below a matched path nothing is compared: the matcher decides for it all."""
    rules = Rules.build(matchers={"payload": Predicate(lambda value: "id" in value)})
    assert diff_values({"payload": {"id": 1, "x": 1}}, {"payload": {"id": 2}}, rules) == []


def test_ignore_wins_over_a_matcher() -> None:
    """An ignored path is not compared even when a matcher for it would fail."""
    rules = Rules.build(ignore=["id"], matchers={"id": ANY_STRING})
    assert diff_values({"id": 1}, {"id": 2}, rules) == []


def test_the_first_matching_matcher_is_used() -> None:
    """When several patterns match, the first given wins."""
    rules = Rules.build(matchers={"**.id": ANY_STRING, "message.id": ANY_INT})
    assert rules.matcher(("message", "id")) is ANY_STRING
    (change,) = diff_values({"message": {"id": "a"}}, {"message": {"id": 5}}, rules)
    assert change.matcher is ANY_STRING


# -- Rules.build ----------------------------------------------------------------


def test_rules_build_parses_paths_and_converts_matchers() -> None:
    """Paths become patterns, regexes and callables become matchers."""
    rules = Rules.build(ignore=["a.b", "**.id"], matchers={"c": re.compile("x+"), "d": callable})
    assert rules.ignore == (PathPattern.parse("a.b"), PathPattern.parse("**.id"))
    assert [pattern.text for pattern, _ in rules.matchers] == ["c", "d"]
    assert isinstance(rules.matchers[0][1], Regex)
    assert isinstance(rules.matchers[1][1], Predicate)
    assert rules.ignores(("x", "id")) is True
    assert rules.ignores(("a",)) is False
    assert rules.matcher(("e",)) is None


def test_rules_build_takes_a_single_string_as_one_path() -> None:
    """``ignore="message.at"`` is one path, not one per character."""
    rules = Rules.build(ignore="message.at")
    assert rules.ignore == (PathPattern.parse("message.at"),)


def test_rules_build_with_nothing_is_empty() -> None:
    """No ignore and no matchers: exact comparison."""
    assert Rules.build() == Rules()
    assert Rules.build(matchers=None).matchers == ()


@pytest.mark.parametrize("path", ["", "a..b", "message.", "$."])
def test_rules_build_rejects_a_bad_ignore_path(path: str) -> None:
    """An invalid ignore path is a ValueError naming it."""
    with pytest.raises(ValueError, match=re.escape(repr(path))):
        Rules.build(ignore=[path])


def test_rules_build_rejects_a_bad_matcher_path() -> None:
    """An invalid matcher path is a ValueError naming it."""
    with pytest.raises(ValueError, match=re.escape("'a..b'")):
        Rules.build(matchers={"a..b": ANY})


@pytest.mark.parametrize("matcher", ["\\d+", 5, None])
def test_rules_build_rejects_a_bad_matcher(matcher: Any) -> None:
    """A value that is no matcher is a TypeError naming it."""
    with pytest.raises(TypeError, match=re.escape(f"{matcher!r} is not a matcher")):
        Rules.build(matchers={"message.id": matcher})


# -- diff_events ---------------------------------------------------------------


def chat() -> list[Event]:
    """A recorded websocket session: connect, accept, a message in and its broadcast out."""
    return [
        connect(1),
        accept(1),
        receive({"message": "hi"}, 2),
        group_send("chat_lobby", 2, text="hi"),
        send({"user": "alice", "message": "hi"}, 2),
        {"dir": "in", "message": {"type": "websocket.disconnect", "code": 1000}, "step": 3},
    ]


def test_identical_events_have_no_differences() -> None:
    """The same events: nothing to report."""
    assert diff_events(chat(), chat()) == []


def test_a_changed_event_is_reported_in_place_with_its_fields() -> None:
    """An event whose fields differ is "changed", with both indexes and both events."""
    actual = chat()
    actual[4] = send({"user": "bob", "message": "hi"}, 2)
    (difference,) = diff_events(chat(), actual)
    assert kinds([difference]) == [("changed", 4, 4)]
    assert difference.expected == chat()[4]
    assert difference.actual == actual[4]
    assert summary(difference.changes) == [(("message", "text", "user"), "alice", "bob")]


def test_an_inserted_event_is_one_unexpected_and_later_events_are_unchanged() -> None:
    """An extra event does not shift every later one into "changed"."""
    actual = chat()
    actual.insert(
        2, {"dir": "out", "message": {"type": "websocket.send", "text": "welcome"}, "step": 1}
    )
    differences = diff_events(chat(), actual)
    assert kinds(differences) == [("unexpected", None, 2)]
    assert differences[0].actual == actual[2]
    assert differences[0].expected is None
    assert differences[0].changes == []


def test_a_removed_event_is_one_missing() -> None:
    """A recorded event that did not happen is "missing" at its expected index."""
    actual = chat()
    del actual[3]
    differences = diff_events(chat(), actual)
    assert kinds(differences) == [("missing", 3, None)]
    assert differences[0].expected == chat()[3]
    assert differences[0].actual is None


def test_insertion_removal_and_change_together() -> None:
    """Each difference is found on its own, in order."""
    actual = chat()
    actual[4] = send({"user": "alice", "message": "HI"}, 2)
    del actual[1]  # the accept never came
    actual.append({"dir": "out", "message": {"type": "websocket.close", "code": 1000}, "step": 3})
    assert kinds(diff_events(chat(), actual)) == [
        ("missing", 1, None),
        ("changed", 4, 3),
        ("unexpected", None, 5),
    ]


def test_an_event_replaced_by_one_of_another_kind_is_changed_in_place() -> None:
    """Where one event stands in for another, they are paired: the type shows as a change."""
    expected = [connect(1), accept(1), receive({"a": 1}, 2)]
    actual = [connect(1), {"dir": "out", "message": {"type": "websocket.close"}, "step": 1}]
    actual.append(receive({"a": 1}, 2))
    (difference,) = diff_events(expected, actual)
    assert kinds([difference]) == [("changed", 1, 1)]
    assert summary(difference.changes) == [
        (("message", "subprotocol"), None, "-"),
        (("message", "type"), "websocket.accept", "websocket.close"),
    ]


def test_a_replaced_run_of_unequal_length_pairs_what_it_can() -> None:
    """One event replaced by two: one changed, the other unexpected."""
    close = {"dir": "out", "message": {"type": "websocket.close"}, "step": 1}
    add = {"dir": "layer", "op": "group_add", "group": "g", "channel": "c", "step": 1}
    differences = diff_events([connect(1), accept(1)], [connect(1), close, add])
    assert kinds(differences) == [("changed", 1, 1), ("unexpected", None, 2)]


def test_events_are_aligned_by_direction_operation_and_type() -> None:
    """An event of a new kind before the same events is an insertion, not a shift."""
    add = {"dir": "layer", "op": "group_add", "group": "g", "channel": "c", "step": 1}
    expected = [connect(1), group_send("g", 2), send({"a": 1}, 2)]
    actual = [connect(1), add, group_send("g", 2), send({"a": 1}, 2)]
    assert kinds(diff_events(expected, actual)) == [("unexpected", None, 1)]


def test_diff_events_applies_the_rules() -> None:
    """Ignored fields and matchers apply to every paired event."""
    actual = chat()
    actual[4] = send({"user": "alice", "message": "hi"}, 7)
    assert kinds(diff_events(chat(), actual)) == [("changed", 4, 4)]
    assert diff_events(chat(), actual, Rules.build(ignore=["step"])) == []
    assert diff_events(chat(), actual, Rules.build(matchers={"step": ANY_INT})) == []


def test_all_events_missing_or_all_unexpected() -> None:
    """Against nothing, every event is missing; from nothing, every event is unexpected."""
    assert kinds(diff_events(chat()[:2], [])) == [("missing", 0, None), ("missing", 1, None)]
    assert kinds(diff_events([], chat()[:2])) == [
        ("unexpected", None, 0),
        ("unexpected", None, 1),
    ]


def test_an_inserted_event_in_a_run_of_sends_is_one_unexpected() -> None:
    """One extra broadcast among several sends is one unexpected event, nothing changed."""
    expected = [send({"n": 1}, 1), send({"n": 2}, 2), send({"n": 3}, 3)]
    actual = [send({"n": 1}, 1), send({"n": 99}, 1), send({"n": 2}, 2), send({"n": 3}, 3)]
    assert kinds(diff_events(expected, actual)) == [("unexpected", None, 1)]


# -- diff_cassettes ----------------------------------------------------------------


def test_equal_cassettes_have_an_empty_diff() -> None:
    """Same connections, same events: ``equal``."""
    cassette = Cassette([connection("c1", chat())], [group_send("g", 9)])
    diff = diff_cassettes(cassette, Cassette([connection("c1", chat())], [group_send("g", 9)]))
    assert diff == CassetteDiff()
    assert diff.equal is True


def test_connections_are_matched_by_id_not_position() -> None:
    """Connections listed in another order still pair up."""
    expected = Cassette([connection("c1", chat()), connection("c2", [connect(5)], path="/ws/x/")])
    actual = Cassette([connection("c2", [connect(5)], path="/ws/x/"), connection("c1", chat())])
    assert diff_cassettes(expected, actual).equal is True


def test_a_connection_with_changed_events() -> None:
    """A connection whose events differ is "changed", with both connections and the event diffs."""
    actual_events = chat()
    actual_events[4] = send({"user": "bob", "message": "hi"}, 2)
    expected = Cassette([connection("c1", chat())])
    actual = Cassette([connection("c1", actual_events)])
    diff = diff_cassettes(expected, actual)
    assert diff.equal is False
    (connection_diff,) = diff.connections
    assert connection_diff.kind == "changed"
    assert connection_diff.connection is expected.connections[0]
    assert connection_diff.actual is actual.connections[0]
    assert connection_diff.header == []
    assert kinds(connection_diff.events) == [("changed", 4, 4)]


def test_missing_and_unexpected_connections() -> None:
    """A recorded connection not replayed is "missing"; a new one is "unexpected", after."""
    expected = Cassette([connection("c1", chat()), connection("c2")])
    actual = Cassette([connection("c3"), connection("c1", chat())])
    diff = diff_cassettes(expected, actual)
    assert [(d.kind, d.connection.id) for d in diff.connections] == [
        ("missing", "c2"),
        ("unexpected", "c3"),
    ]
    missing, unexpected = diff.connections
    assert missing.connection is expected.connections[1]
    assert missing.actual is None
    assert unexpected.connection is actual.connections[0]
    assert unexpected.actual is actual.connections[0]
    assert missing.events == unexpected.events == []


@pytest.mark.parametrize(
    ("changes", "path", "recorded", "replayed"),
    [
        ({"closed": False}, ("closed",), True, False),
        ({"user": {"username": "bob"}}, ("user", "username"), "alice", "bob"),
        ({"step": 4}, ("step",), 1, 4),
    ],
)
def test_the_header_is_compared(
    changes: dict[str, Any], path: tuple[str, ...], recorded: Any, replayed: Any
) -> None:
    """closed, user and step of a connection are part of the comparison."""
    fields: dict[str, Any] = {"user": {"username": "alice"}, **changes}
    expected = Cassette([connection("c1", chat(), user={"username": "alice"})])
    actual = Cassette([connection("c1", chat(), **fields)])
    (connection_diff,) = diff_cassettes(expected, actual).connections
    assert connection_diff.kind == "changed"
    assert summary(connection_diff.header) == [(path, recorded, replayed)]
    assert connection_diff.events == []


def test_the_header_is_compared_exactly_whatever_the_rules() -> None:
    """Rules name event fields: ignoring everything still reports a scope change."""
    expected = Cassette([connection("c1", chat(), path="/ws/chat/lobby/")])
    actual_events = chat()
    actual_events[4] = send({"user": "bob"}, 2)
    actual = Cassette([connection("c1", actual_events, path="/ws/chat/random/")])
    rules = Rules.build(ignore=["**", "scope.path"], matchers={"scope": ANY})
    (connection_diff,) = diff_cassettes(expected, actual, rules).connections
    assert summary(connection_diff.header) == [
        (("scope", "path"), "/ws/chat/lobby/", "/ws/chat/random/")
    ]
    assert connection_diff.events == []


def test_external_events_are_compared() -> None:
    """External events differ like a connection's events."""
    expected = Cassette([], [group_send("g", 3, text="a"), group_send("g", 4)])
    actual = Cassette([], [group_send("g", 3, text="b")])
    diff = diff_cassettes(expected, actual)
    assert diff.connections == []
    assert kinds(diff.external) == [("changed", 0, 0), ("missing", 1, None)]
    assert summary(diff.external[0].changes) == [(("message", "text"), "a", "b")]
    assert diff.equal is False


def test_external_false_leaves_the_external_events_out() -> None:
    """A replay injects external events: ``external=False`` does not compare them."""
    expected = Cassette([connection("c1", chat())], [group_send("g", 3)])
    actual = Cassette([connection("c1", chat())], [])
    assert diff_cassettes(expected, actual).external != []
    diff = diff_cassettes(expected, actual, external=False)
    assert diff.external == []
    assert diff.equal is True


def test_diff_cassettes_applies_the_rules_to_events() -> None:
    """Rules reach the events of every connection and the external ones."""
    actual_events = chat()
    actual_events[4] = send({"user": "bob", "message": "hi"}, 2)
    expected = Cassette([connection("c1", chat())], [group_send("g", 3, note="a")])
    actual = Cassette([connection("c1", actual_events)], [group_send("g", 3, note="b")])
    assert diff_cassettes(expected, actual).equal is False
    rules = Rules.build(ignore=["message.text.user", "message.note"])
    assert diff_cassettes(expected, actual, rules).equal is True


def test_an_event_replaced_by_one_of_another_direction_is_removed_and_added() -> None:
    """An inbound frame where an outbound one was is not "dir changed": one out, one in."""
    differences = diff_events([connect(1), receive({"a": 1}, 2)], [connect(1), send({"a": 1}, 2)])
    assert kinds(differences) == [("missing", 1, None), ("unexpected", None, 1)]


def test_a_redacted_value_is_the_same_as_a_binding_but_nothing_else() -> None:
    """A cassette recorded before bindings holds ``<redacted>`` where a newer recording
    names the value (``<token:4>``): neither value is written, so neither differs."""
    old = "set-cookie: sessionid=<redacted>; Path=/"
    assert diff_values(old, "set-cookie: sessionid=<token:4>; Path=/") == []
    assert diff_values({"$bytes_text": f"a={REDACTED}"}, {"$bytes_text": "a=<jwt:1>"}) == []
    assert diff_values(old, "set-cookie: sessionid=abc; Path=/") != []
    assert diff_values("<token:1>", REDACTED) != []  # only the expected side's secret is open

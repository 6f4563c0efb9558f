"""Tests of chanreplay.diff.report: the text a person reads when a replay or review differs."""

from __future__ import annotations

from typing import Any

import pytest

from chanreplay.cassette.model import Cassette, Connection, Event
from chanreplay.diff.compare import (
    CassetteDiff,
    ConnectionDiff,
    EventDiff,
    FieldChange,
    Rules,
    diff_cassettes,
)
from chanreplay.diff.matchers import ANY_INT, Regex
from chanreplay.diff.report import describe_event, render_text, summarize_event, summary
from tests.diff.events import accept, connect, connection, group_send, receive, send

# -- helpers ------------------------------------------------------------------


def chat() -> list[Event]:
    """Seven events, so that context windows are cut on both sides."""
    return [
        connect(1),
        accept(1),
        receive({"message": "hi"}, 2),
        group_send("chat_lobby", 2, text="hi"),
        send({"user": "alice", "message": "hi"}, 2),
        receive({"message": "bye"}, 3),
        send({"user": "alice", "message": "bye"}, 3),
    ]


ALICE = {"username": "alice"}


def report(
    expected_events: list[Event], actual_events: list[Event], rules: Rules | None = None
) -> str:
    """The report for one connection c4 of alice's whose events went from one list to another."""
    expected = Cassette([connection("c4", expected_events, user=ALICE)])
    actual = Cassette([connection("c4", actual_events, user=ALICE)])
    return render_text(diff_cassettes(expected, actual, rules or Rules()))


# -- describe_event and summarize_event ---------------------------------------------


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (send({"a": 1}, 2), "out websocket.send"),
        (connect(1), "in websocket.connect"),
        (group_send("chat_lobby", 2, text="hi"), "layer group_send chat_lobby"),
        (
            {"dir": "layer", "op": "send", "channel": "<channel:c4>", "step": 1},
            "layer send <channel:c4>",
        ),
        ({"dir": "layer", "op": "flush", "step": 1}, "layer flush"),
        ({"dir": "layer", "step": 1}, "layer ?"),
        ({"dir": "out", "message": {"$object": {"type": "x.y", "$k": 1}}, "step": 1}, "out x.y"),
        ({"dir": "out", "message": "not a dict", "step": 1}, "out ?"),
        ({"message": {"type": "x.y"}}, "? x.y"),
    ],
)
def test_describe_event_names_direction_and_kind(event: Event, text: str) -> None:
    """An event is named by its direction and type, a layer event by operation and target."""
    assert describe_event(event) == text


def test_summarize_event_shows_step_and_payload_without_the_type() -> None:
    """The one-line summary: what, at which step, and the message minus its type."""
    assert summarize_event(send({"user": "alice"}, 2)) == (
        'out websocket.send (step 2) {"text":{"$json":{"user":"alice"}}}'
    )
    assert summarize_event(connect(1)) == "in websocket.connect (step 1)"


def test_summarize_event_shows_an_error() -> None:
    """A layer operation that failed shows its error after a ``!``."""
    event = {**group_send("g", 4, text="hi"), "error": "ChannelFull"}
    assert summarize_event(event) == ('layer group_send g (step 4) {"text":"hi"} !ChannelFull')


def test_summarize_event_without_a_step() -> None:
    """An event without a step shows ``?``."""
    assert summarize_event({"dir": "in", "message": {"type": "x"}}) == "in x (step ?)"


def test_a_long_payload_is_cut_with_an_ellipsis() -> None:
    """Payloads over 100 characters are cut to 100, the last three being ``...``."""
    line = summarize_event(send({"pad": "x" * 300}, 2))
    prefix = "out websocket.send (step 2) "
    assert line.startswith(prefix + '{"text":{"$json":{"pad":"xxx')
    payload = line.removeprefix(prefix)
    assert len(payload) == 100
    assert payload.endswith("x...")


def test_a_payload_of_exactly_100_characters_is_not_cut() -> None:
    """The limit is inclusive: 100 characters are shown whole."""
    # {"text":"..."} is 11 characters around the text.
    line = summarize_event({"dir": "out", "message": {"type": "t", "text": "y" * 89}, "step": 1})
    payload = line.removeprefix("out t (step 1) ")
    assert len(payload) == 100
    assert "..." not in payload


# -- changed events --------------------------------------------------------------


def test_a_changed_event_names_the_connection_the_event_and_the_field() -> None:
    """Connection id, path and user; event index and kind; path with expected and actual."""
    actual = chat()
    actual[4] = send({"user": "bob", "message": "hi"}, 2)
    lines = report(chat(), actual).splitlines()
    assert lines[:5] == [
        "connection c4 (websocket /ws/chat/lobby/) (user alice):",
        "  event 4: out websocket.send changed",
        "    message.text.user:",
        '      expected "alice"',
        '      actual   "bob"',
    ]


def test_a_changed_event_is_shown_in_context_with_a_marker() -> None:
    """Two events either side, as recorded, the changed one marked with ``>``."""
    actual = chat()
    actual[4] = send({"user": "bob", "message": "hi"}, 2)
    lines = report(chat(), actual).splitlines()
    assert lines[5:] == [
        "    around it, as recorded:",
        '        2  in websocket.receive (step 2) {"text":{"$json":{"message":"hi"}}}',
        '        3  layer group_send chat_lobby (step 2) {"text":"hi"}',
        '    >   4  out websocket.send (step 2) {"text":{"$json":{"user":"alice","message":"hi"}}}',
        '        5  in websocket.receive (step 3) {"text":{"$json":{"message":"bye"}}}',
        "        6  out websocket.send (step 3) "
        '{"text":{"$json":{"user":"alice","message":"bye"}}}',
    ]


def test_context_is_cut_at_the_start_of_the_connection() -> None:
    """At event 0 the context starts there: no negative indexes."""
    actual = chat()
    actual[0] = {"dir": "in", "message": {"type": "websocket.connect", "extra": 1}, "step": 1}
    lines = report(chat(), actual).splitlines()
    start = lines.index("    around it, as recorded:")
    assert [line[:13] for line in lines[start + 1 :]] == [
        "    >   0  in",
        "        1  ou",
        "        2  in",
    ]


def test_values_are_printed_as_json_with_sorted_keys() -> None:
    """Expected and actual are JSON: strings quoted, null, objects with sorted keys."""
    expected = [send({"user": {"name": "alice", "id": 1}}, 2)]
    actual = [send({"user": None}, 2)]
    text = report(expected, actual)
    assert '      expected {"id":1,"name":"alice"}' in text.splitlines()
    assert "      actual   null" in text.splitlines()


def test_a_missing_and_an_unexpected_field() -> None:
    """A field gone shows what was expected; a field new shows what came."""
    expected = [{"dir": "out", "message": {"type": "t", "old": 1}, "step": 1}]
    actual = [{"dir": "out", "message": {"type": "t", "new": [1, 2]}, "step": 1}]
    lines = report(expected, actual).splitlines()
    assert "    message.new: unexpected, actual [1,2]" in lines
    assert "    message.old: missing, expected 1" in lines


def test_a_failed_matcher_is_described() -> None:
    """With a matcher, the report says what it wanted instead of the recorded value."""
    actual = chat()
    actual[4] = send({"user": "alice", "message": "hi", "id": "seven"}, 2)
    expected = chat()
    expected[4] = send({"user": "alice", "message": "hi", "id": 7}, 2)
    text = report(expected, actual, Rules.build(matchers={"message.text.id": ANY_INT}))
    assert '    message.text.id: expected any integer, actual "seven"' in text.splitlines()


def test_a_failed_matcher_on_an_absent_field() -> None:
    """A matched field that did not come at all reads ``(absent)``."""
    expected = [send({"at": "10:00"}, 2)]
    actual = [send({}, 2)]
    text = report(expected, actual, Rules.build(matchers={"message.text.at": Regex(r"\d\d:\d\d")}))
    assert (
        r"    message.text.at: expected a string matching /\d\d:\d\d/, actual (absent)"
        in text.splitlines()
    )


def test_a_header_change_is_listed_under_the_connection() -> None:
    """A connection that stayed open when it had closed: ``closed`` expected true, actual false."""
    expected = Cassette([connection("c4", chat(), user=ALICE)])
    actual = Cassette([connection("c4", chat(), user=ALICE, closed=False)])
    assert render_text(diff_cassettes(expected, actual)).splitlines() == [
        "connection c4 (websocket /ws/chat/lobby/) (user alice):",
        "    closed:",
        "      expected true",
        "      actual   false",
    ]


# -- missing and unexpected events --------------------------------------------------


def test_a_missing_event_is_shown_where_it_was_recorded() -> None:
    """``expected, but it never happened``, then the recorded events around it marked ``-``."""
    actual = chat()
    del actual[3]
    lines = report(chat(), actual).splitlines()
    assert lines == [
        "connection c4 (websocket /ws/chat/lobby/) (user alice):",
        "  event 3: layer group_send chat_lobby expected, but it never happened",
        "    around it, as recorded:",
        '        1  out websocket.accept (step 1) {"subprotocol":null}',
        '        2  in websocket.receive (step 2) {"text":{"$json":{"message":"hi"}}}',
        '    -   3  layer group_send chat_lobby (step 2) {"text":"hi"}',
        '        4  out websocket.send (step 2) {"text":{"$json":{"user":"alice","message":"hi"}}}',
        '        5  in websocket.receive (step 3) {"text":{"$json":{"message":"bye"}}}',
    ]


def test_an_unexpected_event_is_shown_where_it_happened() -> None:
    """The unexpected event in full, then the actual events around it marked ``+``."""
    actual = chat()
    actual.append({"dir": "out", "message": {"type": "websocket.close", "code": 4000}, "step": 3})
    lines = report(chat(), actual).splitlines()
    assert lines == [
        "connection c4 (websocket /ws/chat/lobby/) (user alice):",
        '  unexpected event: out websocket.close (step 3) {"code":4000}',
        "    around it, as it happened:",
        '        5  in websocket.receive (step 3) {"text":{"$json":{"message":"bye"}}}',
        "        6  out websocket.send (step 3) "
        '{"text":{"$json":{"user":"alice","message":"bye"}}}',
        '    +   7  out websocket.close (step 3) {"code":4000}',
    ]


def test_an_unexpected_event_without_the_actual_connection_has_no_context() -> None:
    """A hand-built diff with no actual connection still renders, without context."""
    close = {"dir": "out", "message": {"type": "websocket.close"}, "step": 3}
    diff = CassetteDiff(
        [
            ConnectionDiff(
                "changed",
                connection("c4", chat()),
                events=[EventDiff("unexpected", None, 0, None, close)],
            )
        ]
    )
    assert render_text(diff).splitlines() == [
        "connection c4 (websocket /ws/chat/lobby/):",
        "  unexpected event: out websocket.close (step 3)",
    ]


# -- connections and external events --------------------------------------------------


def test_missing_and_unexpected_connections_are_one_line_each() -> None:
    """A connection not replayed and one not recorded: id, type, path, and user when known."""
    expected = Cassette([connection("c2", chat(), user={"username": "bob"})])
    actual = Cassette([connection("c9", [connect(1)], path="/ws/chat/random/")])
    assert render_text(diff_cassettes(expected, actual)).splitlines() == [
        "connection c2 (websocket /ws/chat/lobby/) (user bob): expected, but it was not replayed",
        "connection c9 (websocket /ws/chat/random/): unexpected, not in the cassette",
    ]


@pytest.mark.parametrize("user", [None, {}, {"id": 3}, {"username": ""}])
def test_a_connection_without_a_username_names_no_user(user: dict[str, Any] | None) -> None:
    """Anonymous or nameless users add nothing to the title."""
    diff = CassetteDiff([ConnectionDiff("missing", connection("c1", user=user))])
    assert (
        render_text(diff)
        == "connection c1 (websocket /ws/chat/lobby/): expected, but it was not replayed"
    )


def test_external_events_are_listed_by_kind() -> None:
    """External differences come last, each with its kind and summary."""
    sent = {"dir": "layer", "op": "send", "channel": "x", "step": 2}
    changed = {
        **group_send("g", 3, text="hi"),
        "message": {"type": "chat.message", "text": "other"},
    }
    discard = {"dir": "layer", "op": "group_discard", "group": "g", "channel": "y", "step": 5}
    expected = Cassette([], [sent, group_send("g", 3, text="hi")])
    actual = Cassette([], [changed, discard])
    assert render_text(diff_cassettes(expected, actual)).splitlines() == [
        "external events:",
        "  missing: layer send x (step 2)",
        '  changed: layer group_send g (step 3) {"text":"hi"}',
        "  unexpected: layer group_discard g (step 5)",
    ]


def test_the_title_comes_first_and_an_equal_diff_is_only_the_title() -> None:
    """``title`` is the first line; with nothing to report the report is the title or empty."""
    assert render_text(CassetteDiff(), title="replay of chat.json") == "replay of chat.json"
    assert render_text(CassetteDiff()) == ""
    diff = CassetteDiff([ConnectionDiff("missing", connection("c1"))])
    assert (
        render_text(diff, title="T").splitlines()[0]
        == "T: 1 connection differs: 1 connection missing"
    )


def test_the_summary_counts_what_differs_by_kind() -> None:
    """The first line says how much to read before the details."""
    changed = chat()
    changed[6] = send({"user": "alice", "message": "BYE"}, 3)
    shorter = chat()[:5]
    expected = Cassette([connection("c1", chat()), connection("c2", chat()), connection("c3")])
    actual = Cassette([connection("c1", changed), connection("c2", shorter)])
    assert summary(diff_cassettes(expected, actual)) == (
        "3 connections differ: 3 events: 1 changed, 2 missing; 1 connection missing"
    )
    only = diff_cassettes(
        Cassette([connection("c1", chat())]), Cassette([connection("c1", changed)])
    )
    assert summary(only) == "1 connection differs: 1 event changed"
    assert summary(CassetteDiff()) == "nothing differs"


def test_a_change_already_shown_is_one_line_naming_where() -> None:
    """A broadcast every member got changes the same way in each: shown once in full."""
    changed = chat()
    changed[4] = send({"user": "ALICE", "message": "hi"}, 2)
    expected = Cassette([connection("c1", chat()), connection("c2", chat())])
    actual = Cassette([connection("c1", changed), connection("c2", changed)])
    lines = render_text(diff_cassettes(expected, actual)).splitlines()
    assert lines.count('      expected "alice"') == 1
    assert "  event 4: out websocket.send changed, as c1 event 4" in lines
    assert lines[-1] == "  event 4: out websocket.send changed, as c1 event 4"


def test_a_run_of_events_that_never_happened_is_its_first_and_a_count() -> None:
    """A refused handshake or a 400 explains everything after it: one cause, one entry."""
    lines = report(chat(), chat()[:2]).splitlines()
    assert "  event 2: in websocket.receive expected, but it never happened" in lines
    assert lines[-1] == "  and the 4 events after it, to event 6, never happened either"
    assert sum("never happened" in line for line in lines) == 2


def test_a_report_covers_several_connections_in_order() -> None:
    """Each differing connection gets its own section, in the expected cassette's order."""
    changed = chat()
    changed[6] = send({"user": "alice", "message": "BYE"}, 3)
    expected = Cassette([connection("c1", chat()), connection("c2", chat()), connection("c3")])
    actual = Cassette([connection("c1", changed), connection("c2", chat())])
    text = render_text(diff_cassettes(expected, actual))
    titles = [line for line in text.splitlines() if line.startswith("connection")]
    assert titles == [
        "connection c1 (websocket /ws/chat/lobby/):",
        "connection c3 (websocket /ws/chat/lobby/): expected, but it was not replayed",
    ]
    assert "  event 6: out websocket.send changed" in text.splitlines()


def test_a_hand_built_change_without_both_sides_renders() -> None:
    """FieldChange built with only a path and one side renders as missing or unexpected."""
    diff = CassetteDiff(
        [
            ConnectionDiff(
                "changed",
                connection("c1"),
                header=[
                    FieldChange(("user",), expected={"username": "a"}),
                    FieldChange((), actual=1),
                ],
            )
        ]
    )
    assert render_text(diff).splitlines()[1:] == [
        '    user: missing, expected {"username":"a"}',
        "    (event): unexpected, actual 1",
    ]


@pytest.mark.parametrize(
    ("expected", "actual", "hint"),
    [
        ("<uuid:1>", 7, "(the recording had a uuid the server made here)"),
        ("<uuid:1>", "<token:1>", "(the recording had a uuid the server made here, not a token)"),
        (
            "<token:1>",
            "<token:2>",
            "(a token the recording did not have here: it had the one named <token:1>)",
        ),
        (
            "<token:2>",
            "<token:1>",
            "(another token than the recording had: it had the one named <token:2>)",
        ),
        ("<datetime>", "just now", "(the recording had a timestamp here (<datetime>))"),
    ],
)
def test_a_changed_value_the_server_made_is_explained(
    expected: Any, actual: Any, hint: str
) -> None:
    """A binding or shape that no longer holds says in words what the recording had."""
    old = Cassette(connections=[connection("c1", [send({"id": expected}, 1)])])
    new = Cassette(connections=[connection("c1", [send({"id": actual}, 1)])])
    text = render_text(diff_cassettes(old, new))
    assert f"      {hint}" in text.splitlines()


def test_an_ordinary_change_gets_no_explanation() -> None:
    old = Cassette(connections=[connection("c1", [send({"id": "a"}, 1)])])
    new = Cassette(connections=[connection("c1", [send({"id": "b"}, 1)])])
    lines = render_text(diff_cassettes(old, new)).splitlines()
    assert '      actual   "b"' in lines
    assert not any(line.startswith("      (") for line in lines)


def test_the_first_cause_comes_right_after_the_summary() -> None:
    """A login that now fails explains the chat that never happened after it: the report
    names it first, then the details."""

    def response(status: int, step: int) -> Event:
        return {
            "dir": "out",
            "step": step,
            "message": {"type": "http.response.start", "status": status, "headers": []},
        }

    def http(events: list[Event]) -> Connection:
        scope = {"path": "/login/", "query_string": "", "headers": []}
        return Connection("c1", "http", scope, 1, None, True, events)

    login = [{"dir": "in", "step": 1, "message": {"type": "http.request"}}, response(302, 1)]
    failed = [login[0], response(403, 1)]
    expected = Cassette([http(login), connection("c2", chat())])
    actual = Cassette([http(failed), connection("c2", chat()[:2])])
    lines = render_text(diff_cassettes(expected, actual), title="T").splitlines()
    assert lines[1] == (
        "first cause: c1 (http /login/) answered 403 where the recording had 302 (step 1); "
        "what differs after it may follow from it"
    )
    refused = chat()
    refused[1] = {"dir": "out", "step": 1, "message": {"type": "websocket.close", "code": 1000}}
    text = render_text(
        diff_cassettes(Cassette([connection("c4", chat())]), Cassette([connection("c4", refused)])),
        title="T",
    )
    assert (
        "first cause: c4 (websocket /ws/chat/lobby/) was refused where the recording had it "
        "accepted (step 1)"
    ) in text
    assert render_text(diff_cassettes(expected, expected), title="T") == "T"

"""Tests of chanreplay.replay.plan: which connections are replayed, what is fed, what awaited."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from chanreplay.cassette.model import Cassette, Connection, Event
from chanreplay.replay.plan import Input, Plan, build_plan, selects

# -- helpers ------------------------------------------------------------------


def connection(
    cid: str,
    step: int,
    events: list[Event] | None = None,
    *,
    type: str = "websocket",
    path: str = "/ws/chat/lobby/",
) -> Connection:
    scope = {"path": path, "query_string": "", "headers": []}
    return Connection(cid, type, scope, step, None, True, list(events or []))


def inbound(kind: str, step: int, **fields: Any) -> Event:
    return {"dir": "in", "message": {"type": kind, **fields}, "step": step}


def outbound(kind: str, step: int) -> Event:
    return {"dir": "out", "message": {"type": kind}, "step": step}


def layer(op: str, step: int, **fields: Any) -> Event:
    return {"dir": "layer", "op": op, **fields, "step": step}


def described(plan: Plan) -> list[tuple[str, int, str | None, int]]:
    """(kind, step, connection id, event index) per input, in plan order."""
    return [
        (item.kind, item.step, item.connection.id if item.connection else None, item.index)
        for item in plan.inputs
    ]


def chat_socket(cid: str, opened: int, sent: int, closed: int) -> Connection:
    """A websocket that connects, sends one frame that is broadcast, and disconnects."""
    return connection(
        cid,
        opened,
        [
            layer("new_channel", opened, channel=f"<channel:{cid}>"),
            inbound("websocket.connect", opened + 1),
            layer("group_add", opened + 1, group="chat", channel=f"<channel:{cid}>"),
            outbound("websocket.accept", opened + 1),
            inbound("websocket.receive", sent, text="hi"),
            layer("group_send", sent, group="chat", message={"type": "chat.message"}),
            outbound("websocket.send", sent),
            inbound("websocket.disconnect", closed, code=1000),
            layer("group_discard", closed, group="chat", channel=f"<channel:{cid}>"),
        ],
    )


# -- selects ------------------------------------------------------------------

HTTP = connection("c1", 1, type="http", path="/login/")
LOBBY = connection("c2", 3, path="/ws/chat/lobby/")
RANDOM = connection("c3", 5, path="/ws/chat/random/")


@pytest.mark.parametrize("candidate", [HTTP, LOBBY, RANDOM])
def test_without_filters_every_connection_is_selected(candidate: Connection) -> None:
    """No include and no exclude: everything is replayed."""
    assert selects(candidate, [], []) is True


@pytest.mark.parametrize(
    ("include", "chosen"),
    [
        (["websocket"], {"c2", "c3"}),
        (["http"], {"c1"}),
        (["/ws/chat/*"], {"c2", "c3"}),
        (["/ws/chat/lobby/"], {"c2"}),
        (["*/random/"], {"c3"}),
        (["/login/", "/ws/*/random/"], {"c1", "c3"}),
        (["/WS/*"], set()),
        (["lifespan"], set()),
    ],
)
def test_include_takes_types_and_path_globs(include: list[str], chosen: set[str]) -> None:
    """An include filter names a connection type or a case-sensitive glob of its path."""
    picked = {c.id for c in (HTTP, LOBBY, RANDOM) if selects(c, include, [])}
    assert picked == chosen


@pytest.mark.parametrize(
    ("include", "exclude", "chosen"),
    [
        ([], ["http"], {"c2", "c3"}),
        ([], ["/ws/chat/random/"], {"c1", "c2"}),
        (["websocket"], ["*random*"], {"c2"}),
        (["http"], ["http"], set()),
        ([], ["/nothing/*"], {"c1", "c2", "c3"}),
    ],
)
def test_exclude_wins_over_include(
    include: list[str], exclude: list[str], chosen: set[str]
) -> None:
    """An excluded connection is not replayed even when it is included."""
    picked = {c.id for c in (HTTP, LOBBY, RANDOM) if selects(c, include, exclude)}
    assert picked == chosen


def test_selects_takes_any_iterables() -> None:
    """Generators and tuples work as filters."""
    assert selects(LOBBY, (p for p in ["websocket"]), iter(())) is True
    assert selects(LOBBY, ("http",), ()) is False


# -- build_plan: inputs ----------------------------------------------------------


def test_each_connection_opens_at_its_step_then_feeds_its_inbound_messages() -> None:
    """One open per connection at its step; each inbound message at its own step."""
    cassette = Cassette([chat_socket("c1", 1, 3, 5)])
    plan = build_plan(cassette)
    assert described(plan) == [
        ("open", 1, "c1", -1),
        ("inbound", 2, "c1", 1),
        ("inbound", 3, "c1", 4),
        ("disconnect", 5, "c1", 7),
    ]
    assert plan.connections == cassette.connections


def test_inputs_carry_their_connection_and_event() -> None:
    """Inbound inputs point at the event in the cassette, opens have none."""
    cassette = Cassette([chat_socket("c1", 1, 3, 5)])
    opened, connect, *_ = build_plan(cassette).inputs
    socket = cassette.connections[0]
    assert opened == Input("open", 1, socket)
    assert opened.event is None
    assert connect.connection is socket
    assert connect.event is socket.events[1]


@pytest.mark.parametrize(
    ("kind", "input_kind"),
    [
        ("websocket.disconnect", "disconnect"),
        ("http.disconnect", "disconnect"),
        ("websocket.receive", "inbound"),
        ("http.request", "inbound"),
        ("websocket.connect", "inbound"),
        ("disconnect.later", "inbound"),
    ],
)
def test_inbound_messages_ending_in_disconnect_are_disconnects(kind: str, input_kind: str) -> None:
    """A ``*.disconnect`` message is a disconnect input; any other inbound one is inbound."""
    plan = build_plan(Cassette([connection("c1", 1, [inbound(kind, 2)])]))
    assert [item.kind for item in plan.inputs] == ["open", input_kind]


def test_outbound_and_layer_events_are_not_fed() -> None:
    """What the app sent or did on the layer is awaited, never fed."""
    events = [outbound("websocket.accept", 2), layer("group_add", 2, group="g", channel="c")]
    plan = build_plan(Cassette([connection("c1", 1, events)]))
    assert described(plan) == [("open", 1, "c1", -1)]


def test_an_inbound_event_without_a_message_type_is_inbound() -> None:
    """An inbound event without a message (or a type) is fed as an ordinary input."""
    events: list[Event] = [{"dir": "in", "step": 2}, {"dir": "in", "message": {}, "step": 3}]
    plan = build_plan(Cassette([connection("c1", 1, events)]))
    assert [item.kind for item in plan.inputs] == ["open", "inbound", "inbound"]


def test_connections_interleave_by_step() -> None:
    """Inputs of several connections are in step order, whatever the connection order."""
    first = chat_socket("c1", 1, 6, 8)
    second = chat_socket("c2", 3, 5, 7)
    plan = build_plan(Cassette([first, second]))
    assert [(kind, step, cid) for kind, step, cid, _ in described(plan)] == [
        ("open", 1, "c1"),
        ("inbound", 2, "c1"),
        ("open", 3, "c2"),
        ("inbound", 4, "c2"),
        ("inbound", 5, "c2"),
        ("inbound", 6, "c1"),
        ("disconnect", 7, "c2"),
        ("disconnect", 8, "c1"),
    ]
    assert plan.steps == [1, 2, 3, 4, 5, 6, 7, 8]


def test_disconnects_come_after_the_input_of_their_step() -> None:
    """A disconnect sharing a step with another input is fed after it, even if listed first."""
    closing = connection("c1", 1, [inbound("websocket.disconnect", 4, code=1000)])
    sending = connection("c2", 2, [inbound("websocket.receive", 4, text="last")])
    plan = build_plan(Cassette([closing, sending]))
    assert described(plan) == [
        ("open", 1, "c1", -1),
        ("open", 2, "c2", -1),
        ("inbound", 4, "c2", 0),
        ("disconnect", 4, "c1", 0),
    ]


def test_several_disconnects_of_a_step_keep_their_order() -> None:
    """Disconnects that share a step stay in cassette order, after the step's input."""
    one = connection("c1", 1, [inbound("websocket.disconnect", 4)])
    two = connection("c2", 2, [inbound("websocket.disconnect", 4)])
    three = connection("c3", 3, [inbound("websocket.receive", 4)])
    plan = build_plan(Cassette([one, two, three]))
    assert [(kind, cid) for kind, step, cid, _ in described(plan) if step == 4] == [
        ("inbound", "c3"),
        ("disconnect", "c1"),
        ("disconnect", "c2"),
    ]


def test_steps_lists_each_step_with_an_input_once() -> None:
    """Steps with only outbound events are not listed; repeated steps appear once."""
    events = [inbound("websocket.connect", 2), outbound("websocket.accept", 2), outbound("x", 9)]
    plan = build_plan(Cassette([connection("c1", 1, events), connection("c2", 1)]))
    assert plan.steps == [1, 2]


def test_an_empty_cassette_has_an_empty_plan() -> None:
    """Nothing recorded, nothing to do."""
    plan = build_plan(Cassette())
    assert plan.connections == []
    assert plan.inputs == []
    assert plan.expected == Counter()
    assert plan.steps == []


# -- build_plan: expected counts --------------------------------------------------------


def test_expected_counts_every_event_by_connection_and_step() -> None:
    """Inbound, outbound and layer events all count, per (connection id, step)."""
    plan = build_plan(Cassette([chat_socket("c1", 1, 3, 5), chat_socket("c2", 2, 4, 6)]))
    assert plan.expected == Counter(
        {
            ("c1", 1): 1,
            ("c1", 2): 3,
            ("c1", 3): 3,
            ("c1", 5): 2,
            ("c2", 2): 1,
            ("c2", 3): 3,
            ("c2", 4): 3,
            ("c2", 6): 2,
        }
    )


def test_expected_counts_only_the_replayed_connections() -> None:
    """Excluded connections and external events are not awaited."""
    cassette = Cassette(
        [
            chat_socket("c1", 1, 3, 5),
            connection("c2", 2, [inbound("http.request", 2)], type="http"),
        ],
        [layer("group_send", 4, group="chat", message={"type": "x"})],
    )
    plan = build_plan(cassette, exclude=["http"])
    assert {cid for cid, _ in plan.expected} == {"c1"}
    assert sum(plan.expected.values()) == 9


# -- build_plan: filters and injection ---------------------------------------------------


def test_filters_choose_the_connections() -> None:
    """Only the selected connections are opened and fed."""
    cassette = Cassette(
        [
            connection("c1", 1, [inbound("http.request", 2)], type="http", path="/login/"),
            chat_socket("c2", 3, 5, 7),
        ]
    )
    plan = build_plan(cassette, include=["websocket"])
    assert [c.id for c in plan.connections] == ["c2"]
    assert {item.connection.id for item in plan.inputs if item.connection} == {"c2"}
    plan = build_plan(cassette, include=iter(["/login/"]), exclude=iter([]))
    assert [c.id for c in plan.connections] == ["c1"]


def test_external_sends_are_injected_at_their_step() -> None:
    """External ``send`` and ``group_send`` are fed at their step, with no connection."""
    broadcast = layer("group_send", 3, group="chat", message={"type": "chat.message"})
    direct = layer("send", 6, channel="<channel:c1>", message={"type": "chat.message"})
    cassette = Cassette([chat_socket("c1", 1, 4, 7)], [direct, broadcast])
    plan = build_plan(cassette)
    assert described(plan) == [
        ("open", 1, "c1", -1),
        ("inbound", 2, "c1", 1),
        ("inject", 3, None, -1),
        ("inbound", 4, "c1", 4),
        ("inject", 6, None, -1),
        ("disconnect", 7, "c1", 7),
    ]
    injected = [item for item in plan.inputs if item.kind == "inject"]
    assert [item.event for item in injected] == [broadcast, direct]
    assert all(item.connection is None for item in injected)


@pytest.mark.parametrize(
    "event",
    [
        layer("group_add", 3, group="chat", channel="x"),
        layer("group_discard", 3, group="chat", channel="x"),
        layer("new_channel", 3, channel="x"),
        layer("receive", 3, channel="x"),
        layer("flush", 3),
        inbound("websocket.receive", 3),
        {"dir": "out", "op": "send", "message": {"type": "x"}, "step": 3},
    ],
)
def test_only_layer_sends_are_injected(event: Event) -> None:
    """Other layer operations and non-layer events from outside are not fed."""
    plan = build_plan(Cassette([connection("c1", 1)], [event]))
    assert [item.kind for item in plan.inputs] == ["open"]


@pytest.mark.parametrize("op", ["send", "group_send"])
def test_a_send_that_failed_is_not_injected(op: str) -> None:
    """A send recorded with an ``error`` (ChannelFull) never reached anyone: not fed."""
    failed = layer(op, 3, group="chat", channel="x", message={"type": "m"}, error="ChannelFull")
    plan = build_plan(Cassette([connection("c1", 1)], [failed]))
    assert [item.kind for item in plan.inputs] == ["open"]


def test_sends_of_an_excluded_connection_are_injected_in_its_place() -> None:
    """What an excluded connection sent on the layer is fed; its other events are not."""
    replayed = chat_socket("c1", 1, 8, 9)
    excluded = chat_socket("c2", 3, 5, 7)
    excluded.scope["path"] = "/ws/chat/random/"
    failed = layer("send", 6, channel="<channel:c1>", message={"type": "m"}, error="ChannelFull")
    excluded.events.append(failed)
    plan = build_plan(Cassette([replayed, excluded]), exclude=["/ws/chat/random/"])
    assert [c.id for c in plan.connections] == ["c1"]
    injected = [item for item in plan.inputs if item.kind == "inject"]
    assert [item.event for item in injected] == [excluded.events[5]]  # its group_send
    assert injected[0].step == 5
    assert [item.kind for item in plan.inputs] == [
        "open",
        "inbound",
        "inject",
        "inbound",
        "disconnect",
    ]
    assert all(cid == "c1" for cid, _ in plan.expected)


def test_injections_keep_their_order_within_a_step() -> None:
    """External events come before an excluded connection's at the same step, in cassette order."""
    first = layer("group_send", 3, group="a", message={"type": "m"})
    second = layer("group_send", 3, group="b", message={"type": "m"})
    third = layer("send", 3, channel="c", message={"type": "m"})
    other = connection("c2", 2, [third], type="http")
    plan = build_plan(Cassette([connection("c1", 1), other], [first, second]), exclude=["http"])
    assert [item.event for item in plan.inputs if item.kind == "inject"] == [first, second, third]

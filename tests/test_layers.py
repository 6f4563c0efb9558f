"""RecordingChannelLayer: a drop-in for every channel layer, recording what crosses it."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

from chanreplay.cassette import Cassette, load
from chanreplay.cassette.redaction import REDACTED
from chanreplay.exceptions import ConfigurationError, UnserializableValueError
from chanreplay.layers import RecordingChannelLayer, unwrap
from chanreplay.recorder import state
from chanreplay.recorder.context import current_connection
from chanreplay.recorder.recording import ORIGIN_KEY, ConnectionRecorder, Recording

SCOPE = {"type": "websocket", "path": "/ws/test/", "headers": [], "query_string": b""}


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[Recording]:
    """An active recording into a temporary cassette directory."""
    active = Recording("layers", cassette_dir=tmp_path, mode="all")
    state.start(active)
    try:
        yield active
    finally:
        state.stop(drain=0)


def cassette(recording: Recording) -> Cassette:
    """Stop ``recording`` and load what it wrote."""
    state.stop(drain=0)
    return load(recording.cassette_path)


async def as_connection(recording: Recording) -> ConnectionRecorder:
    """Open a recorded connection and make it the current one (as the ASGI recorder does)."""
    connection = await recording.open_connection(SCOPE)
    current_connection.set(connection)
    return connection


def redis_layer(kind: str, url: str, prefix: str) -> Any:
    """A real Redis channel layer of ``kind`` (core or pubsub)."""
    if kind == "redis":
        from channels_redis.core import RedisChannelLayer

        return RedisChannelLayer(hosts=[url], prefix=prefix)
    from channels_redis.pubsub import RedisPubSubChannelLayer

    return RedisPubSubChannelLayer(hosts=[url], prefix=prefix)


@pytest.fixture(params=["memory", "redis", "pubsub"])
async def inner(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """Each real layer the wrapper must stand in for (Redis ones need a server)."""
    if request.param == "memory":
        yield InMemoryChannelLayer()
        return
    url = request.getfixturevalue("redis_url")
    layer = redis_layer(request.param, url, f"chanreplay-layers-{tmp_path.name}")
    try:
        yield layer
    finally:
        await layer.flush()
        if request.param == "redis":
            await layer.close_pools()


async def test_send_and_receive_round_trip_through_every_layer(
    inner: Any, recording: Recording
) -> None:
    """A message sent through the wrapper arrives unchanged, without the hidden step tag."""
    layer = RecordingChannelLayer(inner)
    await as_connection(recording)
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "chat.message", "text": "hi", "n": [1, 2]})
    received = await layer.receive(channel)
    assert received == {"type": "chat.message", "text": "hi", "n": [1, 2]}
    assert ORIGIN_KEY not in received


async def test_group_operations_are_recorded_with_placeholders(
    inner: Any, recording: Recording
) -> None:
    """group_add, group_send, receive and group_discard are recorded on the connection."""
    layer = RecordingChannelLayer(inner)
    await as_connection(recording)
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    await layer.group_send("room", {"type": "hello", "from": channel})
    message = await layer.receive(channel)
    assert message == {"type": "hello", "from": channel}
    await layer.group_discard("room", channel)
    events = cassette(recording).connection("c1").events
    assert [(e["op"], e.get("group")) for e in events] == [
        ("new_channel", None),
        ("group_add", "room"),
        ("group_send", "room"),
        ("receive", None),
        ("group_discard", "room"),
    ]
    # The live name is replaced by the connection's placeholder, inside payloads too.
    assert events[2]["message"] == {"type": "hello", "from": "<channel:c1>"}
    assert events[3]["channel"] == "<channel:c1>"
    assert channel not in recording.cassette_path.read_text()


async def test_operations_outside_any_connection_are_external(recording: Recording) -> None:
    """A layer call with no connection in context is recorded in the external list."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await layer.group_send("room", {"type": "announce"})
    recorded = cassette(recording)
    assert recorded.connections == []
    assert recorded.external == [
        {
            "dir": "layer",
            "op": "group_send",
            "group": "room",
            "message": {"type": "announce"},
            "step": 1,
        }
    ]


async def test_messages_are_copied_at_record_time(recording: Recording) -> None:
    """Mutating a message after sending it does not change what was recorded."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    message: dict[str, Any] = {"type": "x", "items": [1]}
    await layer.send("worker", message)
    message["items"].append(2)
    sent = cassette(recording).connection("c1").events[0]
    assert sent["message"] == {"type": "x", "items": [1]}


async def test_a_receive_records_what_was_sent_through_every_layer(
    inner: Any, recording: Recording
) -> None:
    """The receive event holds the message as sent: tagged values and all, not later edits."""
    layer = RecordingChannelLayer(inner)
    await as_connection(recording)
    channel = await layer.new_channel()
    message: dict[str, Any] = {"type": "x", "raw": b"\x00\xff", "$set": [1], "price": "$5"}
    await layer.send(channel, message)
    message["$set"].append(2)
    await layer.receive(channel)
    sent, received = cassette(recording).connection("c1").events[1:3]
    assert (sent["op"], received["op"]) == ("send", "receive")
    expected = {"$object": {"type": "x", "raw": {"$bytes": "AP8="}, "$set": [1], "price": "$5"}}
    assert sent["message"] == received["message"] == expected


async def test_an_untagged_in_memory_receive_serialises_the_message_itself(
    recording: Recording,
) -> None:
    """A message that did not come through the wrapper (no recorded copy with it) still records."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    channel = await layer.new_channel()
    await layer.inner.send(channel, {"type": "n", "n": 1})
    await layer.send(channel, {"type": "n", "n": 2})
    received = [await layer.receive(channel) for _ in range(2)]
    assert received == [{"type": "n", "n": 1}, {"type": "n", "n": 2}]
    events = cassette(recording).connection("c1").events
    assert [e["op"] for e in events] == ["new_channel", "send", "receive", "receive"]
    assert [e["message"] for e in events if e["op"] == "receive"] == received


async def test_in_memory_delivers_a_deep_copy_built_from_the_recording(
    recording: Recording,
) -> None:
    """The receiver gets a plain dict equal to what was sent and sharing nothing with it."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    channel = await layer.new_channel()
    message: dict[str, Any] = {
        "type": "x",
        "items": [1, {"deep": [2.5, -0.0, None, True]}],
        "text": "z\u00fcrich",
    }
    expected = copy.deepcopy(message)
    await layer.send(channel, message)
    message["items"][1]["deep"].append("later")
    received = await layer.receive(channel)
    assert type(received) is dict
    assert received == expected
    assert list(received) == ["type", "items", "text"]
    assert received["items"] is not message["items"]


async def test_in_memory_delivers_what_json_cannot_hold_unchanged(recording: Recording) -> None:
    """Tuples and bytes reach the receiver as the layer itself delivers them (deep-copied)."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "x", "pair": (1, 2), "raw": b"\x00"})
    assert await layer.receive(channel) == {"type": "x", "pair": (1, 2), "raw": b"\x00"}


async def test_in_memory_group_send_gives_each_member_its_own_copy(recording: Recording) -> None:
    """Every channel of a group receives an independent copy of the message."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", first)
    await layer.group_add("room", second)
    await layer.group_send("room", {"type": "hello", "seen": []})
    one = await layer.receive(first)
    one["seen"].append("first")
    assert await layer.receive(second) == {"type": "hello", "seen": []}


async def test_a_flat_message_reaches_every_member_as_its_own_plain_dict(
    recording: Recording,
) -> None:
    """A message of scalars (copied shallowly, being all immutable) is still never shared."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    first, second = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", first)
    await layer.group_add("room", second)
    message = {"type": "chat.message", "text": "hi", "n": 1, "ok": True, "none": None}
    await layer.group_send("room", message)
    message["text"] = "changed after sending"
    one, two = await layer.receive(first), await layer.receive(second)
    expected = {"type": "chat.message", "text": "hi", "n": 1, "ok": True, "none": None}
    assert one == two == expected
    assert type(one) is dict
    assert type(two) is dict
    assert one is not two
    assert one is not message
    one["text"] = "changed by the first member"
    assert two["text"] == "hi"


async def test_a_secret_learned_before_the_receive_is_scrubbed_from_it(
    recording: Recording,
) -> None:
    """A receive is not recorded from the send's scrubbed copy once a new secret is known."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    channel = await layer.new_channel()
    secret = "correct horse battery staple"  # no binding: it does not look random
    await layer.send(channel, {"type": "x", "value": secret})
    recording.redactor.learn(secret)
    assert await layer.receive(channel) == {"type": "x", "value": secret}
    received = cassette(recording).connection("c1").events[-1]
    assert received["op"] == "receive"
    assert received["message"]["value"] == REDACTED


async def test_a_held_receive_is_scrubbed_of_secrets_learned_before_its_dispatch(
    recording: Recording,
) -> None:
    """Inside a consumer a receive is recorded at dispatch, with the secrets known then."""
    from chanreplay.recorder import dispatch

    layer = RecordingChannelLayer(InMemoryChannelLayer())
    connection = await as_connection(recording)
    channel = await layer.new_channel()
    secret = "another horse battery staple"
    await layer.send(channel, {"type": "x", "value": secret})
    token = dispatch.deferring.set(True)
    try:
        message = await layer.receive(channel)
    finally:
        dispatch.deferring.reset(token)
    recording.redactor.learn(secret)
    connection.dispatching(message)
    received = cassette(recording).connection("c1").events[-1]
    assert received["op"] == "receive"
    assert received["message"]["value"] == REDACTED


async def test_channel_full_is_raised_unchanged_and_recorded(recording: Recording) -> None:
    """The inner layer's ChannelFull reaches the caller; the failure is in the cassette."""
    layer = RecordingChannelLayer(InMemoryChannelLayer(capacity=1))
    await as_connection(recording)
    await layer.send("busy", {"type": "one"})
    with pytest.raises(ChannelFull):
        await layer.send("busy", {"type": "two"})
    events = cassette(recording).connection("c1").events
    assert [e.get("error") for e in events] == [None, None, "ChannelFull"]


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("send", ("bad name!with spaces", {"type": "x"})),
        ("group_add", ("bad group name", "channel")),
        ("receive", ("bad channel name",)),
    ],
)
async def test_name_validation_errors_are_the_inner_layers(
    recording: Recording, call: str, args: tuple[Any, ...]
) -> None:
    """Invalid names raise the inner layer's TypeError, message and all."""
    inner = InMemoryChannelLayer()
    with pytest.raises(TypeError) as expected:
        await getattr(inner, call)(*args)
    with pytest.raises(TypeError) as wrapped:
        await getattr(RecordingChannelLayer(inner), call)(*args)
    assert str(wrapped.value) == str(expected.value)


async def test_attributes_and_extensions_are_forwarded() -> None:
    """Reading and setting attributes reaches the inner layer; extensions are its own."""
    inner = InMemoryChannelLayer(capacity=7, expiry=30)
    layer = RecordingChannelLayer(inner)
    assert layer.capacity == 7
    assert layer.extensions == ["groups", "flush"]
    assert layer.get_capacity("anything") == 7
    layer.expiry = 5
    assert inner.expiry == 5
    assert unwrap(RecordingChannelLayer(layer)) is inner


async def test_redis_specific_methods_are_forwarded(redis_url: str, tmp_path: Path) -> None:
    """Methods only RedisChannelLayer has (close_pools, consistent_hash) work through it."""
    inner = redis_layer("redis", redis_url, f"chanreplay-fwd-{tmp_path.name}")
    layer = RecordingChannelLayer(inner)
    assert layer.consistent_hash("group") == inner.consistent_hash("group")
    await layer.send("plain", {"type": "x"})
    assert await layer.receive("plain") == {"type": "x"}
    await layer.flush()
    await layer.close_pools()


async def test_without_a_recording_the_wrapper_passes_through() -> None:
    """No active recording: messages go through untagged and nothing is written."""
    inner = InMemoryChannelLayer()
    layer = RecordingChannelLayer(inner)
    await layer.send("plain", {"type": "x"})
    assert await inner.receive("plain") == {"type": "x"}


def test_usable_as_a_backend_with_the_real_one_in_its_config() -> None:
    """CHANNEL_LAYERS can name the wrapper with the real backend in CONFIG."""
    layer = RecordingChannelLayer(
        BACKEND="channels.layers.InMemoryChannelLayer", CONFIG={"capacity": 3}, ALIAS="other"
    )
    assert isinstance(layer.inner, InMemoryChannelLayer)
    assert layer.capacity == 3
    assert layer.alias == "other"


def test_a_backend_config_without_the_real_backend_is_a_clear_error() -> None:
    """Forgetting the inner BACKEND says what to put in the config."""
    with pytest.raises(ConfigurationError, match="'BACKEND'"):
        RecordingChannelLayer()


async def test_unserializable_values_are_rejected_with_their_place(recording: Recording) -> None:
    """A datetime in a layer message is refused with the connection, op and path named."""
    import datetime

    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    with pytest.raises(UnserializableValueError) as error:
        await layer.send("worker", {"type": "x", "when": datetime.date(2026, 1, 1)})
    message = str(error.value)
    assert "datetime.date" in message
    assert "event.message.when" in message
    assert "connection c1, layer send" in message
    assert "fix:" in message


async def test_before_record_hook_can_change_or_drop_events(tmp_path: Path) -> None:
    """The hook sees each event; what it returns is recorded, None drops the event."""

    def hook(event: dict[str, Any], connection: Any) -> dict[str, Any] | None:
        if event.get("op") == "send" and event["message"]["type"] == "noise":
            return None
        if "message" in event:
            event["message"] = {**event["message"], "hooked": True}
        return event

    active = Recording("hooked", cassette_dir=tmp_path, mode="all", before_record=hook)
    state.start(active)
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(active)
    await layer.send("worker", {"type": "noise"})
    await layer.send("worker", {"type": "signal"})
    events = cassette(active).connection("c1").events
    assert [e["message"] for e in events] == [{"type": "signal", "hooked": True}]


@pytest.mark.parametrize("make_message", [lambda c: {"type": "t", "reply_to": c}])
async def test_channel_names_inside_nested_payloads_get_placeholders(
    recording: Recording, make_message: Callable[[str], dict[str, Any]]
) -> None:
    """A channel name anywhere in a payload is recorded as its placeholder."""
    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    mine = await layer.new_channel()
    await layer.send("worker", {"wrapper": [make_message(mine)]})
    sent = cassette(recording).connection("c1").events[1]
    assert sent["message"] == {"wrapper": [{"type": "t", "reply_to": "<channel:c1>"}]}


async def test_before_record_hook_sees_cassette_form_and_redaction_still_applies(
    tmp_path: Path,
) -> None:
    """ASGI events reach the hook tagged ($json); a secret the hook adds is still redacted."""
    seen: list[dict[str, Any]] = []

    def hook(event: dict[str, Any], connection: Any) -> dict[str, Any]:
        seen.append(copy.deepcopy(event))
        if event["dir"] == "in":
            event["message"]["text"]["$json"]["password"] = "hunter2-hunter2"
        return event

    # What clients send reaches the hook only when asked for (BEFORE_RECORD_INPUTS).
    active = Recording(
        "hooked", cassette_dir=tmp_path, mode="all", before_record=hook, hook_inputs=True
    )
    state.start(active)
    connection = await active.open_connection(SCOPE)
    connection.inbound({"type": "websocket.receive", "text": '{"a": 1}'})
    recorded = cassette(active)
    assert seen[0]["message"]["text"] == {"$json": {"a": 1}}
    assert recorded.connections[0].events[0]["message"]["text"] == {
        "$json": {"a": 1, "password": "<redacted>"}
    }
    assert "hunter2" not in active.cassette_path.read_text()


async def test_failed_operations_are_recorded_but_cancellation_is_not(
    recording: Recording,
) -> None:
    """A group_add the inner layer refuses is an error event; a cancelled receive is no event."""
    import asyncio

    layer = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    with pytest.raises(TypeError):
        await layer.group_add("bad group name", "worker")
    waiting = asyncio.ensure_future(layer.receive("idle"))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    events = cassette(recording).connection("c1").events
    assert events == [
        {
            "channel": "worker",
            "dir": "layer",
            "error": "TypeError",
            "group": "bad group name",
            "op": "group_add",
            "step": 1,
        }
    ]


async def test_events_of_another_alias_name_their_layer(recording: Recording) -> None:
    """Operations through a non-default alias carry "layer"; the default one does not."""
    other = RecordingChannelLayer(InMemoryChannelLayer(), alias="other")
    default = RecordingChannelLayer(InMemoryChannelLayer())
    await as_connection(recording)
    await other.send("worker", {"type": "a"})
    await default.send("worker", {"type": "b"})
    first, second = cassette(recording).connection("c1").events
    assert first["layer"] == "other"
    assert "layer" not in second

"""Tests of chanreplay.replay.captive: swapped layers reach code that took its layer earlier.

Apps often take their layer once, at import time (``LAYER = get_channel_layer()``
in a ``signals.py``). That object is the configured layer, or the captive
layer of a test that was running when the module was first imported. While a
swap is active it must behave as ``get_channel_layer()`` would at call time.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any
from unittest import mock

from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer
from django.test import override_settings

from chanreplay.layers import RecordingChannelLayer
from chanreplay.replay.captive import CaptiveChannelLayer, swapped_layers
from chanreplay.testing import ChannelTestCase, Group
from chat import captured

MESSAGE = {"type": "announce", "text": "hello"}


def configured_layer() -> Any:
    """The layer serving the default alias outside any swap (made on demand)."""
    layer = get_channel_layer()
    assert layer is not None
    assert not isinstance(layer, CaptiveChannelLayer), "a swap is still active"
    return layer


async def received(layer: Any, channel: str) -> Any:
    """The next message on ``channel`` of ``layer``; a failure, not a hang, when none comes."""
    return await asyncio.wait_for(layer.receive(channel), timeout=2)


def recorded(alias: str) -> RecordingChannelLayer:
    """What a replay stands in for an alias (chanreplay.replay.driver.captive_layers)."""
    return RecordingChannelLayer(CaptiveChannelLayer(), alias=alias)


# -- a layer taken before the swap ----------------------------------------------


async def test_a_layer_taken_before_the_swap_uses_the_captive_one() -> None:
    configured = configured_layer()
    with swapped_layers(["default"]) as layers:
        captive = layers["default"]
        await configured.group_add("room", "member")
        await configured.group_add("room", "leaver")
        await configured.group_discard("room", "leaver")
        assert captive.members("room") == ["member"]
        await configured.group_send("room", MESSAGE)
        assert captive.receive_nowait("member") == MESSAGE
        await configured.send("direct", MESSAGE)
        await captive.send("back", {"type": "back"})
        assert await received(configured, "back") == {"type": "back"}
        await configured.flush()
        assert captive.receive_nowait("direct") is None
        assert captive.members("room") == []
    # Nothing reached the configured layer itself.
    assert (configured.channels, configured.groups) == ({}, {})


class NamingLayer(CaptiveChannelLayer):
    """A captive layer whose channel names say where they come from."""

    async def new_channel(self, prefix: str = "specific.") -> str:
        return f"{prefix}.captive!1"


async def test_new_channel_of_a_layer_taken_before_the_swap_comes_from_the_captive_one() -> None:
    configured = configured_layer()
    with swapped_layers(["default"], lambda alias: NamingLayer()):
        assert await configured.new_channel(prefix="taken") == "taken.captive!1"
    assert await configured.new_channel() != "specific..captive!1"


async def test_a_layer_of_its_own_a_test_put_on_the_configured_one_is_left_alone() -> None:
    configured = configured_layer()
    with mock.patch.object(configured, "send") as sent:
        with swapped_layers(["default"]) as layers:
            await configured.group_add("room", "member")
            assert layers["default"].members("room") == ["member"]
            await configured.send("mocked", MESSAGE)
        sent.assert_awaited_once_with("mocked", MESSAGE)
    assert "send" not in vars(configured)


# -- a captive layer of an earlier swap ---------------------------------------------


async def test_a_captive_layer_of_an_earlier_swap_follows_the_current_backend() -> None:
    configured = configured_layer()
    with swapped_layers(["default"]) as earlier:
        # What a module first imported during an earlier test took.
        stale = earlier["default"]
    with swapped_layers(["default"]) as layers:
        current = layers["default"]
        await stale.group_add("room", "member")
        await stale.group_send("room", MESSAGE)
        assert current.receive_nowait("member") == MESSAGE
        await current.send("mine", MESSAGE)
        assert stale.members("room") == ["member"]
        assert stale.receive_nowait("mine") == MESSAGE
    # Outside any swap: the configured layer.
    await stale.send("outside", MESSAGE)
    assert await received(configured, "outside") == MESSAGE
    assert (stale.channels, stale.groups) == ({}, {})
    # Remembered weakly: nothing keeps a finished test's layer alive.
    held = weakref.ref(stale)
    del stale, earlier
    assert held() is None


async def test_a_captive_layer_of_an_alias_no_longer_configured_serves_itself_after() -> None:
    with swapped_layers(["elsewhere"]) as earlier:
        stale = earlier["elsewhere"]
    with swapped_layers(["elsewhere"]) as layers:
        await stale.send("channel", MESSAGE)
        assert layers["elsewhere"].receive_nowait("channel") == MESSAGE
    # Nothing serves "elsewhere" now (no CHANNEL_LAYERS entry to make one from).
    await stale.send("channel", MESSAGE)
    assert stale.receive_nowait("channel") == MESSAGE


# -- nesting, and layers put back by other means ------------------------------------


async def test_nested_swaps_forward_to_the_innermost_and_restore_each_level() -> None:
    configured = configured_layer()
    own = dict(vars(configured))
    with swapped_layers(["default"]) as outer:  # a ChannelTestCase
        test_layer = outer["default"]
        with swapped_layers(["default"], recorded) as inner:  # a replay inside it
            replay_layer = inner["default"]
            await configured.send("during", MESSAGE)
            await test_layer.send("during", MESSAGE)
            assert [await received(replay_layer, "during") for _ in range(2)] == [MESSAGE] * 2
            assert test_layer.receive_nowait("during") is None
        assert get_channel_layer() is test_layer
        assert "send" not in vars(test_layer)
        await configured.send("after", MESSAGE)
        await replay_layer.send("after", MESSAGE)
        assert [test_layer.receive_nowait("after") for _ in range(2)] == [MESSAGE] * 2
        # The replay's wrapper forwards itself; the captive layer inside it is untouched.
        assert "send" in vars(replay_layer)
        assert "send" not in vars(replay_layer.inner)
    assert get_channel_layer() is configured
    # The configured layer is itself again, with no attribute of ours left on it.
    assert vars(configured) == own
    assert configured.send.__func__ is type(configured).send
    await test_layer.send("outside", MESSAGE)
    await replay_layer.send("outside", MESSAGE)
    assert [await received(configured, "outside") for _ in range(2)] == [MESSAGE] * 2


async def test_a_layer_put_back_by_hand_serves_itself_again() -> None:
    configured = configured_layer()
    with swapped_layers(["default"]) as layers:
        await configured.send("forwarded", MESSAGE)
        assert layers["default"].receive_nowait("forwarded") == MESSAGE
        # A test restoring the layer itself: forwarding now would call itself forever.
        channel_layers.backends["default"] = configured
        await configured.send("native", MESSAGE)
        assert "send" not in vars(configured)
        assert await received(configured, "native") == MESSAGE


async def test_a_layer_channels_dropped_for_new_settings_follows_the_swap() -> None:
    in_memory = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with override_settings(CHANNEL_LAYERS=in_memory):  # Channels drops the layers it made
        with swapped_layers([]):  # an earlier test's swap sees the new backends
            pass
        taken = configured_layer()  # taken at import time; no swap ever saw it
        # A test class's own settings: Channels drops the layer before any swap saves it.
        with override_settings(CHANNEL_LAYERS=in_memory), swapped_layers(["default"]) as layers:
            await taken.send("channel", MESSAGE)
            assert layers["default"].receive_nowait("channel") == MESSAGE


# -- an app's module that took its layer at import time -------------------------------


class CapturedAtImportTests(ChannelTestCase):
    """``chat.captured`` took the configured layer when this module was collected."""

    def test_a_layer_taken_at_import_time_reaches_the_test(self) -> None:
        assert not isinstance(captured.LAYER, CaptiveChannelLayer)
        Group(captured.ANNOUNCEMENTS_GROUP).add("test-channel")
        captured.announce("hello")
        message = self.get_next_message("test-channel", require=True)
        assert message is not None
        assert message.content == {"type": "announce", "text": "hello"}

    def test_a_layer_taken_during_an_earlier_test_reaches_this_one(self) -> None:
        with swapped_layers(["default"]) as earlier:  # the test that first imported the module
            pass
        with mock.patch.object(captured, "LAYER", earlier["default"]):
            Group(captured.ANNOUNCEMENTS_GROUP).add("test-channel")
            captured.announce("again")
        message = self.get_next_message("test-channel", require=True)
        assert message is not None
        assert message.content == {"type": "announce", "text": "again"}


# -- expiry and group_send ------------------------------------------------------------


async def test_a_message_still_expires() -> None:
    """A message older than the layer's expiry is dropped, and its channel leaves its groups."""
    layer = CaptiveChannelLayer(expiry=-1)  # every message is expired as it is sent
    await layer.group_add("room", "late")
    await layer.send("late", MESSAGE)
    assert layer.receive_nowait("late") is None
    assert layer.members("room") == []


async def test_a_membership_still_expires_with_the_group_expiry_of_the_moment() -> None:
    """A membership older than group_expiry ends, also when group_expiry changed after the join."""
    layer = CaptiveChannelLayer()
    await layer.group_add("room", "member")
    await layer.group_send("room", MESSAGE)
    assert layer.receive_nowait("member") == MESSAGE
    layer.group_expiry = -10  # every membership is now older than that
    await layer.group_send("room", MESSAGE)
    assert layer.receive_nowait("member") is None
    assert layer.members("room") == []


async def test_nothing_is_scanned_while_nothing_can_have_expired() -> None:
    """Channels' scan of every channel and membership runs only once something can expire."""
    layer = CaptiveChannelLayer()
    with mock.patch.object(
        InMemoryChannelLayer, "_clean_expired", autospec=True, side_effect=lambda self: None
    ) as scan:
        await layer.group_add("room", "member")
        for _ in range(5):
            await layer.group_send("room", MESSAGE)
            assert layer.receive_nowait("member") == MESSAGE
        assert scan.call_count == 0
        layer.expiry = -1
        await layer.send("member", MESSAGE)  # expired as it is sent
        layer.receive_nowait("member")
        assert scan.call_count == 1


async def test_a_scan_finds_the_next_expiry_again() -> None:
    """After a scan the layer knows the earliest expiry left: a later message still expires."""
    layer = CaptiveChannelLayer()
    await layer.send("kept", MESSAGE)
    layer.expiry = -1
    await layer.send("dropped", MESSAGE)
    assert layer.receive_nowait("dropped") is None  # scanned: "kept" is not yet due
    assert layer.receive_nowait("kept") == MESSAGE
    await layer.send("dropped", MESSAGE)
    assert layer.receive_nowait("dropped") is None


async def test_group_send_skips_a_full_member_and_reaches_the_others() -> None:
    """As in Channels, a member whose channel is full misses the message; the rest get it."""
    layer = CaptiveChannelLayer(capacity=1)
    await layer.group_add("room", "full")
    await layer.group_add("room", "free")
    await layer.send("full", {"type": "first"})
    await layer.group_send("room", MESSAGE)
    assert layer.receive_nowait("full") == {"type": "first"}
    assert layer.receive_nowait("full") is None
    assert layer.receive_nowait("free") == MESSAGE


async def test_group_send_gives_each_member_its_own_copy() -> None:
    """Members do not share the message dict (a consumer that changes it changes only its own)."""
    layer = CaptiveChannelLayer()
    await layer.group_add("room", "a")
    await layer.group_add("room", "b")
    await layer.group_send("room", {"type": "x", "items": [1]})
    first, second = layer.receive_nowait("a"), layer.receive_nowait("b")
    assert first == second == {"type": "x", "items": [1]}
    assert first is not second
    assert first["items"] is not second["items"]

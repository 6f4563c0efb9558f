"""The Channels 1.x testing toolkit on Channels 4: ChannelTestCase, Channel, Group, Message.

::

    from chanreplay.testing import Channel, ChannelTestCase, Group

    class MyTests(ChannelTestCase):
        def test_a_thing(self):
            Group("results").add("test-channel")
            Channel("input").send({"value": 33})
            message = self.get_next_message("input", require=True)
            ...
            result = self.get_next_message("test-channel", require=True)
            self.assertEqual(result["value"], 1089)

Each test of a :class:`ChannelTestCase` runs with the aliases in
``test_channel_aliases`` swapped for captive in-memory layers, empty at the
start of every test: no Redis or other server is needed, and nothing one test
sends reaches the next. Synchronous test methods work as in the seed
document; ``Channel``, ``Group`` and ``get_next_message`` are plain calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, overload

from asgiref.sync import async_to_sync
from django.test import TestCase, TransactionTestCase

from chanreplay.replay.captive import CaptiveChannelLayer, swapped_layers
from chanreplay.testing.loop import close_consumer_loop

__all__ = [
    "CaptiveLayers",
    "Channel",
    "ChannelTestCase",
    "ChannelTestMixin",
    "ChannelTransactionTestCase",
    "Group",
    "Message",
    "MessageReader",
    "captive_layer",
    "checked_name",
    "get_next_message",
    "next_message",
]


def _layer(alias: str) -> Any:
    from channels.layers import get_channel_layer

    layer = get_channel_layer(alias)
    if layer is None:
        raise LookupError(
            f"no channel layer {alias!r}: add it to CHANNEL_LAYERS (and, in a "
            "ChannelTestCase, to test_channel_aliases)"
        )
    return layer


def captive_layer(alias: str) -> CaptiveChannelLayer:
    """The captive layer standing in for ``alias``; a clear error when the alias is not captive."""
    layer = _layer(alias)
    if not isinstance(layer, CaptiveChannelLayer):
        raise LookupError(
            f"layer {alias!r} is not captive in this test: use a ChannelTestCase and list the "
            "alias in test_channel_aliases (under pytest: the captive_layers fixture)"
        )
    return layer


def checked_name(kind: str, name: str | None, check: Callable[[str], Any]) -> str:
    """``name`` if the layer's ``check`` accepts it; else fail the test saying which and why.

    Channels' own error does not name the offending name.
    """
    if name is None:
        # What a Message's reply_channel is named when its content names none.
        raise AssertionError(
            f"no {kind} name (None): a message's reply_channel has no name when its content "
            "has no 'reply_channel' (Client.send adds one; Channel.send sends the content as is)"
        )
    try:
        check(name)
    except TypeError as error:
        raise AssertionError(
            f"{kind} {name!r} is not a {kind} name the channel layer accepts: {error}"
        ) from None
    return name


def next_message(channel: str | None, alias: str = "default") -> dict[str, Any] | None:
    """Take the next message off ``channel`` of captive layer ``alias`` (None: nothing there)."""
    layer = captive_layer(alias)
    return layer.receive_nowait(checked_name("channel", channel, layer.require_valid_channel_name))


class Channel:
    """A named channel of a layer: ``Channel("input").send({"value": 33})``.

    The name is None only for the ``reply_channel`` of a message that names
    none: such a channel is false, and sending to it or reading it fails the
    test saying why.
    """

    def __init__(self, name: str | None, alias: str = "default") -> None:
        self.name = name
        self.alias = alias

    def __bool__(self) -> bool:
        return self.name is not None

    def send(self, content: Mapping[str, Any], immediately: bool = False) -> None:
        """Put ``content`` on the channel (``immediately`` is accepted for 1.x code: sends
        are always immediate on Channels 4)."""
        async_to_sync(self.asend)(content)

    async def asend(self, content: Mapping[str, Any]) -> None:
        """:meth:`send` for async tests."""
        layer = _layer(self.alias)
        await layer.send(
            checked_name("channel", self.name, layer.require_valid_channel_name), dict(content)
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Channel) and (self.name, self.alias) == (other.name, other.alias)

    def __hash__(self) -> int:
        return hash((self.name, self.alias))

    def __str__(self) -> str:
        return str(self.name)

    def __repr__(self) -> str:
        return f"Channel({self.name!r}, alias={self.alias!r})"


class Group:
    """A group of a layer: ``Group("room").add("test-channel")``, ``.send({...})``."""

    def __init__(self, name: str, alias: str = "default") -> None:
        self.name = name
        self.alias = alias

    def add(self, channel: str | Channel) -> None:
        """Add ``channel`` (a name or a :class:`Channel`) to the group."""
        async_to_sync(self.aadd)(channel)

    def discard(self, channel: str | Channel) -> None:
        """Remove ``channel`` from the group."""
        async_to_sync(self.adiscard)(channel)

    def send(self, content: Mapping[str, Any], immediately: bool = False) -> None:
        """Send ``content`` to every channel in the group."""
        async_to_sync(self.asend)(content)

    async def aadd(self, channel: str | Channel) -> None:
        """:meth:`add` for async tests."""
        layer, group, member = self._checked(channel)
        await layer.group_add(group, member)

    async def adiscard(self, channel: str | Channel) -> None:
        """:meth:`discard` for async tests."""
        layer, group, member = self._checked(channel)
        await layer.group_discard(group, member)

    async def asend(self, content: Mapping[str, Any]) -> None:
        """:meth:`send` for async tests."""
        layer = _layer(self.alias)
        await layer.group_send(
            checked_name("group", self.name, layer.require_valid_group_name), dict(content)
        )

    def _checked(self, channel: str | Channel) -> tuple[Any, str, str]:
        layer = _layer(self.alias)
        group = checked_name("group", self.name, layer.require_valid_group_name)
        name = channel.name if isinstance(channel, Channel) else channel
        return layer, group, checked_name("channel", name, layer.require_valid_channel_name)

    def __repr__(self) -> str:
        return f"Group({self.name!r}, alias={self.alias!r})"


class Message(Mapping[str, Any]):
    """A received message: item access to its content, and the channel it came on.

    ``reply_channel`` is the :class:`Channel` the content names under
    ``"reply_channel"``; when it names none, a channel whose ``name`` is None
    (false in a test, and a clear failure when used).
    """

    def __init__(self, content: dict[str, Any], channel: Channel) -> None:
        self.content = content
        self.channel = channel

    @property
    def reply_channel(self) -> Channel:
        """The channel to reply on (its ``name`` is None when the message names none)."""
        name = self.content.get("reply_channel")
        return Channel(str(name) if name else None, alias=self.channel.alias)

    def __getitem__(self, key: str) -> Any:
        return self.content[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.content)

    def __len__(self) -> int:
        return len(self.content)

    def __repr__(self) -> str:
        return f"<Message on {self.channel.name!r}: {self.content!r}>"


@overload
def get_next_message(
    channel: str | None, require: Literal[True], alias: str = "default"
) -> Message: ...


@overload
def get_next_message(
    channel: str | None, require: bool = False, alias: str = "default"
) -> Message | None: ...


def get_next_message(
    channel: str | None, require: bool = False, alias: str = "default"
) -> Message | None:
    """The next message on ``channel`` of captive layer ``alias`` as a :class:`Message`, or None.

    With ``require``, fail the test when there is none. Never waits.
    """
    content = next_message(channel, alias)
    if content is None:
        if require:
            raise AssertionError(f"expected a message on channel {channel!r}, got none")
        return None
    return Message(content, Channel(channel, alias=alias))


class MessageReader:
    """``get_next_message``, for test cases and the pytest fixture."""

    @overload
    def get_next_message(
        self, channel: str | None, require: Literal[True], alias: str = "default"
    ) -> Message: ...

    @overload
    def get_next_message(
        self, channel: str | None, require: bool = False, alias: str = "default"
    ) -> Message | None: ...

    def get_next_message(
        self, channel: str | None, require: bool = False, alias: str = "default"
    ) -> Message | None:
        """The next message on ``channel``, or None; with ``require``, fail when there is none."""
        return get_next_message(channel, require, alias)


class CaptiveLayers(MessageReader):
    """The captive layers of a pytest test (the ``captive_layers`` fixture).

    ``captive_layers.get_next_message("test-channel", require=True)`` as in a
    :class:`ChannelTestCase`; ``captive_layers["default"]`` is the layer.
    """

    def __init__(self, layers: Mapping[str, CaptiveChannelLayer]) -> None:
        self.layers = dict(layers)

    def __getitem__(self, alias: str) -> CaptiveChannelLayer:
        return self.layers[alias]


class ChannelTestMixin(MessageReader):
    """Captive layers for every test, and :meth:`get_next_message`.

    For unittest and Django test case classes: each test runs (``setUp`` to
    ``tearDown`` included) with the captive layers in place, so a ``setUp``
    of your own needs no ``super()`` call.
    """

    test_channel_aliases: list[str] = ["default"]
    """The layer aliases replaced by captive in-memory layers for each test."""

    def run(self, result: Any = None) -> Any:
        # run(), not _pre_setup(): Django 5.2 may run _pre_setup once per
        # class (a classmethod), and captive layers must be fresh per test.
        with swapped_layers(self.test_channel_aliases):
            try:
                return super().run(result)  # type: ignore[misc]
            finally:
                close_consumer_loop()

    def debug(self) -> None:
        with swapped_layers(self.test_channel_aliases):
            try:
                super().debug()  # type: ignore[misc]
            finally:
                close_consumer_loop()

    def _post_teardown(self) -> None:
        # Before Django rolls the test's transaction back: a consumer still
        # running must not write to the database outside of it.
        close_consumer_loop()
        super()._post_teardown()  # type: ignore[misc]


class ChannelTestCase(ChannelTestMixin, TestCase):
    """A ``django.test.TestCase`` whose channel layers are captive (as in Channels 1.x)."""


class ChannelTransactionTestCase(ChannelTestMixin, TransactionTestCase):
    """A ``django.test.TransactionTestCase`` whose channel layers are captive."""

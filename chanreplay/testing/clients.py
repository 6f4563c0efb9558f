"""The Channels 1.x test ``Client`` on Channels 4: talk to background workers over the layer.

::

    from chanreplay.testing import ChannelTestCase, Client

    class WorkerTests(ChannelTestCase):
        def test_count(self):
            client = Client()
            client.send_and_consume("notes-worker", {"type": "notes.count", "owner": "alice"})
            self.assertEqual(client.receive(), {"type": "notes.counted", ...})

A client has a reply channel of its own: what it sends carries it as
``reply_channel``, and :meth:`Client.receive` reads what arrives there.
:meth:`Client.consume` runs the consumer the project's application routes a
channel to (``ChannelNameRouter``, as ``runworker`` would) for one message:
the next one on the channel, or a :class:`~chanreplay.testing.Message` the
test already took with ``get_next_message``. Every call has an ``a``-prefixed
form for async tests.
On Channels 4 consumers dispatch on ``"type"``, so the content a test sends
to a worker names its handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async

from chanreplay.testing.channels import Group, Message, captive_layer, checked_name, next_message

__all__ = ["Client"]

CONSUME_TIMEOUT = 10.0
"""Seconds a consumer gets to handle one message before the test fails."""


class Client:
    """Sends to channels, runs their consumers, and receives on its own reply channel."""

    def __init__(
        self, alias: str = "default", *, application: Any = None, timeout: float = CONSUME_TIMEOUT
    ) -> None:
        self.alias = alias
        self.reply_channel = f"chanreplay-client.{uuid.uuid4().hex[:12]}"
        """This client's channel: replies to what it sends arrive here."""
        self.timeout = timeout
        """Seconds a consumer gets to handle one message before the test fails."""
        self._application = application

    @property
    def application(self) -> Any:
        """The application consumers are looked up in (default: ``ASGI_APPLICATION``)."""
        from chanreplay.testing.replay import resolve_application

        return resolve_application(self._application)

    def send(self, channel: str, content: Mapping[str, Any] | None = None) -> None:
        """Put ``content`` on ``channel``, with this client's ``reply_channel``."""
        message = {"reply_channel": self.reply_channel, **(content or {})}
        layer = captive_layer(self.alias)
        checked_name("channel", channel, layer.require_valid_channel_name)
        async_to_sync(layer.send)(channel, message)

    def consume(self, channel: str | Message, fail_on_none: bool = True) -> dict[str, Any] | None:
        """Run the consumer routed to ``channel`` on its next message; return that message.

        ``channel`` may also be a :class:`~chanreplay.testing.Message` the test
        took with ``get_next_message``: the consumer of its channel runs on it.
        With nothing on the channel it fails the test, or returns None when
        ``fail_on_none`` is false.
        """
        taken = message_to_consume(channel, self.alias, fail_on_none)
        if taken is None:
            return None
        name, message = taken
        from chanreplay.testing.replay import database_kept_open

        with database_kept_open():
            async_to_sync(handle_one)(self.application, name, message, self.timeout)
        return message

    def send_and_consume(
        self, channel: str, content: Mapping[str, Any] | None = None, fail_on_none: bool = True
    ) -> dict[str, Any] | None:
        """:meth:`send`, then :meth:`consume` on the same channel."""
        self.send(channel, content)
        return self.consume(channel, fail_on_none=fail_on_none)

    def receive(self) -> dict[str, Any] | None:
        """The next message for this client, or None when there is none."""
        return captive_layer(self.alias).receive_nowait(self.reply_channel)

    def join_group(self, name: str) -> None:
        """Add this client's reply channel to group ``name``."""
        Group(name, alias=self.alias).add(self.reply_channel)

    # -- for async tests: the same calls, from a thread of their own ---------------
    async def asend(self, channel: str, content: Mapping[str, Any] | None = None) -> None:
        """:meth:`send` for async tests."""
        await sync_to_async(self.send)(channel, content)

    async def aconsume(
        self, channel: str | Message, fail_on_none: bool = True
    ) -> dict[str, Any] | None:
        """:meth:`consume` for async tests."""
        return await sync_to_async(self.consume)(channel, fail_on_none)

    async def asend_and_consume(
        self, channel: str, content: Mapping[str, Any] | None = None, fail_on_none: bool = True
    ) -> dict[str, Any] | None:
        """:meth:`send_and_consume` for async tests."""
        return await sync_to_async(self.send_and_consume)(channel, content, fail_on_none)

    async def areceive(self) -> dict[str, Any] | None:
        """:meth:`receive` for async tests."""
        return await sync_to_async(self.receive)()

    async def ajoin_group(self, name: str) -> None:
        """:meth:`join_group` for async tests."""
        await sync_to_async(self.join_group)(name)


def message_to_consume(
    channel: str | Message, alias: str, fail_on_none: bool
) -> tuple[str, dict[str, Any]] | None:
    """The channel and message ``consume`` runs a consumer on.

    A :class:`Message` the test took is that message; a channel name is its
    next message, and with none there the test fails, unless ``fail_on_none``
    is false (then None).
    """
    if isinstance(channel, Message):
        name = channel.channel.name
        if name is None:
            raise AssertionError("this message came from no channel: there is no consumer to run")
        return name, dict(channel.content)
    message = next_message(channel, alias)
    if message is None:
        if fail_on_none:
            raise AssertionError(f"no message on channel {channel!r} to consume")
        return None
    return channel, message


async def handle_one(
    application: Any, channel: str, message: dict[str, Any], limit: float = CONSUME_TIMEOUT
) -> None:
    """Run ``application`` for a ``channel`` scope until it has handled ``message``.

    The test fails when that takes more than ``limit`` seconds. The consumer
    asks for its next message once it is done with one: that second
    ``receive()`` is the sign to stop it.
    """
    handled = asyncio.Event()
    calls = 0

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return message
        handled.set()
        await asyncio.Event().wait()  # until cancelled
        raise AssertionError("unreachable")

    async def send(reply: dict[str, Any]) -> None:
        raise AssertionError(
            f"the consumer of channel {channel!r} sent an ASGI message {reply!r}: "
            "workers reply over the channel layer"
        )

    task = asyncio.ensure_future(
        application({"type": "channel", "channel": channel}, receive, send)
    )
    waiting = asyncio.ensure_future(handled.wait())
    try:
        done, _ = await asyncio.wait(
            [task, waiting], timeout=limit, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()  # the consumer raised (or returned early): let the test see it
        elif not done:
            raise AssertionError(
                f"the consumer of channel {channel!r} did not finish handling "
                f"{message!r} within {limit:g} s"
            )
    finally:
        for pending in (task, waiting):
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending

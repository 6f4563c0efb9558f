"""Captive channel layers: in-memory stand-ins for the configured ones, for tests and replays.

While a captive layer stands in for an alias, everything in the process that
asks Channels for that alias (consumers, signal handlers, views) gets it, so
no test needs Redis or any other server, and nothing a test sends leaks into
another test: each swap starts empty.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, Protocol

from channels.layers import InMemoryChannelLayer, channel_layers

__all__ = ["CaptiveChannelLayer", "LayerWatcher", "configured_aliases", "swapped_layers"]


class LayerWatcher(Protocol):
    """Told, on the home loop, when a receiver waits for and gets a message."""

    def waiting(self, channel: str) -> None: ...
    def delivered(self, channel: str) -> None: ...
    def abandoned(self, channel: str) -> None: ...


class CaptiveChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]  # Channels is untyped
    """An in-memory layer a synchronous test can also read from without waiting.

    While test clients run consumers on a loop of their own (``home``), every
    operation made from another thread (a test's ``Group.send``, a
    ``post_save`` handler's ``async_to_sync(group_send)``) is carried out on
    that loop: asyncio queues wake their waiters only on the loop they
    belong to. ``watcher`` hears of every receive on it, so the clients can
    tell when the consumers have nothing left to do.
    """

    home: asyncio.AbstractEventLoop | None = None
    watcher: LayerWatcher | None = None

    def _elsewhere(self) -> asyncio.AbstractEventLoop | None:
        """The home loop, when the caller runs on another loop or thread."""
        home = self.home
        if home is None or not home.is_running():
            return None
        try:
            if asyncio.get_running_loop() is home:
                return None
        except RuntimeError:
            pass
        return home

    async def _at_home(
        self, home: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, Any]
    ) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, home))

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        home = self._elsewhere()
        if home is not None:
            return await self._at_home(home, super().send(channel, message))  # type: ignore[no-any-return]
        await super().send(channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        home = self._elsewhere()
        if home is not None:
            return await self._at_home(home, super().group_send(group, message))  # type: ignore[no-any-return]
        await super().group_send(group, message)

    async def group_add(self, group: str, channel: str) -> None:
        home = self._elsewhere()
        if home is not None:
            return await self._at_home(home, super().group_add(group, channel))  # type: ignore[no-any-return]
        await super().group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        home = self._elsewhere()
        if home is not None:
            return await self._at_home(home, super().group_discard(group, channel))  # type: ignore[no-any-return]
        await super().group_discard(group, channel)

    async def receive(self, channel: str) -> dict[str, Any]:
        home = self._elsewhere()
        if home is not None:
            return await self._at_home(home, self.receive(channel))  # type: ignore[no-any-return]
        watcher = self.watcher
        if watcher is None:
            message: dict[str, Any] = await super().receive(channel)
            return message
        watcher.waiting(channel)
        try:
            message = await super().receive(channel)
        except BaseException:
            watcher.abandoned(channel)
            raise
        watcher.delivered(channel)
        return message

    def receive_nowait(self, channel: str) -> dict[str, Any] | None:
        """The next message on ``channel``, or None when there is none (never blocks)."""
        home = self._elsewhere()
        if home is not None:

            async def take() -> dict[str, Any] | None:
                return self.receive_nowait(channel)

            taken: dict[str, Any] | None = asyncio.run_coroutine_threadsafe(take(), home).result()
            return taken
        self.require_valid_channel_name(channel)
        self._clean_expired()
        queue = self.channels.get(channel)
        if queue is None or queue.empty():
            return None
        _, message = queue.get_nowait()
        if queue.empty():
            self.channels.pop(channel, None)
        received: dict[str, Any] = message
        return received

    def members(self, group: str) -> list[str]:
        """The channels in ``group`` (for assertions)."""
        return list(self.groups.get(group, {}))


def configured_aliases() -> list[str]:
    """Every alias in ``CHANNEL_LAYERS``; none when the project configures no layer.

    A project without channel layers (a tutorial's echo consumer) ran without
    one when it was recorded: its consumers made no channel, and a replay must
    not give them one either.
    """
    from django.conf import settings

    return list(getattr(settings, "CHANNEL_LAYERS", None) or {})


@contextlib.contextmanager
def swapped_layers(
    aliases: Iterable[str], make: Callable[[str], Any] = lambda alias: CaptiveChannelLayer()
) -> Iterator[dict[str, Any]]:
    """Stand ``make(alias)`` in for each alias; put the configured layers back after.

    Yields the new layers by alias.
    """
    aliases = list(aliases)
    saved = {alias: channel_layers.backends.get(alias) for alias in aliases}
    layers = {alias: make(alias) for alias in aliases}
    try:
        for alias, layer in layers.items():
            channel_layers.backends[alias] = layer
        yield layers
    finally:
        for alias, layer in saved.items():
            if layer is None:
                channel_layers.backends.pop(alias, None)
            else:
                channel_layers.backends[alias] = layer

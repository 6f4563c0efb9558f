"""Captive channel layers: in-memory stand-ins for the configured ones, for tests and replays.

While a captive layer stands in for an alias, everything in the process that
asks Channels for that alias (consumers, signal handlers, views) gets it, so
no test needs Redis or any other server, and nothing a test sends leaks into
another test: each swap starts empty.

That includes code that asked before the swap and kept the answer (a
``LAYER = get_channel_layer()`` at the top of a ``signals.py``): every layer
object a swap has seen as an alias's backend forwards the channel-layer API
to the alias's current backend while it is not that backend itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import weakref
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, Protocol

from channels.exceptions import ChannelFull
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
            return await self._at_home(home, self._send_here(channel, message))  # type: ignore[no-any-return]
        await self._send_here(channel, message)

    async def _send_here(self, channel: str, message: dict[str, Any]) -> None:
        # The message expires no earlier than this (Channels takes the time after).
        self._expires_from(time.time() + self.expiry)
        await super().send(channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        home = self._elsewhere()
        if home is not None:
            return await self._at_home(home, self._group_send_here(group, message))  # type: ignore[no-any-return]
        await self._group_send_here(group, message)

    async def _group_send_here(self, group: str, message: dict[str, Any]) -> None:
        """Channels' ``group_send``, each member's ``send`` made in turn.

        Channels makes a task per member and waits for them all; a send to an
        in-memory queue never waits, so the members get the same messages, and
        a full channel is skipped the same way, without a task each (a room of
        200 made 200 tasks per message).
        """
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            with contextlib.suppress(ChannelFull):  # as Channels: a full member misses it
                await self.send(channel, message)

    async def group_add(self, group: str, channel: str) -> None:
        home = self._elsewhere()
        if home is not None:
            return await self._at_home(home, self._group_add_here(group, channel))  # type: ignore[no-any-return]
        await self._group_add_here(group, channel)

    async def _group_add_here(self, group: str, channel: str) -> None:
        self._joined_from(time.time())  # Channels stamps the membership after this
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

    # -- expiry ---------------------------------------------------------------------
    #
    # Channels' _clean_expired looks at every channel and every group membership
    # on each receive and group_send: a replay of 200 connections spent an
    # eighth of its time there. Messages and memberships expire as ever, but
    # the scan runs only once something can have expired: the layer keeps a
    # time before which nothing does (the earliest expiry of a message sent,
    # the earliest join), lowered as messages and members come, made exact
    # again by each scan.

    _earliest_expiry: float = math.inf
    """No message expires before this (a lower bound)."""
    _earliest_join: float = math.inf
    """No membership was stamped before this (a lower bound)."""

    def _expires_from(self, when: float) -> None:
        if when < self._earliest_expiry:
            self._earliest_expiry = when

    def _joined_from(self, when: float) -> None:
        if when < self._earliest_join:
            self._earliest_join = when

    def _clean_expired(self) -> None:
        now = time.time()
        # Channels: a message expires when its time is < now; a membership when
        # its stamp is < int(now) - group_expiry (read now: it may have changed).
        if now <= self._earliest_expiry and self._earliest_join >= int(now) - self.group_expiry:
            return
        super()._clean_expired()
        self._earliest_expiry = min(
            (item[0] for queue in self.channels.values() for item in queue._queue),
            default=math.inf,
        )
        self._earliest_join = min(
            (stamp for members in self.groups.values() for stamp in members.values() if stamp),
            default=math.inf,
        )


def configured_aliases() -> list[str]:
    """Every alias in ``CHANNEL_LAYERS``; none when the project configures no layer.

    A project without channel layers (a tutorial's echo consumer) ran without
    one when it was recorded: its consumers made no channel, and a replay must
    not give them one either.
    """
    from django.conf import settings

    return list(getattr(settings, "CHANNEL_LAYERS", None) or {})


# The public channel-layer API (channels.layers.BaseChannelLayer, channels_redis),
# async: what application code calls on a layer it holds.
_ASYNC_API = ("new_channel", "send", "receive", "group_add", "group_discard", "group_send", "flush")
# CaptiveChannelLayer's own additions: forwarded only by layers that have them.
_SYNC_EXTRAS = ("receive_nowait", "members")

# Per alias, every layer object swapped_layers has seen as its backend (the
# configured one it saved, each one it made), by id: a layer need not be
# hashable. Weak: only the layers something still holds need forwarding, and
# a suite's thousands of finished captive layers must not be kept alive.
_seen: dict[str, weakref.WeakValueDictionary[int, Any]] = {}

# The forwarders made: what _stop_forwarding may take off a layer (and nothing else).
_forwarders: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


def _forwarder(alias: str, layer: Any, name: str) -> Callable[..., Any]:
    """``layer.<name>``, as a function calling ``<name>`` on ``alias``'s backend at call time."""

    # Weakly: the forwarder lives in the layer's own __dict__, and a cycle
    # would keep a finished test's layer alive until the garbage collector runs.
    holder = weakref.ref(layer)

    def current() -> Any:
        layer = holder()  # None only when the layer died while one of its methods was held
        try:
            backend = channel_layers[alias]
        except KeyError:  # the alias is configured no more: nothing stands in for it
            backend = layer
        if _holds(backend, layer):
            # Put back as (or under) the backend by something other than
            # swapped_layers: forwarding would call itself. Be itself again.
            _stop_forwarding(layer)
            return layer
        return backend

    # Coroutine functions for the async API: async_to_sync() and Channels
    # tell coroutine functions from plain ones, as they do for the methods.
    forward: Callable[..., Any]
    if name in _ASYNC_API:

        async def forward(*args: Any, **kwargs: Any) -> Any:
            return await getattr(current(), name)(*args, **kwargs)

    else:

        def forward(*args: Any, **kwargs: Any) -> Any:
            return getattr(current(), name)(*args, **kwargs)

    forward.__name__ = forward.__qualname__ = name
    _forwarders.add(forward)
    return forward


def _holds(backend: Any, layer: Any) -> bool:
    """True when ``layer`` is ``backend`` or inside it (a RecordingChannelLayer's ``inner``)."""
    while backend is not None:
        if backend is layer:
            return True
        backend = (getattr(backend, "__dict__", None) or {}).get("inner")
    return False


def _start_forwarding(alias: str, layer: Any) -> None:
    """Make ``layer``'s channel-layer API that of ``alias``'s backend at call time."""
    own = getattr(layer, "__dict__", None)
    if own is None:  # no instance attributes (__slots__): it cannot forward
        return
    names = [*_ASYNC_API, *(name for name in _SYNC_EXTRAS if hasattr(type(layer), name))]
    for name in names:
        # Instance attributes shadow the class's methods (and channels_redis'
        # RedisPubSubChannelLayer.__getattr__). Written into __dict__
        # directly: RecordingChannelLayer.__setattr__ would pass them to its
        # inner layer. One the layer has of its own already (a test's mock)
        # is left alone.
        if name not in own:
            own[name] = _forwarder(alias, layer, name)


def _stop_forwarding(layer: Any) -> None:
    """Take the forwarders off ``layer``: its own methods serve again."""
    own = getattr(layer, "__dict__", None) or {}
    for name in [*_ASYNC_API, *_SYNC_EXTRAS]:
        if own.get(name) in _forwarders:
            own.pop(name, None)  # pop: a forwarder on another thread may heal it too


def _seen_as(alias: str, layer: Any) -> None:
    """Remember ``layer`` as one of ``alias``'s backends (weakly, when it can be)."""
    with contextlib.suppress(TypeError):  # cannot be weakly referenced: it cannot forward
        _seen.setdefault(alias, weakref.WeakValueDictionary())[id(layer)] = layer


# The backends dict as swapped_layers last saw it. Channels drops it for an
# empty one when CHANNEL_LAYERS changes (override_settings on a test class),
# maybe before any swap saved the layers it held: code that took one of them
# at import time still uses it, and it must forward like any other.
_known_backends: dict[str, Any] = channel_layers.backends


def _adopt_dropped() -> None:
    """Remember the layers of a backends dict Channels dropped since the last swap."""
    global _known_backends
    if channel_layers.backends is not _known_backends:
        for alias, layer in _known_backends.items():
            _seen_as(alias, layer)
        _known_backends = channel_layers.backends


def _now_backend(alias: str, backend: Any) -> None:
    """``backend`` serves ``alias`` now (None: whatever Channels makes on demand).

    Every other layer seen as its backend forwards to it; it forwards no more.
    """
    for layer in list(_seen.get(alias, {}).values()):
        if layer is backend:
            _stop_forwarding(layer)
        else:
            _start_forwarding(alias, layer)


@contextlib.contextmanager
def swapped_layers(
    aliases: Iterable[str], make: Callable[[str], Any] = lambda alias: CaptiveChannelLayer()
) -> Iterator[dict[str, Any]]:
    """Stand ``make(alias)`` in for each alias; put the configured layers back after.

    Yields the new layers by alias. Meanwhile the layer each alias had (and
    any layer an earlier swap made) forwards ``send``, ``group_send`` and the
    rest of the channel-layer API to the new one, so code that captured it
    before the swap reaches the new layer too; after the swap it forwards to
    the restored layer, which serves natively again.
    """
    aliases = list(aliases)
    _adopt_dropped()
    saved = {alias: channel_layers.backends.get(alias) for alias in aliases}
    layers = {alias: make(alias) for alias in aliases}
    for alias in aliases:
        if saved[alias] is not None:
            _seen_as(alias, saved[alias])
        _seen_as(alias, layers[alias])
    try:
        for alias, layer in layers.items():
            channel_layers.backends[alias] = layer
            _now_backend(alias, layer)
        yield layers
    finally:
        for alias, layer in saved.items():
            if layer is None:
                channel_layers.backends.pop(alias, None)
            else:
                channel_layers.backends[alias] = layer
            _now_backend(alias, layer)

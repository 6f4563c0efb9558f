"""Captive channel layers: in-memory stand-ins for the configured ones, for tests and replays.

While a captive layer stands in for an alias, everything in the process that
asks Channels for that alias (consumers, signal handlers, views) gets it, so
no test needs Redis or any other server, and nothing a test sends leaks into
another test: each swap starts empty.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from channels.layers import InMemoryChannelLayer, channel_layers

__all__ = ["CaptiveChannelLayer", "configured_aliases", "swapped_layers"]


class CaptiveChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]  # Channels is untyped
    """An in-memory layer a synchronous test can also read from without waiting."""

    def receive_nowait(self, channel: str) -> dict[str, Any] | None:
        """The next message on ``channel``, or None when there is none (never blocks)."""
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
    """Every alias in ``CHANNEL_LAYERS`` (``default`` when none is configured)."""
    from django.conf import settings

    return list(getattr(settings, "CHANNEL_LAYERS", None) or {"default": {}})


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

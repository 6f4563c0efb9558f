"""Code that takes its channel layer once, at import time, as many real apps do.

``LAYER`` is whatever layer served the default alias when this module was
first imported: the configured one, or the captive layer of a test that was
running then. A ChannelTestCase must still get what :func:`announce` sends.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

ANNOUNCEMENTS_GROUP = "announcements"

LAYER: Any = get_channel_layer()


def announce(text: str) -> None:
    """Send ``text`` to the ``announcements`` group through the layer taken at import."""
    async_to_sync(LAYER.group_send)(ANNOUNCEMENTS_GROUP, {"type": "announce", "text": text})

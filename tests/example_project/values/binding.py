"""Data binding of :class:`~values.models.IntegerValue`, as Channels 1.x's ``Binding`` did it.

Channels 4 has no ``Binding`` class; these are its two halves written out:

* outbound, :func:`send_intval_update`: each saved value is sent to the
  ``intval-updates`` group in the 1.x shape, a websocket frame
  ``{"text": "<json>"}`` of ``{"stream": "intval", "payload": {...}}``. The
  message has no ``"type"``: a Channels 4 consumer cannot be in this group
  (it dispatches on type), a test client that joined it can;
* inbound: :class:`Demultiplexer` reads ``{"stream": ..., "payload": ...}``
  frames and forwards each payload to its stream's worker channel
  (``binding.intval``), where :class:`IntegerValueBinding` applies it.
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import SyncConsumer
from channels.generic.websocket import JsonWebsocketConsumer
from channels.layers import get_channel_layer

from values.models import IntegerValue

CREATE = "create"
UPDATE = "update"
INTVAL_GROUP = "intval-updates"
INTVAL_STREAM = "intval"
INBOUND_TYPE = "binding.inbound"


def send_intval_update(
    sender: type[IntegerValue], instance: IntegerValue, created: bool, **kwargs: Any
) -> None:
    """``post_save`` receiver: send the saved value to the ``intval-updates`` group."""
    if kwargs.get("raw", False):
        return
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return
    payload = {
        "action": CREATE if created else UPDATE,
        "model": instance._meta.label_lower,
        "pk": instance.pk,
        "data": {"name": instance.name, "value": instance.value},
    }
    async_to_sync(channel_layer.group_send)(
        INTVAL_GROUP, {"text": json.dumps({"stream": INTVAL_STREAM, "payload": payload})}
    )


class Demultiplexer(JsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """Forwards each stream's payloads to its worker channel (``consumers``, as in 1.x)."""

    consumers = {INTVAL_STREAM: "binding.intval"}

    def receive_json(self, content: Any, **kwargs: Any) -> None:
        stream = content.get("stream") if isinstance(content, dict) else None
        channel = self.consumers.get(stream) if isinstance(stream, str) else None
        if channel is None:
            self.send_json({"error": f"no stream {stream!r}"})
            return
        async_to_sync(self.channel_layer.send)(
            channel, {**content.get("payload", {}), "type": INBOUND_TYPE}
        )


class IntegerValueBinding(SyncConsumer):  # type: ignore[misc]
    """Inbound binding of :class:`IntegerValue`, the worker of ``binding.intval``.

    It applies the ``create`` action, the one the examples send.
    """

    fields = ["name", "value"]

    def binding_inbound(self, message: dict[str, Any]) -> None:
        if message.get("action") != CREATE:
            raise ValueError(f"IntegerValueBinding applies {CREATE!r} only, not {message!r}")
        data = message["data"]
        IntegerValue.objects.create(**{field: data[field] for field in self.fields})

"""``RecordingChannelLayer``: a drop-in wrapper that records a channel layer's traffic.

Use it directly as a backend, with the real one in its config::

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chanreplay.layers.RecordingChannelLayer",
            "CONFIG": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [("127.0.0.1", 6379)]},
            },
        },
    }

or let ``runserver --record`` wrap every alias. While no recording is
active, every call goes straight to the inner layer. Every method, attribute
and extension of the inner layer is forwarded, and whatever it raises
(``ChannelFull``, name validation errors) reaches the caller unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import orjson

from chanreplay.cassette import codec
from chanreplay.recorder import dispatch, state
from chanreplay.recorder.context import current_connection
from chanreplay.recorder.recording import LAYER_LINE, ORIGIN_KEY, Recording

__all__ = ["RecordingChannelLayer", "unwrap"]

_OWN_ATTRIBUTES = frozenset({"inner", "alias", "_in_process", "_copies", "_fields", "_fields_of"})

_OPS = {"send": b"send", "group_send": b"group_send"}


class RecordingChannelLayer:
    """Wraps a channel layer; records each operation into the active recording."""

    def __init__(
        self,
        inner: Any = None,
        *,
        alias: str | None = None,
        BACKEND: str | None = None,
        CONFIG: Mapping[str, Any] | None = None,
        ALIAS: str | None = None,
    ) -> None:
        if inner is None:
            if BACKEND is None:
                from chanreplay.exceptions import ConfigurationError

                raise ConfigurationError(
                    "RecordingChannelLayer needs the layer to wrap: pass it, or put "
                    "'BACKEND' (and 'CONFIG') of the real layer in its CONFIG"
                )
            from django.utils.module_loading import import_string

            inner = import_string(BACKEND)(**dict(CONFIG or {}))
        object.__setattr__(self, "inner", inner)
        object.__setattr__(self, "alias", alias or ALIAS or "default")
        # The in-memory layer delivers a private deep copy of what was sent,
        # in this process: a receive can reuse the send's serialisation
        # instead of making its own, and may take the tag off in place.
        from channels.layers import InMemoryChannelLayer

        object.__setattr__(self, "_in_process", isinstance(inner, InMemoryChannelLayer))
        # Only its own send() is known to deliver a deep copy (see _Serialised).
        copies = getattr(type(inner), "send", None) is InMemoryChannelLayer.send
        object.__setattr__(self, "_copies", copies)
        # Serialised targets (channel or group, and the layer) of the current recording.
        object.__setattr__(self, "_fields", {})
        object.__setattr__(self, "_fields_of", None)

    # -- forwarding ---------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN_ATTRIBUTES:
            object.__setattr__(self, name, value)
        else:
            setattr(self.inner, name, value)

    def __repr__(self) -> str:
        return f"<RecordingChannelLayer {self.alias!r} around {self.inner!r}>"

    @property
    def extensions(self) -> list[str]:
        """The inner layer's extensions (``groups``, ``flush``, ...)."""
        return list(getattr(self.inner, "extensions", []))

    # -- the channel layer API ------------------------------------------------
    async def new_channel(self, *args: Any, **kwargs: Any) -> str:
        """Create a channel on the inner layer; record it under a stable placeholder."""
        name: str = await self.inner.new_channel(*args, **kwargs)
        recording = state.recording
        if recording is not None:
            connection = current_connection.get()
            placeholder = recording.channel_created(name, connection)
            step = connection.step if connection else recording.external_step()
            recording.layer_event(
                connection, "new_channel", step, alias=self.alias, channel=placeholder
            )
        return name

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Send ``message`` on ``channel``, tagged with the step that caused it."""
        outgoing, step = self._outgoing("send", channel, message)
        try:
            await self.inner.send(channel, outgoing)
        except Exception as error:  # not CancelledError: that is the caller stopping
            self._record("send", step=step, channel=channel, error=error)
            raise

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Send ``message`` to ``group``, tagged with the step that caused it."""
        outgoing, step = self._outgoing("group_send", group, message)
        try:
            await self.inner.group_send(group, outgoing)
        except Exception as error:  # not CancelledError: that is the caller stopping
            self._record("group_send", step=step, group=group, error=error)
            raise

    def _outgoing(self, op: str, target: str, message: dict[str, Any]) -> tuple[Any, int | None]:
        """Record a send or group_send before it runs; what to hand the inner layer.

        Returns the message to send (tagged with its step) and the step (None
        while not recording). A plain call rather than a coroutine: it never
        waits, and each send would pay for creating one.
        """
        recording = state.recording
        if recording is None:
            if state.relaying and isinstance(message, dict):
                # A process that only relays (a management command) tags its
                # message so the recording server can record it as external.
                origin = {"ext": uuid.uuid4().hex, "op": op, "target": target}
                message = {**message, ORIGIN_KEY: origin}
            return message, None
        connection = current_connection.get()
        step = connection.step if connection is not None else recording.external_step()
        channel, group = (target, None) if op == "send" else (None, target)
        # Journal the operation before it runs: a receiver's receive() may
        # complete before the send returns, and must come after it.
        found = codec.serialise_exact(message) if self._copies else None
        recorded: bytes | None
        if found is not None:
            exact, flat = found
            recorded = exact
            fields = self._target(recording, channel, group)
            append = recording.layer_append
            if append is not None:  # the hot path of layer_message(), inline
                owner = b"null" if connection is None else connection.owner
                append(LAYER_LINE % (owner, _OPS[op], step, fields, exact))
            else:
                recording.layer_message(connection, _OPS[op], step, fields, exact)
        else:
            recorded = recording.layer_event(
                connection,
                op,
                step,
                alias=self.alias,
                message=message,
                channel=channel,
                group=group,
            )
        if not isinstance(message, dict):
            return message, step  # the inner layer rejects it
        if not self._in_process:
            return {**message, ORIGIN_KEY: step}, step
        # The tag carries the message as recorded: the receive records it
        # as it is instead of serialising it again.
        tag = (step, recorded)
        if found is None:
            return {**message, ORIGIN_KEY: tag}, step
        # The layer deep-copies what it delivers: this copy is already one,
        # and the serialisation just made gives more (see _Serialised).
        outgoing = _Serialised(message if flat else orjson.loads(exact))
        outgoing[ORIGIN_KEY] = tag
        outgoing.source = exact
        outgoing.tag = tag
        outgoing.fresh = True
        return outgoing, step

    def _target(self, recording: Recording, channel: str | None, group: str | None) -> bytes:
        """:meth:`Recording.layer_target` for this layer, cached for the recording."""
        if self._fields_of is not recording:
            object.__setattr__(self, "_fields_of", recording)
            object.__setattr__(self, "_fields", {})
        key = channel if group is None else f"group:{group}"
        fields: dict[str | None, bytes] = self._fields
        target = fields.get(key)
        if target is None:
            # Decided once: a name's placeholder never changes within a recording.
            target = fields[key] = recording.layer_target(
                channel=channel, group=group, alias=self.alias
            )
        return target

    async def receive(self, channel: str) -> dict[str, Any]:
        """Receive from ``channel``; record the message and the step it belongs to."""
        try:
            message: dict[str, Any] = await self.inner.receive(channel)
        except Exception as error:  # not CancelledError: a consumer stopping is no event
            self._record("receive", channel=channel, error=error)
            raise
        recorded = None
        if not isinstance(message, dict) or ORIGIN_KEY not in message:
            origin = None
        elif self._in_process:
            # A private copy (see __init__): the tag comes off in place.
            origin = message.pop(ORIGIN_KEY)
            if type(origin) is tuple:
                origin, recorded = origin
            if type(message) is _Serialised:
                message = dict(message)  # the consumer gets a plain dict, as without us
        else:
            # Copy rather than pop: channels_redis hands one dict to every
            # local channel of a group, and the others need their tag too.
            message = dict(message)
            origin = message.pop(ORIGIN_KEY)
        recording = state.recording
        if recording is None:
            return message
        connection = current_connection.get()
        if origin is None:
            step = connection.step if connection is not None else recording.external_step()
        elif isinstance(origin, int):
            step = origin
        else:
            step = self._external(recording, origin, message)
        if connection is not None and dispatch.deferring.get():
            connection.defer_receive(
                message, step, channel=channel, alias=self.alias, recorded=recorded
            )
            return message
        if connection is not None:
            # What the consumer does with this message belongs to the step that sent it.
            connection.step = step
        if recorded is not None:
            fields = self._target(recording, channel, None)
            append = recording.layer_append
            if append is not None:  # the hot path of layer_message(), inline
                owner = b"null" if connection is None else connection.owner
                append(LAYER_LINE % (owner, b"receive", step, fields, recorded))
            else:
                recording.layer_message(connection, b"receive", step, fields, recorded)
        else:
            recording.layer_event(
                connection, "receive", step, alias=self.alias, channel=channel, message=message
            )
        return message

    def _external(self, recording: Recording, origin: Mapping[str, Any], message: Any) -> int:
        """Record the operation of a relaying process once; return its step."""
        step, first = recording.external_origin(origin)
        if first:
            op = str(origin.get("op"))
            target = str(origin.get("target"))
            channel, group = (target, None) if op == "send" else (None, target)
            recording.layer_event(
                None, op, step, alias=self.alias, message=message, channel=channel, group=group
            )
        return step

    async def group_add(self, group: str, channel: str) -> None:
        """Add ``channel`` to ``group`` on the inner layer, and record it."""
        await self._membership("group_add", group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        """Remove ``channel`` from ``group`` on the inner layer, and record it."""
        await self._membership("group_discard", group, channel)

    async def _membership(self, op: str, group: str, channel: str) -> None:
        try:
            await getattr(self.inner, op)(group, channel)
        except Exception as error:
            self._record(op, group=group, channel=channel, error=error)
            raise
        self._record(op, group=group, channel=channel)

    async def flush(self) -> None:
        """Flush the inner layer, and record it."""
        try:
            await self.inner.flush()
        except Exception as error:
            self._record("flush", error=error)
            raise
        self._record("flush")

    def _record(self, op: str, *, step: int | None = None, **fields: Any) -> None:
        """Record an operation on the current connection (or as external).

        ``step``: the step the operation already took (a send that failed); without
        one, the connection's, or a new external step.
        """
        recording = state.recording
        if recording is not None:
            connection = current_connection.get()
            if step is None:
                step = connection.step if connection else recording.external_step()
            recording.layer_event(connection, op, step, alias=self.alias, **fields)


class _Serialised(dict[str, Any]):
    """A message on its way into an in-process layer: a private deep copy, tagged.

    ``InMemoryChannelLayer.send`` delivers ``copy.deepcopy(message)``, and
    ``deepcopy`` asks the object for its copy (``__deepcopy__``). The first
    time, this one is its own copy: the wrapper made it for the delivery, a
    shallow copy of a message of scalars only, or loaded from the message's
    exact serialisation (see :func:`codec.serialise_exact`). Being its own
    copy, ``deepcopy`` memoizes nothing for it either. Later copies (the
    other members of a group) load the serialisation again, in C. So
    recording costs the layer less copying than it does without the
    wrapper. The wrapper's ``receive`` hands the consumer a plain dict.
    """

    __slots__ = ("fresh", "source", "tag")
    source: bytes
    tag: tuple[int, bytes | None]
    fresh: bool
    """True until the first copy (itself) was taken."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        if self.fresh:
            self.fresh = False
            return self
        copy: dict[str, Any] = orjson.loads(self.source)
        copy[ORIGIN_KEY] = self.tag
        return copy


def unwrap(layer: Any) -> Any:
    """The innermost layer under any number of recording wrappers."""
    while isinstance(layer, RecordingChannelLayer):
        layer = layer.inner
    return layer

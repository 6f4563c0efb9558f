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
from chanreplay.recorder.recording import (
    ORIGIN_KEY,
    ConnectionRecorder,
    Recording,
    layer_line_head,
    layer_line_tail,
)

__all__ = ["RecordingChannelLayer", "unwrap"]

_OWN_ATTRIBUTES = frozenset({"inner", "alias", "_hot"})

_connection = current_connection.get
_deferring = dispatch.deferring.get
_SEND = b"send"
_RECEIVE = b"receive"


class RecordingChannelLayer:
    """Wraps a channel layer; records each operation into the active recording.

    The wrapper forwards unknown attributes with ``__getattr__``, and Python
    then looks up *every* attribute of the wrapper through that hook, several
    times slower than a plain instance's. What a send or a receive reads on
    each call is therefore kept in one plain object (:class:`_Hot`): one
    lookup through the hook per call, the rest at full speed.
    """

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
        object.__setattr__(self, "_hot", _Hot(inner, self.alias))

    # -- forwarding ---------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN_ATTRIBUTES:
            object.__setattr__(self, name, value)
            if name != "_hot":
                object.__setattr__(self, "_hot", _Hot(self.inner, self.alias))
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
        hot = self._hot
        recording = state.recording
        step = None
        if recording is not None:
            message, step = hot.outgoing(recording, _SEND, channel, None, message)
        elif state.relaying and isinstance(message, dict):
            message = _relayed(message, "send", channel)
        try:
            await hot.inner.send(channel, message)
        except Exception as error:  # not CancelledError: that is the caller stopping
            self._record("send", step=step, channel=channel, error=error)
            raise

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Send ``message`` to ``group``, tagged with the step that caused it."""
        hot = self._hot
        recording = state.recording
        step = None
        if recording is not None:
            message, step = hot.outgoing(recording, b"group_send", None, group, message)
        elif state.relaying and isinstance(message, dict):
            message = _relayed(message, "group_send", group)
        try:
            await hot.inner.group_send(group, message)
        except Exception as error:  # not CancelledError: that is the caller stopping
            self._record("group_send", step=step, group=group, error=error)
            raise

    async def receive(self, channel: str) -> dict[str, Any]:
        """Receive from ``channel``; record the message and the step it belongs to."""
        hot = self._hot
        try:
            message: dict[str, Any] = await hot.inner.receive(channel)
        except Exception as error:  # not CancelledError: a consumer stopping is no event
            self._record("receive", channel=channel, error=error)
            raise
        recorded = None
        if type(message) is _Serialised:
            # What the wrapper's own send made (see _Serialised): the consumer
            # gets a plain dict, as without the wrapper.
            origin, recorded = message.tag
            message = dict(message)
        elif not isinstance(message, dict) or ORIGIN_KEY not in message:
            origin = None
        elif hot.in_process:
            # A private copy (see _Hot): the tag comes off in place.
            origin = message.pop(ORIGIN_KEY)
            if type(origin) is tuple:
                origin, recorded = origin
        else:
            # Copy rather than pop: channels_redis hands one dict to every
            # local channel of a group, and the others need their tag too.
            message = dict(message)
            origin = message.pop(ORIGIN_KEY)
        recording = state.recording
        if recording is None:
            return message
        connection = _connection()
        if origin is None:
            step = connection.step if connection is not None else recording.external_step()
        elif isinstance(origin, int):
            step = origin
        else:
            step = self._external(recording, origin, message)
        if connection is not None:
            if _deferring():
                connection.defer_receive(
                    message, step, channel=channel, alias=hot.alias, recorded=recorded
                )
                return message
            # What the consumer does with this message belongs to the step that sent it.
            connection.step = step
        if recorded is not None:
            hot.journal(recording, connection, _RECEIVE, step, channel, None, recorded)
        else:
            recording.layer_event(
                connection, "receive", step, alias=hot.alias, channel=channel, message=message
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


def _relayed(message: dict[str, Any], op: str, target: str) -> dict[str, Any]:
    """``message`` tagged by a process that only relays (a management command), so that
    the recording server records it as external."""
    origin = {"ext": uuid.uuid4().hex, "op": op, "target": target}
    return {**message, ORIGIN_KEY: origin}


_Heads = dict[str | None, tuple[ConnectionRecorder | None, bytes]]


class _Hot:
    """The state a wrapper's send and receive read on every call, and their hot path.

    A plain slotted object: its attributes are read at full speed (see
    :class:`RecordingChannelLayer`).
    """

    __slots__ = (
        "alias",
        "copies",
        "groups",
        "in_process",
        "inner",
        "receives",
        "recording",
        "sends",
        "step",
    )

    def __init__(self, inner: Any, alias: str) -> None:
        from channels.layers import InMemoryChannelLayer

        self.inner = inner
        self.alias = alias
        # The in-memory layer delivers a private deep copy of what was sent,
        # in this process: a receive can reuse the send's serialisation
        # instead of making its own, and may take the tag off in place.
        self.in_process = isinstance(inner, InMemoryChannelLayer)
        # Only its own send() (which group_send calls for each member) is
        # known to copy what it delivers with deepcopy (see _Serialised).
        kind = type(inner)
        self.copies = (
            getattr(kind, "send", None) is InMemoryChannelLayer.send
            and getattr(kind, "group_send", None) is InMemoryChannelLayer.group_send
        )
        self.recording: Recording | None = None
        """The recording the heads below belong to."""
        # By channel (or group): the connection that last made the operation
        # and the start of its journal line (layer_line_head).
        self.sends: _Heads = {}
        self.groups: _Heads = {}
        self.receives: _Heads = {}
        self.step: tuple[int, bytes] = (0, layer_line_tail(0))
        """The last step written, with its line's tail: a send and its receive share one."""

    def outgoing(
        self,
        recording: Recording,
        op: bytes,
        channel: str | None,
        group: str | None,
        message: dict[str, Any],
    ) -> tuple[Any, int]:
        """Journal a send or group_send before it runs; what to hand the inner layer.

        Returns the message to send (tagged with its step) and the step. A
        plain call rather than a coroutine: it never waits, and each send
        would pay for creating one. Journaled before the operation runs: a
        receiver's receive() may complete before the send returns, and must
        come after it.
        """
        connection = _connection()
        step = connection.step if connection is not None else recording.external_step()
        found = codec.serialise_exact(message) if type(message) is dict else None
        exact, flat = found if found is not None else (None, False)
        if exact is None:
            recorded = recording.layer_event(
                connection,
                op.decode(),
                step,
                alias=self.alias,
                message=message,
                channel=channel,
                group=group,
            )
            if not isinstance(message, dict):
                return message, step  # the inner layer rejects it
        else:
            recorded = exact
            self.journal(recording, connection, op, step, channel, group, exact)
        if not self.in_process:
            return {**message, ORIGIN_KEY: step}, step
        # The tag carries the message as recorded: the receive records it
        # as it is instead of serialising it again.
        tag = (step, recorded)
        if exact is None or not self.copies:
            return {**message, ORIGIN_KEY: tag}, step
        # The layer deep-copies what it delivers: this copy is already one
        # (see _Serialised), a shallow copy of a message of scalars or one
        # loaded from the serialisation just made.
        outgoing = _Serialised(message if flat else orjson.loads(exact))
        outgoing.tag = tag
        outgoing.source = None if flat else exact
        outgoing.fresh = True
        return outgoing, step

    def journal(
        self,
        recording: Recording,
        connection: ConnectionRecorder | None,
        op: bytes,
        step: int,
        channel: str | None,
        group: str | None,
        message: bytes,
    ) -> None:
        """Journal a layer operation with its message serialised (``message``).

        The hot path of :meth:`Recording.layer_message`: the line is joined
        from its head, kept for the connection, operation and target, and
        its tail, kept for the step (see :func:`layer_line_head`), at a
        third of the cost of composing it.
        """
        append = recording.layer_append
        if append is None:  # a before_record hook sees each event first
            fields = recording.layer_target(channel=channel, group=group, alias=self.alias)
            recording.layer_message(connection, op, step, fields, message)
            return
        if self.recording is not recording:
            self.sends, self.groups, self.receives = {}, {}, {}
            self.recording = recording
        name = channel if group is None else group
        heads = self.groups if group is not None else self.sends if op is _SEND else self.receives
        known = heads.get(name)
        if known is None or known[0] is not connection:
            # A name's placeholder never changes within a recording: the head
            # is made again only for another connection.
            target = recording.layer_target(channel=channel, group=group, alias=self.alias)
            known = heads[name] = (connection, layer_line_head(connection, op, target))
        tail = self.step  # one read: another thread may replace it
        if tail[0] != step:
            tail = self.step = (step, layer_line_tail(step))
        append(known[1] + message + tail[1])


class _Serialised(dict[str, Any]):
    """A message on its way into an in-memory layer, whose send deep-copies what it delivers.

    ``InMemoryChannelLayer.send`` delivers ``copy.deepcopy(message)``, and
    ``deepcopy`` asks the object for its copy (``__deepcopy__``). The first
    time, this one is its own copy: the wrapper made it for the delivery, a
    shallow copy of a message of scalars only or loaded from the message's
    exact serialisation (see :func:`codec.serialise_exact`), and being its
    own copy, ``deepcopy`` memoizes nothing for it either (which costs as much
    as the copy). Later copies (the other members of a group) are made from
    what the wrapper has, in C: a shallow copy of the scalars (``source``
    None), else loaded from ``source``, tagged. Either costs a fraction of
    ``deepcopy``. The wrapper's receive hands the consumer a plain dict.
    """

    __slots__ = ("fresh", "source", "tag")
    source: bytes | None
    tag: tuple[int, bytes | None]
    fresh: bool
    """True until the first copy (itself) was taken."""

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        if self.fresh:
            self.fresh = False
            return self
        source = self.source
        copy: dict[str, Any] = dict(self) if source is None else orjson.loads(source)
        copy[ORIGIN_KEY] = self.tag
        return copy


def unwrap(layer: Any) -> Any:
    """The innermost layer under any number of recording wrappers."""
    while isinstance(layer, RecordingChannelLayer):
        layer = layer.inner
    return layer

"""One recording: the journal it writes and the counters that keep it deterministic.

Every event carries a *step*: inputs (a connection opening, an inbound ASGI
message, an external layer operation) each take the next step number, and
everything an input causes carries that input's step, also across
connections: a layer message carries its step in a hidden key from
``group_send`` to the receiving consumer, so the frame that consumer sends to
its own client is attributed to the input on the other connection that caused
it. Replay feeds step n only once everything of the steps before it has
happened, which is exactly causality, and never depends on the order in which
a ``group_send`` fanned out.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import itertools
import logging
import os
import re
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from chanreplay.cassette import codec
from chanreplay.cassette.asgi import dumps_frame_parts, encode_message, encode_scope, frame_parts
from chanreplay.cassette.binding import Binder
from chanreplay.cassette.loader import load
from chanreplay.cassette.model import BINDING_VERSION, CLIENT_OUTCOMES
from chanreplay.cassette.redaction import Redactor
from chanreplay.cassette.values import forget_values
from chanreplay.exceptions import CassetteExistsError, ConfigurationError, UnserializableValueError
from chanreplay.recorder.channel_names import ChannelNames
from chanreplay.recorder.cleaning import JournalCleaner, control_line
from chanreplay.recorder.compiler import CompileResult, compile_journal
from chanreplay.recorder.deferred import JournalLine
from chanreplay.recorder.journal import (
    JournalLocked,
    JournalWriter,
    journal_lines,
    journal_path,
    read_state,
    wait_released,
)
from chanreplay.recorder.writer_process import JournalProcess, JournalWriterError

__all__ = [
    "ORIGIN_KEY",
    "RECORD_MODES",
    "ConnectionRecorder",
    "JournalSink",
    "Recording",
]

logger = logging.getLogger("chanreplay")

ORIGIN_KEY = "__chanreplay__"
"""Key the layer wrapper adds to messages in flight: the step that sent them."""

RECORD_MODES = ("once", "new_episodes", "all")


def layer_line_head(connection: ConnectionRecorder | None, op: bytes, target: bytes) -> bytes:
    """The journal line of a layer operation with a message, up to the message.

    ``target`` is what :meth:`Recording.layer_target` gives. The whole line is
    ``head + message + layer_line_tail(step)``: the layer wrapper keeps the
    head of each connection, operation and target, and the tail of the step
    it last wrote, and joins the message in between (formatting the whole
    line each time costs the server twice as much). The step comes last, as
    in a frame's line; the cassette sorts every event's keys.
    """
    owner = b"null" if connection is None else connection.owner
    return b'{"k":"ev","c":%b,"e":{"dir":"layer","op":"%b"%b,"message":' % (owner, op, target)


def layer_line_tail(step: int) -> bytes:
    """The end of a layer operation's journal line (see :func:`layer_line_head`)."""
    return b',"step":%d}}\n' % step


BeforeRecord = Callable[[dict[str, Any], "ConnectionRecorder | None"], "dict[str, Any] | None"]
"""``before_record(event, connection)``: the event in cassette form; return it or None."""
Identify = Callable[[Mapping[str, Any]], Awaitable["dict[str, Any] | None"]]


_INBOUND = b'{"dir":"in"'
"""How every serialised inbound event starts (``dir`` is always its first key)."""


class ConnectionRecorder:
    """Per-connection recording state; the ASGI recorder creates one per connection."""

    __slots__ = (
        "_answer",
        "_deferred",
        "_held_inbound",
        "closed",
        "finished",
        "id",
        "kind",
        "owner",
        "recording",
        "step",
    )

    def __init__(self, recording: Recording, connection_id: str, kind: str, step: int) -> None:
        self.recording = recording
        self.id = connection_id
        self.owner = f'"{connection_id}"'.encode()
        """The id as it appears in journal lines."""
        self.kind = kind
        self.step = step
        self.closed = False
        """True once the connection itself ended (disconnect, or the complete response)."""
        self.finished = False
        """True once the application returned; it may outlive the connection a little."""
        self._deferred: dict[int, tuple[dict[str, Any], int, str, str, bytes | None]] = {}
        self._held_inbound: dict[int, tuple[Mapping[str, Any], int]] = {}
        self._answer = ""
        """How the application answered so far: "" (not yet), "accepted", "closed"
        (a websocket it accepted or refused and then closed) or "started" (an
        HTTP response under way)."""

    def inbound(self, message: Mapping[str, Any], step: int | None = None) -> None:
        """Record a message the server delivered to the application: a new input, a new step.

        A disconnect is an input like any other: what the application does
        about it (a presence "user left" broadcast) is caused by it and
        carries its step, so a replay feeds it before it waits for those
        effects. ``step``: the number :meth:`defer_inbound` took for it.
        """
        self.step = self.recording.next_step() if step is None else step
        self.recording.asgi_event(self, "in", message)
        if str(message.get("type", "")).endswith(".disconnect"):
            self._ended()

    def defer_inbound(self, message: Mapping[str, Any]) -> None:
        """Number a message from the client now; record it when the consumer dispatches it.

        A consumer reads its client's next message while it may still be
        handling the previous one (or a layer message that came first):
        recording it on arrival would give what the consumer still does for
        the earlier input the step of this one. Its number, though, is taken
        on arrival: the order of arrival is what a client's waiting decides.
        A client that closed its socket and then sends on another knows the
        server saw the close before the next input, so the two never swap
        numbers, whenever the consumer gets round to the disconnect.
        """
        # Keyed by identity: the entry keeps the dict alive, so the id stays unique.
        self._held_inbound[id(message)] = (message, self.recording.next_step())

    def outbound(self, message: Mapping[str, Any]) -> None:
        """Record a message the application sent to the client."""
        self.recording.asgi_event(self, "out", message)
        kind = message.get("type")
        if kind == "websocket.send":
            self._answer = self._answer or "accepted"  # a send accepts a pending handshake
        elif kind == "http.response.body":
            if not message.get("more_body"):
                self._ended()
        elif kind == "websocket.accept":
            self._answer = "accepted"
        elif kind == "websocket.close":
            self._answer = "closed"
        elif kind == "http.response.start":
            self._answer = "started"

    def reply(self, message: Mapping[str, Any]) -> None:
        """Record a message the server sent, seen at the network edge: after every input so far.

        Behind the network edge the proxy sees no cause: a frame may answer
        this connection's last input or another connection's (a broadcast an
        HTTP POST made, a presence "user left" a disconnect made). It does
        see every connection, so the reply takes the step of the latest
        input that went upstream on any connection before it came back: it
        then follows every input that can have caused it, and a play that
        feeds step n before it waits for step n's replies never waits for a
        reply before sending its cause.
        """
        self.step = self.recording.last_step
        self.outbound(message)

    def failed(self, error: BaseException) -> None:
        """Record that the application raised ``error``, ending the connection.

        The event says what the client sees of it, which depends on how far
        the connection got (see :data:`chanreplay.cassette.model.CLIENT_OUTCOMES`).
        """
        if self.closed or self._answer == "closed":
            seen = "gone"
        elif self.kind == "websocket":
            seen = "closed" if self._answer == "accepted" else "refused"
        else:
            seen = "cut" if self._answer == "started" else "error"
        self.recording.error_event(self, error, CLIENT_OUTCOMES[seen])

    def _ended(self) -> None:
        # The connection is closed when it ends, not when the application gets
        # round to returning: that moment depends on the layer backend (Redis
        # takes a while to cancel a pending receive) and would make the
        # cassette's "closed" flag differ from run to run.
        if not self.closed:
            self.closed = True
            self.recording.close_connection(self)

    def defer_receive(
        self,
        message: dict[str, Any],
        step: int,
        *,
        channel: str,
        alias: str,
        recorded: bytes | None = None,
    ) -> None:
        """Hold a received layer message until the consumer dispatches it.

        ``recorded`` is the message as an earlier event recorded it, when the
        layer knows it.
        """
        # Keyed by identity: the entry keeps the dict alive, so the id stays unique.
        self._deferred[id(message)] = (message, step, channel, alias, recorded)

    def dispatching(self, message: Any) -> None:
        """The consumer is about to handle ``message``: record it if it was held."""
        inbound = self._held_inbound.pop(id(message), None)
        if inbound is not None:
            self.inbound(*inbound)
            return
        held = self._deferred.pop(id(message), None)
        if held is None:
            return
        message, step, channel, alias, recorded = held
        self.step = step
        self.recording.layer_event(
            self, "receive", step, alias=alias, channel=channel, message=message, recorded=recorded
        )

    def finish(self, *, cut: bool = False) -> None:
        """The application returned: the connection is over whatever the protocol said.

        ``cut``: the server cancelled the application (it is stopping or
        reloading) while neither side had closed; the connection is then
        left marked as never closed, which is what happened to it.
        """
        # What the client sent and the consumer never got round to is still recorded.
        held, self._held_inbound = list(self._held_inbound.values()), {}
        for message, step in held:
            self.inbound(message, step)
        self.finished = True
        if not cut:
            self._ended()
        self.recording.connection_finished(self)


class JournalSink(Protocol):
    """Where a recording's journal lines go: a :class:`JournalWriter`, or memory."""

    clean: Callable[[bytes], bytes] | None

    def append(self, line: JournalLine) -> None: ...
    def request_compile(self) -> None: ...
    def flush(self) -> None: ...
    def compile(self, *, durable: bool = False) -> CompileResult: ...
    def close(self, *, compile: bool = True) -> CompileResult | None: ...
    def remove(self) -> None: ...


MAX_NAME_BYTES = 200
"""The longest recording name: the journal (``.NAME.journal``) and the values kept
beside the cassette (``.NAME.values.json``) must fit a file name (255 bytes)."""
_HOST_PORT = re.compile(r"(?:[\w.-]+|\[[0-9a-fA-F:]+\]):\d+|\d+")


def check_name(name: str) -> None:
    """Raise :class:`ConfigurationError` saying why ``name`` cannot name a recording."""
    if not name:
        raise ConfigurationError("a recording needs a name: --record NAME (such as 'chat')")
    if "/" in name or "\\" in name or "\x00" in name or name.startswith("."):
        raise ConfigurationError(
            f"invalid recording name {name!r}: use a plain file name such as 'chat'"
        )
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ConfigurationError(
            f"the recording name is {len(name.encode('utf-8'))} bytes long: use at most "
            f"{MAX_NAME_BYTES} (the journal beside the cassette must fit a file name)"
        )
    if _HOST_PORT.fullmatch(name.removesuffix(".json")):
        raise ConfigurationError(
            f"{name!r} is an address, not a recording name: give both, "
            f"runserver --record NAME {name}"
        )


class Recording:
    """Records one session into ``CASSETTE_DIR/NAME.json`` through a journal.

    ``run_id`` ties together the processes of one ``runserver`` run: a process
    that finds a journal of the same run resumes it (the autoreloader
    restarted the server), one that finds a journal of another run recovers it
    first (the server was killed).
    """

    def __init__(
        self,
        name: str,
        *,
        cassette_dir: Path | str = "cassettes",
        mode: str = "once",
        run_id: str | None = None,
        redactor: Redactor | None = None,
        before_record: BeforeRecord | None = None,
        hook_inputs: bool = False,
        identify: Identify | None = None,
        ignore_paths: tuple[str, ...] = (),
        finalize: bool = True,
        writer_process: bool = True,
        bind: bool = True,
        exact_paths: tuple[str, ...] = (),
    ) -> None:
        check_name(name)
        if mode not in RECORD_MODES:
            raise ConfigurationError(
                f"unknown record mode {mode!r}: choose one of {', '.join(RECORD_MODES)}"
            )
        self.name = name.removesuffix(".json")
        self._claimed: IO[str] | None = None
        """The open, locked ``.NAME.journal.lock`` while this process holds the name."""
        self.cassette_path = Path(cassette_dir) / f"{self.name}.json"
        self.journal_path = journal_path(self.cassette_path)
        self.mode = mode
        self.run_id = run_id or uuid.uuid4().hex
        self.redactor = redactor or Redactor()
        self._before_record = before_record
        self.hook_inputs = hook_inputs
        """Whether ``before_record`` also sees what clients send (and so changes what a
        replay sends): off unless asked for, so that stabilising never breaks a replay."""
        self.identify = identify
        self.ignore_paths = ignore_paths
        self.finalize = finalize
        self.writer_process = writer_process
        """Write the journal from a child process (else from a thread of this one)."""
        self.bind = bind
        """Name the values the server makes (see :mod:`chanreplay.cassette.binding`);
        off for a replay of a cassette older than bindings."""
        self.exact_paths = exact_paths
        """Places whose values the binder leaves as they are (``EXACT_PATHS``)."""
        self.binder: Binder | None = None
        """The binder of a recording cleaned in this process (a replay's), else None."""
        self.bound_places: dict[str, str] = {}
        """A replay's recorder: where the cassette it replays named a value, and its kind
        (:func:`~chanreplay.cassette.binding.bound_places`); its binder names them too."""
        self.step_source: Callable[[], int] | None = None
        """Where step numbers come from instead of the counter (a replay sets it)."""
        self.channel_names = ChannelNames()
        self._connections = itertools.count(1)
        self._steps = itertools.count(1)
        self.last_step = 0
        """The step of the latest input so far (the counter's last number)."""
        self._external_origins: dict[str, int] = {}
        self._open: set[ConnectionRecorder] = set()
        self._writer: JournalSink | None = None
        self.layer_append: Callable[[bytes], None] | None = None
        """Where the layer wrapper puts a journal line it composed (see
        :func:`layer_line_head`): the journal's own ``append``. None while not
        recording, or while a ``before_record`` hook must see every event first."""
        self._lock = threading.Lock()

    # -- life cycle -------------------------------------------------------
    def prepare(self) -> str:
        """Check the record mode and recover a dead run's journal; say what will happen.

        Safe to call in a supervising process that never records itself (the
        autoreloader's parent): it writes the journal only to seed appended
        episodes.
        """
        directory = self.cassette_path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            if not os.access(directory, os.W_OK):
                raise PermissionError(errno.EACCES, "not writable")
        except OSError as error:
            raise ConfigurationError(
                f"cannot record into {directory}: {error.strerror or error}; pass "
                "--cassette-dir (or set CHANREPLAY['CASSETTE_DIR']) to a writable directory"
            ) from None
        self._claim()
        try:
            return self._prepare_journal()
        except BaseException:
            self.release()  # nothing will be recorded: the name is free again
            raise

    def _prepare_journal(self) -> str:
        """:meth:`prepare`, once the name is claimed: the journal and the record mode."""
        notes = []
        if self.journal_path.exists():
            state = read_state(self.journal_path)
            if state.run == self.run_id:
                return f"resuming the recording in {self.journal_path}"
            if not wait_released(self.journal_path):
                raise JournalLocked(
                    f"{self.journal_path}: another server is recording {self.name!r} right "
                    "now; stop it first, or record under another name"
                )
            result = compile_journal(self.journal_path, self.cassette_path, durable=True)
            self.journal_path.unlink()
            if result.written:
                notes.append(
                    f"recovered an interrupted recording ({result.connections} connections, "
                    f"{result.events} events) into {self.cassette_path}"
                )
        if self.cassette_path.exists():
            if self.mode == "once":
                raise CassetteExistsError(
                    self.cassette_path,
                    "the cassette exists and record mode 'once' does not overwrite it"
                    + (f" ({notes[0]})" if notes else ""),
                    fix="pass --record-mode all (CHANREPLAY_RECORD_MODE=all) to record it "
                    "again from scratch, or --record-mode new_episodes to append the new "
                    "connections",
                )
            if self.mode == "new_episodes":
                existing = load(self.cassette_path)
                with self.journal_path.open("wb") as handle:
                    handle.writelines(journal_lines(existing, self.run_id))
                notes.append(
                    f"appending to {self.cassette_path} "
                    f"({len(existing.connections)} connections kept)"
                )
            else:
                notes.append(f"overwriting {self.cassette_path}")
        if self.mode != "new_episodes":
            forget_values(self.cassette_path)  # they named another recording's values
        return "; ".join(notes) or f"recording into {self.cassette_path}"

    def _claim(self) -> None:
        """Hold the recording's name for as long as this process lives, or fail now.

        Two servers started at one moment to record one name both found no
        journal; the loser printed that it recorded, then failed out of sight
        when its server process could not lock the journal. The claim is an
        exclusive lock on ``.NAME.journal.lock``, taken before anything is
        said: the loser stops at once. A process of the same run (the server
        process the autoreloader starts, whose supervisor holds the claim)
        goes ahead.
        """
        if self._claimed is not None:
            return
        path = self.journal_path.with_name(self.journal_path.name + ".lock")
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip()
            handle.close()
            if owner == self.run_id:
                return  # this run's supervisor holds it
            raise JournalLocked(
                f"{self.journal_path}: another server is recording {self.name!r} right now; "
                "stop it first, or record under another name"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(self.run_id)
        handle.flush()
        self._claimed = handle
        # A recording dropped without stop() (a test; a process ends anyway) lets go.
        weakref.finalize(self, handle.close)

    def release(self) -> None:
        """Give up the claim on the recording's name (see :meth:`_claim`), if held."""
        handle, self._claimed = self._claimed, None
        if handle is not None:
            with contextlib.suppress(OSError):
                os.unlink(handle.name)  # while locked: no one else holds it
            handle.close()

    RESUME_LOCK_TIMEOUT = 15.0
    """Seconds a resuming process waits for the process it replaces to release the journal."""

    def start_in(self, sink: JournalSink) -> None:
        """Begin recording into ``sink`` instead of a journal file (a replay's recorder).

        Nothing touches the cassette directory. Each line reaches the sink
        cleaned (placeholders, redaction), as it would reach the journal.
        """
        self._begin()
        cleaner = sink.clean = self._cleaner(keep_times=False)
        self.binder = cleaner.binder
        self._set_writer(sink)
        self._announce()

    def start(self) -> str:
        """Open the journal (resuming one of this run) and begin recording."""
        message = self.prepare()
        state = read_state(self.journal_path)
        self.bind = self.bind and state.version >= BINDING_VERSION
        self._connections = itertools.count(state.connections + 1)
        self._steps = itertools.count(state.step + 1)
        self.last_step = state.step
        self._begin(external_channels=state.external_channels)
        writer = self._open_journal(lock_timeout=self.RESUME_LOCK_TIMEOUT if state.records else 0.0)
        writer.append(orjson.dumps({"k": "run", "run": self.run_id}) + b"\n")
        if state.bindings:
            writer.append(control_line("count", state.bindings))
        if self.exact_paths:
            writer.append(control_line("exact", list(self.exact_paths)))
        self._set_writer(writer)
        self._announce()
        return message

    def _open_journal(self, *, lock_timeout: float) -> JournalSink:
        """The journal's writer: a child process where one can run, else a thread."""
        # A redactor subclass cannot be rebuilt in another process from its settings.
        if self.writer_process and type(self.redactor) is Redactor:
            try:
                return JournalProcess(
                    self.journal_path,
                    self.cassette_path,
                    on_error=self._writer_failed,
                    lock_timeout=lock_timeout,
                    redactor=self.redactor,
                    bind=self.bind,
                )
            except JournalWriterError as error:
                logger.warning("chanreplay: writing the journal from this process: %s", error)
            except OSError as error:  # no interpreter to start (an embedded Python)
                logger.warning(
                    "chanreplay: cannot start the journal writer process (%s); writing the "
                    "journal from this process",
                    error,
                )
        return JournalWriter(
            self.journal_path,
            self.cassette_path,
            on_error=self._writer_failed,
            clean=self._cleaner(),
            lock_timeout=lock_timeout,
        )

    def _cleaner(self, *, keep_times: bool = True) -> JournalCleaner:
        """A cleaner for this recording's journal lines, with a binder if it binds.

        ``keep_times``: keep the timestamps shaped for reading (a recording into
        a journal file does; a replay's recorder has no file to keep them in).
        """
        binder = (
            Binder(exact=self.exact_paths, keep_times=keep_times, places=self.bound_places)
            if self.bind
            else None
        )
        return JournalCleaner(self.redactor.twin(), binder)

    def _begin(self, *, external_channels: int = 0) -> None:
        """Fresh channel names; what the redactor and the names learn goes to the journal."""
        self.channel_names = ChannelNames(external_start=external_channels)
        self.channel_names.on_new = self._named
        self.redactor.on_learn = self._learned

    def _announce(self) -> None:
        """Tell the journal's cleaner the secrets learned before the recording started."""
        for secret in sorted(self.redactor.secrets):
            self._learned(secret)

    def _learned(self, secret: str) -> None:
        # In the stream, so that only what is recorded after it is scrubbed of it.
        self._append_line(control_line("learn", secret))

    def _named(self, live: str, placeholder: str) -> None:
        self._append_line(control_line("chan", [live, placeholder]))

    @property
    def active(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._writer is not None

    def finishing(self) -> int:
        """Connections over for their client whose application has not finished yet."""
        return sum(1 for connection in list(self._open) if connection.closed)

    def drain(self, timeout: float, *, grace: float = 0.1) -> None:
        """Wait (from a thread other than the event loop's) for finishing connections.

        The first ``grace`` seconds let a disconnect already on its way reach
        its application before the wait judges whether anything is finishing.
        """
        if not self._open:
            return
        time.sleep(grace)
        deadline = time.monotonic() + timeout
        while self.finishing() and time.monotonic() < deadline:
            time.sleep(0.01)

    def _set_writer(self, writer: JournalSink | None) -> None:
        self._writer = writer
        hooked = self._before_record is not None
        self.layer_append = writer.append if writer is not None and not hooked else None

    @property
    def before_record(self) -> BeforeRecord | None:
        """The hook that sees (and may change or drop) each event before it is journaled."""
        return self._before_record

    @before_record.setter
    def before_record(self, hook: BeforeRecord | None) -> None:
        self._before_record = hook
        self._set_writer(self._writer)  # the layer's direct path must now go through it

    def stop(self) -> CompileResult | None:
        """Stop recording and write the cassette; with ``finalize``, delete the journal."""
        writer = self._writer
        self._set_writer(None)
        if writer is None:
            return None
        result = writer.close()
        if self.finalize:
            writer.remove()
        self.release()
        return result

    def sync(self) -> CompileResult | None:
        """Write everything recorded so far to the cassette now."""
        return self._writer.compile() if self._writer is not None else None

    def _writer_failed(self, error: BaseException) -> None:
        logger.error("chanreplay: writing %s failed: %s", self.cassette_path, error)

    # -- connections ------------------------------------------------------
    def ignores(self, scope: Mapping[str, Any]) -> bool:
        """True for connections that are not recorded (lifespan, ignored paths)."""
        if scope.get("type") not in ("http", "websocket"):
            return True
        path = scope.get("path", "")
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.ignore_paths)

    def next_step(self) -> int:
        """Allocate the step number of a new input."""
        step = self.step_source() if self.step_source is not None else next(self._steps)
        self.last_step = step
        return step

    async def open_connection(
        self, scope: Mapping[str, Any], *, connection_id: str | None = None
    ) -> ConnectionRecorder:
        """Record a new connection's scope (and its user) and return its recorder.

        A replay names the connection itself (``connection_id``), so that the
        ids match the cassette's even when some connections are not replayed.
        """
        connection_id = connection_id or f"c{next(self._connections)}"
        step = self.next_step()
        connection = ConnectionRecorder(self, connection_id, scope["type"], step)
        self._open.add(connection)
        user = None
        if self.identify is not None:
            try:
                user = await self.identify(scope)
            except Exception as error:  # a broken session must not break the app
                logger.warning(
                    "chanreplay: could not identify the user of %s: %s", connection_id, error
                )
        record = {
            "k": "open",
            "c": connection_id,
            "type": scope["type"],
            "scope": encode_scope(scope),
            "user": user,
            "step": step,
        }
        self._append(orjson.dumps(record))
        return connection

    def close_connection(self, connection: ConnectionRecorder) -> None:
        """Record that ``connection`` closed, and have the cassette rebuilt shortly."""
        self._append(orjson.dumps({"k": "close", "c": connection.id}))
        if self._writer is not None:
            self._writer.request_compile()

    def connection_finished(self, connection: ConnectionRecorder) -> None:
        """Forget a connection whose application returned."""
        self._open.discard(connection)

    # -- events -----------------------------------------------------------
    def asgi_event(
        self, connection: ConnectionRecorder, direction: str, message: Mapping[str, Any]
    ) -> None:
        """Record an ASGI message crossing ``connection`` in ``direction``."""
        parts = frame_parts(message)
        if parts is not None:
            # The common case (a websocket frame) is composed directly.
            kind, payload = parts
            if self._before_record is None and (type(payload) is bytes or payload.isascii()):
                # Handed over as it is, serialised off this hot path (see
                # chanreplay.recorder.deferred); ASCII text cannot fail to.
                writer = self._writer
                if writer is not None:
                    writer.append(
                        (connection.owner, _DIRECTIONS[direction], kind, payload, connection.step)
                    )
                return
            try:
                frame = dumps_frame_parts(kind, payload)
            except TypeError:  # orjson: text that is not valid Unicode
                raise UnserializableValueError(
                    path="message.text",
                    value=payload,
                    where=f"connection {connection.id}, {direction}bound {message.get('type')!r}",
                    reason="the text holds a lone surrogate, which is not Unicode text that "
                    "UTF-8 and JSON can hold (the server could not send it either)",
                    fix="build the text from valid Unicode (a lone surrogate usually comes "
                    "from bytes decoded with errors='surrogateescape')",
                ) from None
            event = b'{"dir":"%b","message":%b,"step":%d}' % (
                _DIRECTIONS[direction],
                frame,
                connection.step,
            )
            self._write(connection, event)
            return
        try:
            encoded = encode_message(message)
        except UnserializableValueError as error:
            raise UnserializableValueError(
                path=error.path,
                value=error.value,
                where=f"connection {connection.id}, {direction}bound {message.get('type')!r}",
            ) from None
        self._write(
            connection,
            orjson.dumps({"dir": direction, "message": encoded, "step": connection.step}),
        )

    def error_event(
        self, connection: ConnectionRecorder, error: BaseException, client: str
    ) -> None:
        """Record the exception that ended ``connection``'s application."""
        event = {
            "client": client,
            "detail": describe_error(error),
            "dir": "error",
            "exception": error_name(error),
            "step": connection.step,
        }
        self._write(connection, orjson.dumps(event))

    def layer_event(
        self,
        connection: ConnectionRecorder | None,
        op: str,
        step: int,
        *,
        alias: str = "default",
        channel: str | None = None,
        group: str | None = None,
        message: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
        recorded: bytes | None = None,
    ) -> bytes | None:
        """Record a channel-layer operation (``connection`` None: an external one).

        Returns the message as recorded (serialised, tagged JSON); None
        without a message. A caller that already holds the message
        serialised passes it as ``recorded``: what an earlier call returned
        for the same message (an in-process layer delivering what was sent).
        """
        if recorded is None and message is not None:
            # Serialising also copies: later changes to the dict are not recorded.
            try:
                recorded = codec.dumps(message, path="event.message")
            except UnserializableValueError as failure:
                raise UnserializableValueError(
                    path=failure.path, value=failure.value, where=_where(connection, op)
                ) from None
        # The line is composed as bytes: this runs for every layer message,
        # and building a dict for orjson costs more than the rest together.
        # Every field but the message is plain by construction.
        fields = self.layer_target(channel=channel, group=group, alias=alias)
        if error is not None:
            fields += b',"error":%b' % orjson.dumps(type(error).__name__)
        if recorded is not None:
            fields += b',"message":%b' % recorded
        self._write(
            connection, b'{"dir":"layer","op":"%b","step":%d%b}' % (op.encode(), step, fields)
        )
        return recorded

    def layer_target(
        self, *, channel: str | None = None, group: str | None = None, alias: str = "default"
    ) -> bytes:
        """The serialised fields of a layer event that say where it went (channel, group, layer)."""
        target = b""
        if channel is not None:
            target = b',"channel":%b' % self.channel_names.json(channel)
        if group is not None:
            target += b',"group":%b' % orjson.dumps(group)
        if alias != "default":
            target += b',"layer":%b' % orjson.dumps(alias)
        return target

    def layer_message(
        self,
        connection: ConnectionRecorder | None,
        op: bytes,
        step: int,
        target: bytes,
        message: bytes,
    ) -> None:
        """Record a layer operation that carries a message: the hot path of :meth:`layer_event`.

        ``target`` is what :meth:`layer_target` gave, ``message`` the message serialised.
        """
        if self._before_record is not None:
            event = b'{"dir":"layer","op":"%b","step":%d%b,"message":%b}' % (
                op,
                step,
                target,
                message,
            )
            self._write(connection, event)
            return
        append = self.layer_append
        if append is not None:
            append(layer_line_head(connection, op, target) + message + layer_line_tail(step))

    def external_step(self) -> int:
        """The step of a layer operation made outside any connection."""
        return self.next_step()

    def external_origin(self, origin: Mapping[str, Any]) -> tuple[int, bool]:
        """The step of a message a relaying process (a management command) tagged.

        Returns ``(step, first)``: the first receipt of a fan-out takes a new
        step and should record the operation as an external event; later
        receipts of the same fan-out reuse that step.
        """
        key = str(origin.get("ext"))
        with self._lock:
            step = self._external_origins.get(key)
            if step is not None:
                return step, False
            step = self._external_origins[key] = self.next_step()
            return step, True

    def channel_created(self, live: str, connection: ConnectionRecorder | None) -> str:
        """Register a channel name ``new_channel`` returned."""
        return self.channel_names.created(live, connection.id if connection else None)

    def _write(self, connection: ConnectionRecorder | None, event: bytes) -> None:
        """Queue one serialised event (cassette form) for the journal.

        Placeholders and redaction are applied by the journal's cleaner, to
        whole batches, before anything is written.
        """
        if self._before_record is not None and (self.hook_inputs or not event.startswith(_INBOUND)):
            event = self._hooked(connection, event)
            if not event:
                return
        writer = self._writer
        if writer is not None:
            owner = b"null" if connection is None else connection.owner
            writer.append(b'{"k":"ev","c":%b,"e":%b}\n' % (owner, event))

    def _hooked(self, connection: ConnectionRecorder | None, event: bytes) -> bytes:
        """The event as ``before_record`` returns it (empty: drop it)."""
        # The hook sees the event exactly as it would be written (cassette
        # form, tags included) and returns it, changed, or None to drop it.
        parsed = orjson.loads(event)
        hook = self._before_record
        hooked = hook(parsed, connection) if hook is not None else parsed
        if hooked is None:
            return b""
        try:
            codec.check_json(hooked, path="event")
        except UnserializableValueError as error:
            raise ConfigurationError(
                f"CHANREPLAY['BEFORE_RECORD'] returned an event JSON cannot hold for "
                f"{_describe(connection, parsed)}: {error.args[0].splitlines()[0]}; return "
                "the event in cassette form (tag bytes as {'$bytes': base64})"
            ) from None
        return orjson.dumps(hooked)

    def _append(self, record: bytes) -> None:
        self._append_line(record + b"\n")

    def _append_line(self, line: bytes) -> None:
        writer = self._writer
        if writer is not None:
            writer.append(line)


def _where(connection: ConnectionRecorder | None, op: str) -> str:
    """How errors name the place of a layer operation."""
    return f"connection {connection.id}, layer {op}" if connection else f"external layer {op}"


def _describe(connection: ConnectionRecorder | None, event: Mapping[str, Any]) -> str:
    """How errors name the place of a recorded event."""
    if event.get("dir") == "layer":
        return _where(connection, str(event.get("op")))
    message = event.get("message")
    kind = message.get("type") if isinstance(message, dict) else None
    return f"connection {connection.id if connection else '?'}, {event.get('dir')}bound {kind!r}"


_DIRECTIONS = {"in": b"in", "out": b"out"}

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")
ERROR_DETAIL_LIMIT = 1000
"""Characters of an exception's message kept in its error event."""


def error_name(error: BaseException) -> str:
    """``KeyError`` for a built-in exception, ``chat.models.Note.DoesNotExist`` for others."""
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def describe_error(error: BaseException) -> str:
    """The exception's message as an error event keeps it: stable from run to run.

    Memory addresses (``<object at 0x7f3a...>``) change on every run and say
    nothing about behaviour; a very long message is cut.
    """
    try:
        text = str(error)
    except Exception:  # an exception whose __str__ raises still has a type
        text = ""
    text = _ADDRESS.sub("0x?", text)
    if len(text) > ERROR_DETAIL_LIMIT:
        text = text[:ERROR_DETAIL_LIMIT] + "..."
    return text


def load_hook(dotted: str | Callable[..., Any] | None) -> Callable[..., Any] | None:
    """Resolve a hook given as a callable or a dotted path."""
    if dotted is None or callable(dotted):
        return dotted
    module_name, _, attribute = dotted.rpartition(".")
    with contextlib.suppress(ImportError, AttributeError, ValueError):
        import importlib

        hook: Callable[..., Any] = getattr(importlib.import_module(module_name), attribute)
        return hook
    raise ConfigurationError(
        f"CHANREPLAY['BEFORE_RECORD'] = {dotted!r} cannot be imported: give the dotted "
        "path of a function (event, connection) -> event or None"
    )

"""The replayer: feeds a cassette's inputs to the real application and records what it does.

For the duration of a replay every channel-layer alias is a captive
in-memory layer (no Redis, no network), wrapped by the same recorder that
made the cassette, and the application is wrapped by the same ASGI recorder.
Each recorded connection runs as a task of its own with its scope rebuilt
(not through asgiref's ``ApplicationCommunicator``, which starts the
application in an empty context: database work would then leave the test's
thread, and its transaction); the driver follows the :mod:`plan <chanreplay.replay.plan>`:
it feeds step ``n`` once everything recorded up to step ``n - 1`` has
happened again, and gives up after ``timeout`` seconds without progress. What
the recorder wrote is then compared with the cassette by the differ.

An application that raises is behaviour like any other: the recorder writes
the error as an event of its connection, the replay carries on with the
other connections, and the differ compares it with the recorded one.
For its duration the replay also allows the hosts the session was recorded
with (:mod:`chanreplay.replay.hosts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets as random_secrets
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from chanreplay.asgi import REPLAY_ID_KEY, RecordingMiddleware
from chanreplay.cassette.asgi import decode_message, decode_scope
from chanreplay.cassette.binding import Binder, bound_places, fill, is_bound
from chanreplay.cassette.codec import decode_value
from chanreplay.cassette.model import Cassette, Connection
from chanreplay.diff import CassetteDiff, Rules, diff_cassettes, settle_layer_order
from chanreplay.layers import RecordingChannelLayer
from chanreplay.recorder import state
from chanreplay.recorder.channel_names import placeholder_pattern
from chanreplay.recorder.memory import MemoryJournal
from chanreplay.recorder.recording import Recording, error_name
from chanreplay.replay.bindings import defined_at, first_made, made_up
from chanreplay.replay.hosts import recorded_hosts, recorded_hosts_allowed
from chanreplay.replay.plan import Input, Plan, build_plan
from chanreplay.replay.secrets import Secrets, SecretValues
from chanreplay.replay.speedups import no_full_collections, no_idle_hop

__all__ = ["ReplayResult", "Replayer", "UserSessions", "captive_layers"]

UserSessions = Callable[[Connection], Awaitable[str]]
"""Gives the session key a replayed connection carries: the recorded user's, logged in."""

DEFAULT_TIMEOUT = 5.0
"""Seconds a replay waits for an expected event before it reports it missing."""
SETTLE = 0.02
"""Seconds without a new event after which the application is taken to be done."""
DISCONNECT_GRACE = 1.0
"""Seconds an HTTP request still running at the end gets to see its client leave."""


@dataclass
class ReplayResult:
    """What a replay found: the cassette's connections as replayed, and how they differ."""

    expected: Cassette
    actual: Cassette
    diff: CassetteDiff
    stalled: str | None = None
    """What the replay was waiting for when it gave up, if it did."""
    errors: dict[str, BaseException] = field(default_factory=dict)
    """The exception each connection's application raised, by connection id."""
    notes: list[str] = field(default_factory=list)
    """What else the report should say: a host Django refused, an origin turned away."""
    unbound: list[str] = field(default_factory=list)
    """Bindings an input needed that the application never made (each a sentence)."""

    @property
    def passed(self) -> bool:
        """True when the application did exactly what the cassette recorded."""
        return self.diff.equal and self.stalled is None and not self.unbound

    def unexpected_errors(self) -> dict[str, BaseException]:
        """The exceptions the cassette did not record (an error it holds is behaviour)."""
        recorded = {
            (c.id, e.get("exception"))
            for c in self.expected.connections
            for e in c.events
            if e.get("dir") == "error"
        }
        return {
            cid: error
            for cid, error in self.errors.items()
            if (cid, error_name(error)) not in recorded
        }


class _Progress:
    """Counts what the replay's recorder has seen, and wakes the driver on each record.

    ``outstanding`` holds the (connection, step) pairs that are due (their
    step has been fed) and not yet complete: the driver may feed the next step
    when it is empty. Kept up to date record by record, so a replay's cost
    grows with its length, not with its square.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, expected: Counter[tuple[str, int]]) -> None:
        self.loop = loop
        self.expected = expected
        self.opened: set[str] = set()
        self.ended: set[str] = set()
        """Connections whose application returned or raised: nothing more comes from them."""
        self.per_step: Counter[tuple[str, int]] = Counter()
        self.per_connection: Counter[str] = Counter()
        self.outstanding: set[tuple[str, int]] = set()
        self._by_step: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for key in expected:
            self._by_step[key[1]].append(key)
        self._pending_steps = sorted(self._by_step, reverse=True)
        self.records = 0
        self.last = time.monotonic()
        """When the last record came (a wait times out after ``timeout`` without one)."""
        self._waiter: tuple[Callable[[], bool], asyncio.Future[None]] | None = None

    def due(self, step: int) -> None:
        """Everything expected up to ``step`` must now happen."""
        while self._pending_steps and self._pending_steps[-1] <= step:
            for key in self._by_step[self._pending_steps.pop()]:
                if self.per_step[key] < self.expected[key] and key[0] not in self.ended:
                    self.outstanding.add(key)

    def end(self, connection_id: str) -> None:
        """``connection_id``'s application is over: what it has not done, it never will.

        Its recorder wrote its last events before the application's task
        finished, so nothing is cut short; the differ reports what is missing.
        """
        self.ended.add(connection_id)
        self.outstanding = {key for key in self.outstanding if key[0] != connection_id}
        self.check()

    def behind(self) -> str:
        """What is due and has not happened (for the report)."""
        cid, at = min(self.outstanding, key=lambda key: (key[1], key[0]))
        missing = self.expected[cid, at] - self.per_step[cid, at]
        return f"connection {cid}: {missing} more event(s) of step {at}"

    def observe(self, record: dict[str, Any]) -> None:
        kind = record.get("k")
        owner = record.get("c")
        if kind == "open":
            self.opened.add(str(owner))
        elif kind == "ev" and owner is not None:
            key = (owner, int(record["e"].get("step", 0)))
            self.per_step[key] += 1
            self.per_connection[owner] += 1
            if key in self.outstanding and self.per_step[key] >= self.expected[key]:
                self.outstanding.discard(key)
        self.records += 1
        self.last = time.monotonic()
        if _on_loop(self.loop):
            self.check()
        else:  # a record made in another thread (sync code) wakes the loop safely
            self.loop.call_soon_threadsafe(self.check)

    def wait_for(self, done: Callable[[], bool]) -> asyncio.Future[None]:
        """A future resolved once ``done()`` holds (checked as records come) or on a poke."""
        waiter = self.loop.create_future()
        self._waiter = (done, waiter)
        return waiter

    def check(self) -> None:
        """Resolve the waiter if what it waits for has happened."""
        if self._waiter is not None and self._waiter[0]():
            self.poke()

    def poke(self, *args: Any) -> None:
        """Wake the driver to look again (an application finished or crashed)."""
        if self._waiter is not None:
            waiter = self._waiter[1]
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _Running:
    """One connection's application, running: fed through a queue, its output dropped.

    Its output needs no keeping: the recorder around the application sees it.
    The task inherits the driver's context, as code under ``async_to_sync``
    does, so thread-sensitive work runs in the test's own thread.
    """

    def __init__(self, application: Any, scope: dict[str, Any]) -> None:
        self.kind = scope["type"]
        self.inputs: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.future: asyncio.Future[Any] = asyncio.ensure_future(
            application(scope, self.inputs.get, self._drop)
        )

    async def _drop(self, message: dict[str, Any]) -> None:
        return None

    async def send_input(self, message: dict[str, Any]) -> None:
        await self.inputs.put(message)

    def error(self) -> BaseException | None:
        """The exception the application raised, if it did."""
        future = self.future
        if future.done() and not future.cancelled():
            return future.exception()
        return None


class Replayer:
    """Replays one cassette through one ASGI application."""

    def __init__(
        self,
        cassette: Cassette,
        application: Any,
        *,
        include: tuple[str, ...] = (),
        exclude: tuple[str, ...] = (),
        rules: Rules | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        secrets: SecretValues | None = None,
        users: UserSessions | None = None,
        recording: Recording | None = None,
    ) -> None:
        self.cassette = cassette
        self.application = application
        self.plan: Plan = build_plan(cassette, include, exclude)
        self.rules = rules or Rules()
        self.timeout = timeout
        self.users = users
        """Logs in the user a connection recorded, when it opens (None: connections
        go without a session)."""
        csrf = random_secrets.token_hex(16)  # 32 characters, as Django's own
        self.secrets = Secrets(
            {"csrftoken": csrf, "csrfmiddlewaretoken": csrf, "x_csrftoken": csrf, **(secrets or {})}
        )
        self.recording = recording or Recording("replay", finalize=False)
        # What the cassette names, the replay's recorder names the same way,
        # also where a value made this time happens not to look made.
        self.recording.bind = cassette.binds
        if cassette.binds:
            self.recording.bound_places = bound_places(
                [*cassette.external, *(e for c in cassette.connections for e in c.events)]
            )
        self._step = 0
        self._communicators: dict[str, _Running] = {}
        self._unbound: dict[str, str] = {}
        self._journal: MemoryJournal | None = None
        """Where the run records what the application does (set as it starts)."""
        self._replayed = {connection.id for connection in self.plan.connections}

    # -- the run ----------------------------------------------------------
    async def run(self) -> ReplayResult:
        """Replay the cassette; compare what happened with it."""
        # The comparison too walks both cassettes: no full collection until it is done.
        with no_full_collections():
            return await self._run()

    async def _run(self) -> ReplayResult:
        progress = _Progress(asyncio.get_running_loop(), self.plan.expected)
        journal = self._journal = MemoryJournal(progress.observe)
        self.recording.step_source = lambda: self._step
        self.recording.start_in(journal)
        application = RecordingMiddleware(self.application, recording=self.recording)
        stalled = None
        hosts = recorded_hosts(connection.scope for connection in self.plan.connections)
        with (
            no_idle_hop(),
            captive_layers(),
            state.replaying(self.recording),
            recorded_hosts_allowed(hosts) as refusals,
        ):
            try:
                stalled = await self._drive(application, progress)
                if stalled is None:
                    await self._settle(progress)
                actual = journal.cassette()
            finally:
                await self._shut_down()
        expected = Cassette(
            connections=self.plan.connections,
            path=self.cassette.path,
            version=self.cassette.version,
        )
        actual.version = self.cassette.version
        # Layer operations a connection made within one step in another order
        # (a set of names iterated) are the same behaviour: take the cassette's order.
        actual = settle_layer_order(expected, actual, self.rules)
        diff = diff_cassettes(expected, actual, self.rules, external=False)
        errors = {
            cid: error
            for cid, running in self._communicators.items()
            if (error := running.error()) is not None
        }
        return ReplayResult(
            expected, actual, diff, stalled, errors, refusals.notes, list(self._unbound.values())
        )

    async def _drive(self, application: Any, progress: _Progress) -> str | None:
        """Feed every input in order; the reason it stopped early, or None."""
        by_step: dict[int, list[Input]] = defaultdict(list)
        for item in self.plan.inputs:
            by_step[item.step].append(item)
        for step in self.plan.steps:
            for item in by_step[step]:
                stalled = await self._feed(application, item, progress)
                if stalled is not None:
                    return stalled
            progress.due(step)
            stalled = await self._wait(progress, lambda: not progress.outstanding, progress.behind)
            if stalled is not None:
                return stalled
        # Whatever the cassette holds beyond the last input is due as well.
        progress.due(sys.maxsize)
        return await self._wait(progress, lambda: not progress.outstanding, progress.behind)

    async def _feed(self, application: Any, item: Input, progress: _Progress) -> str | None:
        connection = item.connection
        if connection is not None and connection.id in progress.ended and item.kind != "open":
            return None  # its application is over (returned or raised): nobody listens
        if item.kind == "disconnect":
            assert connection is not None
            # Everything before the disconnect on its connection comes first.
            stalled = await self._wait(
                progress,
                lambda: (
                    progress.per_connection[connection.id] >= item.index
                    or connection.id in progress.ended
                ),
                lambda: (
                    f"{connection.describe()}: event {progress.per_connection[connection.id]}"
                    f" of {item.index} before its disconnect"
                ),
            )
            if stalled is not None:
                return stalled
        self._step = item.step
        if item.kind == "open":
            assert connection is not None
            scope = await self._scope(connection)
            running = self._communicators[connection.id] = _Running(application, scope)
            running.future.add_done_callback(lambda _: progress.end(connection.id))
            return await self._wait(
                progress,
                lambda: connection.id in progress.opened,
                lambda: f"{connection.describe()} to open",
            )
        if item.kind == "inject":
            await self._inject(item)
            return None
        assert connection is not None
        assert item.event is not None
        message = self._message(connection, item.event["message"], item.index)
        await self._communicators[connection.id].send_input(message)
        return None

    async def _wait(
        self, progress: _Progress, done: Callable[[], bool], what: Callable[[], str]
    ) -> str | None:
        """Wait until ``done()``; after ``timeout`` seconds without progress, say what was due.

        The driver sleeps until the record that completes the wait, an
        application ending, or the timeout: not woken by every record.
        """
        while not done():
            quiet = time.monotonic() - progress.last
            remaining = self.timeout - quiet if quiet < self.timeout else self.timeout
            try:
                await asyncio.wait_for(progress.wait_for(done), remaining)
            except TimeoutError:
                if done():
                    return None
                if time.monotonic() - progress.last >= self.timeout:
                    return f"waited {self.timeout:g} s for {what()}"
        return None

    async def _settle(self, progress: _Progress) -> None:
        """Let the application finish what it does after the last expected event.

        Connections the cassette saw close are waited for (their applications
        return); then the replay waits until nothing new is recorded for a
        moment, so an unexpected trailing event is caught rather than cut off.
        """
        closing = [
            self._communicators[c.id].future
            for c in self.plan.connections
            if c.closed and c.id in self._communicators
        ]
        if closing:
            await asyncio.wait(closing, timeout=self.timeout)
        if all(c.future.done() for c in self._communicators.values()):
            return  # every application returned: nothing more can happen
        while True:
            seen = progress.records
            await asyncio.sleep(SETTLE)
            if progress.records == seen:
                return

    async def _shut_down(self) -> None:
        """Stop every application still running (connections the cassette left open).

        An HTTP request still running gets :data:`DISCONNECT_GRACE` seconds
        to finish, then is told its client left, as a server tells it, and
        gets as long again: Django, cancelled while it reads a body, leaves
        the body's temporary file open (a ResourceWarning in the test run),
        and told of the disconnect while a view still reads the body, the
        view fails on the closed file. Whatever is still running then is
        cancelled.
        """
        requests = [
            c for c in self._communicators.values() if c.kind == "http" and not c.future.done()
        ]
        if requests:
            await asyncio.wait([c.future for c in requests], timeout=DISCONNECT_GRACE)
            requests = [c for c in requests if not c.future.done()]
        for communicator in requests:
            await communicator.send_input({"type": "http.disconnect"})
        if requests:
            await asyncio.wait([c.future for c in requests], timeout=DISCONNECT_GRACE)
        for communicator in self._communicators.values():
            future = communicator.future
            if future.done():
                # Its exception is kept for the report; awaiting it here would add
                # this frame to the traceback the report shows.
                communicator.error()
                continue
            future.cancel()
            with contextlib.suppress(BaseException):
                await future

    # -- inputs -----------------------------------------------------------
    async def _scope(self, connection: Connection) -> dict[str, Any]:
        """The ASGI scope of ``connection``, with redacted values filled in.

        A connection recorded for a user carries a session of that user's,
        logged in as it opens: a user the session itself created (a sign-up)
        exists by then.
        """
        secrets = self._secrets(connection)
        bound_session = _session_binding(connection.scope.get("headers", []))
        binder = self._binder()
        # A session the recording's login made is made again by the replayed
        # login; where that login is not replayed, the user is logged in as ever.
        logs_in = secrets.user is not None and self.users is not None
        made = (
            bound_session is not None
            and binder is not None
            and binder.value(bound_session) is not None
        )
        spare = {bound_session} if bound_session is not None and logs_in and not made else set()
        recorded = self._bound(connection, connection.scope, "its scope", spare=spare)
        scope = decode_scope(connection.type, recorded)
        scope["client"] = ["127.0.0.1", 0]
        scope["server"] = ["testserver", 80]
        if connection.type == "http":
            scope["headers"] = self._body_length(connection, scope["headers"])
        if logs_in and not made:
            assert self.users is not None
            session = await self.users(connection)
            if bound_session is not None and binder is not None:
                binder.bind(bound_session, session)  # later connections carry it too
            secrets = secrets.with_values({"sessionid": session})
            scope["headers"] = _with_session_cookie(scope["headers"], session)
        scope["headers"] = secrets.headers(scope["headers"])
        scope["query_string"] = secrets.form(scope["query_string"].decode("latin-1")).encode(
            "latin-1"
        )
        scope[REPLAY_ID_KEY] = connection.id
        return scope

    def _message(
        self, connection: Connection, encoded: Mapping[str, Any], index: int | None = None
    ) -> dict[str, Any]:
        """The inbound ASGI message an event stands for, bound and redacted values filled in."""
        place = "an input" if index is None else f"event {index}"
        message = decode_message(self._bound(connection, encoded, place))
        secrets = self._secrets(connection)
        if isinstance(message.get("text"), str):
            message["text"] = secrets.text(message["text"])
        if isinstance(message.get("body"), bytes | bytearray):
            content_type = _header(connection.scope.get("headers", []), "content-type")
            message["body"] = secrets.body(bytes(message["body"]), content_type)
        return message

    def _body_length(
        self, connection: Connection, headers: list[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        """An HTTP request's headers with ``content-length`` that of the body replayed.

        A bound value (a JWT in a JSON body) need not be as long as the one
        recorded, and Django reads exactly ``content-length`` bytes.
        """
        if not any(name.lower() == b"content-length" for name, _ in headers):
            return headers
        length = 0
        for event in connection.events:
            if event.get("dir") == "in" and event.get("message", {}).get("type") == "http.request":
                body = self._message(connection, event["message"]).get("body", b"")
                length += len(body)
        return [
            (name, str(length).encode() if name.lower() == b"content-length" else value)
            for name, value in headers
        ]

    def _bound(
        self, connection: Connection, value: Any, place: str, *, spare: set[str] | None = None
    ) -> Any:
        """``value`` (encoded) with its bindings filled with the values the application made.

        A binding the application has not made is left as it is and reported,
        unless it is in ``spare`` (a session cookie the replay makes otherwise).
        """
        binder = self._binder()
        if binder is None or not self.cassette.binds:
            return value

        def live(name: str) -> str | None:
            found = binder.value(name)
            if found is not None or name in (spare or ()):
                return found
            if not self._made_here(name):
                # Made by a connection this replay leaves out (include, exclude):
                # a value of the same kind stands in for it, as for an outside event.
                found = made_up(name.partition(":")[0])
                binder.bind(name, found)
                return found
            if name not in self._unbound:
                self._unbound[name] = (
                    f"{connection.describe()} sends <{name}> in {place}, but the application "
                    f"never made that value: {defined_at(self.cassette, name)}"
                )
            return None

        return fill(value, live)

    def _made_here(self, name: str) -> bool:
        """True when a connection this replay drives made binding ``name`` in the recording."""
        found = first_made(self.cassette, name)
        return found is not None and found[0] is not None and found[0].id in self._replayed

    def _secrets(self, connection: Connection) -> Secrets:
        """The secrets for ``connection``: its recorded user's values first."""
        return self.secrets.for_user(connection.username)

    async def _inject(self, item: Input) -> None:
        """Make a layer operation that came from outside the replayed connections."""
        from channels.layers import get_channel_layer

        event = item.event
        assert event is not None
        layer = get_channel_layer(event.get("layer", "default"))
        assert layer is not None
        message = self._live(decode_value(self._minted(event.get("message", {}))))
        if event["op"] == "group_send":
            await layer.group_send(event["group"], message)
        else:
            await layer.send(self._live(event["channel"]), message)

    def _binder(self) -> Binder | None:
        """The recording's binder, up to date: what the application did so far is cleaned
        first (the journal cleans when read), so every value it made is named, and a
        binding made here comes after them, as it happened."""
        journal = self._journal
        if journal is not None:
            journal.records  # noqa: B018  (reading cleans what is pending)
        return self.recording.binder

    def _minted(self, value: Any) -> Any:
        """``value`` (encoded) with its bindings filled, made up where the application has none.

        An event from outside the replayed connections (a management command's
        ``group_send``) may carry a value it made itself: the replay makes a
        new one of the same kind and binds it, as the original did.
        """
        binder = self._binder()
        if binder is None or not self.cassette.binds:
            return value

        def live(name: str) -> str:
            found = binder.value(name)
            if found is None:
                found = made_up(name.partition(":")[0])
                binder.bind(name, found)
            return found

        return fill(value, live)

    def _live(self, value: Any) -> Any:
        """``value`` with channel placeholders replaced by the replay's live names."""
        if isinstance(value, str):
            return placeholder_pattern.sub(self._live_name, value)
        if isinstance(value, dict):
            return {key: self._live(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._live(item) for item in value]
        return value

    def _live_name(self, match: re.Match[str]) -> str:
        live = self.recording.channel_names.live(match.group())
        return live if live is not None else match.group()


def _session_binding(headers: list[str]) -> str | None:
    """The binding (``token:4``) a recorded ``Cookie`` header's session cookie is, if it is
    one: the session was made during the recording (a login), and a replay makes it again."""
    from django.conf import settings

    name = settings.SESSION_COOKIE_NAME
    for line in headers:
        key, _, value = line.partition(":")
        if key.strip().lower() != "cookie":
            continue
        for part in value.split(";"):
            cookie, _, item = part.strip().partition("=")
            if cookie == name and is_bound(item):
                return item[1:-1]
    return None


def _header(headers: list[str], name: str) -> str:
    for line in headers:
        key, _, value = line.partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return ""


def _with_session_cookie(headers: list[tuple[bytes, bytes]], key: str) -> list[tuple[bytes, bytes]]:
    """Headers whose ``Cookie`` carries session ``key`` (added when there is none)."""
    from django.conf import settings

    name = settings.SESSION_COOKIE_NAME
    result = []
    found = False
    for header, value in headers:
        if header.lower() == b"cookie":
            found = True
            parts = [p.strip() for p in value.decode("latin-1").split(";") if p.strip()]
            parts = [p for p in parts if p.partition("=")[0] != name]
            value = "; ".join([*parts, f"{name}={key}"]).encode("latin-1")
        result.append((header, value))
    if not found:
        result.append((b"cookie", f"{name}={key}".encode("latin-1")))
    return result


@contextlib.contextmanager
def captive_layers() -> Iterator[None]:
    """Every configured channel-layer alias as a fresh, recorded in-memory layer."""
    from chanreplay.replay.captive import CaptiveChannelLayer, configured_aliases, swapped_layers

    def recorded(alias: str) -> RecordingChannelLayer:
        return RecordingChannelLayer(CaptiveChannelLayer(), alias=alias)

    with swapped_layers(configured_aliases(), recorded):
        yield

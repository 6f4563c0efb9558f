"""The event loop test clients run consumers on, between a synchronous test's calls.

A Channels 1.x test talked to consumers one synchronous call at a time, and
the consumer was gone after each. On Channels 4 a websocket consumer lives
as long as its connection, so it needs a running event loop that outlasts
each call of a synchronous test: :class:`ConsumerLoop` runs one in a
background thread for the test.

Database work must still happen in the test's own thread: that is where the
test's transaction (and the users ``setUp`` created) lives. asgiref runs
thread-sensitive code (``database_sync_to_async``, synchronous consumers) in
the executor registered for the loop; here that is a
:class:`TestThreadExecutor`, whose work the test thread carries out whenever
it waits on the loop: in every client call, and while :meth:`ConsumerLoop.settle`
waits for the consumers to have nothing left to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext

__all__ = [
    "OWNER",
    "Busy",
    "ConsumerLoop",
    "TestThreadExecutor",
    "close_consumer_loop",
    "consumer_loop",
]

T = TypeVar("T")

SETTLE_TIMEOUT = 10.0
"""Seconds the consumers get to finish what a test set off before the test fails."""

_Work = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class TestThreadExecutor(Executor):
    """Runs submitted work in the thread that calls :meth:`serve_until` or :meth:`serve_pending`."""

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._shut = False
        self.pending = 0
        """Work submitted and not finished yet."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        if self._shut:
            future.cancel()  # the test is over: its consumers' work is not done
            return future
        with self._lock:
            self.pending += 1
        self._work.put((future, fn, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Refuse new work and cancel what is queued (nothing here runs after the test)."""
        self._shut = True
        for item in self._queued():
            item[0].cancel()
            with self._lock:
                self.pending -= 1

    def serve_pending(self) -> None:
        """Run every piece of work queued now."""
        for item in self._queued():
            self._run(item)

    def _queued(self) -> Iterator[_Work]:
        """Take the work queued now, one piece at a time (wake-up markers skipped)."""
        while True:
            try:
                item = self._work.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                yield item

    def serve_until(self, done: Future[Any], timeout: float) -> bool:
        """Run work as it comes until ``done`` completes; False if ``timeout`` passed first."""
        done.add_done_callback(lambda _: self._work.put(None))  # wakes the wait below
        deadline = time.monotonic() + timeout
        while not done.done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                item = self._work.get(timeout=remaining)
            except queue.Empty:
                return False
            if item is not None:
                self._run(item)
        return True

    def _run(self, item: _Work) -> None:
        future, fn, args, kwargs = item
        try:
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as error:
                    future.set_exception(error)
                else:
                    future.set_result(result)
        finally:
            with self._lock:
                self.pending -= 1


OWNER: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "chanreplay_connection", default=None
)
"""The connection whose application the current task runs (tasks inherit it)."""


class Busy:
    """A busy flag of one connection, named for the settle timeout's message."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __str__(self) -> str:
        return self.what


class ConsumerLoop:
    """A background event loop for a test's consumers, and the bookkeeping to see them idle.

    A consumer is *busy* from the moment one of its receives returns a
    message until it asks for the next one from the same source; a message
    waiting in a queue someone receives from is work to come. The loop is
    idle when nothing is busy, nothing is queued for a waiting receiver and
    no thread-sensitive work is outstanding. Tasks a consumer starts on its
    own and timers it sets are not seen.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.executor = TestThreadExecutor()
        self.busy: set[object] = set()
        """Receivers that got a message and have not asked for the next one."""
        self.waiting_channels: set[str] = set()
        self.queues: list[Callable[[], int]] = []
        """Sizes of the inboxes of live connections."""
        self._owned: dict[object, set[str]] = {}
        """Channels delivered to each connection's tasks (see :data:`OWNER`)."""
        self.failures: list[tuple[BaseException, str]] = []
        """Exceptions consumers raised, with where, not yet reported to the test."""
        self._layers: list[Any] = []
        self._thread = threading.Thread(target=self._run, name="chanreplay-consumers", daemon=True)
        # asgiref runs thread-sensitive work of a loop it knows in that loop's executor.
        AsyncToSync.loop_thread_executors[self.loop] = self.executor  # type: ignore[assignment]
        self._database = _database_kept_open()
        self._database.__enter__()
        self._thread.start()
        self._bind_layers()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _bind_layers(self) -> None:
        from channels.layers import channel_layers

        from chanreplay.replay.captive import CaptiveChannelLayer

        for layer in list(channel_layers.backends.values()):
            inner = getattr(layer, "inner", layer)  # a RecordingChannelLayer's captive layer
            if isinstance(inner, CaptiveChannelLayer):
                inner.home = self.loop
                inner.watcher = self
                self._layers.append(inner)

    def adopt(self) -> None:
        """Send the thread-sensitive work of tasks created from here on to the test thread.

        Called on the loop, before a connection's task is created (it inherits
        the context). Django's ASGI handler opens a ``ThreadSensitiveContext``
        of its own unless one is already set: this one is, and maps to
        :attr:`executor`.
        """
        context = ThreadSensitiveContext()
        SyncToAsync.thread_sensitive_context.set(context)
        SyncToAsync.context_to_thread_executor[context] = self.executor

    # -- LayerWatcher: called on the loop ---------------------------------
    def waiting(self, channel: str) -> None:
        self.busy.discard(channel)
        self.waiting_channels.add(channel)

    def delivered(self, channel: str) -> None:
        self.waiting_channels.discard(channel)
        self.busy.add(channel)
        owner = OWNER.get()
        if owner is not None:
            self._owned.setdefault(owner, set()).add(channel)

    def ended(self, owner: object) -> None:
        """A connection's application is over: what was delivered to it is no longer work.

        A consumer that raised while handling a channel-layer message never asks
        for the next one; without this its channel stayed busy and the test
        waited out the settle timeout instead of failing with the consumer's error.
        """
        for channel in self._owned.pop(owner, ()):
            self.busy.discard(channel)

    def abandoned(self, channel: str) -> None:
        self.waiting_channels.discard(channel)

    # -- from the test thread ----------------------------------------------
    def run(self, work: Coroutine[Any, Any, T], timeout: float = SETTLE_TIMEOUT) -> T:
        """Run ``work`` on the loop, doing its thread-sensitive work here; return its result."""
        # In a context of its own: the caller's (an async test's, say) may hold
        # the executor of a thread that is busy right here, serving this call.
        future = contextvars.Context().run(asyncio.run_coroutine_threadsafe, work, self.loop)
        if not self.executor.serve_until(future, timeout):
            future.cancel()
            raise AssertionError(
                f"the consumers did not finish within {timeout:g} s (a consumer waiting "
                "for something that never comes?)"
            )
        return future.result()

    def settle(self, timeout: float = SETTLE_TIMEOUT) -> None:
        """Wait until the consumers have nothing left to do; raise what one of them raised."""
        deadline = time.monotonic() + timeout
        while True:
            self.executor.serve_pending()
            if self.run(self._quiet(), timeout=max(deadline - time.monotonic(), 0.1)):
                break
            if time.monotonic() > deadline:
                error = AssertionError(
                    f"the consumers were still busy after {timeout:g} s: "
                    f"{', '.join(sorted(map(str, self.busy))) or 'waiting on their own tasks'}"
                )
                real = real_layers()
                if real:
                    error.add_note(_REAL_LAYERS.format(layers=", ".join(real)))
                raise error
            time.sleep(0.001)  # busy on pure async work (a timer): let it run
        self.raise_failures()

    def raise_failures(self) -> None:
        """Raise, in the test, the first exception a consumer raised since the last call."""
        if self.failures:
            error, where = self.failures.pop(0)
            self.failures.clear()
            error.add_note(f"(raised by {where}, run by chanreplay's test client)")
            real = real_layers()
            if real:
                error.add_note(_REAL_LAYERS.format(layers=", ".join(real)))
            raise error

    async def _quiet(self) -> bool:
        # Let what is ready run, and what that readies, until nothing is ready:
        # a result handed back from the test thread takes a few hops to reach
        # the code that waits for it, and no busy flag covers those hops.
        ready = getattr(self.loop, "_ready", None)  # asyncio's queue of ready callbacks
        for _ in range(1000):
            await asyncio.sleep(0)
            if ready is not None and not ready:
                break
        return self._idle()

    def _idle(self) -> bool:
        if self.busy or self.executor.pending or any(size() for size in self.queues):
            return False
        for layer in self._layers:
            for channel in self.waiting_channels:
                pending = layer.channels.get(channel)
                if pending is not None and not pending.empty():
                    return False
        return True

    def close(self) -> None:
        """Cancel every consumer still running, stop the loop and let the layers go.

        No thread-sensitive work runs any more: a consumer cancelled at the end
        of a test must not touch the database after the test's transaction.
        """

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.executor.shutdown()
        try:
            if self.loop.is_running():
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(timeout=5.0)
        finally:
            for layer in self._layers:
                layer.home = None
                layer.watcher = None
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5.0)
            AsyncToSync.loop_thread_executors.pop(self.loop, None)
            if not self.loop.is_running():
                self.loop.close()
            self._database.__exit__(None, None, None)


_REAL_LAYERS = (
    "The consumers used the configured channel layer {layers}, not a captive one: use a "
    "ChannelTestCase, or under pytest the captive_layers fixture, so that no server is needed "
    "and the test client can tell when the consumers are done."
)


def real_layers() -> list[str]:
    """The channel layers in use that are not captive, as ``'alias' (ClassName)``."""
    from channels.layers import channel_layers

    from chanreplay.replay.captive import CaptiveChannelLayer

    return [
        f"{alias!r} ({type(inner).__name__})"
        for alias, layer in list(channel_layers.backends.items())
        if not isinstance(inner := getattr(layer, "inner", layer), CaptiveChannelLayer)
    ]


@contextlib.contextmanager
def _database_kept_open() -> Iterator[None]:
    from chanreplay.testing.replay import database_kept_open

    with database_kept_open():
        yield


_current: ConsumerLoop | None = None


def consumer_loop() -> ConsumerLoop:
    """The consumer loop of the running test, started on first use."""
    global _current
    if _current is None:
        _current = ConsumerLoop()
    return _current


def close_consumer_loop() -> None:
    """Stop the running test's consumer loop, if it has one (at the end of each test)."""
    global _current
    loop, _current = _current, None
    if loop is not None:
        loop.close()

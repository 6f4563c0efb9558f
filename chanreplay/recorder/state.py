"""The recording this process writes, if any (one per process).

The layer wrapper and the ASGI recorder read :data:`recording` on every call;
it is a module global rather than a context variable because a recording
spans every connection and thread of the server.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

from chanreplay.recorder import dispatch
from chanreplay.recorder.compiler import CompileResult
from chanreplay.recorder.recording import Recording

__all__ = [
    "DRAIN_TIMEOUT",
    "before_stop",
    "recording",
    "relaying",
    "replaying",
    "start",
    "stop",
]

recording: Recording | None = None
"""The active recording, or None."""

relaying: bool = bool(os.environ.get("CHANREPLAY_RECORD"))
"""True in a process that does not record but whose layer messages a recording
server should see as external events (``CHANREPLAY_RECORD`` is set)."""

_lock = threading.Lock()
_atexit_registered = False
_before_stop: list[Callable[[float], object]] = []


def before_stop(hook: Callable[[float], object]) -> None:
    """Have :func:`stop` call ``hook(drain)`` first, from outside the event loop (once).

    The server integration registers how to stop serving
    (:func:`chanreplay.recorder.shutdown.stop_serving`): a recording must not
    stop while its server still answers clients.
    """
    if hook not in _before_stop:
        _before_stop.append(hook)


def start(new: Recording) -> str:
    """Make ``new`` this process's recording and start it; returns what it will do."""
    global recording, _atexit_registered
    with _lock:
        if recording is not None:
            raise RuntimeError(
                f"already recording {recording.cassette_path}; stop it before starting another"
            )
        message = new.start()
        recording = new
        with contextlib.suppress(ImportError):  # Channels is optional for the pure core
            dispatch.install()
        if not _atexit_registered:
            # A server stopped by Ctrl-C or SIGTERM exits through atexit; the
            # final cassette is written there.
            atexit.register(stop)
            # Where the server's loop runs in a thread of its own (the
            # autoreloader's server process), connections finishing their
            # disconnect still need the thread pools that sync_to_async runs
            # their database work in; those shut down when threading does,
            # before atexit. Stopping at thread shutdown too (it runs once)
            # lets them finish first.
            register_early = getattr(threading, "_register_atexit", None)
            if register_early is not None:
                register_early(stop)
            _atexit_registered = True
    return message


@contextlib.contextmanager
def replaying(replay: Recording) -> Iterator[None]:
    """Make ``replay`` (a replay's recorder, already started) the recording for a while."""
    global recording
    with _lock:
        if recording is not None:
            raise RuntimeError(
                f"cannot replay while recording {recording.cassette_path} in this process"
            )
        recording = replay
    with contextlib.suppress(ImportError):
        dispatch.install()
    try:
        yield
    finally:
        with _lock:
            recording = None
        dispatch.uninstall()


DRAIN_TIMEOUT = 2.0
"""Seconds a stopping server waits for connections whose client already left."""


def stop(*, drain: float = DRAIN_TIMEOUT) -> CompileResult | None:
    """Stop the active recording (if any) and write its cassette.

    Connections whose client already disconnected get up to ``drain`` seconds
    to finish (their disconnect handlers may still send layer messages), when
    the event loop runs in another thread and can still make progress.
    """
    global recording
    current = recording
    if current is None:
        return None
    previous = {}
    if threading.current_thread() is threading.main_thread():
        # A second Ctrl-C must not cut the final cassette short. The handlers
        # come back afterwards: a process that goes on (a test) must stay
        # stoppable, and so must the processes it starts, which inherit them.
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, signal.SIG_IGN)
    try:
        if drain and not _in_event_loop():
            # Serving must end before recording does: what a server still
            # answered afterwards would be missing from the cassette.
            for hook in list(_before_stop):
                hook(drain)
            current.drain(drain)
        with _lock:
            current, recording = recording, None
        if current is None:
            return None
        dispatch.uninstall()
        return current.stop()
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # None: a handler set outside Python, left as it is
                signal.signal(signum, handler)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True

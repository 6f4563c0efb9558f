"""Under daphne, let connections whose client already left finish before the server stops.

A stopping daphne cancels every application that is still running, the
moment the reactor starts shutting down (``Server.kill_all_applications``, a
"before shutdown" trigger). A consumer that was just told its client
disconnected is then cut off halfway through its disconnect handler, and
whether its ``group_discard`` (or a farewell broadcast) reaches the cassette
would depend on how quickly the stop signal followed the client's close.

So while recording, daphne's kill first waits, for up to
:data:`DRAIN_TIMEOUT` seconds, until no connection is *finishing*: one whose
client daphne saw go while its application still runs, or one the recording
saw end. Connections whose client is still there are not waited for: they
are cancelled at once, as without chanreplay, and the cassette marks them as
never closed.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Any

from chanreplay.recorder import state
from chanreplay.recorder.state import DRAIN_TIMEOUT

__all__ = ["finishing", "install", "stop_serving"]

_POLL = 0.01
_GRACE = 0.1
"""Seconds a stopping server waits before judging whether anything is finishing."""
_MARK = "_chanreplay_drains"
_STOP_MARGIN = 5.0
"""Seconds a stopping reactor gets beyond the drain before the recording stops without it."""


def finishing(server: Any) -> int:
    """Connections of a daphne ``server`` over for their client but still running."""
    left = 0
    for details in list(server.connections.values()):
        application = details.get("application_instance")
        if application is not None and not application.done() and "disconnected" in details:
            left += 1
    recording = state.recording
    # The recording also knows an HTTP response that is complete while its
    # application still runs; daphne marks that connection only later.
    return max(left, recording.finishing() if recording is not None else 0)


def install(timeout: float = DRAIN_TIMEOUT) -> None:
    """Make daphne drain finishing connections before it cancels them (idempotent).

    Daphne registers its kill when the server starts running, so this must
    be called before that: ``runserver --record`` and a hand-wrapped
    application (at import) do.
    """
    try:
        from daphne.server import Server
    except ImportError:  # not under daphne: nothing cancels connections early
        return
    original = Server.kill_all_applications
    if getattr(original, _MARK, False):
        return
    state.before_stop(stop_serving)

    def kill_all_applications(server: Any) -> Any:
        if state.recording is None:
            return original(server)
        return _settled(server, timeout).addCallback(lambda _: original(server))

    setattr(kill_all_applications, _MARK, True)
    kill_all_applications.__doc__ = original.__doc__
    Server.kill_all_applications = kill_all_applications


def _settled(server: Any, timeout: float) -> Any:
    """A Deferred that fires once nothing is finishing, or after ``timeout`` seconds."""
    from twisted.internet import defer
    from twisted.internet import reactor as twisted_reactor

    # The reactor module is typed as an interface; it is the running reactor.
    reactor: Any = twisted_reactor
    deadline = time.monotonic() + timeout
    done: defer.Deferred[None] = defer.Deferred()

    def poll() -> None:
        if not finishing(server) or time.monotonic() > deadline:
            done.callback(None)
        else:
            reactor.callLater(_POLL, poll)

    # A client that closed just before the stop: its disconnect may still be
    # on its way to daphne, which would not count the connection as finishing.
    reactor.callLater(_GRACE, poll)
    return done


def stop_serving(timeout: float = DRAIN_TIMEOUT) -> bool:
    """Stop a Twisted reactor that serves from another thread; wait until it has stopped.

    The autoreloader's server process runs daphne in a thread of its own and
    leaves by ``sys.exit`` in the main thread (a code change, Ctrl-C,
    SIGTERM), while that thread goes on serving until the interpreter is
    gone. A recording stopped then would miss what the server still
    answered: clients saw replies the cassette does not hold. So the server
    stops first, as under ``--noreload``: finishing connections drain
    (:func:`install`), the others are cut and marked as never closed, and
    only then does the recording stop. True when there was such a reactor
    and it stopped within ``timeout`` plus a margin.
    """
    if "twisted.internet.reactor" not in sys.modules:
        return False  # no Twisted server in this process
    from twisted.internet import reactor as twisted_reactor
    from twisted.internet.error import ReactorNotRunning
    from twisted.python import threadable

    reactor: Any = twisted_reactor
    in_reactor_thread: Any = threadable.isInIOThread  # untyped in Twisted
    if not reactor.running or in_reactor_thread():
        return False  # stopped already, or stopping runs on (and returns to) its own thread
    stopped = threading.Event()

    def stop() -> None:
        reactor.addSystemEventTrigger("after", "shutdown", stopped.set)
        with contextlib.suppress(ReactorNotRunning):  # stopping already: the trigger fires
            reactor.stop()

    reactor.callFromThread(stop)
    return stopped.wait(timeout + _STOP_MARGIN)

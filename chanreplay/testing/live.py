"""``ChannelLiveServerTestCase``: a real daphne server for browser tests, recording if asked.

::

    from chanreplay.testing import ChannelLiveServerTestCase

    class BrowserTests(ChannelLiveServerTestCase):
        record_cassettes = True  # cassettes/BrowserTests.test_chat.json

        def test_chat(self):
            browser.get(self.live_server_url + "/chat/lobby/")
            ...

Channels' own ``ChannelsLiveServerTestCase`` starts daphne in a child process
for the test class (``live_server_url``, ``live_server_ws_url``,
``serve_static``), against the test database: it cannot be an in-memory
SQLite database, give ``DATABASES["default"]["TEST"]["NAME"]`` a file. This
subclass adds recording: with ``record_cassettes``, everything each test
makes the server do (the browser's requests and websockets, the layer
traffic) is written to a cassette named after the test, which a fast
``ReplayTestCase`` or the pytest ``replay`` fixture then replays without a
browser. The server records because the test asked, whatever ``DEBUG`` says.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

from channels.testing.live import ChannelsLiveServerTestCase
from daphne.testing import DaphneProcess

__all__ = ["ChannelLiveServerTestCase"]

CONTROL_TIMEOUT = 30.0
"""Seconds the server gets to start or finish a test's recording."""


def _recorded_application(get_application: Callable[[], Any], control: Connection) -> Any:
    """In the server process: the application, recorded into whatever recording is active."""
    from chanreplay.asgi import RecordingMiddleware

    application = get_application()
    threading.Thread(
        target=_serve_control, args=(control,), name="chanreplay-live-control", daemon=True
    ).start()
    return RecordingMiddleware(application)


def _serve_control(control: Connection) -> None:
    """In the server process: start and stop recordings as the test process asks."""
    from chanreplay.recorder import state
    from chanreplay.recorder.activation import build_recording, wrap_channel_layers

    while True:
        try:
            command, *arguments = control.recv()
        except EOFError:
            return
        try:
            if command == "start":
                name, directory, mode = arguments
                wrap_channel_layers()
                control.send(
                    ("ok", state.start(build_recording(name, directory=directory, mode=mode)))
                )
            else:
                result = state.stop()
                control.send(("ok", f"{result.events} events" if result else "nothing recorded"))
        except Exception as error:  # reported in the test, which fails with it
            control.send(("error", f"{type(error).__name__}: {error}"))


class _RecordingDaphneProcess(DaphneProcess):  # type: ignore[misc]  # daphne is untyped
    """Daphne in a child process, serving the application through the recorder."""

    def __init__(self, host: str, get_application: Callable[[], Any], **options: Any) -> None:
        self.control, child = multiprocessing.Pipe()
        super().__init__(host, partial(_recorded_application, get_application, child), **options)


class ChannelLiveServerTestCase(ChannelsLiveServerTestCase):  # type: ignore[misc]
    """Channels' live server test case; with ``record_cassettes``, one cassette per test."""

    ProtocolServerProcess = _RecordingDaphneProcess
    record_cassettes: ClassVar[bool] = False
    """Record each test's traffic into ``cassette_dir/ClassName.test_name.json``."""
    cassette_dir: ClassVar[str | Path | None] = None
    """Where the cassettes go (default: ``CHANREPLAY["CASSETTE_DIR"]``, else ``cassettes``)."""
    record_mode: ClassVar[str] = "all"
    """A browser test records afresh each run: its cassette is what it saw last."""

    def cassette_name(self) -> str:
        """The name of this test's cassette."""
        return f"{type(self).__name__}.{self._testMethodName}"

    def _callSetUp(self) -> None:
        if self.record_cassettes:
            directory = str(self.cassette_dir) if self.cassette_dir is not None else None
            self._control("start", self.cassette_name(), directory, self.record_mode)
            # A cleanup runs after tearDown and after the test's own cleanups
            # (a browser's quit()), so the cassette holds the whole session.
            self.addCleanup(self._control, "stop")
        super()._callSetUp()

    def _control(self, *command: Any) -> str:
        control: Connection = self._server_process.control
        control.send(command)
        if not control.poll(CONTROL_TIMEOUT):
            raise AssertionError(
                f"the live server did not {command[0]} the recording within {CONTROL_TIMEOUT:g} s"
            )
        status, detail = control.recv()
        if status != "ok":
            raise AssertionError(f"the live server could not {command[0]} recording: {detail}")
        return str(detail)

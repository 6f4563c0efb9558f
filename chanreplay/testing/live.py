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

Channel layers: an alias of ``CHANNEL_LAYERS`` with a ``"TEST_CONFIG"`` next
to its ``"CONFIG"`` is built from ``TEST_CONFIG`` for the whole test class, in
the test process and in the server, so the tests never touch the development
layer. Before the server starts, every layer with the ``flush`` extension
(Redis, in-memory) is flushed, so nothing left from an earlier run arrives.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.testing.live import ChannelsLiveServerTestCase
from daphne.testing import DaphneProcess
from django.conf import settings
from django.test import TransactionTestCase, override_settings

__all__ = ["ChannelLiveServerTestCase"]

CONTROL_TIMEOUT = 30.0
"""Seconds the server gets to start or finish a test's recording."""


def _with_test_configs(layers: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``CHANNEL_LAYERS`` with each alias that has a ``TEST_CONFIG`` built from it."""
    return {
        alias: {**entry, "CONFIG": entry["TEST_CONFIG"]} if "TEST_CONFIG" in entry else {**entry}
        for alias, entry in layers.items()
    }


@contextmanager
def _test_channel_layers() -> Iterator[None]:
    """Within: ``CHANNEL_LAYERS`` with the ``TEST_CONFIG`` of the aliases that have one."""
    layers: dict[str, dict[str, Any]] = getattr(settings, "CHANNEL_LAYERS", {})
    if not any("TEST_CONFIG" in entry for entry in layers.values()):
        yield
        return
    # Channels drops its cached layers whenever CHANNEL_LAYERS changes, on the
    # way in and on the way out: no layer built from one config outlives it.
    with override_settings(CHANNEL_LAYERS=_with_test_configs(layers)):
        yield


def _flush_channel_layers() -> None:
    """Flush every configured layer that supports the ``flush`` extension."""
    for alias in getattr(settings, "CHANNEL_LAYERS", {}):
        layer = channel_layers[alias]
        if "flush" in getattr(layer, "extensions", ()):
            async_to_sync(layer.flush)()


def _recorded_application(
    get_application: Callable[[], Any], control: Connection, layers: dict[str, Any]
) -> Any:
    """In the server process: the application, recorded into whatever recording is active."""
    import django
    from django.apps import apps

    from chanreplay.asgi import RecordingMiddleware

    if not apps.ready:  # spawned, not forked: a fresh interpreter, as get_asgi_application()
        django.setup(set_prefix=False)
    # A spawned server has only the settings module's layers, a forked one the
    # layers the test process built (their connections shared with it): either
    # way, it builds its own from the test process's CHANNEL_LAYERS.
    override_settings(CHANNEL_LAYERS=layers).enable()
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
        # Made in the test class's set-up: the layers are the class's, TEST_CONFIG applied.
        layers = getattr(settings, "CHANNEL_LAYERS", {})
        super().__init__(
            host, partial(_recorded_application, get_application, child, layers), **options
        )


class _TestChannelLayersCase(TransactionTestCase):
    """The class's channel layers: TEST_CONFIG applied, flushed.

    Channels' ``setUpClass`` starts the server right after its ``super()``
    call, and Django's (which enables the class's ``override_settings``) runs
    inside that call: placed between the two in the MRO, this set-up sees the
    class's settings and comes before the server.
    """

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.enterClassContext(_test_channel_layers())
        _flush_channel_layers()


class ChannelLiveServerTestCase(ChannelsLiveServerTestCase, _TestChannelLayersCase):  # type: ignore[misc]
    """Channels' live server test case; with ``record_cassettes``, one cassette per test.

    For the class, a channel layer alias with a ``"TEST_CONFIG"`` is built from
    it instead of its ``"CONFIG"``, in the test process and in the server (give
    it with ``override_settings`` on the class, or in the settings). Every
    layer with the ``flush`` extension is flushed before the server starts.
    """

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

"""``runserver --record NAME``: Channels' development server, recording into a cassette.

With the autoreloader (the default) two processes cooperate: this process
checks the record mode, recovers a journal a killed run left behind, and
writes the final cassette when the server stops; the server process it
restarts on every code change records, resuming the same journal each time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

from daphne.management.commands.runserver import Command as DaphneRunserverCommand
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.management import CommandError
from django.core.management.base import CommandParser
from django.utils import autoreload

from chanreplay.asgi import RecordingMiddleware
from chanreplay.exceptions import ChanreplayError
from chanreplay.recorder import activation, shutdown, state
from chanreplay.recorder.compiler import compile_journal, outcome
from chanreplay.recorder.journal import wait_released
from chanreplay.recorder.recording import RECORD_MODES

STOP_TIMEOUT = 15.0
"""Seconds the server process gets to write its cassette after a stop signal."""
SIGINT_GRACE = 1.0
"""Seconds to wait for Ctrl-C to stop the server process by itself before passing it on."""
HASHSEED = "PYTHONHASHSEED"
"""Set to 0 for a recording server unless the environment gives it."""


class Command(DaphneRunserverCommand):  # type: ignore[misc]  # daphne is untyped
    """Daphne's runserver with ``--record``."""

    help = (
        "Starts the Channels development server; with --record NAME, records every "
        "connection and channel-layer message into cassettes/NAME.json."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # No abbreviations: "--record-mod all" is a typo, not --record-mode (an abbreviated
        # --record-mode all once replaced a committed cassette).
        kwargs.setdefault("allow_abbrev", False)
        parser: CommandParser = super().create_parser(prog_name, subcommand, **kwargs)
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        group = parser.add_argument_group("chanreplay")
        group.add_argument(
            "--record",
            metavar="NAME",
            help="record the session into CASSETTE_DIR/NAME.json",
        )
        group.add_argument(
            "--cassette-dir",
            metavar="DIR",
            help="where cassettes go (default: CHANREPLAY['CASSETTE_DIR'] or ./cassettes)",
        )
        group.add_argument(
            "--record-mode",
            choices=RECORD_MODES,
            help="once: refuse to overwrite an existing cassette (default); all: record "
            "it again from scratch; new_episodes: append new connections to it",
        )
        group.add_argument(
            "--record-force",
            action="store_true",
            help="record even though DEBUG is off",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("record") == "":
            raise CommandError("--record needs a NAME: runserver --record chat")
        name = options.get("record") or os.environ.get(activation.ENV_RECORD)
        if not name or os.environ.get(activation.ENV_SUPERVISED):
            # Not recording, or the server process the autoreloader started.
            super().handle(*args, **options)
            return
        if HASHSEED not in os.environ:
            # Sets of names (the rooms a consumer leaves, an observer's groups)
            # iterate in hash order: a fixed seed makes two recordings of one
            # session the same bytes. The autoreloader's server process
            # inherits it; without one, this process starts again with it.
            os.environ[HASHSEED] = "0"
            if not options.get("use_reloader", True):
                os.execve(sys.executable, autoreload.get_child_arguments(), os.environ)
        try:
            if activation.check_debug(force=options.get("record_force", False)):
                self.stderr.write(
                    "chanreplay: recording with DEBUG = False, as forced: the cassette will "
                    "hold every message of every user of this server"
                )
            recording = activation.build_recording(
                name,
                directory=options.get("cassette_dir"),
                mode=options.get("record_mode"),
                run_id=uuid.uuid4().hex,
            )
            message = recording.prepare()
        except ChanreplayError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"chanreplay: {message}")
        os.environ.update(
            {
                activation.ENV_RECORD: recording.name,
                activation.ENV_CASSETTE_DIR: str(recording.cassette_path.parent.resolve()),
                activation.ENV_RECORD_MODE: recording.mode,
                activation.ENV_RUN_ID: recording.run_id,
            }
        )
        if options.get("record_force"):
            os.environ[activation.ENV_FORCE] = "1"
        if options.get("use_reloader", True):
            os.environ[activation.ENV_SUPERVISED] = "1"
        try:
            super().handle(*args, **options)
        finally:
            self._finish(recording.journal_path, recording.cassette_path, options)
            recording.release()

    def _finish(self, journal: Any, cassette: Any, options: dict[str, Any]) -> None:
        """Write the final cassette once the server is gone."""
        if not options.get("use_reloader", True):
            # The reactor's shutdown trigger already let finishing connections end.
            result = state.stop(drain=0)
        elif journal.exists():
            # The server process is gone (stopped, or killed by the reloader on
            # Ctrl-C): its journal holds everything it recorded, once its
            # writer process has written out what it was sent.
            wait_released(journal)
            result = compile_journal(journal, cassette, durable=True)
            journal.unlink()
        else:
            result = None
        if result is not None:
            self.stdout.write(f"chanreplay: {outcome(result, cassette)}")

    def run(self, **options: Any) -> None:
        supervising = (
            options.get("use_reloader", True)
            and os.environ.get(activation.ENV_SUPERVISED)
            and os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) != "true"
        )
        if not supervising:
            super().run(**options)
            return
        self._supervise()

    def _supervise(self) -> None:
        """The autoreloader's parent loop, stopping the server process gently.

        Django's own loop answers SIGTERM by SIGKILLing the server process,
        which would cut off the last events and the final cassette. Here a
        stop signal is passed on, the server process drains its connections
        and writes the cassette, and only one that hangs is killed.
        """
        env = {**os.environ, autoreload.DJANGO_AUTORELOAD_ENV: "true"}
        while True:
            stop = _StopForwarder()
            # Handlers first: a process started while SIGINT is ignored (as a
            # background job's is) would pass that on to the server process.
            previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                child = subprocess.Popen(autoreload.get_child_arguments(), env=env, close_fds=False)
                stop.child = child
                code = stop.wait(child)
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
            if stop.killed:
                self.stderr.write(
                    f"chanreplay: the server process did not stop within {STOP_TIMEOUT:g} s "
                    "and was killed; the cassette holds what it journaled (all but its last "
                    "50 ms)"
                )
            if stop.requested is not None or code != 3:
                return

    def inner_run(self, *args: Any, **options: Any) -> None:
        if os.environ.get(activation.ENV_RECORD) and state.recording is None:
            try:
                activation.start_from_environment()
            except ChanreplayError as error:
                raise CommandError(str(error)) from None
            shutdown.install()
        super().inner_run(*args, **options)

    def get_application(self, options: dict[str, Any]) -> Any:
        application = super().get_application(options)
        if state.recording is None:
            return application
        # Record inside the static files handler: static files are not recorded.
        if isinstance(application, ASGIStaticFilesHandler):
            application.application = RecordingMiddleware(  # type: ignore[assignment]
                application.application
            )
            return application
        return RecordingMiddleware(application)


class _StopForwarder:
    """Signal handler of the supervising process: passes one stop signal on.

    SIGTERM is forwarded at once. SIGINT usually reaches the server process
    by itself (Ctrl-C signals the whole process group), and a second one
    could interrupt its shutdown, so it is forwarded only if the server
    process is still running a moment later (SIGINT sent to this process alone).
    """

    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.requested: int | None = None
        self._since = 0.0
        self._forwarded = False
        self._terminated = False
        self.killed = False
        """True when the server process had to be killed (it lost its last events)."""

    def __call__(self, signum: int, _frame: Any) -> None:
        if self.requested is None:
            self.requested = signum
            self._since = time.monotonic()
            if signum != signal.SIGINT and self.child is not None:
                self.child.send_signal(signum)
                self._forwarded = True

    def wait(self, child: subprocess.Popen[bytes]) -> int:
        """Wait for the server process to exit; kill it if it hangs after a stop request."""
        try:
            while True:
                try:
                    return child.wait(0.2)
                except subprocess.TimeoutExpired:
                    self._escalate(child)
        except BaseException:
            child.kill()
            raise

    def _escalate(self, child: subprocess.Popen[bytes]) -> None:
        if self.requested is None:
            return
        elapsed = time.monotonic() - self._since
        if not self._forwarded and elapsed > SIGINT_GRACE:
            child.send_signal(self.requested)
            self._forwarded = True
        elif (
            self.requested == signal.SIGINT and not self._terminated and elapsed > SIGINT_GRACE * 3
        ):
            # A server process that ignores SIGINT (started from a background
            # job, it inherits that) still stops cleanly on SIGTERM.
            child.terminate()
            self._terminated = True
        if elapsed > STOP_TIMEOUT and not self.killed:
            child.kill()
            self.killed = True

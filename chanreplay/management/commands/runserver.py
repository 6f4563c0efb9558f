"""``runserver --record NAME``: Channels' development server, recording into a cassette.

With the autoreloader (the default) two processes cooperate: this process
checks the record mode, recovers a journal a killed run left behind, and
writes the final cassette when the server stops; the server process it
restarts on every code change records, resuming the same journal each time.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from daphne.management.commands.runserver import Command as DaphneRunserverCommand
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.management import CommandError
from django.core.management.base import CommandParser

from chanreplay.asgi import RecordingMiddleware
from chanreplay.exceptions import ChanreplayError
from chanreplay.recorder import activation, state
from chanreplay.recorder.journal import compile_journal
from chanreplay.recorder.recording import RECORD_MODES


class Command(DaphneRunserverCommand):  # type: ignore[misc]  # daphne is untyped
    """Daphne's runserver with ``--record``."""

    help = (
        "Starts the Channels development server; with --record NAME, records every "
        "connection and channel-layer message into cassettes/NAME.json."
    )

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
        name = options.get("record") or os.environ.get(activation.ENV_RECORD)
        if not name or os.environ.get(activation.ENV_SUPERVISED):
            # Not recording, or the server process the autoreloader started.
            super().handle(*args, **options)
            return
        try:
            activation.check_debug(force=options.get("record_force", False))
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

    def _finish(self, journal: Any, cassette: Any, options: dict[str, Any]) -> None:
        """Write the final cassette once the server is gone."""
        if not options.get("use_reloader", True):
            result = state.stop()
        elif journal.exists():
            # The server process is gone (stopped, or killed by the reloader on
            # Ctrl-C): its journal holds everything it recorded.
            result = compile_journal(journal, cassette, durable=True)
            journal.unlink()
        else:
            result = None
        if result is not None:
            unclosed = f", {len(result.unclosed)} never closed" if result.unclosed else ""
            self.stdout.write(
                f"chanreplay: wrote {cassette} ({result.connections} connections{unclosed}, "
                f"{result.events} events)"
            )

    def inner_run(self, *args: Any, **options: Any) -> None:
        if os.environ.get(activation.ENV_RECORD) and state.recording is None:
            try:
                activation.start_from_environment()
            except ChanreplayError as error:
                raise CommandError(str(error)) from None
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

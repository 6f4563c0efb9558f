"""Draining daphne's finishing connections before it cancels them (see test_runserver_record)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from daphne.server import Server

from chanreplay.recorder import shutdown


async def test_finishing_counts_connections_whose_client_left_while_their_app_runs() -> None:
    """Only a disconnected connection with a running application is waited for."""
    loop = asyncio.get_running_loop()
    running, done = loop.create_future(), loop.create_future()
    done.set_result(None)
    server = SimpleNamespace(
        connections={
            "left, app running": {"application_instance": running, "disconnected": 1.0},
            "still connected": {"application_instance": running, "connected": 1.0},
            "left, app done": {"application_instance": done, "disconnected": 1.0},
            "upgraded request": {"disconnected": 1.0},
        }
    )
    assert shutdown.finishing(server) == 1
    running.set_result(None)
    assert shutdown.finishing(server) == 0


def test_install_wraps_daphnes_kill_once() -> None:
    """Installing twice leaves one wrapper around daphne's own kill."""
    shutdown.install()
    wrapped = Server.kill_all_applications
    shutdown.install()
    assert Server.kill_all_applications is wrapped
    assert getattr(wrapped, "_chanreplay_drains", False)


def test_stopping_a_recording_leaves_the_signal_handlers_as_they_were(tmp_path: Path) -> None:
    """Ignored while the cassette is written, then put back: a process that goes on (a test
    run) stays stoppable, and so do the servers it starts, which inherit its handlers."""
    import signal

    from chanreplay.recorder import state
    from chanreplay.recorder.recording import Recording

    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    state.start(Recording("signals", cassette_dir=tmp_path, writer_process=False))
    state.stop(drain=0)
    assert {signum: signal.getsignal(signum) for signum in before} == before
    assert not (tmp_path / ".signals.journal").exists()  # the recording did end

"""Draining daphne's finishing connections before it cancels them (see test_runserver_record)."""

from __future__ import annotations

import asyncio
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

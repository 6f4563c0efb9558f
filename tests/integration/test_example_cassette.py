"""The committed example cassette is what recording the scripted session gives today."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from chanreplay.cassette import load
from chanreplay.diff import diff_cassettes, render_text
from tests.servers import ServerFactory, run_session

pytestmark = pytest.mark.server

COMMITTED = Path(__file__).resolve().parents[2] / "cassettes" / "example_session.json"
REGENERATE = "CHANREPLAY_REGENERATE"


def test_recording_the_scripted_session_reproduces_the_committed_cassette(
    servers: ServerFactory,
) -> None:
    """Any change to what the recorder writes shows up as a difference to this file."""
    server = servers.runserver(record="example_session")
    run_session(server.base)
    assert server.stop() == 0, server.output()
    recorded = servers.cassette_dir / "example_session.json"
    if os.environ.get(REGENERATE) == "1":
        shutil.copy(recorded, COMMITTED)
    assert recorded.read_bytes() == COMMITTED.read_bytes(), (
        f"recording the example session no longer gives {COMMITTED}; if the change is "
        f"intended, re-record it with {REGENERATE}=1 .venv/bin/python -m pytest "
        f"{Path(__file__).relative_to(COMMITTED.parents[1])} and review the diff:\n"
        + render_text(diff_cassettes(load(COMMITTED), load(recorded)))
    )


def test_the_committed_cassette_loads_and_holds_no_secret() -> None:
    """The committed cassette passes the schema and carries no password or cookie value."""
    cassette = load(COMMITTED)
    assert len(cassette.connections) == 10
    text = COMMITTED.read_text()
    assert "wonderland-secret-1" not in text
    # The session the login made is a binding: named, its value never written.
    assert "set-cookie: sessionid=<token:4>;" in text
    assert "cookie: csrftoken=<token:3>; sessionid=<token:4>" in text

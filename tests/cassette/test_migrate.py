"""``chanreplay.cassette.migrate``: an older cassette named as a recording would name it now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from chanreplay.cassette import load, writer
from chanreplay.cassette.migrate import migrate, recorded_at
from chanreplay.cassette.model import Cassette, Connection

FIXTURES = Path(__file__).with_name("fixtures")
TRIP = "3f2a1b9c-8d7e-4f5a-9b6c-1d2e3f4a5b6c"
SENT = "2026-12-07T04:14:13.123456Z"


def _frame(direction: str, data: dict[str, Any], step: int) -> dict[str, Any]:
    kind = "websocket.send" if direction == "out" else "websocket.receive"
    return {"dir": direction, "message": {"type": kind, "text": {"$json": data}}, "step": step}


def _old(version: int = 2) -> Cassette:
    scope = {
        "headers": ["host: 127.0.0.1", "content-length: 12"],
        "path": "/ws/",
        "query_string": "",
    }
    rider = Connection(
        id="c1",
        type="websocket",
        scope=scope,
        step=1,
        events=[
            _frame("out", {"id": TRIP, "sent": SENT, "status": 200}, 2),
        ],
    )
    driver = Connection(
        id="c2",
        type="websocket",
        scope={**scope, "path": f"/ws/trips/{TRIP}/"},
        step=3,
        events=[_frame("in", {"id": TRIP}, 4)],
    )
    return Cassette(connections=[rider, driver], version=version)


def test_a_server_made_value_becomes_a_binding_where_a_client_sends_it_back() -> None:
    migrated = migrate(_old())
    assert migrated.version == 3
    rider, driver = migrated.connections
    assert rider.events[0]["message"]["text"]["$json"] == {
        "id": "<uuid:1>",
        "sent": "<datetime>",
        "status": 200,
    }
    assert driver.scope["path"] == "/ws/trips/<uuid:1>/"
    assert driver.events[0]["message"]["text"]["$json"] == {"id": "<uuid:1>"}
    assert "content-length: <volatile>" in driver.scope["headers"]


def test_the_time_of_recording_is_the_latest_date_time_the_server_sent() -> None:
    assert recorded_at(_old()) == 1796616853.123456
    # Without one, nothing is a timestamp: a status 200 is never taken for epoch seconds.
    plain = _old()
    plain.connections[0].events[0]["message"]["text"]["$json"]["sent"] = "soon"
    assert recorded_at(plain) is None
    migrated = migrate(plain)
    assert migrated.connections[0].events[0]["message"]["text"]["$json"] == {
        "id": "<uuid:1>",
        "sent": "soon",
        "status": 200,
    }


def test_a_given_time_decides_what_is_a_timestamp() -> None:
    """Given a time a year later, the date sent is no timestamp of that recording."""
    migrated = migrate(_old(), now=1796616853.0 + 365 * 86400)
    assert migrated.connections[0].events[0]["message"]["text"]["$json"]["sent"] == SENT


def test_a_current_cassette_is_left_as_it_is() -> None:
    current = _old(version=3)
    assert migrate(current) is current


def test_version_1_migrates_too() -> None:
    assert migrate(load(FIXTURES / "v1-minimal.json")).version == 3


def _command(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chanreplay", "migrate", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_rewrites_old_cassettes_once(tmp_path: Path) -> None:
    path = tmp_path / "trips.json"
    writer.write(_old(), path)
    first = _command(str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"{path}: version 2 -> 3\n"
    assert load(path).version == 3
    again = _command(str(path))
    assert again.stdout == f"{path}: already version 3\n"


def test_a_wrong_time_is_an_error_saying_what_to_give(tmp_path: Path) -> None:
    path = tmp_path / "trips.json"
    writer.write(_old(), path)
    done = _command("--recorded-at", "yesterday", str(path))
    assert done.returncode == 2
    assert "--recorded-at 'yesterday' is no ISO date-time" in done.stderr
    assert load(path).version == 2

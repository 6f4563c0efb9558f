"""How soon after a connection closes does the cassette on disk hold it?

Starts ``runserver --record`` on the example project, opens and closes
websocket connections one at a time, and polls the cassette until it loads
with the closed connection in it. Prints the median and the maximum delay
(the goal: within a second). Usage::

    .venv/bin/python benchmarks/cassette_latency.py [--connections N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402

from chanreplay.cassette import load  # noqa: E402
from chanreplay.exceptions import CassetteError  # noqa: E402
from tests.servers import EXAMPLE_PROJECT, ServerFactory  # noqa: E402


def holds(cassette: Path, count: int) -> bool:
    """True when the cassette loads with ``count`` connections, the last one closed."""
    try:
        connections = load(cassette).connections
    except CassetteError:
        return False
    return len(connections) == count and connections[-1].closed


async def measure(base_port: int, cassette: Path, count: int) -> list[float]:
    """Seconds from each connection's close until the cassette holds it."""
    delays = []
    origin = f"http://127.0.0.1:{base_port}"
    for index in range(1, count + 1):
        async with connect(f"ws://127.0.0.1:{base_port}/ws/echo/", origin=origin) as ws:  # type: ignore[arg-type]
            await ws.send("ping")
            await ws.recv()
        closed = time.perf_counter()
        while not holds(cassette, index):  # noqa: ASYNC110 - polling a file, not a task
            await asyncio.sleep(0.005)
        delays.append(time.perf_counter() - closed)
    return delays


def main() -> None:
    """Run the measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chanreplay-latency-"))
    try:
        database = work / "db.sqlite3"
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=EXAMPLE_PROJECT,
            env={**os.environ, "EXAMPLE_DB_PATH": str(database)},
            check=True,
        )
        servers = ServerFactory(database=database, cassette_dir=work / "cassettes")
        server = servers.runserver()
        try:
            cassette = servers.cassette_dir / "session.json"
            delays = sorted(asyncio.run(measure(server.port, cassette, args.connections)))
        finally:
            servers.stop_all()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    median = delays[len(delays) // 2]
    print(
        f"connection closed -> cassette on disk holds it: median {median * 1000:.0f} ms, "
        f"max {delays[-1] * 1000:.0f} ms over {len(delays)} connections (goal: within 1 s)"
    )


if __name__ == "__main__":
    main()

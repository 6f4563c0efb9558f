"""Measure what a recording server killed with SIGKILL loses, on an idle and on a busy machine.

Usage (from the repository root)::

    .venv/bin/python benchmarks/kill_window.py              # 20 trials idle, 20 busy
    .venv/bin/python benchmarks/kill_window.py --trials 5   # quicker
    .venv/bin/python benchmarks/kill_window.py --json

Each trial starts ``manage.py runserver --noreload --record`` of the example
project, has several websocket clients echo numbered messages as fast as the
server answers, and sends SIGKILL to the server process (not to its journal
writer, which is what happens when a server is killed by hand or by the
out-of-memory killer) at a random moment 1 to 3 seconds in. Once the writer
has written what it was sent and compiled the cassette, every message whose
echo a client had received (the server acknowledged it) is looked up in the
cassette. A message acknowledged but missing is lost; its *age* is how long
before the kill its echo arrived. The window the docs promise is the largest
age of a lost message.

"Busy" runs the same trials with CPU-bound processes at normal priority (one
per core, or ``--hogs-per-core``) beside the server, the clients and the writer: the scheduler then
shares the cores, and the thread that hands lines to the writer waits for
its turn.

The script reports, it does not judge; it exits 0 whatever it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from record_overhead import Server, log, migrate  # noqa: E402

from chanreplay.cassette import load  # noqa: E402

CLIENTS = 8


def writer_pid(server_pid: int) -> int | None:
    """The journal writer process the server ``server_pid`` started (its only Python child)."""
    try:
        children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def wait_gone(pid: int, timeout: float = 60.0) -> None:
    """Wait until process ``pid`` (not our child) has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        state = Path(f"/proc/{pid}/stat")
        with contextlib.suppress(OSError):
            if state.read_text().split(") ")[1].startswith("Z"):
                return  # a zombie: it has exited
        time.sleep(0.05)
    raise RuntimeError(f"the journal writer {pid} did not exit within {timeout:g} s")


async def _client(url: str, origin: str, number: int, acked: dict[str, float]) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed
    from websockets.typing import Origin

    ws = await connect(url, origin=Origin(origin), compression=None, ping_interval=None)
    sequence = 0
    with contextlib.suppress(ConnectionClosed, OSError):
        while True:
            text = f"m-{number}-{sequence}"
            await ws.send(text)
            await ws.recv()
            acked[text] = time.monotonic()
            sequence += 1


async def _traffic(server: Server, kill_after: float) -> tuple[dict[str, float], float]:
    """Echo until SIGKILL at ``kill_after`` seconds; the acknowledged messages and the kill time."""
    acked: dict[str, float] = {}
    clients = [
        asyncio.create_task(_client(server.url, server.origin, number, acked))
        for number in range(CLIENTS)
    ]
    await asyncio.sleep(kill_after)
    killed_at = time.monotonic()
    os.kill(server.pid, signal.SIGKILL)
    await asyncio.wait(clients, timeout=10)
    return {text: at for text, at in acked.items() if at <= killed_at}, killed_at


def trial(scratch: Path, db: Path, number: int) -> dict[str, Any]:
    """One recorded session killed at a random moment; what it lost."""
    server = Server(f"kill{number}", scratch, db, record=True)
    server.start()
    try:
        server.wait_ready()
        writer = None
        for _ in range(100):
            writer = writer_pid(server.pid)
            if writer is not None:
                break
            time.sleep(0.05)
        acked, killed_at = asyncio.run(_traffic(server, random.uniform(1.0, 3.0)))
        if writer is not None:
            wait_gone(writer)
    finally:
        server.stop()
    recorded = {
        event["message"].get("text")
        for connection in load(server.cassette).connections
        for event in connection.events
        if event.get("message", {}).get("type") == "websocket.receive"
    }
    ages = sorted(killed_at - at for text, at in acked.items() if text not in recorded)
    return {
        "acknowledged": len(acked),
        "lost": len(ages),
        "oldest_lost_ms": round(ages[-1] * 1000, 1) if ages else 0.0,
    }


@contextlib.contextmanager
def busy(per_core: int) -> Iterator[None]:
    """``per_core`` CPU-bound processes per core while the block runs."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(per_core * (os.cpu_count() or 1))
    ]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def summary(trials: list[dict[str, Any]]) -> dict[str, Any]:
    acknowledged = sum(t["acknowledged"] for t in trials)
    lost = sum(t["lost"] for t in trials)
    windows = [t["oldest_lost_ms"] for t in trials]
    return {
        "trials": len(trials),
        "acknowledged": acknowledged,
        "lost": lost,
        "lost_share": round(lost / acknowledged, 5) if acknowledged else 0.0,
        "window_median_ms": round(statistics.median(windows), 1),
        "window_max_ms": max(windows),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials per condition")
    parser.add_argument(
        "--hogs-per-core", type=int, default=1, help="CPU-bound processes per core when busy"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    options = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="chanreplay-kill-") as directory:
        scratch = Path(directory)
        db = scratch / "db.sqlite3"
        migrate(db, scratch)
        for condition in ("idle", "busy"):
            trials = []
            with busy(options.hogs_per_core if condition == "busy" else 0):
                for number in range(options.trials):
                    trials.append(trial(scratch, db, len(results) * 1000 + number))
                    log(f"[{condition}] trial {number + 1}: {trials[-1]}")
            results[condition] = {"summary": summary(trials), "trials": trials}
    if options.json:
        print(json.dumps(results, indent=2))
        return 0
    print("| machine | trials | acknowledged | lost | lost share | window median | window max |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for condition, result in results.items():
        s = result["summary"]
        print(
            f"| {condition} | {s['trials']} | {s['acknowledged']} | {s['lost']} | "
            f"{s['lost_share']:.2%} | {s['window_median_ms']} ms | {s['window_max_ms']} ms |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

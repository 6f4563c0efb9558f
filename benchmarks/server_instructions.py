"""Count the instructions a ``runserver`` echo message costs, plain and recording (callgrind).

Usage (from the repository root; needs ``valgrind`` on PATH, about 2 minutes)::

    .venv/bin/python benchmarks/server_instructions.py

``record_overhead.py`` times the example project's echo consumer through
``runserver`` with recording on and off; on a shared machine those rates
move by several percent from run to run, more than a change to the ASGI
recording path does. This script runs the same server (``manage.py
runserver --noreload``, the same echo messages from a real websocket
client) under callgrind, which counts the same instructions for the same
work on every run. Each variant runs twice, with a short and a long session,
and the difference per message is reported, so start-up and shut-down
cancel out. Only the server process is counted: the journal writer process
(``--record``'s child, which cleans and writes on another core) is not,
the recording process's journal thread is, and is over-counted: it wakes
every ``FLUSH_INTERVAL`` (50 ms) of wall time, and under valgrind a message
takes about 50 times longer than in a real run, so each message sees about
50 times more wake-ups (with the interval raised to 5 s by hand, the
overhead measured fell from about 62,700 to 45,900 instructions per message).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import layer_instructions  # noqa: E402  (the report)
import record_overhead  # noqa: E402  (the runserver helpers)

VARIANTS = ("plain", "recording")
SIZES = (100, 600)
READY_TIMEOUT = 600.0
"""Seconds for the server to start under valgrind (Django's imports run about 50x slower)."""


class CallgrindServer(record_overhead.Server):
    """``runserver --noreload`` under callgrind; its instruction count once it has stopped."""

    def command(self) -> list[str]:
        callgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        return [*callgrind, *super().command()]

    def instructions(self) -> int:
        """What callgrind collected (after :meth:`stop`)."""
        match = re.search(r"Collected : (\d+)", self.log_path.read_text(errors="replace"))
        if match is None:
            raise SystemExit(f"callgrind run of {self.name} failed:\n{self.log_tail()}")
        return int(match.group(1))


async def session(server: CallgrindServer, messages: int) -> None:
    """One websocket connection sending ``messages`` echo messages one after another."""
    ws = await record_overhead._connect(server)
    try:
        await record_overhead._echo(ws, messages)
    finally:
        await ws.close()


def count(variant: str, messages: int, scratch: Path, db: Path) -> int:
    """Instructions of a whole server process that served ``messages`` echoes."""
    name = f"{variant}-{messages}"
    server = CallgrindServer(name, scratch, db, record=variant == "recording")
    server.start()
    try:
        server.wait_ready(timeout=READY_TIMEOUT)
        asyncio.run(session(server, messages))
    finally:
        server.stop()
    return server.instructions()


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    per_message: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        db = scratch / "db.sqlite3"
        record_overhead.migrate(db, scratch)
        for variant in VARIANTS:
            record_overhead.log(f"[callgrind] {variant}: {SIZES[0]} and {SIZES[1]} messages ...")
            small, large = (count(variant, size, scratch, db) for size in SIZES)
            per_message[variant] = (large - small) / (SIZES[1] - SIZES[0])
    layer_instructions.print_counts(per_message, "message")


if __name__ == "__main__":
    main()

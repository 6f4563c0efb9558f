"""Time ``chanreplay show`` and ``chanreplay diff`` on a 10 MB cassette, with their peak memory.

Usage (from the repository root)::

    .venv/bin/python benchmarks/review_speed.py              # about 30 seconds
    .venv/bin/python benchmarks/review_speed.py --size-mb 2  # another size

The cassette is the committed example session's chat connections, repeated
(with fresh ids) until the file reaches the size; the "new" version renames
the user in every tenth frame. Each command runs as a user runs it, in a
fresh process (``python -m chanreplay ...``, output to /dev/null), several
times; the table gives the median wall time and the largest peak RSS the
kernel reported for the child. Goals (the review issue's): under 2 s and
under 10x the file size. Measured here only, never asserted in tests.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "cassettes" / "example_session.json"


def build(size: int, directory: Path) -> tuple[Path, Path]:
    """A cassette of about ``size`` bytes, and a changed copy of it."""
    document = json.loads(EXAMPLE.read_text())
    template = [c for c in document["connections"] if c["type"] == "websocket"]
    connections: list[dict[str, Any]] = []
    written = 0
    while written < size:
        for connection in template:
            clone = copy.deepcopy(connection)
            clone["id"] = f"c{len(connections) + 1}"
            connections.append(clone)
            written += len(json.dumps(clone, indent=2))
    document["connections"] = connections
    old = directory / "old.json"
    old.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    frames = 0
    for connection in document["connections"]:
        for event in connection["events"]:
            text = event.get("message", {}).get("text")
            if isinstance(text, dict) and isinstance(text.get("$json"), dict):
                frames += 1
                if frames % 10 == 0 and "user" in text["$json"]:
                    text["$json"]["user"] = "renamed"
    new = directory / "new.json"
    new.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return old, new


def run(arguments: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one ``chanreplay`` run in a fresh process."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: exec the command with its output thrown away
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        os.execv(sys.executable, [sys.executable, "-m", "chanreplay", *arguments])
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"chanreplay {' '.join(arguments)} failed with status {code}")
    return elapsed, usage.ru_maxrss * 1024  # Linux reports kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        old, new = build(int(args.size_mb * 1_000_000), Path(scratch))
        size = old.stat().st_size
        commands = {
            "show (text)": ["show", str(old)],
            "show --format json": ["show", "--format", "json", str(old)],
            "diff (text)": ["diff", str(old), str(new)],
            "diff --format markdown": ["diff", "--format", "markdown", str(old), str(new)],
        }
        results: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, arguments in commands.items():
                results[name].append(run(arguments))
    print(f"cassette: {size / 1e6:.1f} MB; {args.rounds} runs each, fresh process per run")
    print(f"{'command':<26} {'median s':>9} {'peak RSS':>10} {'x file':>7}  goal")
    for name, rows in results.items():
        seconds = statistics.median(s for s, _ in rows)
        peak = max(m for _, m in rows)
        ratio = peak / size
        met = "met" if seconds < 2 and ratio < 10 else "NOT MET"
        # diff reads two versions of the cassette: its memory against both is shown too.
        inputs = f" ({peak / (2 * size):.1f}x the two files)" if name.startswith("diff") else ""
        print(
            f"{name:<26} {seconds:>9.2f} {peak / 1e6:>8.0f} MB {ratio:>6.1f}x  "
            f"< 2 s, < 10x: {met}{inputs}"
        )


if __name__ == "__main__":
    main()

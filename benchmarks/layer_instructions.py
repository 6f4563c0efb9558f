"""Count the CPU instructions a layer send+receive costs, bare and recorded, under callgrind.

Usage (from the repository root; needs ``valgrind`` on PATH, about 2 minutes)::

    .venv/bin/python benchmarks/layer_instructions.py                     # send+receive pairs
    .venv/bin/python benchmarks/layer_instructions.py --workload fanout   # group_send to 10

Timings on a shared machine move by 10-20 % from run to run; instruction
counts do not (valgrind's callgrind counts the same total for the same
program and input). This script runs the pair loop of ``record_overhead.py``
(a chat message through ``send`` then ``receive`` of an ``InMemoryChannelLayer``),
or with ``--workload fanout`` its fan-out loop (a ``group_send`` to a group of 10
channels, then a ``receive`` on each), under callgrind for each variant, at two
sizes, and reports the difference per pair (or fan-out), so the interpreter's
start-up and the recording's set-up cancel out. The
process exits as soon as the loop (and its final journal flush) is done: the
cassette compile that follows ``stop()`` is not counted.

Variants, side by side in one run:

* ``bare``: the bare layer;
* ``passthrough``: through ``RecordingChannelLayer`` with no recording active;
* ``recording``: through the wrapper with a recording active (journal writer thread included).

Instructions are not time (cache misses and the journal thread's wake-ups are
not counted), so the ratios here come out lower than ``record_overhead.py``'s;
they are the figure to compare before and after a change to the hot path.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VARIANTS = ("bare", "passthrough", "recording")
SIZES = {"pairs": (1_000, 5_000), "fanout": (200, 1_000)}
LOOPS = {"pairs": "_pairs", "fanout": "_fanouts"}


def run_loop(variant: str, count: int, kind: str) -> None:
    """Child: run ``count`` units of ``kind`` in ``variant`` and exit right after the loop."""
    sys.path.insert(0, str(HERE))
    import record_overhead
    from channels.layers import InMemoryChannelLayer

    from chanreplay.layers import RecordingChannelLayer

    timed = getattr(record_overhead, LOOPS[kind])

    async def loop_then_exit(*args: Any, **kwargs: Any) -> tuple[float, float]:
        await timed(*args, **kwargs)
        os._exit(0)  # skip stop() and its cassette compile: not part of the per-unit cost

    setattr(record_overhead, LOOPS[kind], loop_then_exit)

    async def main() -> None:
        bare = InMemoryChannelLayer()
        wrapped = RecordingChannelLayer(InMemoryChannelLayer())
        with tempfile.TemporaryDirectory() as scratch:
            await record_overhead._layer_round(variant, bare, wrapped, count, Path(scratch), kind)

    asyncio.run(main())


def instructions(variant: str, count: int, kind: str) -> int:
    """Instructions callgrind counts for a whole child process running ``count`` units."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        variant,
        str(count),
        kind,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or match is None:
        raise SystemExit(f"callgrind run of {variant} failed:\n{completed.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workload", choices=tuple(SIZES), default="pairs", help="what one unit is"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("VARIANT", "COUNT", "KIND"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        run_loop(args.child[0], int(args.child[1]), args.child[2])
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    kind = args.workload
    sizes = SIZES[kind]
    unit = "pair" if kind == "pairs" else "fan-out"
    per_unit: dict[str, float] = {}
    for variant in VARIANTS:
        print(f"[callgrind] {variant}: {sizes[0]} and {sizes[1]} {unit}s ...", file=sys.stderr)
        small, large = (instructions(variant, size, kind) for size in sizes)
        per_unit[variant] = (large - small) / (sizes[1] - sizes[0])
    print_counts(per_unit, unit)


def print_counts(per_unit: dict[str, float], unit: str) -> None:
    """Instructions per ``unit`` of each variant, its ratio to the first, recording's extra."""
    baseline = next(iter(per_unit.values()))
    print(f"{'variant':<12} {'instructions/' + unit:>21} {'ratio':>7}")
    for variant, count in per_unit.items():
        print(f"{variant:<12} {count:>21,.0f} {count / baseline:>6.3f}x")
    print(f"recording overhead: {per_unit['recording'] - baseline:,.0f} instructions/{unit}")


if __name__ == "__main__":
    main()

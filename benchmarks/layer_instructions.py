"""Count the CPU instructions a layer send+receive costs, bare and recorded, under callgrind.

Usage (from the repository root; needs ``valgrind`` on PATH, about 2 minutes)::

    .venv/bin/python benchmarks/layer_instructions.py

Timings on a shared machine move by 10-20 % from run to run; instruction
counts do not (valgrind's callgrind counts the same total for the same
program and input). This script runs the pair loop of ``record_overhead.py``
(a chat message through ``send`` then ``receive`` of an ``InMemoryChannelLayer``)
under callgrind for each variant, at two sizes, and reports the difference per
pair, so the interpreter's start-up and the recording's set-up cancel out. The
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
SIZES = (1_000, 5_000)


def run_loop(variant: str, pairs: int) -> None:
    """Child: run ``pairs`` pairs of ``variant`` and exit right after the loop."""
    sys.path.insert(0, str(HERE))
    import record_overhead
    from channels.layers import InMemoryChannelLayer

    from chanreplay.layers import RecordingChannelLayer

    timed = record_overhead._pairs

    async def pairs_then_exit(*args: Any, **kwargs: Any) -> tuple[float, float]:
        await timed(*args, **kwargs)
        os._exit(0)  # skip stop() and its cassette compile: not part of the per-pair cost

    record_overhead._pairs = pairs_then_exit

    async def main() -> None:
        bare = InMemoryChannelLayer()
        wrapped = RecordingChannelLayer(InMemoryChannelLayer())
        with tempfile.TemporaryDirectory() as scratch:
            await record_overhead._layer_round(variant, bare, wrapped, pairs, Path(scratch))

    asyncio.run(main())


def instructions(variant: str, pairs: int) -> int:
    """Instructions callgrind counts for a whole child process running ``pairs`` pairs."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        variant,
        str(pairs),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or match is None:
        raise SystemExit(f"callgrind run of {variant} failed:\n{completed.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "PAIRS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_loop(args.child[0], int(args.child[1]))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    per_pair: dict[str, float] = {}
    for variant in VARIANTS:
        print(f"[callgrind] {variant}: {SIZES[0]} and {SIZES[1]} pairs ...", file=sys.stderr)
        small, large = (instructions(variant, size) for size in SIZES)
        per_pair[variant] = (large - small) / (SIZES[1] - SIZES[0])
    print_counts(per_pair, "pair")


def print_counts(per_unit: dict[str, float], unit: str) -> None:
    """Instructions per ``unit`` of each variant, its ratio to the first, recording's extra."""
    baseline = next(iter(per_unit.values()))
    print(f"{'variant':<12} {'instructions/' + unit:>21} {'ratio':>7}")
    for variant, count in per_unit.items():
        print(f"{variant:<12} {count:>21,.0f} {count / baseline:>6.3f}x")
    print(f"recording overhead: {per_unit['recording'] - baseline:,.0f} instructions/{unit}")


if __name__ == "__main__":
    main()

"""Time the review commands: ``chanreplay show`` of a small cassette against ``python -c pass``,
and ``show`` and ``diff`` of a 12 MB cassette, with their peak memory.

Usage (from the repository root)::

    .venv/bin/python benchmarks/review_speed.py                 # about a minute
    .venv/bin/python benchmarks/review_speed.py --size-mb 2     # another size
    .venv/bin/python benchmarks/review_speed.py --baseline DIR  # and DIR's chanreplay beside

Every command runs as a user (and git's textconv) runs it, in a fresh process
(``python -m chanreplay ...``, output to /dev/null); the variants of a round
run back to back, in an order that changes from round to round, so the
machine's drift falls on all alike. The tables give medians (wall time, and
the CPU time the kernel charged the child: steadier on a busy machine) and the
largest peak RSS the kernel reported.

* Start-up: ``python -c pass`` and ``chanreplay show`` of a cassette of about
  5 KB (the two smallest of the example session's websocket connections).
  Goal (issue 27): show within 2.5x of ``python -c pass``. Git runs ``show``
  once per changed cassette as a textconv, so this is what a ``git log -p``
  waits for. Measured twice: with bytecode cached, as an installed tool runs
  (written once, to a folder in the scratch directory, not beside the
  sources), and as with ``PYTHONDONTWRITEBYTECODE=1`` (as on the development
  machines), where every run compiles chanreplay's modules again.
* Large: a cassette of 12 MB (the example session's websocket connections,
  repeated under new ids) and a changed copy (the user renamed in every tenth
  frame). Goals (issue 27): ``show`` and ``diff`` under 1 s; ``diff``'s peak
  memory against the file's size is reported (it was 9.0x).

Each run has the package measured first on ``PYTHONPATH`` (this checkout's, or
with ``--baseline DIR`` also the one in ``DIR``, a checkout of another commit:
``git archive COMMIT chanreplay | tar -x -C DIR``, in the same rounds: a
before/after in one run).

Measured here only, never asserted in tests. The script exits 0 whether or
not the goals are met: it reports, it does not judge.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "cassettes" / "example_session.json"

STARTUP_GOAL = 2.5
"""``chanreplay show`` of a small cassette: at most this many times ``python -c pass``."""
LARGE_GOAL_S = 1.0
"""``show`` and ``diff`` of the large cassette: under this many seconds."""


def _write(document: dict[str, Any], path: Path) -> int:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path.stat().st_size


def build_small(directory: Path, size: int = 5_000) -> Path:
    """A cassette of about ``size`` bytes: the two of the example's websocket connections
    whose file comes closest to ``size``."""
    document = json.loads(EXAMPLE.read_text())
    template = [c for c in document["connections"] if c["type"] == "websocket"]
    path = directory / "small.json"
    best: tuple[int, list[dict[str, Any]]] | None = None
    for first, second in itertools.combinations(template, 2):
        chosen = [first, second]
        written = _write({**document, "connections": chosen, "external": []}, path)
        if best is None or abs(written - size) < abs(best[0] - size):
            best = (written, chosen)
    assert best is not None
    _write({**document, "connections": best[1], "external": []}, path)
    return path


def build_large(size: int, directory: Path) -> tuple[Path, Path]:
    """A cassette of about ``size`` bytes, and a changed copy of it."""
    document = json.loads(EXAMPLE.read_text())
    template = [c for c in document["connections"] if c["type"] == "websocket"]

    def with_copies(copies: int) -> dict[str, Any]:
        connections = []
        for _ in range(copies):
            for connection in template:
                clone = copy.deepcopy(connection)
                clone["id"] = f"c{len(connections) + 1}"
                connections.append(clone)
        return {**document, "connections": connections}

    # The size of one copy of the template, measured as the file holds it.
    one = len(json.dumps(with_copies(1), indent=2, sort_keys=True))
    two = len(json.dumps(with_copies(2), indent=2, sort_keys=True))
    copies = max(1, round((size - (2 * one - two)) / (two - one)))
    document = with_copies(copies)
    old = directory / "old.json"
    _write(document, old)
    frames = 0
    for connection in document["connections"]:
        for event in connection["events"]:
            text = event.get("message", {}).get("text")
            if isinstance(text, dict) and isinstance(text.get("$json"), dict):
                frames += 1
                if frames % 10 == 0 and "user" in text["$json"]:
                    text["$json"]["user"] = "renamed"
    new = directory / "new.json"
    _write(document, new)
    return old, new


@dataclass
class Runs:
    """The runs of one variant: wall seconds, CPU seconds, peak RSS bytes."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak: list[int] = field(default_factory=list)

    def add(self, wall: float, cpu: float, peak: int) -> None:
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.peak.append(peak)


Variant = tuple[list[str], dict[str, str]]
"""A command, and the environment variables it runs with (over this process's)."""


def run(argv: list[str], environment: dict[str, str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (bytes) of ``argv`` in a
    fresh process, its standard output thrown away.

    The child runs in ``cwd``, the scratch directory (``python -m`` puts the current
    directory first on the path), with ``environment`` over this process's; its
    ``PYTHONPATH`` and bytecode settings are only the variant's.
    """
    variables = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    variables.update(environment)
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: exec the command with its output thrown away
        try:
            os.chdir(cwd)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.execve(argv[0], argv, variables)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed with status {code}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # Linux: KB


def rounds(variants: dict[str, Variant], count: int, label: str, cwd: Path) -> dict[str, Runs]:
    """``count`` rounds of every variant, back to back, the order rotating each round,
    after one run of each (which writes its bytecode, where it is cached)."""
    for argv, environment in variants.values():
        run(argv, environment, cwd)
    results = {name: Runs() for name in variants}
    names = list(variants)
    for number in range(count):
        shift = number % len(names)
        order = names[shift:] + names[:shift]
        if number % 2:
            order.reverse()
        for name in order:
            results[name].add(*run(*variants[name], cwd))
        print(f"  {label}: round {number + 1}/{count}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return results


def round_ratios(top: Runs, bottom: Runs, what: str = "wall") -> float:
    """The median of each round's ratio ``top / bottom`` (rounds ran back to back)."""
    pairs = zip(getattr(top, what), getattr(bottom, what), strict=True)
    return statistics.median(a / b for a, b in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=12.0, help="the large cassette's size")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the large commands")
    parser.add_argument("--startup-rounds", type=int, default=30, help="rounds of start-up")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also measure the chanreplay package in DIR (DIR/chanreplay), in the same rounds",
    )
    args = parser.parse_args()
    if args.baseline is not None and not (args.baseline / "chanreplay").is_dir():
        parser.error(f"{args.baseline}/chanreplay is not a directory")
    sources = {"": str(REPO)}
    if args.baseline is not None:
        sources[" [baseline]"] = str(args.baseline.resolve())

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        small = build_small(scratch)
        old, new = build_large(int(args.size_mb * 1_000_000), scratch)
        small_size, size = small.stat().st_size, old.stat().st_size
        print(
            f"cassettes: {small_size / 1000:.1f} KB and {size / 1e6:.1f} MB "
            f"(changed copy {new.stat().st_size / 1e6:.1f} MB); python {sys.version.split()[0]}",
            file=sys.stderr,
        )
        # As an installed tool runs: bytecode written once and read after (in the scratch
        # directory, not beside the sources); and as with PYTHONDONTWRITEBYTECODE=1, where
        # every run compiles chanreplay's modules again.
        modes = {
            "cached": {"PYTHONPYCACHEPREFIX": str(scratch / "pycache")},
            "no cache": {"PYTHONDONTWRITEBYTECODE": "1"},
        }
        started: dict[str, dict[str, Runs]] = {}
        for mode, bytecode in modes.items():
            startup: dict[str, Variant] = {
                "python -c pass": ([sys.executable, "-c", "pass"], bytecode)
            }
            for suffix, source in sources.items():
                environment = {**bytecode, "PYTHONPATH": source}
                startup[f"show 5 KB{suffix}"] = (
                    [sys.executable, "-m", "chanreplay", "show", str(small)],
                    environment,
                )
            started[mode] = rounds(startup, args.startup_rounds, f"start-up, {mode}", scratch)
        large: dict[str, Variant] = {}
        for suffix, source in sources.items():
            environment = {**modes["cached"], "PYTHONPATH": source}
            for name, arguments in {
                "show (text)": ["show", str(old)],
                "show --format json": ["show", "--format", "json", str(old)],
                "diff (text)": ["diff", str(old), str(new)],
                "diff --format markdown": ["diff", "--format", "markdown", str(old), str(new)],
            }.items():
                argv = [sys.executable, "-m", "chanreplay", *arguments]
                large[f"{name}{suffix}"] = (argv, environment)
        big = rounds(large, args.rounds, f"{size / 1e6:.0f} MB", scratch)

    print(
        f"Start-up: cassette {small_size / 1000:.1f} KB; {args.startup_rounds} rounds, "
        "fresh process per run"
    )
    print(f"{'command':<38} {'wall ms':>8} {'cpu ms':>7} {'x python':>9} {'(cpu)':>6}  goal")
    for mode, results in started.items():
        python = results["python -c pass"]
        for name, runs in results.items():
            label = f"{name} ({mode})"
            wall = statistics.median(runs.wall) * 1000
            cpu = statistics.median(runs.cpu) * 1000
            if runs is python:
                print(f"{label:<38} {wall:>8.1f} {cpu:>7.1f} {'1.00x':>9} {'':>6}  -")
                continue
            ratio = round_ratios(runs, python)
            ratio_cpu = round_ratios(runs, python, "cpu")
            met = "met" if ratio <= STARTUP_GOAL else "NOT MET"
            print(
                f"{label:<38} {wall:>8.1f} {cpu:>7.1f} {ratio:>8.2f}x {ratio_cpu:>5.2f}x  "
                f"<= {STARTUP_GOAL}x: {met}"
            )
    print()
    print(f"Large: cassette {size / 1e6:.1f} MB; {args.rounds} rounds, fresh process per run")
    print(f"{'command':<38} {'wall s':>8} {'cpu s':>7} {'peak RSS':>9} {'x file':>7}  goal")
    for name, runs in big.items():
        wall = statistics.median(runs.wall)
        cpu = statistics.median(runs.cpu)
        peak = max(runs.peak)
        goal = f"< {LARGE_GOAL_S:.0f} s: {'met' if wall < LARGE_GOAL_S else 'NOT MET'}"
        if name.startswith("diff"):
            goal += "; memory reported"
        print(
            f"{name:<38} {wall:>8.2f} {cpu:>7.2f} {peak / 1e6:>6.0f} MB {peak / size:>6.1f}x  "
            f"{goal}"
        )
    print(
        "\nx python: the median of each round's ratio to `python -c pass` in the same mode "
        "(wall; cpu beside it).\nx file: peak RSS over the old cassette's size (diff reads it "
        "and its changed copy)."
    )


if __name__ == "__main__":
    main()

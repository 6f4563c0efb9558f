"""Websocket messages per second through ``chanreplay proxy`` (recording), mitmproxy and direct.

Usage (from the repository root)::

    .venv/bin/python benchmarks/proxy_throughput.py             # a few minutes
    .venv/bin/python benchmarks/proxy_throughput.py --quick     # fewer messages

The upstream is the example project's ``runserver`` (daphne) and its echo
consumer. Three paths to it are measured side by side, rounds alternating
their order: a direct connection; ``chanreplay proxy --record``; and
``mitmdump`` in reverse-proxy mode saving flows (``-w``), installed from PyPI
into ``benchmarks/.mitmproxy-venv`` on first use (it is not a dependency of
chanreplay). Each round sends messages one after another, each after the
previous echo came back, for small (64 B) and large (64 KB) text messages.
The table gives the median messages per second, the ratios and the latency
each proxy adds per message. Goals (the proxy issue's): at least 2.5x
mitmproxy's throughput and at least 0.8x the direct connection, for small
messages. Measured here only, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import record_overhead  # noqa: E402  (the runserver helpers)

MITM_VENV = HERE / ".mitmproxy-venv"
SIZES = {"small (64 B)": 64, "large (64 KB)": 65_536}


def mitmdump() -> Path:
    """The mitmdump executable, installed into its own venv on first use."""
    binary = MITM_VENV / "bin" / "mitmdump"
    if not binary.exists():
        record_overhead.log("[mitmproxy] installing into benchmarks/.mitmproxy-venv ...")
        subprocess.run([sys.executable, "-m", "venv", str(MITM_VENV)], check=True)
        subprocess.run([str(MITM_VENV / "bin" / "pip"), "install", "-q", "mitmproxy"], check=True)
    return binary


def wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@contextlib.contextmanager
def process(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


async def rate(port: int, size: int, count: int) -> float:
    """Messages per second of ``count`` sequential echoes of ``size`` bytes via ``port``."""
    from websockets.asyncio.client import connect

    text = "x" * size
    origin = f"http://127.0.0.1:{port}"
    async with connect(
        f"ws://127.0.0.1:{port}/ws/echo/", origin=origin, max_size=None, compression=None
    ) as ws:
        for _ in range(max(count // 10, 5)):  # warm-up
            await ws.send(text)
            await ws.recv()
        started = time.perf_counter()
        for _ in range(count):
            await ws.send(text)
            await ws.recv()
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 7)
    counts = {
        "small (64 B)": 300 if args.quick else 1500,
        "large (64 KB)": 100 if args.quick else 400,
    }
    mitm = mitmdump()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        db = scratch / "db.sqlite3"
        record_overhead.migrate(db, scratch)
        upstream = record_overhead.Server("upstream", scratch, db, record=False)
        with record_overhead.running([upstream]):
            ports = {"proxy": record_overhead.free_port(), "mitmproxy": record_overhead.free_port()}
            proxy_command = [
                sys.executable,
                "-m",
                "chanreplay",
                "proxy",
                "--upstream",
                f"http://127.0.0.1:{upstream.port}",
                "--listen",
                f"127.0.0.1:{ports['proxy']}",
                "--record",
                "bench",
                "--cassette-dir",
                str(scratch / "cassettes"),
            ]
            mitm_command = [
                str(mitm),
                "--mode",
                f"reverse:http://127.0.0.1:{upstream.port}",
                "--listen-host",
                "127.0.0.1",
                "-p",
                str(ports["mitmproxy"]),
                "-w",
                str(scratch / "flows.mitm"),
                "-q",
            ]
            with (
                process(proxy_command, scratch / "proxy.log"),
                process(mitm_command, scratch / "mitm.log"),
            ):
                for port in ports.values():
                    wait_port(port)
                targets = {"direct": upstream.port, **ports}
                results: dict[tuple[str, str], list[float]] = {}
                for label, size in SIZES.items():
                    record_overhead.log(f"[proxy] {label}: {rounds} rounds ...")
                    order = list(targets)
                    for number in range(rounds):
                        for name in order[number % 3 :] + order[: number % 3]:
                            measured = asyncio.run(rate(targets[name], size, counts[label]))
                            results.setdefault((label, name), []).append(measured)
    print(f"{rounds} rounds, medians; upstream: runserver (daphne) echo consumer")
    print(
        f"{'messages':<15} {'direct':>10} {'chanreplay':>11} {'mitmproxy':>10} "
        f"{'vs direct':>10} {'vs mitm':>8} {'added latency':>14}"
    )
    for label in SIZES:
        direct = statistics.median(results[label, "direct"])
        ours = statistics.median(results[label, "proxy"])
        theirs = statistics.median(results[label, "mitmproxy"])
        added = (1 / ours - 1 / direct) * 1e6
        print(
            f"{label:<15} {direct:>8.0f}/s {ours:>9.0f}/s {theirs:>8.0f}/s "
            f"{ours / direct:>9.2f}x {ours / theirs:>7.2f}x {added:>11.0f} us"
        )
    print("goals (small messages): >= 0.8x direct, >= 2.5x mitmproxy")


if __name__ == "__main__":
    main()

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
The table gives the median messages per second, the ratios (the median of
each round's ratio: a round's paths run back to back, so the machine's
drift between rounds cancels) and the latency each proxy adds per message.
Goals (the speed issue's): at least 0.85x the direct connection through
``chanreplay proxy --record``, for small and for large messages; the ratio to
mitmproxy is reported, not a goal (its speed moves with its releases).
``--no-mitmproxy`` leaves mitmproxy out (nothing is installed). Measured here
only, never asserted in tests.

For scale, the same rounds also go through ``chanreplay proxy`` without
``--record`` (what forwarding alone costs), the issue's reference point (a
naive aiohttp proxy that appends each frame to a file as a JSON line, on
the same event loop as ``chanreplay proxy``), and relays that only copy
bytes between the two TCP connections, parsing and recording nothing: the
floor of any proxy written the same way. One relay in Python on asyncio,
one on uvloop (the project's, as ``chanreplay proxy`` uses it), and
``socat`` (C, when it is on PATH). The CPU each proxy process spends per
message is printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import record_overhead  # noqa: E402  (the runserver helpers)

MITM_VENV = HERE / ".mitmproxy-venv"
SIZES = {"small (64 B)": 64, "large (64 KB)": 65_536}
PROXIES = ("chanreplay", "mitmproxy")
ANCHORS = ("chanreplay, no --record", "naive aiohttp proxy")
RELAYS = ("asyncio relay", "uvloop relay", "socat relay")


GOAL = 0.85
"""Of the direct rate, through ``chanreplay proxy --record``, for either size."""


def mitmdump() -> Path:
    """The mitmdump executable, installed into its own venv (with uvloop) on first use."""
    binary = MITM_VENV / "bin" / "mitmdump"
    if not binary.exists() or not (MITM_VENV / "bin" / "python").exists():
        record_overhead.log("[mitmproxy] installing into benchmarks/.mitmproxy-venv ...")
        subprocess.run([sys.executable, "-m", "venv", str(MITM_VENV)], check=True)
    pip = [str(MITM_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    if not binary.exists():
        subprocess.run([*pip, "mitmproxy"], check=True)
    return binary


async def relay(upstream: int, listen: int) -> None:
    """Copy bytes both ways between each client and ``upstream``, nothing else."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(1 << 16):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(connected, "127.0.0.1", listen)
    await server.serve_forever()


async def naive_proxy(upstream: int, listen: int, journal: Path) -> None:
    """The issue's reference: forward websocket frames, appending each as a JSON line."""
    import json

    import aiohttp
    from aiohttp import WSMsgType, web

    lines = journal.open("a", encoding="utf-8")
    session = aiohttp.ClientSession()

    async def carry(source: Any, target: Any, direction: str) -> None:
        async for message in source:
            if message.type == WSMsgType.TEXT:
                lines.write(json.dumps({"dir": direction, "text": message.data}) + "\n")
                await target.send_str(message.data)
            elif message.type == WSMsgType.BINARY:
                lines.write(json.dumps({"dir": direction, "bytes": message.data.hex()}) + "\n")
                await target.send_bytes(message.data)
        await target.close()

    async def handle(request: web.Request) -> web.WebSocketResponse:
        client = web.WebSocketResponse(max_msg_size=0)
        await client.prepare(request)
        async with session.ws_connect(
            f"ws://127.0.0.1:{upstream}{request.path_qs}",
            headers={"Origin": request.headers.get("Origin", "")},
            max_msg_size=0,
        ) as server:
            await asyncio.gather(carry(client, server, "in"), carry(server, client, "out"))
        return client

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", listen).start()
    await asyncio.Event().wait()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def warmup(count: int) -> int:
    """How many echoes :func:`rate` sends before it starts timing ``count``."""
    return max(count // 10, 5)


async def rate(port: int, size: int, count: int) -> float:
    """Messages per second of ``count`` sequential echoes of ``size`` bytes via ``port``."""
    from websockets.asyncio.client import connect

    text = "x" * size
    origin = f"http://127.0.0.1:{port}"
    async with connect(
        f"ws://127.0.0.1:{port}/ws/echo/", origin=origin, max_size=None, compression=None
    ) as ws:
        for _ in range(warmup(count)):
            await ws.send(text)
            await ws.recv()
        started = time.perf_counter()
        for _ in range(count):
            await ws.send(text)
            await ws.recv()
        return count / (time.perf_counter() - started)


def commands(
    upstream: int, ports: dict[str, int], scratch: Path, mitm: Path | None
) -> dict[str, list[str]]:
    """The command line of each proxy and relay measured."""
    relay_script = [str(Path(__file__).resolve()), "--relay", str(upstream)]

    def chanreplay(name: str, *record: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "chanreplay",
            "proxy",
            "--upstream",
            f"http://127.0.0.1:{upstream}",
            "--listen",
            f"127.0.0.1:{ports[name]}",
            *record,
        ]

    found = {
        "chanreplay": chanreplay(
            "chanreplay", "--record", "bench", "--cassette-dir", str(scratch / "cassettes")
        ),
        "chanreplay, no --record": chanreplay("chanreplay, no --record"),
        "naive aiohttp proxy": [
            sys.executable,
            str(Path(__file__).resolve()),
            "--naive",
            str(upstream),
            str(ports["naive aiohttp proxy"]),
            str(scratch / "naive.jsonl"),
        ],
        "asyncio relay": [sys.executable, *relay_script, str(ports["asyncio relay"])],
        "uvloop relay": [sys.executable, *relay_script, str(ports["uvloop relay"]), "--uvloop"],
    }
    if mitm is not None:
        found["mitmproxy"] = [
            str(mitm),
            "--mode",
            f"reverse:http://127.0.0.1:{upstream}",
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(ports["mitmproxy"]),
            "-w",
            str(scratch / "flows.mitm"),
            "-q",
        ]
    if shutil.which("socat"):
        found["socat relay"] = [
            "socat",
            f"TCP-LISTEN:{ports['socat relay']},bind=127.0.0.1,fork,reuseaddr,nodelay",
            f"TCP:127.0.0.1:{upstream},nodelay",
        ]
    else:
        record_overhead.log("[relay] socat is not on PATH: its row is left out")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--no-mitmproxy", action="store_true", help="leave mitmproxy out (install nothing)"
    )
    parser.add_argument("--relay", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--uvloop", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--naive", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:  # a child: the naive proxy, on chanreplay proxy's event loop
        from chanreplay.cli.network import event_loop

        with asyncio.Runner(loop_factory=event_loop) as runner:
            runner.run(naive_proxy(int(args.naive[0]), int(args.naive[1]), Path(args.naive[2])))
        return
    if args.relay:  # a child: one of the relays
        if args.uvloop:
            import uvloop

            uvloop.install()
        asyncio.run(relay(*args.relay))
        return
    # Many short rounds rather than a few long ones: the machine drifts by more
    # than the ratios measured within a minute, and each round's paths run
    # back to back, so per-round ratios cancel the drift.
    rounds = args.rounds or (3 if args.quick else 15)
    counts = {
        "small (64 B)": 300 if args.quick else 1000,
        "large (64 KB)": 100 if args.quick else 300,
    }
    mitm = None if args.no_mitmproxy else mitmdump()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        db = scratch / "db.sqlite3"
        record_overhead.migrate(db, scratch)
        upstream = record_overhead.Server("upstream", scratch, db, record=False)
        with record_overhead.running([upstream]), contextlib.ExitStack() as stack:
            ports = {name: record_overhead.free_port() for name in (*PROXIES, *ANCHORS, *RELAYS)}
            children = {
                name: stack.enter_context(process(command, scratch / f"{name}.log"))
                for name, command in commands(upstream.port, ports, scratch, mitm).items()
            }
            for name in children:
                wait_port(ports[name])
            targets = {"direct": upstream.port, **{name: ports[name] for name in children}}
            results: dict[tuple[str, str], list[float]] = {}
            cpu: dict[tuple[str, str], float] = {}
            for label, size in SIZES.items():
                record_overhead.log(f"[proxy] {label}: {rounds} rounds ...")
                order = list(targets)
                for number in range(rounds):
                    shift = number % len(order)
                    for name in order[shift:] + order[:shift]:
                        child = children.get(name)
                        before = cpu_seconds(child.pid) if child else 0.0
                        measured = asyncio.run(rate(targets[name], size, counts[label]))
                        results.setdefault((label, name), []).append(measured)
                        if child is not None:
                            spent = cpu_seconds(child.pid) - before
                            cpu[label, name] = cpu.get((label, name), 0.0) + spent
    report(results, cpu, rounds, counts, list(targets))


def paired_ratio(values: list[float], baseline: list[float]) -> float:
    """Median of the per-round ratios (each round's paths ran back to back)."""
    return statistics.median(v / b for v, b in zip(values, baseline, strict=True))


def report(
    results: dict[tuple[str, str], list[float]],
    cpu: dict[tuple[str, str], float],
    rounds: int,
    counts: dict[str, int],
    names: list[str],
) -> None:
    """Print the table of the goals, then the floors."""
    print(
        f"{rounds} rounds; rates are medians, ratios medians of each round's ratio; "
        "upstream: runserver (daphne) echo consumer"
    )
    print(
        f"{'messages':<15} {'direct':>10} {'chanreplay':>11} {'mitmproxy':>10} "
        f"{'vs direct':>10} {'vs mitm':>8} {'added latency':>14}"
    )
    with_mitm = (next(iter(SIZES)), "mitmproxy") in results
    for label in SIZES:
        direct = statistics.median(results[label, "direct"])
        ours = statistics.median(results[label, "chanreplay"])
        added = (1 / ours - 1 / direct) * 1e6
        vs_direct = paired_ratio(results[label, "chanreplay"], results[label, "direct"])
        theirs, vs_mitm = "-", "-"
        if with_mitm:
            theirs = f"{statistics.median(results[label, 'mitmproxy']):.0f}/s"
            vs_mitm = (
                f"{paired_ratio(results[label, 'chanreplay'], results[label, 'mitmproxy']):.2f}x"
            )
        verdict = "met" if vs_direct >= GOAL else "NOT MET"
        print(
            f"{label:<15} {direct:>8.0f}/s {ours:>9.0f}/s {theirs:>10} "
            f"{vs_direct:>9.2f}x {vs_mitm:>8} {added:>11.0f} us  {verdict}"
        )
    print(
        f"goal: >= {GOAL}x direct through chanreplay proxy --record, both sizes; "
        + ("the ratio to mitmproxy is reported only" if with_mitm else "mitmproxy left out")
    )
    print()
    print("every path side by side (CPU: the proxy process's, per message; socat forks,")
    print("so its per-connection child's CPU is not counted)")
    print(f"{'messages':<15} {'path':<23} {'rate':>9} {'vs direct':>10} {'CPU/message':>12}")
    for label in SIZES:
        for name in names:
            measured = statistics.median(results[label, name])
            ratio = paired_ratio(results[label, name], results[label, "direct"])
            spent = cpu.get((label, name))
            per_message = (
                f"{spent / (rounds * (counts[label] + warmup(counts[label]))) * 1e6:>9.0f} us"
                if spent is not None and name != "socat relay"
                else f"{'-':>12}"
            )
            print(f"{label:<15} {name:<23} {measured:>7.0f}/s {ratio:>9.2f}x {per_message}")


if __name__ == "__main__":
    main()

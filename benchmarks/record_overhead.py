"""Measure what recording costs, side by side in one run, and print the ratios.

Usage (from the repository root)::

    .venv/bin/python benchmarks/record_overhead.py            # full run, about 2 minutes
    .venv/bin/python benchmarks/record_overhead.py --quick    # smaller, well under a minute
    .venv/bin/python benchmarks/record_overhead.py --json     # machine-readable results

Five measurements, each against the goal the issues set (see benchmarks/README.md):

1. ``layer-memory``: send + receive of a chat-like message through
   ``RecordingChannelLayer`` with a recording active, versus the bare
   ``InMemoryChannelLayer`` (goal: at most 1.15x the time per pair).
2. ``layer-fanout``: a ``group_send`` of the same message to a group of 10
   channels and a receive on each (goal: at most 1.1x the time per fan-out).
3. ``layer-redis``: the pairs around ``channels_redis.core.RedisChannelLayer``
   (goal: within noise of the bare layer, shown by a second bare layer run the
   same way: an A/A comparison). Skipped with a message when Redis is unreachable.
4. ``server-throughput``: sequential websocket echo messages per second through
   ``manage.py runserver --record`` versus plain ``runserver`` (goal: at least 0.98x).
5. ``server-memory``: RSS growth of a recording server over a session of
   100,000 websocket messages (goal: under 20 MB); a server that does not
   record runs the same session for comparison.

For context (no goal): the same layer loops through the wrapper with no
recording active and through a naive wrapper, and ``server-churn``: 500 short
connections on each server (milliseconds per connection, RSS growth), then the
echo throughput again.

Bare and recording variants always run interleaved (rounds alternate, the order
rotating) so that drift in machine speed cancels; medians are reported. Speed is
only measured here, never asserted by the test suite. Progress goes to stderr;
the table (or, with ``--json``, the JSON document) goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PROJECT = REPO / "tests" / "example_project"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

CHAT_MESSAGE = {
    "type": "chat.message",
    "message": "Hello, how is everyone doing today?",
    "user": "alice",
    "room": "lobby",
}
"""What the layer loop sends: the kind of dict a chat consumer passes to group_send."""

WEBSOCKET_SCOPE: dict[str, Any] = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "scheme": "ws",
    "http_version": "1.1",
    "path": "/ws/chat/lobby/",
    "raw_path": b"/ws/chat/lobby/",
    "query_string": b"",
    "root_path": "",
    "headers": [
        (b"host", b"127.0.0.1:8000"),
        (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
        (b"origin", b"http://127.0.0.1:8000"),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
        (
            b"cookie",
            b"csrftoken=Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHh; "
            b"sessionid=z9x8c7v6b5n4m3l2k1j0hgfdsapoiuyt",
        ),
        (b"connection", b"Upgrade"),
        (b"upgrade", b"websocket"),
    ],
    "client": ["127.0.0.1", 51234],
    "server": ["127.0.0.1", 8000],
    "subprotocols": [],
}
"""The scope a browser's websocket connection gives the recorder (cookies and key included,
so the redactor has learned secrets to scrub, as it would in a real session)."""

ECHO_PAYLOAD = json.dumps({"message": "Hello, how is everyone doing today?", "user": "alice"})
"""What the websocket client sends: a JSON text frame, as a chat front end would."""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- configuration --------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """Sizes of every measurement; ``--quick`` shrinks them."""

    memory_layer_rounds: int
    memory_layer_pairs: int
    fanout_rounds: int
    fanout_count: int
    redis_layer_rounds: int
    redis_layer_pairs: int
    throughput_round_pairs: int
    throughput_messages: int
    session_messages: int
    session_connections: int
    session_warmup: int
    churn_connections: int

    @classmethod
    def full(cls) -> Config:
        return cls(
            memory_layer_rounds=21,
            memory_layer_pairs=10_000,
            fanout_rounds=21,
            fanout_count=2_000,
            redis_layer_rounds=31,
            redis_layer_pairs=600,
            # Rounds of about half a second, many of them: the machine's
            # speed drifts by more than the ratio measured within a minute.
            throughput_round_pairs=40,
            throughput_messages=1_000,
            session_messages=100_000,
            session_connections=8,
            session_warmup=4_000,
            churn_connections=500,
        )

    @classmethod
    def quick(cls) -> Config:
        return cls(
            memory_layer_rounds=7,
            memory_layer_pairs=3_000,
            fanout_rounds=7,
            fanout_count=500,
            redis_layer_rounds=7,
            redis_layer_pairs=200,
            throughput_round_pairs=3,
            throughput_messages=300,
            session_messages=10_000,
            session_connections=8,
            session_warmup=2_000,
            churn_connections=100,
        )


@dataclass
class Result:
    """One row of the table."""

    id: str
    scenario: str
    unit: str
    bare: float | None
    recording: float | None
    ratio: float | None
    goal: str
    met: bool | None
    details: dict[str, Any] = field(default_factory=dict)


# -- 1 and 2: the layer wrapper -------------------------------------------------------

LAYER_MODES = ("bare", "recording", "passthrough", "naive")
AA_MODE = "bare-again"
"""A second bare layer of its own, run like the others: bare against bare (an A/A
comparison) shows how far two runs of the same code differ in this run, the noise
a ratio within it has to be read against."""
FANOUT_MEMBERS = 10
UNWRITTEN = "recording-unwritten"
"""Recording whose journal lines are dropped as they come (no writer process): what
the recording process itself costs, without the writer's CPU beside it. On a
machine whose two CPUs slow each other down (a busy loop on one makes the
other's loop up to twice as slow), the writer's cleaning costs the loop time too."""


class _Discard:
    """A journal sink that drops every line (mode ``recording-unwritten``)."""

    clean = None

    def __init__(self) -> None:
        from collections import deque

        self.append = deque(maxlen=1).append

    def request_compile(self) -> None:
        pass

    def flush(self) -> None:
        pass


class NaiveRecorder:
    """The floor for comparison: a wrapper that serialises each message with orjson and
    writes a line, and nothing else (no causal step, no attribution, no redaction, no
    placeholders, no crash-safe journal)."""

    def __init__(self, inner: Any, out: Any) -> None:
        self.inner = inner
        self.out = out

    async def new_channel(self) -> str:
        name: str = await self.inner.new_channel()
        return name

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        import orjson

        self.out.write(orjson.dumps({"op": "send", "channel": channel, "message": message}) + b"\n")
        await self.inner.send(channel, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        import orjson

        message: dict[str, Any] = await self.inner.receive(channel)
        self.out.write(
            orjson.dumps({"op": "receive", "channel": channel, "message": message}) + b"\n"
        )
        return message

    async def group_add(self, group: str, channel: str) -> None:
        await self.inner.group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        await self.inner.group_discard(group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        import orjson

        self.out.write(
            orjson.dumps({"op": "group_send", "group": group, "message": message}) + b"\n"
        )
        await self.inner.group_send(group, message)


def _per_unit(
    started: int, looped: int, count: int, finish: Callable[[], Any] | None
) -> tuple[float, float]:
    """Microseconds per unit of a loop that ran from ``started`` to ``looped`` (ns): the
    loop alone, and the loop plus ``finish()``, which is run now."""
    if finish is not None:
        finish()
    finished = time.perf_counter_ns()
    return (looped - started) / count / 1000, (finished - started) / count / 1000


async def _pairs(
    layer: Any, channel: str, count: int, finish: Callable[[], Any] | None = None
) -> tuple[float, float]:
    """Microseconds per send + receive pair over ``count`` pairs: the loop, and the loop
    plus ``finish()`` (which completes work the loop left to other threads)."""
    send, receive, message = layer.send, layer.receive, CHAT_MESSAGE
    started = time.perf_counter_ns()
    for _ in range(count):
        await send(channel, message)
        await receive(channel)
    return _per_unit(started, time.perf_counter_ns(), count, finish)


async def _fanouts(
    layer: Any, group: str, channels: list[str], count: int, finish: Callable[[], Any] | None = None
) -> tuple[float, float]:
    """Microseconds per fan-out over ``count`` of them: one ``group_send`` to ``group``,
    then a ``receive`` on each of its ``channels``; the loop, and the loop plus ``finish()``."""
    group_send, receive, message = layer.group_send, layer.receive, CHAT_MESSAGE
    started = time.perf_counter_ns()
    for _ in range(count):
        await group_send(group, message)
        for channel in channels:
            await receive(channel)
    return _per_unit(started, time.perf_counter_ns(), count, finish)


Loop = Callable[[int, "Callable[[], Any] | None"], Any]
"""Runs ``count`` units of a workload on a layer set up for it (with a ``finish``)."""


@contextlib.asynccontextmanager
async def _workload(layer: Any, kind: str) -> AsyncIterator[Loop]:
    """Set ``layer`` up for ``kind`` (``pairs`` or ``fanout``) as a consumer would; the loop.

    The loops are looked up when called, so that layer_instructions.py can replace
    them. A fan-out's members leave their group afterwards: the in-memory layer
    looks at every membership on each receive, and rounds must not add up.
    """
    if kind == "pairs":
        channel = await layer.new_channel()
        yield lambda count, finish: _pairs(layer, channel, count, finish)
        return
    group = "bench-room"
    channels = [await layer.new_channel() for _ in range(FANOUT_MEMBERS)]
    for channel in channels:
        await layer.group_add(group, channel)
    try:
        yield lambda count, finish: _fanouts(layer, group, channels, count, finish)
    finally:
        for channel in channels:
            await layer.group_discard(group, channel)


async def _run(layer: Any, kind: str, count: int, finish: Callable[[], Any] | None = None) -> Any:
    """``count`` units of ``kind`` on ``layer``, set up (and cleaned up) around the timing."""
    async with _workload(layer, kind) as loop:
        return await loop(count, finish)


WRITER_CPU_US_PER_PAIR: list[float] = []
"""CPU time the journal writer process spent per pair, one entry per recording round."""


def _process_cpu(writer: Any) -> float | None:
    """Seconds of CPU the writer process has used so far (None: no writer process)."""
    pid = getattr(writer, "pid", None)
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


async def _layer_round(
    mode: str,
    bare: Any,
    wrapped: Any,
    count: int,
    cassettes: Path,
    kind: str = "pairs",
    again: Any = None,
) -> tuple[float, float]:
    """One timed round of ``count`` units of workload ``kind`` in ``mode``; the set-up
    around it is not timed. ``again``: the second bare layer (mode ``bare-again``)."""
    from chanreplay.recorder import state
    from chanreplay.recorder.context import current_connection
    from chanreplay.recorder.recording import Recording

    gc.collect()
    if mode == "bare":
        return await _run(bare, kind, count)
    if mode == AA_MODE:
        return await _run(again, kind, count)
    if mode == "passthrough":
        assert state.recording is None
        return await _run(wrapped, kind, count)
    if mode == "naive":
        # Set-up outside the timed loop: a blocking call here costs the loop nothing.
        cassettes.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
        with (cassettes / "naive.jsonl").open("wb") as out:
            naive = NaiveRecorder(wrapped.inner, out)
            return await _run(naive, kind, count, out.flush)
    # A fresh recording per round keeps the journal (and the final compile) small;
    # the channel is created inside the connection, as a consumer's would be.
    state.start(Recording("bench", cassette_dir=cassettes, mode="all"))
    try:
        recording = state.recording
        assert recording is not None
        connection = await recording.open_connection(WEBSOCKET_SCOPE)
        token = current_connection.set(connection)
        try:
            connection.inbound({"type": "websocket.connect"})
            real_writer = recording._writer
            if mode == UNWRITTEN:
                recording._writer.flush()  # type: ignore[union-attr]
                recording._set_writer(_Discard())
            async with _workload(wrapped, kind) as loop:
                # The journal writer thread cleans (placeholders, redaction) and writes
                # what was recorded, in batches. Flushing before the loop keeps the
                # connection's opening out of the timed batches (as for a long-lived
                # connection); flushing before the clock stops counts the batch still
                # pending at the end of the loop.
                writer = getattr(recording, "_writer", None)
                flush = getattr(writer, "flush", None)
                if flush is not None:
                    flush()
                # With a writer process, what the recording process itself must do
                # at the end is hand the last batch over (``send``); the writer
                # cleans and writes it on the other core, and its CPU time is
                # measured separately (below, outside the timed part).
                finish = getattr(writer, "send", None) or flush
                cpu_before = _process_cpu(writer)
                timing = await loop(count, finish)
                if flush is not None:
                    flush()
                cpu_after = _process_cpu(writer)
                if cpu_before is not None and cpu_after is not None and mode == "recording":
                    WRITER_CPU_US_PER_PAIR.append((cpu_after - cpu_before) / count * 1e6)
                return timing
        finally:
            recording._set_writer(real_writer)
            current_connection.reset(token)
            # As RecordingMiddleware ends a connection (finish(); close() before 3eeb084).
            end = getattr(connection, "finish", None) or connection.close
            end()
    finally:
        state.stop()


async def _layer_benchmark(
    make_inner: Callable[[], Any],
    rounds: int,
    count: int,
    cassettes: Path,
    *,
    kind: str = "pairs",
    modes: tuple[str, ...] = LAYER_MODES,
) -> dict[str, list[float]]:
    from chanreplay.layers import RecordingChannelLayer

    bare = make_inner()
    again = make_inner() if AA_MODE in modes else None
    wrapped = RecordingChannelLayer(make_inner())
    try:
        for mode in modes:  # warm-up: caches, connection pools, first allocations
            await _layer_round(mode, bare, wrapped, max(count // 5, 50), cassettes, kind, again)
        times: dict[str, list[float]] = {mode: [] for mode in (*modes, "recording_loop")}
        WRITER_CPU_US_PER_PAIR.clear()  # the warm-up's rounds do not count
        for index in range(rounds):
            shift = index % len(modes)
            for mode in modes[shift:] + modes[:shift]:
                looped, total = await _layer_round(
                    mode, bare, wrapped, count, cassettes, kind, again
                )
                times[mode].append(total)
                if mode == "recording":
                    times["recording_loop"].append(looped)
        if WRITER_CPU_US_PER_PAIR:
            times["writer_cpu"] = list(WRITER_CPU_US_PER_PAIR)
        return times
    finally:
        for layer in (bare, again, wrapped.inner):
            if layer is None:
                continue
            if hasattr(layer, "flush"):
                await layer.flush()
            if hasattr(layer, "close_pools"):
                await layer.close_pools()


def _paired_ratio(values: list[float], baseline: list[float]) -> float:
    """Median of the per-round ratios (each round's variants ran back to back)."""
    return statistics.median(value / base for value, base in zip(values, baseline, strict=True))


def _layer_results(
    key: str,
    label: str,
    goal: float,
    times: dict[str, list[float]],
    rounds: int,
    count: int,
    *,
    work: str = "send+receive",
    unit: str = "pair",
) -> list[Result]:
    """The rows of one layer benchmark; ``unit``: what one figure is per (``pair``,
    ``fan-out``), ``work`` says what that is in the table."""
    bare = statistics.median(times["bare"])
    recording = statistics.median(times["recording"])
    loop_only = statistics.median(times["recording_loop"])
    medians = {
        mode: round(statistics.median(values), 3)
        for mode, values in times.items()
        if mode not in ("recording_loop", "writer_cpu")
    }
    medians["recording_loop_only"] = round(loop_only, 3)
    spread = {
        mode: [round(min(values), 3), round(max(values), 3)] for mode, values in times.items()
    }
    details = {
        "unit": unit,
        "rounds": rounds,
        "per_round": count,
        "median_us": medians,
        "min_max_us": spread,
        "overhead_us": round(recording - bare, 3),
        # CPU the journal writer process spent per unit, on another core: not
        # part of the recording process's time, reported so that it is seen.
        "writer_process_cpu_us": (
            round(statistics.median(times["writer_cpu"]), 3) if "writer_cpu" in times else None
        ),
        "median_of_round_ratios": round(_paired_ratio(times["recording"], times["bare"]), 4),
    }
    if AA_MODE in times:
        details["aa_median_of_round_ratios"] = round(
            _paired_ratio(times[AA_MODE], times["bare"]), 4
        )
    context = [
        (mode, what)
        for mode, what in (
            ("passthrough", "wrapper, no recording"),
            ("naive", "naive orjson-and-write wrapper"),
            (UNWRITTEN, "recording, journal dropped (recording process alone)"),
            (AA_MODE, "another bare layer (A/A: the noise)"),
        )
        if mode in times
    ]
    return [
        Result(
            id=f"layer-{key}",
            scenario=f"{label}: {work}, recording",
            unit=f"us/{unit}",
            bare=bare,
            recording=recording,
            ratio=recording / bare,
            goal=f"<= {goal:g}x",
            met=recording / bare <= goal,
            details=details,
        ),
        *(
            Result(
                id=f"layer-{key}-{mode}",
                scenario=f"{label}: {work}, {what}",
                unit=f"us/{unit}",
                bare=bare,
                recording=statistics.median(times[mode]),
                ratio=statistics.median(times[mode]) / bare,
                goal="(context)",
                met=None,
                details={
                    "rounds": rounds,
                    "per_round": count,
                    "median_of_round_ratios": round(_paired_ratio(times[mode], times["bare"]), 4),
                },
            )
            for mode, what in context
        ),
    ]


def bench_memory_layer(config: Config, scratch: Path) -> list[Result]:
    from channels.layers import InMemoryChannelLayer

    log(
        f"[layer] InMemoryChannelLayer: {config.memory_layer_rounds} rounds x "
        f"{config.memory_layer_pairs} pairs per mode ..."
    )
    cassettes = scratch / "layer-memory"
    times = asyncio.run(
        _layer_benchmark(
            InMemoryChannelLayer,
            config.memory_layer_rounds,
            config.memory_layer_pairs,
            cassettes,
            modes=(*LAYER_MODES, UNWRITTEN),
        )
    )
    return _layer_results(
        "memory",
        "InMemoryChannelLayer",
        1.15,
        times,
        config.memory_layer_rounds,
        config.memory_layer_pairs,
    )


def bench_fanout(config: Config, scratch: Path) -> list[Result]:
    from channels.layers import InMemoryChannelLayer

    log(
        f"[layer] InMemoryChannelLayer group_send to {FANOUT_MEMBERS} members: "
        f"{config.fanout_rounds} rounds x {config.fanout_count} fan-outs per mode ..."
    )
    times = asyncio.run(
        _layer_benchmark(
            InMemoryChannelLayer,
            config.fanout_rounds,
            config.fanout_count,
            scratch / "layer-fanout",
            kind="fanout",
            modes=(*LAYER_MODES, UNWRITTEN),
        )
    )
    return _layer_results(
        "fanout",
        "InMemoryChannelLayer",
        1.1,
        times,
        config.fanout_rounds,
        config.fanout_count,
        work=f"group_send to {FANOUT_MEMBERS} + their receives",
        unit="fan-out",
    )


def redis_unreachable() -> str | None:
    """Why Redis at REDIS_URL cannot be used, or None when it answers."""
    try:
        import redis
    except ImportError as error:
        return f"the redis package is missing ({error})"
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as error:
        return f"Redis at {REDIS_URL} is unreachable ({type(error).__name__}: {error})"
    try:
        import channels_redis.core  # noqa: F401
    except ImportError as error:
        return f"channels_redis is missing ({error})"
    return None


def bench_redis_layer(config: Config, scratch: Path) -> list[Result]:
    from channels_redis.core import RedisChannelLayer

    prefix = f"chanreplay-bench-{os.getpid()}"
    log(
        f"[layer] RedisChannelLayer at {REDIS_URL} (prefix {prefix}): "
        f"{config.redis_layer_rounds} rounds x {config.redis_layer_pairs} pairs per mode ..."
    )

    def make() -> Any:
        return RedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)

    times = asyncio.run(
        _layer_benchmark(
            make,
            config.redis_layer_rounds,
            config.redis_layer_pairs,
            scratch / "layer-redis",
            modes=(*LAYER_MODES, AA_MODE),
        )
    )
    return _layer_results(
        "redis",
        "RedisChannelLayer",
        1.02,
        times,
        config.redis_layer_rounds,
        config.redis_layer_pairs,
    )


# -- 3 and 4: runserver ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of ``pid`` in kB, from /proc/PID/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def server_env(db: Path, cassettes: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANREPLAY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "example.settings",
            "EXAMPLE_DEBUG": "1",
            "EXAMPLE_DB_PATH": str(db),
            "EXAMPLE_CHANNEL_LAYER": "memory",
            "EXAMPLE_CASSETTE_DIR": str(cassettes),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
            # A recording server needs a fixed hash seed (runserver --record starts
            # itself again with one when it has none): both servers get the same,
            # so that neither pays for a second start or hashes differently.
            "PYTHONHASHSEED": "0",
        }
    )
    return env


class Server:
    """One ``manage.py runserver --noreload`` subprocess of the example project."""

    def __init__(self, name: str, scratch: Path, db: Path, *, record: bool) -> None:
        self.name = name
        self.record = record
        self.cassettes = scratch / f"cassettes-{name}"
        self.cassettes.mkdir()
        self.log_path = scratch / f"server-{name}.log"
        self.port = free_port()
        self.db = db
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/echo/"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cassette(self) -> Path:
        return self.cassettes / f"{self.name}.json"

    def command(self) -> list[str]:
        """The server's command line."""
        command = [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            f"127.0.0.1:{self.port}",
        ]
        if self.record:
            command += [
                "--record",
                self.name,
                "--record-mode",
                "all",
                "--cassette-dir",
                str(self.cassettes),
            ]
        return command

    def start(self) -> None:
        with self.log_path.open("wb") as output:
            self.process = subprocess.Popen(
                self.command(),
                cwd=EXAMPLE_PROJECT,
                env=server_env(self.db, self.cassettes),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server {self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            time.sleep(0.1)
        raise RuntimeError(f"server {self.name} did not listen within {timeout:g}s")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """SIGTERM (Twisted stops cleanly; a recording server writes its cassette), then SIGKILL.

        Not SIGINT: a process started with SIGINT ignored (a background job)
        passes that on, and Twisted then leaves SIGINT alone.
        """
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 120.0), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                log(f"[server] {self.name} (pid {process.pid}) did not exit on {sig.name}")


def migrate(db: Path, scratch: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=EXAMPLE_PROJECT,
        env=server_env(db, scratch),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{result.stdout}\n{result.stderr}")


@contextlib.contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def _connect(server: Server) -> Any:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    return await connect(
        server.url,
        origin=Origin(server.origin),
        compression=None,
        ping_interval=None,
        max_size=None,
        open_timeout=30,
    )


async def _echo(ws: Any, count: int) -> None:
    """``count`` messages, each sent after the previous echo arrived."""
    expected = "echo: " + ECHO_PAYLOAD
    for _ in range(count):
        await ws.send(ECHO_PAYLOAD)
        reply = await ws.recv()
        if reply != expected:
            raise RuntimeError(f"unexpected reply {reply!r}")


async def _throughput(plain: Server, recording: Server, config: Config) -> dict[str, Any]:
    sockets = {plain.name: await _connect(plain), recording.name: await _connect(recording)}
    rates: dict[str, list[float]] = {plain.name: [], recording.name: []}
    try:
        for ws in sockets.values():
            await _echo(ws, max(config.throughput_messages // 2, 100))  # warm-up
        order = [plain.name, recording.name]
        for index in range(config.throughput_round_pairs):
            # A B, then B A: a linear drift in machine speed cancels out.
            for name in order if index % 2 == 0 else order[::-1]:
                gc.collect()
                started = time.perf_counter()
                await _echo(sockets[name], config.throughput_messages)
                rates[name].append(config.throughput_messages / (time.perf_counter() - started))
    finally:
        for ws in sockets.values():
            await ws.close()
    return rates


async def _session(server: Server, config: Config) -> dict[str, Any]:
    """Warm up, read RSS, push the session's messages, read RSS again, disconnect."""
    count = config.session_connections
    sockets = [await _connect(server) for _ in range(count)]
    try:
        await asyncio.gather(*(_echo(ws, config.session_warmup // count) for ws in sockets))
        await asyncio.sleep(1.0)  # let the journal thread flush
        before = await asyncio.to_thread(proc_status, server.pid)
        per_socket = config.session_messages // count
        started = time.perf_counter()
        await asyncio.gather(*(_echo(ws, per_socket) for ws in sockets))
        elapsed = time.perf_counter() - started
        await asyncio.sleep(1.0)
        after = await asyncio.to_thread(proc_status, server.pid)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return {
        "messages": per_socket * count,
        "connections": count,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(per_socket * count / elapsed, 1),
        "rss_before_kb": before["VmRSS"],
        "rss_after_kb": after["VmRSS"],
        "peak_rss_kb": after["VmHWM"],
        "growth_mb": (after["VmRSS"] - before["VmRSS"]) / 1024,
    }


def _after_disconnect(server: Server, timeout: float = 120.0) -> dict[str, Any]:
    """RSS once a recording server has rebuilt its cassette after the clients left."""
    deadline = time.monotonic() + timeout
    if server.record:
        last = None
        while time.monotonic() < deadline:
            stat = server.cassette.stat() if server.cassette.exists() else None
            current = (stat.st_mtime_ns, stat.st_size) if stat else None
            if current is not None and current == last:
                break
            last = current
            time.sleep(1.5)
    else:
        time.sleep(1.5)
    status = proc_status(server.pid)
    out: dict[str, Any] = {"rss_kb": status["VmRSS"], "peak_rss_kb": status["VmHWM"]}
    if server.record and server.cassette.exists():
        out["cassette_mb"] = round(server.cassette.stat().st_size / 2**20, 1)
    return out


async def _churn(
    plain: Server, recording: Server, count: int, chunks: int = 10
) -> dict[str, float]:
    """Milliseconds per short connection (open, one echo, close), chunks alternating."""
    per_chunk = max(count // chunks, 1)
    spent = {plain.name: 0.0, recording.name: 0.0}
    for index in range(chunks):
        for server in (plain, recording) if index % 2 == 0 else (recording, plain):
            started = time.perf_counter()
            for _ in range(per_chunk):
                ws = await _connect(server)
                await _echo(ws, 1)
                await ws.close()
            spent[server.name] += time.perf_counter() - started
    return {name: seconds / (per_chunk * chunks) * 1000 for name, seconds in spent.items()}


def _throughput_result(
    result_id: str,
    scenario: str,
    plain: Server,
    recording: Server,
    rates: dict[str, list[float]],
    config: Config,
    *,
    goal: float | None,
) -> Result:
    """A throughput row: medians of msg/s per server; ``goal`` None for context rows."""
    bare = statistics.median(rates[plain.name])
    recorded = statistics.median(rates[recording.name])
    return Result(
        id=result_id,
        scenario=scenario,
        unit="msg/s",
        bare=bare,
        recording=recorded,
        ratio=recorded / bare,
        goal="(context)" if goal is None else f">= {goal}x",
        met=None if goal is None else recorded / bare >= goal,
        details={
            "median_of_round_ratios": round(
                _paired_ratio(rates[recording.name], rates[plain.name]), 4
            ),
            "round_pairs": config.throughput_round_pairs,
            "messages_per_round": config.throughput_messages,
            "rounds_msg_per_s": {
                name: [round(rate, 1) for rate in values] for name, values in rates.items()
            },
        },
    )


def _churn_results(plain: Server, recording: Server, config: Config) -> list[Result]:
    count = config.churn_connections
    log(f"[server] churn: {count} short connections per server, then throughput again ...")
    before = {server.name: proc_status(server.pid)["VmRSS"] for server in (plain, recording)}
    per_connection = asyncio.run(_churn(plain, recording, count))
    time.sleep(1.5)  # let the recording server rebuild its cassette after the last close
    after = {server.name: proc_status(server.pid)["VmRSS"] for server in (plain, recording)}
    again = replace(config, throughput_round_pairs=max(config.throughput_round_pairs // 4, 2))
    rates = asyncio.run(_throughput(plain, recording, again))
    growth = {name: (after[name] - before[name]) / 1024 for name in before}
    return [
        Result(
            id="server-churn",
            scenario=f"runserver, {count} short connections (open, 1 echo, close)",
            unit="ms/conn",
            bare=per_connection[plain.name],
            recording=per_connection[recording.name],
            ratio=per_connection[recording.name] / per_connection[plain.name],
            goal="(context)",
            met=None,
            details={
                "connections": count,
                "rss_kb_before": before,
                "rss_kb_after": after,
                "rss_growth_mb": {name: round(value, 1) for name, value in growth.items()},
            },
        ),
        _throughput_result(
            "server-throughput-after-churn",
            f"runserver websocket echo after those {count}, --record",
            plain,
            recording,
            rates,
            again,
            goal=None,
        ),
    ]


def bench_server(config: Config, scratch: Path) -> list[Result]:
    db = scratch / "example.sqlite3"
    log("[server] migrating a fresh SQLite database ...")
    migrate(db, scratch)
    plain = Server("plain", scratch, db, record=False)
    recording = Server("recording", scratch, db, record=True)
    session_plain = Server("session-plain", scratch, db, record=False)
    session_recording = Server("session-recording", scratch, db, record=True)
    results = []
    with running([plain, recording, session_plain, session_recording]):
        log(
            f"[server] throughput: {config.throughput_round_pairs} A/B round pairs x "
            f"{config.throughput_messages} sequential echo messages ..."
        )
        rates = asyncio.run(_throughput(plain, recording, config))
        results.append(
            _throughput_result(
                "server-throughput",
                "runserver websocket echo, --record",
                plain,
                recording,
                rates,
                config,
                goal=0.98,
            )
        )
        sessions = {}
        for server in (session_plain, session_recording):
            log(
                f"[server] memory: {config.session_messages} messages over "
                f"{config.session_connections} connections, "
                f"{'recording' if server.record else 'not recording'} ..."
            )
            sessions[server.name] = asyncio.run(_session(server, config))
            sessions[server.name]["after_disconnect"] = _after_disconnect(server)
        plain_session = sessions[session_plain.name]
        recorded_session = sessions[session_recording.name]
        messages = recorded_session["messages"]
        scenario = f"runserver RSS growth, {messages:,} msgs, --record"
        if messages < 100_000:
            scenario += " (quick: goal is for 100,000)"
        results.append(
            Result(
                id="server-memory",
                scenario=scenario,
                unit="MB",
                bare=plain_session["growth_mb"],
                recording=recorded_session["growth_mb"],
                ratio=None,
                goal="< 20 MB",
                met=recorded_session["growth_mb"] < 20,
                details={"not_recording": plain_session, "recording": recorded_session},
            )
        )
        # Last: it changes the two throughput servers for good.
        results.extend(_churn_results(plain, recording, config))
    return results


# -- output ---------------------------------------------------------------------------


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit.startswith("us/"):
        return f"{value:.2f} us"
    if unit == "msg/s":
        return f"{value:,.0f} msg/s"
    if unit == "ms/conn":
        return f"{value:.2f} ms"
    if unit == "MB":
        return f"{value:+.1f} MB"
    return f"{value:g}"


def render_table(results: list[Result], skipped: list[str]) -> str:
    header = ("scenario", "bare", "with recording", "ratio", "goal", "result")
    rows = [header]
    for result in results:
        verdict = "-" if result.met is None else ("met" if result.met else "NOT MET")
        rows.append(
            (
                result.scenario,
                _number(result.bare, result.unit),
                _number(result.recording, result.unit),
                "-" if result.ratio is None else f"{result.ratio:.3f}x",
                result.goal,
                verdict,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    lines.extend(f"skipped: {reason}" for reason in skipped)
    return "\n".join(lines)


def _writer_cpu(details: dict[str, Any]) -> str:
    cpu = details.get("writer_process_cpu_us")
    if cpu is None:
        return ""
    return f"journal writer process CPU {cpu} us/{details['unit']} (another core), "


def render_details(results: list[Result]) -> str:
    lines = []
    for result in results:
        details = result.details
        if result.id in ("layer-memory", "layer-fanout", "layer-redis"):
            medians = details["median_us"]
            spread = details["min_max_us"]
            unit = details["unit"]
            aa = details.get("aa_median_of_round_ratios")
            lines.append(
                f"{result.id}: {details['rounds']} rounds x {details['per_round']} {unit}s; "
                f"median us/{unit} bare {medians['bare']}, recording {medians['recording']} "
                f"(loop alone {medians['recording_loop_only']}, the rest is handing the "
                "last batch to the writer), "
                f"{_writer_cpu(details)}"
                f"wrapper without recording {medians['passthrough']}; "
                f"overhead {details['overhead_us']} us/{unit}; "
                f"median of per-round ratios {details['median_of_round_ratios']:.3f}x"
                + (f" (A/A, bare against bare: {aa:.3f}x)" if aa is not None else "")
                + f"; min..max bare {spread['bare'][0]}..{spread['bare'][1]}, "
                f"recording {spread['recording'][0]}..{spread['recording'][1]}"
            )
        elif result.id == "server-churn":
            growth = details["rss_growth_mb"]
            lines.append(
                f"server-churn: {details['connections']} connections per server, in alternating "
                f"chunks; VmRSS growth over them: not recording {growth['plain']:+.1f} MB, "
                f"recording {growth['recording']:+.1f} MB"
            )
        elif result.id in ("server-throughput", "server-throughput-after-churn"):
            per_round = details["rounds_msg_per_s"]
            lines.append(
                f"{result.id}: {details['round_pairs']} round pairs x "
                f"{details['messages_per_round']} messages; median of per-round ratios "
                f"{details['median_of_round_ratios']:.3f}x; msg/s per round: "
                + "; ".join(
                    f"{name} {', '.join(f'{rate:.0f}' for rate in rates)}"
                    for name, rates in per_round.items()
                )
            )
        elif result.id == "server-memory":
            for label in ("not_recording", "recording"):
                session = details[label]
                later = session["after_disconnect"]
                lines.append(
                    f"server-memory ({label.replace('_', ' ')}): {session['messages']:,} messages "
                    f"over {session['connections']} connections in {session['seconds']} s "
                    f"({session['messages_per_second']:,.0f} msg/s); VmRSS "
                    f"{session['rss_before_kb'] / 1024:.1f} -> "
                    f"{session['rss_after_kb'] / 1024:.1f} MB "
                    f"({session['growth_mb']:+.1f} MB), peak {session['peak_rss_kb'] / 1024:.1f}"
                    f" MB; after disconnect {later['rss_kb'] / 1024:.1f} MB"
                    + (
                        f", peak {later['peak_rss_kb'] / 1024:.1f} MB, cassette "
                        f"{later['cassette_mb']} MB"
                        if "cassette_mb" in later
                        else ""
                    )
                )
    return "\n".join(lines)


def source_state() -> dict[str, str]:
    """Which chanreplay was measured: the commit, and a hash of the package's sources."""
    import hashlib

    digest = hashlib.sha256()
    package = REPO / "chanreplay"
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    state = {"sources_sha256": digest.hexdigest()[:12]}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "chanreplay"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        state["commit"] = head + (" (chanreplay/ has uncommitted changes)" if dirty else "")
    return state


# -- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (under a minute)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--only",
        action="append",
        choices=("layer-memory", "layer-fanout", "layer-redis", "server"),
        help="run only these parts (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    config = Config.quick() if args.quick else Config.full()
    parts = args.only or ["layer-memory", "layer-fanout", "layer-redis", "server"]

    results: list[Result] = []
    skipped: list[str] = []
    source = source_state()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chanreplay-bench-") as directory:
        scratch = Path(directory)
        steps: list[tuple[str, Callable[[], list[Result]]]] = []
        if "layer-memory" in parts:
            steps.append(("layer-memory", lambda: bench_memory_layer(config, scratch)))
        if "layer-fanout" in parts:
            steps.append(("layer-fanout", lambda: bench_fanout(config, scratch)))
        if "layer-redis" in parts:
            reason = redis_unreachable()
            if reason is None:
                steps.append(("layer-redis", lambda: bench_redis_layer(config, scratch)))
            else:
                skipped.append(f"layer-redis: {reason}")
                log(f"[layer] skipping RedisChannelLayer: {reason}")
        if "server" in parts:
            steps.append(("server", lambda: bench_server(config, scratch)))
        for _, step in steps:
            results.extend(step())
    elapsed = time.monotonic() - started
    if source_state() != source:
        log("warning: chanreplay's sources changed while the benchmark ran")

    if args.json:
        document = {
            "quick": args.quick,
            "seconds": round(elapsed, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "chanreplay": source,
            "config": asdict(config),
            "results": [asdict(result) for result in results],
            "skipped": skipped,
        }
        print(json.dumps(document, indent=2))
    else:
        print(render_table(results, skipped))
        print()
        print(render_details(results))
        print(
            f"\n{'quick' if args.quick else 'full'} run, {elapsed:.0f} s, Python "
            f"{platform.python_version()}, {os.cpu_count()} CPUs; chanreplay "
            f"{source.get('commit', '?')}, sources sha256 {source['sources_sha256']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

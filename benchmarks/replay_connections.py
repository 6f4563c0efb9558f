"""Replay cost per event with 2 and with 200 connections in one chat room, side by side.

Usage (from the repository root)::

    .venv/bin/python benchmarks/replay_connections.py            # ~240,000 events each: minutes
    .venv/bin/python benchmarks/replay_connections.py --quick    # ~24,000 events each

Both cassettes are recorded the way a user records one: ``manage.py runserver
--record`` of the example project (in-memory channel layer, port chosen by the
system), with real ``websockets`` clients. The clients join one chat room; in
turn, each sends a message and waits until every client has the broadcast
before the next one speaks. Each message is then 2 + 2 x connections events
(the frame in, the ``group_send``, each member's ``receive`` and frame out),
so the room of 2 sends about 67 times as many messages as the room of 200 to
reach the same number of events (the full run: 600 messages in the room of
200, three per client, about 242,000 events and 80 MB as in the issue).

The two cassettes are then replayed in the benchmark's own process (as a test
replays: the test's database connection kept open), rounds alternating which
goes first; medians are reported. Goal: the per-event cost with 200
connections within 1.2x of that with 2. Speed is measured here only, never
asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "example_project")]

ROOM = "bench"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def server_env(factory: Any) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return factory.env(  # type: ignore[no-any-return]
        DJANGO_SETTINGS_MODULE="example.settings",
        EXAMPLE_DEBUG="1",
        EXAMPLE_CHANNEL_LAYER="memory",
        PYTHONPATH=path,
    )


async def chat(port: int, connections: int, messages: int) -> None:
    """``connections`` clients in one room; ``messages`` in turn, each waited for by all."""
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    url = f"ws://127.0.0.1:{port}/ws/chat/{ROOM}/"
    origin = Origin(f"http://127.0.0.1:{port}")
    clients = []
    try:
        for _ in range(connections):
            clients.append(
                await connect(
                    url, origin=origin, compression=None, ping_interval=None, open_timeout=60
                )
            )
        for number in range(messages):
            speaker = clients[number % connections]
            text = f"message {number}"
            await speaker.send(json.dumps({"message": text}))
            replies = await asyncio.gather(*(client.recv() for client in clients))
            for reply in replies:
                if json.loads(reply)["message"] != text:
                    raise RuntimeError(f"unexpected broadcast {reply!r}")
    finally:
        for client in clients:
            await client.close()


def record(factory: Any, connections: int, messages: int) -> Path:
    """Record the chat with ``runserver --record``; the cassette's path."""
    from tests.servers import free_port

    name = f"chat-{connections}"
    port = free_port()
    server = factory.start(
        [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--record",
            name,
            "--record-mode",
            "all",
            "--cassette-dir",
            str(factory.cassette_dir),
            "127.0.0.1:{port}",
        ],
        env=server_env(factory),
        port=port,
    )
    started = time.perf_counter()
    try:
        asyncio.run(chat(port, connections, messages))
        # Let the last disconnects' events reach the journal before the server stops.
        time.sleep(1.0)
    finally:
        server.stop(timeout=600)
    log(f"[record] {connections} connections: {time.perf_counter() - started:.1f} s")
    return factory.cassette_dir / f"{name}.json"


async def replay_once(cassette: Any) -> float:
    from chanreplay.replay.driver import Replayer
    from chanreplay.testing.replay import database_kept_open
    from example.asgi import application

    with database_kept_open():  # as every replay in a test
        started = time.perf_counter()
        result = await Replayer(cassette, application, timeout=60).run()
        elapsed = time.perf_counter() - started
    if not result.passed:
        from chanreplay.testing.replay import report

        raise SystemExit(f"the benchmark cassette did not replay cleanly:\n{report(result)[:3000]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about 24,000 events per cassette")
    parser.add_argument("--rounds", type=int, default=3, help="replays of each cassette")
    parser.add_argument(
        "--cassettes",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the recorded cassettes in DIR, and reuse those already there",
    )
    args = parser.parse_args()
    many = 200
    many_messages = 60 if args.quick else 600
    events = many_messages * (2 + 2 * many)
    few = 2
    few_messages = events // (2 + 2 * few)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        from tests.servers import ServerFactory

        kept = args.cassettes.resolve() if args.cassettes else scratch / "kept"
        kept.mkdir(parents=True, exist_ok=True)
        factory = ServerFactory(database=scratch / "db.sqlite3", cassette_dir=scratch / "cassettes")
        migrated = factory.manage("migrate", "--noinput", "-v", "0", **server_env(factory))
        if migrated.returncode != 0:
            raise SystemExit(f"migrate failed:\n{migrated.stdout}{migrated.stderr}")
        paths = {}
        for connections, messages in ((few, few_messages), (many, many_messages)):
            path = kept / f"chat-{connections}-{messages}.json"
            if not path.exists():
                log(f"[record] {connections} connections, {messages} messages ...")
                shutil.move(record(factory, connections, messages), path)
            paths[connections] = path

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
        os.environ["EXAMPLE_DB_PATH"] = str(scratch / "db.sqlite3")
        os.environ["EXAMPLE_CHANNEL_LAYER"] = "memory"
        import django

        django.setup()
        from chanreplay.cassette import load

        cassettes = {}
        for connections, path in paths.items():
            cassettes[connections] = load(path)
            size = path.stat().st_size / 2**20
            log(
                f"[load] {connections} connections: {cassettes[connections].event_count:,} events, "
                f"{size:.0f} MB"
            )
        times: dict[int, list[float]] = {few: [], many: []}
        for index in range(args.rounds):
            order = [few, many] if index % 2 == 0 else [many, few]
            for connections in order:
                gc.collect()
                times[connections].append(asyncio.run(replay_once(cassettes[connections])))
                log(f"[replay] {connections} connections: {times[connections][-1]:.2f} s")
        per_event = {}
        for connections in (few, many):
            count = cassettes[connections].event_count
            median = statistics.median(times[connections])
            per_event[connections] = median / count * 1e6
            print(
                f"replay, {connections:>3} connections in one room: {count:>7,} events, "
                f"{median:7.2f} s, {per_event[connections]:6.1f} us/event "
                f"(rounds: {', '.join(f'{t:.2f}' for t in times[connections])} s)"
            )
        growth = per_event[many] / per_event[few]
        verdict = "met" if growth <= 1.2 else "NOT MET"
        print(
            f"per-event cost with {many} connections / with {few}: {growth:.2f}x "
            f"(goal <= 1.2x: {verdict})"
        )


if __name__ == "__main__":
    main()

"""Measure how fast cassettes replay, side by side in one run, and print the ratios.

Usage (from the repository root)::

    .venv/bin/python benchmarks/replay_speed.py            # a few minutes
    .venv/bin/python benchmarks/replay_speed.py --quick    # smaller, well under a minute

Two measurements against the goals the replay issues set:

1. ``scaling``: events replayed per second for chat cassettes of 1,000,
   10,000 and 100,000 events (one client in a room: each message is an
   inbound frame, a ``group_send``, the consumer's ``receive`` and the frame it
   sends back), replayed one size at a time, more rounds of the small ones
   (about the same time for each). Goal: the per-event cost at 100,000
   within 1.1x of that at 1,000.
2. ``versus-communicator``: replaying a chat cassette against running the same
   exchange as a hand-written ``WebsocketCommunicator`` test (connect, send
   each message and assert the reply, disconnect), ten rounds alternating
   which goes first. Goal: at most 1.0x.

The cassettes are recorded as a test records them: each client frame sent
through a ``WebsocketCommunicator`` to the example project's ``ChatConsumer``
wrapped by the recorder (captive layers), the next frame once the reply came.
Replays run as every replay in a test does, with the test's database
connection kept open. Medians are reported. Speed is measured here only,
never asserted in tests. See also ``replay_connections.py`` (2 against 200
connections) and ``replay_tests.py`` (cassettes run as tests against
hand-written tests).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "example_project")]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def setup_django(scratch: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")
    os.environ["EXAMPLE_DB_PATH"] = str(scratch / "bench.sqlite3")
    os.environ["EXAMPLE_CHANNEL_LAYER"] = "memory"
    import django

    django.setup()


def inputs_only(messages: int) -> Any:
    """A cassette holding only the client's side of a chat session of ``messages`` messages."""
    from chanreplay.cassette.model import Cassette, Connection

    headers = ["host: 127.0.0.1", "origin: http://127.0.0.1"]
    scope = {"path": "/ws/chat/bench/", "query_string": "", "headers": headers}
    events: list[dict[str, Any]] = [
        {"dir": "in", "message": {"type": "websocket.connect"}, "step": 2}
    ]
    for number in range(messages):
        text = {"$json": {"message": f"message {number}"}}
        events.append(
            {
                "dir": "in",
                "message": {"type": "websocket.receive", "text": text},
                "step": number + 3,
            }
        )
    events.append(
        {
            "dir": "in",
            "message": {"type": "websocket.disconnect", "code": 1000},
            "step": messages + 2,
        }
    )
    connection = Connection(id="c1", type="websocket", scope=scope, step=1, events=events)
    return Cassette(connections=[connection])


def full_cassette(messages: int) -> Any:
    """The chat cassette of ``messages`` messages: what the consumer does, recorded."""
    return full_cassette_of(inputs_only(messages))


def full_cassette_of(inputs: Any, *, version: int | None = None) -> Any:
    """What the consumer does with ``inputs`` (a cassette of websocket inputs, one reply to
    each frame), recorded, in format ``version`` (the current one by default; 2 records every
    value as it was).

    Driven as a test drives it: each connection through a ``WebsocketCommunicator`` around
    the recorder (:class:`~chanreplay.replay.capture.CapturedSession`, captive layers), each
    frame sent once the reply to the one before came back, as a client waits for a server.
    """
    return asyncio.run(_recorded(inputs, version))


async def _recorded(inputs: Any, version: int | None) -> Any:
    from channels.testing import WebsocketCommunicator

    from chanreplay.cassette.asgi import decode_message
    from chanreplay.cassette.model import BINDING_VERSION
    from chanreplay.recorder.recording import Recording
    from chanreplay.replay.capture import CapturedSession
    from example.asgi import application

    bind = version is None or version >= BINDING_VERSION
    session = CapturedSession(application, Recording("bench", finalize=False, bind=bind))
    session.start()
    try:
        for connection in inputs.connections:
            headers = [
                tuple(part.strip().encode() for part in line.split(":", 1))
                for line in connection.scope["headers"]
            ]
            communicator = WebsocketCommunicator(session, connection.path, headers=headers)
            for event in connection.events:
                message = decode_message(event["message"])
                if message["type"] == "websocket.connect":
                    connected, _ = await communicator.connect()
                    assert connected
                elif message["type"] == "websocket.receive":
                    await communicator.send_input(message)
                    await communicator.receive_output()
                elif message["type"] == "websocket.disconnect":
                    await communicator.disconnect(message.get("code", 1000))
    finally:
        session.stop()
    cassette = session.cassette()
    if version is not None:
        cassette.version = version
    return cassette


async def replay_once(cassette: Any) -> float:
    """Seconds to replay ``cassette`` as a test does (the database connection kept open)."""
    from chanreplay.replay.driver import Replayer
    from chanreplay.testing.replay import database_kept_open
    from example.asgi import application

    with database_kept_open():
        started = time.perf_counter()
        result = await Replayer(cassette, application).run()
        elapsed = time.perf_counter() - started
    if not result.passed:
        raise SystemExit("the benchmark cassette did not replay cleanly")
    return elapsed


async def communicator_once(messages: int) -> float:
    """The same exchange as a hand-written test: connect, send and check each reply, disconnect."""
    import json

    from channels.layers import InMemoryChannelLayer, channel_layers
    from channels.testing import WebsocketCommunicator

    from example.asgi import application

    saved = channel_layers.backends.get("default")
    channel_layers.backends["default"] = InMemoryChannelLayer()  # as the replay's captive layer
    try:
        started = time.perf_counter()
        headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
        communicator = WebsocketCommunicator(application, "/ws/chat/bench/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        for number in range(messages):
            await communicator.send_to(text_data=json.dumps({"message": f"message {number}"}))
            reply = json.loads(await communicator.receive_from())
            assert reply == {
                "type": "message",
                "message": f"message {number}",
                "user": "anonymous",
                "room": "bench",
            }
        await communicator.disconnect()
        return time.perf_counter() - started
    finally:
        if saved is not None:
            channel_layers.backends["default"] = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000)
    with tempfile.TemporaryDirectory() as scratch:
        setup_django(Path(scratch))
        per_event: dict[int, float] = {}
        for size in sizes:
            messages = (size - 4) // 4  # connect: 2 events + 2 layer ops; 4 per message
            log(f"[scaling] making a chat cassette of about {size:,} events ...")
            cassette = full_cassette(messages)
            events = cassette.event_count
            # About the same time for each size: more rounds of the small ones.
            rounds = max(3, min(31, 300_000 // size))
            times = []
            for _ in range(rounds):
                gc.collect()
                times.append(asyncio.run(replay_once(cassette)))
            median = statistics.median(times)
            per_event[size] = median / events * 1e6
            print(
                f"replay {events:>7,} events: {median:8.3f} s, {events / median:9,.0f} events/s, "
                f"{per_event[size]:6.1f} us/event (median of {rounds}; "
                f"{min(times) / events * 1e6:.1f} to {max(times) / events * 1e6:.1f})"
            )
            del cassette
        smallest, largest = sizes[0], sizes[-1]
        growth = per_event[largest] / per_event[smallest]
        verdict = "met" if growth <= 1.1 else "NOT MET"
        print(
            f"per-event cost at {largest:,} / at {smallest:,}: {growth:.2f}x "
            f"(goal <= 1.1x: {verdict})"
        )

        messages = 200
        log(f"[versus] a chat exchange of {messages} messages: replay vs WebsocketCommunicator ...")
        cassette = full_cassette(messages)
        replayed: list[float] = []
        handwritten: list[float] = []
        for index in range(10):
            variants = [
                (replayed, lambda: replay_once(cassette)),
                (handwritten, lambda: communicator_once(messages)),
            ]
            if index % 2:
                variants.reverse()  # alternate which goes first
            for results, make in variants:
                gc.collect()
                results.append(asyncio.run(make()))
        ratio = statistics.median(replayed) / statistics.median(handwritten)
        verdict = "met" if ratio <= 1.0 else "NOT MET"
        print(
            f"chat, {messages} messages ({cassette.event_count} events): replay "
            f"{statistics.median(replayed) * 1000:.1f} ms, hand-written communicator test "
            f"{statistics.median(handwritten) * 1000:.1f} ms: {ratio:.2f}x "
            f"(goal <= 1.0x: {verdict})"
        )


if __name__ == "__main__":
    main()

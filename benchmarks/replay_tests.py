"""Cassettes run as tests against the same tests written by hand, side by side, per test.

Usage (from the repository root)::

    .venv/bin/python benchmarks/replay_tests.py              # 500 tests each, 3 rounds
    .venv/bin/python benchmarks/replay_tests.py --quick      # 100 tests each, 2 rounds

Makes, in a temporary directory, ``--tests`` small chat cassettes of the
example project (one client in a room of its own, ``--messages`` messages,
each answered by the room's broadcast; recorded as a test records them,
through the recorder with captive layers) and a test module with the same
number of hand-written tests of the same exchanges, as the Channels docs
write them: an ``async`` pytest test (pytest-asyncio), ``django_db``, a
``WebsocketCommunicator`` that connects, sends each message, asserts each
reply and disconnects, on the configured ``InMemoryChannelLayer``.

Then runs, each in a fresh ``pytest`` process and alternating which goes
first, ``pytest --chanreplay-cassettes DIR`` (every cassette a test: the
zero-code way to run them) and ``pytest handwritten/``. The figure is
the time of pytest's test loop (collection, Django's set-up and the test
database's creation are left out: both pay them alike) divided by the number
of tests. Goal: a replayed cassette no slower than its hand-written test
(<= 1.0x). Speed is measured here only, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_PROJECT = REPO / "tests" / "example_project"
sys.path[:0] = [str(REPO), str(EXAMPLE_PROJECT), str(REPO / "benchmarks")]

INI = """\
[pytest]
DJANGO_SETTINGS_MODULE = example.settings
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
addopts = -p no:cacheprovider -p no:randomly -p no:xdist -p timing -q
"""

TIMING = """\
import json, os, time
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtestloop(session):
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    with open(os.environ["BENCH_TIMING"], "w") as out:
        json.dump({"seconds": elapsed, "tests": session.testscollected,
                   "failed": session.testsfailed}, out)
"""

HANDWRITTEN_HEAD = """\
import pytest
from channels.testing import WebsocketCommunicator

from example.asgi import application

HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


async def chat(room, messages):
    communicator = WebsocketCommunicator(application, f"/ws/chat/{room}/", headers=HEADERS)
    connected, _ = await communicator.connect()
    assert connected
    for text in messages:
        await communicator.send_json_to({"message": text})
        assert await communicator.receive_json_from() == {
            "type": "message", "message": text, "user": "anonymous", "room": room,
        }
    await communicator.disconnect()
"""

HANDWRITTEN_TEST = """

@pytest.mark.django_db
async def test_chat_{number}():
    await chat("room{number}", {messages!r})
"""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def messages_of(number: int, count: int) -> list[str]:
    return [f"hello {number}.{index}" for index in range(count)]


def make(scratch: Path, tests: int, count: int) -> None:
    """The cassettes, the hand-written tests, the pytest configuration."""
    import replay_speed

    from chanreplay.cassette import writer

    replay_speed.setup_django(scratch)
    cassettes = scratch / "cassettes"
    cassettes.mkdir()
    for number in range(tests):
        inputs = replay_speed.inputs_only(0)
        connection = inputs.connections[0]
        connection.scope["path"] = f"/ws/chat/room{number}/"
        connect, disconnect = connection.events
        frames = [
            {
                "dir": "in",
                "message": {"type": "websocket.receive", "text": {"$json": {"message": text}}},
                "step": 3 + index,
            }
            for index, text in enumerate(messages_of(number, count))
        ]
        disconnect["step"] = 3 + count
        connection.events = [connect, *frames, disconnect]
        writer.write(replay_speed.full_cassette_of(inputs), cassettes / f"chat_{number}.json")
    body = [HANDWRITTEN_HEAD]
    body += [
        HANDWRITTEN_TEST.format(number=number, messages=messages_of(number, count))
        for number in range(tests)
    ]
    (scratch / "handwritten").mkdir()
    (scratch / "handwritten" / "test_handwritten.py").write_text("".join(body))
    (scratch / "pytest.ini").write_text(INI)
    (scratch / "timing.py").write_text(TIMING)


def run(scratch: Path, arguments: list[str]) -> float:
    """Seconds per test of one pytest run of ``arguments`` in ``scratch``."""
    timing = scratch / "timing.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHANREPLAY_")}
    env.update(
        BENCH_TIMING=str(timing),
        EXAMPLE_DB_PATH=str(scratch / "bench.sqlite3"),
        EXAMPLE_CHANNEL_LAYER="memory",
        PYTHONPATH=os.pathsep.join([str(scratch), str(REPO), str(EXAMPLE_PROJECT)]),
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *arguments],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    result = json.loads(timing.read_text()) if timing.exists() else None
    timing.unlink(missing_ok=True)
    if done.returncode != 0 or result is None or result["failed"]:
        raise SystemExit(f"pytest {' '.join(arguments)} failed:\n{done.stdout[-3000:]}")
    return float(result["seconds"]) / int(result["tests"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 tests, 2 rounds")
    parser.add_argument("--tests", type=int, default=None, help="tests of each kind (500)")
    parser.add_argument("--messages", type=int, default=5, help="messages per chat (5)")
    parser.add_argument("--rounds", type=int, default=None, help="runs of each kind (3)")
    args = parser.parse_args()
    tests = args.tests or (100 if args.quick else 500)
    rounds = args.rounds or (2 if args.quick else 3)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        log(f"[make] {tests} cassettes of {args.messages} messages, and as many tests ...")
        make(scratch, tests, args.messages)
        kinds = {
            "replayed cassettes": ["--chanreplay-cassettes=cassettes", "cassettes"],
            "hand-written tests": ["handwritten"],
        }
        times: dict[str, list[float]] = {name: [] for name in kinds}
        for index in range(rounds):
            order = list(kinds) if index % 2 == 0 else list(kinds)[::-1]
            for name in order:
                times[name].append(run(scratch, kinds[name]))
                log(f"[run] {name}: {times[name][-1] * 1000:.2f} ms per test")
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, values in times.items():
            rounds_text = ", ".join(f"{value * 1000:.2f}" for value in values)
            print(
                f"{tests} {name}: {medians[name] * 1000:6.2f} ms per test (runs: {rounds_text} ms)"
            )
        ratio = medians["replayed cassettes"] / medians["hand-written tests"]
        verdict = "met" if ratio <= 1.0 else "NOT MET"
        print(
            f"a cassette run as a test / its hand-written test: {ratio:.2f}x "
            f"(goal <= 1.0x: {verdict})"
        )


if __name__ == "__main__":
    main()

"""Measure what naming the values the server makes (bindings, shapes) costs, side by side.

Usage (from the repository root)::

    .venv/bin/python benchmarks/binding_cost.py            # about a minute
    .venv/bin/python benchmarks/binding_cost.py --quick    # a few seconds

Two measurements, each with and without binding in one run, variants
alternating round by round, medians reported:

1. ``record``: the journal's cleaner (where a recording binds, in the writer
   process) cleaning batches of journal lines, per line, for three sessions:
   ``chat`` (plain text frames: what binding costs where there is nothing
   to bind, the pre-check alone), ``rides`` (every reply carries a UUID and a
   timestamp, every fourth input sends the UUID back) and ``http`` (requests
   and responses with cookies, Set-Cookie and a CSRF form).
2. ``replay``: replaying a chat cassette of the example project in format 3
   (the replay's recorder binds) against the same cassette as format 2 (it
   does not), for messages of plain text and messages holding a UUID.

Speed is measured here only, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from chanreplay.cassette.binding import Binder  # noqa: E402
from chanreplay.cassette.redaction import Redactor  # noqa: E402
from chanreplay.recorder.cleaning import JournalCleaner  # noqa: E402

BATCH = 200
"""Lines per batch: about what 50 ms of a busy session gives the cleaner."""


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _line(cid: str, event: dict[str, Any]) -> bytes:
    return orjson.dumps({"k": "ev", "c": cid, "e": event}) + b"\n"


def chat_lines(count: int) -> list[bytes]:
    """Plain text frames in and JSON frames out: nothing to bind."""
    lines = []
    for number in range(count // 2):
        text = {"$json": {"message": f"hello number {number}"}}
        lines.append(
            _line(
                "c1",
                {
                    "dir": "in",
                    "message": {"type": "websocket.receive", "text": text},
                    "step": number,
                },
            )
        )
        reply = {"$json": {"message": f"hello number {number}", "user": "alice", "room": "lobby"}}
        lines.append(
            _line(
                "c1",
                {
                    "dir": "out",
                    "message": {"type": "websocket.send", "text": reply},
                    "step": number,
                },
            )
        )
    return lines


def rides_lines(count: int) -> list[bytes]:
    """Replies carrying a server-made UUID and a timestamp; every fourth input sends it back."""
    lines = []
    now = time.strftime("%Y-%m-%dT%H:%M:%S.123456Z", time.gmtime())
    made = [str(uuid.uuid4()) for _ in range(count)]
    for number in range(count // 2):
        trip = made[number]
        reply = {
            "$json": {
                "type": "trip.created",
                "sent": now,
                "data": {"id": trip, "created": now, "status": "REQUESTED"},
            }
        }
        lines.append(
            _line(
                "c1",
                {
                    "dir": "out",
                    "message": {"type": "websocket.send", "text": reply},
                    "step": number,
                },
            )
        )
        sent: dict[str, Any] = {"type": "ping"}
        if number % 4 == 0:
            sent = {"type": "update.trip", "data": {"id": trip, "status": "STARTED"}}
        lines.append(
            _line(
                "c1",
                {
                    "dir": "in",
                    "message": {"type": "websocket.receive", "text": {"$json": sent}},
                    "step": number,
                },
            )
        )
    return lines


def http_lines(count: int) -> list[bytes]:
    """Request scopes with cookies, responses with Set-Cookie, a CSRF form posted.

    One browser: the session and CSRF cookies change at every 50th request (a
    login), not at each, as a session's do.
    """
    lines = []
    for number in range(count // 4):
        if number % 50 == 0:
            session, csrf = uuid.uuid4().hex, uuid.uuid4().hex
        cid = f"c{number + 1}"
        scope = {
            "path": "/login/",
            "query_string": "",
            "method": "POST",
            "headers": [
                "host: 127.0.0.1",
                f"cookie: csrftoken={csrf}",
                "content-type: application/x-www-form-urlencoded",
            ],
        }
        lines.append(
            orjson.dumps(
                {
                    "k": "open",
                    "c": cid,
                    "type": "http",
                    "scope": scope,
                    "user": None,
                    "step": number,
                }
            )
            + b"\n"
        )
        body = {"$bytes_text": f"username=alice&password=pw&csrfmiddlewaretoken={csrf}"}
        lines.append(
            _line(
                cid,
                {"dir": "in", "message": {"type": "http.request", "body": body}, "step": number},
            )
        )
        headers = [
            "content-type: text/html",
            "content-length: 0",
            f"set-cookie: sessionid={session}; HttpOnly; Path=/",
        ]
        lines.append(
            _line(
                cid,
                {
                    "dir": "out",
                    "message": {"type": "http.response.start", "status": 302, "headers": headers},
                    "step": number,
                },
            )
        )
        lines.append(
            _line(
                cid,
                {
                    "dir": "out",
                    "message": {"type": "http.response.body", "body": {"$bytes_text": ""}},
                    "step": number,
                },
            )
        )
    return lines


def clean_time(lines: list[bytes], *, bind: bool) -> float:
    """Seconds the cleaner takes for ``lines`` in batches of :data:`BATCH`."""
    # As a recording does: timestamps shaped are kept, with their places, for reading.
    cleaner = JournalCleaner(Redactor(), Binder(keep_times=True) if bind else None)
    batches = [b"".join(lines[i : i + BATCH]) for i in range(0, len(lines), BATCH)]
    started = time.perf_counter()
    for batch in batches:
        cleaner(batch)
    return time.perf_counter() - started


def compare(
    rounds: int, plain: Callable[[], float], bound: Callable[[], float]
) -> tuple[float, float]:
    """Medians of ``plain`` and ``bound`` over ``rounds`` alternating rounds."""
    timings: dict[str, list[float]] = {"plain": [], "bound": []}
    for index in range(rounds):
        order = [("plain", plain), ("bound", bound)]
        if index % 2:
            order.reverse()
        for name, run in order:
            gc.collect()
            timings[name].append(run())
    return statistics.median(timings["plain"]), statistics.median(timings["bound"])


def record_part(count: int, rounds: int) -> None:
    for name, make in (("chat", chat_lines), ("rides", rides_lines), ("http", http_lines)):
        lines = make(count)
        plain, bound = compare(
            rounds,
            lambda lines=lines: clean_time(lines, bind=False),  # type: ignore[misc]
            lambda lines=lines: clean_time(lines, bind=True),  # type: ignore[misc]
        )
        print(
            f"record  {name:<6} cleaner, {len(lines):>6,} lines: "
            f"{plain / len(lines) * 1e6:6.2f} us/line exact, "
            f"{bound / len(lines) * 1e6:6.2f} us/line binding: {bound / plain:.2f}x"
        )


def replay_part(messages: int, rounds: int) -> None:
    import replay_speed

    with tempfile.TemporaryDirectory() as scratch:
        replay_speed.setup_django(Path(scratch))
        for name, text in (("plain", None), ("uuid", "uuid")):
            inputs = replay_speed.inputs_only(messages)
            if text == "uuid":
                for event in inputs.connections[0].events:
                    payload = event["message"].get("text")
                    if payload is not None:
                        payload["$json"]["message"] = f"trip {uuid.uuid4()}"
            bound = replay_speed.full_cassette_of(inputs)
            exact = replay_speed.full_cassette_of(inputs, version=2)
            plain_time, bound_time = compare(
                rounds,
                lambda exact=exact: asyncio.run(replay_speed.replay_once(exact)),  # type: ignore[misc]
                lambda bound=bound: asyncio.run(replay_speed.replay_once(bound)),  # type: ignore[misc]
            )
            events = bound.event_count
            ratio = bound_time / plain_time
            print(
                f"replay  {name:<6} chat, {events:>6,} events: "
                f"{plain_time / events * 1e6:6.1f} us/event format 2, "
                f"{bound_time / events * 1e6:6.1f} us/event format 3: {ratio:.2f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    rounds = 3 if args.quick else 7
    log("[record] cleaning journal batches with and without a binder ...")
    record_part(4_000 if args.quick else 40_000, rounds)
    log("[replay] a chat cassette in format 3 against the same in format 2 ...")
    replay_part(200 if args.quick else 2_000, rounds)


if __name__ == "__main__":
    main()

"""Mutated cassettes through ``serve`` and ``play`` at once: a result or a diagnosis, no hang.

Each example mutates a real cassette, half the time as
:mod:`tests.fuzz.test_readers` does (mostly files the loader rejects), half
the time in ways that keep it loadable: events dropped, repeated, moved to
another step, turned round or given another type, connections dropped,
message fields given odd values. What loads is served by a real
:class:`MockServer` on a port the OS picks, and played against it with
:func:`play`: both read the whole cassette, one as the server, one as the
clients. The pair must end with a result (which may report differences,
or a stall) or a :class:`ChanreplayError`, within a bound, and the server
must log no traceback: a mutated step or event kind must not leave either
side waiting forever. Bounded here (``FUZZ_EDGE_EXAMPLES``, 60 by default:
each example runs a server); a long run:
``FUZZ_EDGE_EXAMPLES=2000 .venv/bin/python -m pytest tests/fuzz/test_edge.py -p no:xdist``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import orjson
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from chanreplay.cassette import loads
from chanreplay.exceptions import ChanreplayError
from chanreplay.proxy.play import play
from chanreplay.proxy.serve import MockServer
from tests.fuzz.test_readers import (
    _ODD_VALUES,
    REGRESSIONS,
    SEEDS,
    bounded,
    keep_failure,
    mutated,
)

EXAMPLES = int(os.environ.get("FUZZ_EDGE_EXAMPLES", "60"))
PATIENCE = 0.3
"""Seconds play waits for the replies a step expects (a mutated cassette stalls often)."""
BOUND = 60.0
"""Seconds one example may take before it counts as a hang."""
SECRETS = {"password": "fuzz-password"}
"""The seeds' sessions log in: both sides get the same password."""
_TYPES = [
    "websocket.connect",
    "websocket.accept",
    "websocket.receive",
    "websocket.send",
    "websocket.close",
    "websocket.disconnect",
    "http.request",
    "http.response.start",
    "http.response.body",
    "websocket.http.response.start",
    "lifespan.startup",
]


@st.composite
def loadable(draw: st.DrawFn, seeds: Sequence[Path] = SEEDS) -> bytes:
    """One of ``seeds`` changed event by event, in ways the loader mostly accepts."""
    document = orjson.loads(draw(st.sampled_from(seeds)).read_bytes())
    connections = document["connections"]
    for _ in range(draw(st.integers(1, 6))):
        if not connections:
            break
        connection = draw(st.sampled_from(connections))
        events = connection["events"]
        change = draw(
            st.sampled_from(["drop", "repeat", "step", "turn", "type", "field", "connection"])
        )
        if change == "connection":
            connections.remove(connection)
            continue
        if not events:
            continue
        index = draw(st.integers(0, len(events) - 1))
        event = events[index]
        message = event.get("message")
        if change == "drop":
            del events[index]
        elif change == "repeat":
            events.insert(index, copy.deepcopy(event))
        elif change == "step":
            event["step"] = draw(st.integers(0, 400))
        elif change == "turn":
            event["dir"] = draw(st.sampled_from(["in", "out", "layer", "error"]))
        elif isinstance(message, dict) and change == "type":
            message["type"] = draw(st.sampled_from(_TYPES))
        elif isinstance(message, dict) and message:
            key = draw(st.sampled_from(sorted(message)))
            message[key] = copy.deepcopy(draw(st.sampled_from(_ODD_VALUES)))
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: the loader refuses it
        return json.dumps(document).encode()


class _Tracebacks(logging.Handler):
    """What the server logged with a traceback: an exception no handler diagnosed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        from aiohttp.http_exceptions import HttpProcessingError

        if not record.exc_info:
            return
        if isinstance(record.exc_info[1], HttpProcessingError):
            return  # aiohttp's parser refusing what play sent (duplicated headers): a 400
        self.seen.append(self.format(record))


async def _serve_and_play(data: bytes) -> None:
    try:
        cassette = loads(data)
    except ChanreplayError:
        return
    server = MockServer(cassette, secrets=SECRETS)
    tracebacks = _Tracebacks()
    logger = logging.getLogger("aiohttp")
    logger.addHandler(tracebacks)
    runner = web.AppRunner(server.application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        await play(cassette, f"http://127.0.0.1:{port}", patience=PATIENCE, secrets=SECRETS)
    finally:
        await runner.cleanup()
        logger.removeHandler(tracebacks)
    assert not tracebacks.seen, tracebacks.seen[0]


@bounded(EXAMPLES)
@given(data=st.one_of(mutated(), loadable()))
def test_a_mutated_cassette_serves_and_plays_or_is_diagnosed(data: bytes) -> None:
    try:
        asyncio.run(asyncio.wait_for(_serve_and_play(data), BOUND))
    except ChanreplayError:
        pass
    except BaseException:
        keep_failure(data, "edge-failure")
        raise


@pytest.mark.parametrize(
    "regression", sorted(REGRESSIONS.glob("edge-*.json")), ids=lambda p: p.name
)
def test_edge_inputs_that_once_failed_are_diagnosed(regression: Path) -> None:
    """Each once made serve log a traceback (a frame without text, a body of the wrong
    type); now they are refused before the server starts, or played."""
    with contextlib.suppress(ChanreplayError):
        asyncio.run(asyncio.wait_for(_serve_and_play(regression.read_bytes()), BOUND))

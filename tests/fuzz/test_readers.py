"""Mutated cassettes through every reader: a diagnosis or a result, never a traceback.

Each example starts from a real cassette (the example project's session, a
gallery app's) and mutates it: bytes flipped, cut or repeated, and values
swapped for values of another type, nested deeper, or made huge, in the
JSON. What loads must then survive every review command in process (show
in three formats, diff against the original, render, split, lint); what
does not load must fail with a :class:`ChanreplayError`. Bounded here
(``FUZZ_EXAMPLES``, 300 by default, a deadline per example off); a long
run: ``FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/fuzz -p no:xdist``.
Inputs that ever failed are kept in ``tests/fuzz/regressions/`` and run first.
"""

from __future__ import annotations

import contextlib
import copy
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chanreplay.cassette import loads
from chanreplay.diff import diff_cassettes, render_text
from chanreplay.exceptions import ChanreplayError
from chanreplay.review.lint import lint
from chanreplay.review.render import render_html
from chanreplay.review.split import split
from chanreplay.review.transcript import transcript_json, transcript_lines, transcript_markdown

ROOT = Path(__file__).resolve().parents[2]
SEEDS = [
    ROOT / "cassettes" / "example_session.json",
    ROOT / "tests" / "gallery" / "presence" / "cassettes" / "presence.json",
    ROOT / "tests" / "gallery" / "dcrf_observer" / "cassettes" / "dcrf_observer.json",
]
REGRESSIONS = Path(__file__).with_name("regressions")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))

_ODD_VALUES: list[Any] = [
    None,
    True,
    -1,
    2**63,
    2**64 + 5,
    1.5e308,
    "",
    "\ud7ff",
    "<!--<script>",
    [],
    {},
    [[[[[]]]]],
    {"$bytes": "!!"},
    {"$json": 1},
    {"$int": "x"},
    "x" * 10_000,
]


def bounded(examples: int, *also: HealthCheck) -> Any:
    """Hypothesis settings of a fuzz suite: ``examples`` examples, no deadline per
    example (a mutated file may take a while), big inputs welcome."""
    checks = [HealthCheck.too_slow, HealthCheck.data_too_large, *also]
    return settings(max_examples=examples, deadline=None, suppress_health_check=checks)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value, as a path of keys and indexes."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return document


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Path] = SEEDS) -> bytes:
    """One of ``seeds`` with bytes flipped, cut or repeated, or values swapped for odd ones."""
    seed = draw(st.sampled_from(seeds)).read_bytes()
    kind = draw(st.sampled_from(["bytes", "value", "deep", "cut", "repeat"]))
    if kind == "bytes":
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
        return bytes(data)
    if kind == "cut":
        return seed[: draw(st.integers(0, len(seed)))]
    if kind == "repeat":
        start = draw(st.integers(0, len(seed) - 1))
        end = draw(st.integers(start, min(len(seed), start + 400)))
        return seed[:end] + seed[start:end] + seed[end:]
    document = orjson.loads(seed)
    places = _paths(document)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(places))
        try:
            if kind == "deep":
                value: Any = 1
                for _ in range(draw(st.integers(100, 400))):
                    value = {"n": value}
            else:
                value = copy.deepcopy(draw(st.sampled_from(_ODD_VALUES)))
            document = _set(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue
        places = _paths(document) if kind != "deep" else places
    try:
        return orjson.dumps(document)
    except orjson.JSONEncodeError:
        import json

        return json.dumps(document).encode()


def _every_reader(data: bytes) -> None:
    """Load ``data`` both ways and, when it loads, run every review command on it."""
    loaded = []
    for compact in (False, True):
        try:
            loaded.append(loads(data, compact=compact))
        except ChanreplayError:
            continue
    if not loaded:
        return
    original = loads(SEEDS[0].read_bytes())
    for cassette in loaded:
        for _ in transcript_lines(cassette):
            pass
        transcript_markdown(cassette)
        b"".join(transcript_json(cassette))
        render_text(diff_cassettes(original, cassette))
        render_html(cassette, title="fuzz", old=original)
        with contextlib.suppress(ChanreplayError):
            split(cassette)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.json"
        path.write_bytes(data)
        list(lint(path, max_size=10**9))


@pytest.mark.parametrize("regression", sorted(REGRESSIONS.glob("*.json")), ids=lambda p: p.name)
def test_inputs_that_once_failed_are_diagnosed(regression: Path) -> None:
    """Each failed once (a traceback, a crash after loading); now a diagnosis or a result."""
    with contextlib.suppress(ChanreplayError):
        _every_reader(regression.read_bytes())


@bounded(EXAMPLES)
@given(data=mutated())
def test_a_mutated_cassette_gets_a_diagnosis_or_a_result(data: bytes) -> None:
    try:
        _every_reader(data)
    except ChanreplayError:
        pass
    except Exception:
        keep_failure(data, "failure")
        raise


def keep_failure(data: bytes, prefix: str) -> None:
    """Save an input that failed among the regression fixtures, named by its hash."""
    REGRESSIONS.mkdir(exist_ok=True)
    (REGRESSIONS / f"{prefix}-{abs(hash(data)) % 10**10}.json").write_bytes(data)

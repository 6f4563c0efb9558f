"""Corrupted journals through ``recover``: a loadable cassette, or the journal kept whole.

Journals are made from real cassettes (the lines a recording of them would
have written), then corrupted: bytes flipped, lines dropped, repeated or
cut, values of other types put in records. ``recover`` must either write a
cassette that loads (and delete the journal) or raise a diagnosis, keep the
journal byte for byte and write nothing. Bounded here (``FUZZ_EXAMPLES``,
300 by default); ``FUZZ_EXAMPLES=5000`` for a long run.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from chanreplay.cassette import load
from chanreplay.exceptions import ChanreplayError
from chanreplay.recorder.journal import journal_lines, recover
from tests.fuzz.test_readers import SEEDS, bounded

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
JOURNALS = [list(journal_lines(load(seed), "run-1")) for seed in SEEDS]
_ODD: list[Any] = [None, [], {}, 7, "x", {"k": "ev"}, {"k": "open", "c": 5}, {"k": "close"}]


@st.composite
def corrupted(draw: st.DrawFn) -> bytes:
    lines = list(draw(st.sampled_from(JOURNALS)))
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["flip", "drop", "repeat", "cut", "value", "garbage"]))
        at = draw(st.integers(0, len(lines) - 1))
        if kind == "flip":
            line = bytearray(lines[at])
            spot = draw(st.integers(0, len(line) - 1))
            line[spot] = draw(st.integers(0, 255))
            lines[at] = bytes(line)
        elif kind == "drop" and len(lines) > 1:
            del lines[at]
        elif kind == "repeat":
            lines.insert(at, lines[at])
        elif kind == "garbage":
            lines.insert(at, draw(st.binary(max_size=40)).replace(b"\n", b"") + b"\n")
        elif kind == "value":
            try:
                record = orjson.loads(lines[at])
            except orjson.JSONDecodeError:
                continue
            if isinstance(record, dict) and record:
                key = draw(st.sampled_from(sorted(record)))
                record[key] = copy.deepcopy(draw(st.sampled_from(_ODD)))
                lines[at] = orjson.dumps(record) + b"\n"
    data = b"".join(lines)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # a torn end
    return data


@bounded(EXAMPLES)
@given(data=corrupted())
def test_recover_writes_a_loadable_cassette_or_keeps_the_journal(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        journal = Path(folder) / ".chat.journal"
        cassette = Path(folder) / "chat.json"
        journal.write_bytes(data)
        try:
            written, result = recover(journal)
        except ChanreplayError:
            assert journal.read_bytes() == data  # kept whole
            assert not cassette.exists()
            assert sorted(p.name for p in Path(folder).iterdir()) == [".chat.journal"]
            return
        assert written == cassette
        assert not journal.exists()
        if not result.written:  # nothing in it to recover
            assert not cassette.exists()
            return
        load(cassette)  # loads: recover checked it

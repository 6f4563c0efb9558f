"""The journal cleaner: placeholders and redaction on whole batches, control lines in order."""

from __future__ import annotations

import orjson
import pytest

from chanreplay.cassette.redaction import REDACTED, Redactor
from chanreplay.recorder.cleaning import JournalCleaner, control_line, split_marked

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
LIVE = "specific..inmemory!AbCdEfGhIjKl"
SECRET = "s3cr3t-session-value-0123456789"


def line(event: dict[str, object], connection: str | None = "c1") -> bytes:
    """One journal line holding ``event``."""
    return orjson.dumps({"k": "ev", "c": connection, "e": event}) + b"\n"


def texts(cleaned: bytes) -> list[object]:
    """The ``text`` of each event's message in cleaned journal lines."""
    return [orjson.loads(row)["e"]["message"]["text"] for row in cleaned.splitlines()]


def frame(text: str) -> bytes:
    return line({"dir": "in", "message": {"type": "websocket.receive", "text": text}, "step": 1})


@pytest.mark.parametrize("paths", [(), ("message.card",)])
def test_cleaning_a_batch_equals_cleaning_each_line(paths: tuple[str, ...]) -> None:
    """Only suspect lines are parsed, and the result is what cleaning every line gives."""
    events = [
        {"dir": "in", "message": {"type": "websocket.receive", "text": "héllo wörld"}, "step": 1},
        {"dir": "layer", "op": "send", "channel": "x", "message": {"reply": LIVE}, "step": 2},
        {"dir": "in", "message": {"type": "t", "password": "hunter2", "card": "4111"}, "step": 3},
        {"dir": "out", "message": {"type": "t", "text": "50% off, key lime pie"}, "step": 4},
        {"dir": "out", "message": {"type": "t", "body": "a=1&api_key=zzz"}, "step": 5},
        {"dir": "out", "message": {"type": "t", "jwt": JWT}, "step": 6},
    ]
    batch = b"".join(line(event) for event in events)
    registration = control_line("chan", [LIVE, "<channel:c1>"])
    by_line = JournalCleaner(Redactor(paths=paths))
    by_line(registration)
    one_by_one = b"".join(by_line(row) for row in batch.splitlines(True))
    assert JournalCleaner(Redactor(paths=paths))(registration + batch) == one_by_one
    cleaned = one_by_one.decode()
    for secret in (LIVE, "hunter2", "zzz", JWT):
        assert secret not in cleaned
    assert "<channel:c1>" in cleaned
    assert "héllo wörld" in cleaned
    assert ("4111" in cleaned) is not bool(paths)


def test_a_learned_secret_is_scrubbed_only_from_the_lines_after_it() -> None:
    """What was recorded before the secret was known keeps it, in any batching."""
    stream = [
        frame(f"before {SECRET}"),
        control_line("learn", SECRET),
        frame(f"after {SECRET}"),
    ]
    whole = JournalCleaner(Redactor())(b"".join(stream))
    assert texts(whole) == [f"before {SECRET}", f"after {REDACTED}"]
    cleaner = JournalCleaner(Redactor())
    assert b"".join(cleaner(part) for part in stream) == whole


def test_control_lines_are_applied_wherever_they_fall_in_a_batch() -> None:
    """First, last, several in a row: each applies from its place on and none is written."""
    cleaner = JournalCleaner(Redactor())
    batch = b"".join(
        [
            control_line("learn", SECRET),
            control_line("chan", [LIVE, "<channel:c2>"]),
            frame(f"{SECRET} {LIVE}"),
            control_line("learn", "an0th3r-s3cr3t-v4lu3"),
        ]
    )
    cleaned = cleaner(batch)
    assert texts(cleaned) == [f"{REDACTED} <channel:c2>"]
    assert not cleaned.startswith(b"!")
    assert b"!" not in cleaned
    assert texts(cleaner(frame("an0th3r-s3cr3t-v4lu3"))) == [REDACTED]


def test_a_batch_of_control_lines_only_writes_nothing() -> None:
    """A batch that only teaches the cleaner leaves nothing to write."""
    cleaner = JournalCleaner(Redactor())
    assert cleaner(control_line("learn", SECRET)) == b""


def test_an_unknown_control_line_is_an_error() -> None:
    """A control line from a newer recorder is not silently written or dropped."""
    with pytest.raises(ValueError, match="unknown journal control line"):
        JournalCleaner(Redactor())(b"!rotate {}\n")


def test_the_cleaner_learns_only_from_the_stream() -> None:
    """A twin shares the configuration, not what the original redactor learned."""
    original = Redactor(keys=["pin"])
    original.learn(SECRET)
    twin = original.twin()
    assert twin.secrets == frozenset()
    assert twin.is_secret_key("pin")
    assert texts(JournalCleaner(twin)(frame(SECRET))) == [SECRET]


def test_split_marked_keeps_order_and_isolates_each_marked_line() -> None:
    """Runs of ordinary lines stay together; every marked line comes alone, in place."""
    batch = b"!a\na\nb\n!b\n!c\nc\n"
    assert list(split_marked(batch, b"!")) == [
        (True, b"!a\n"),
        (False, b"a\nb\n"),
        (True, b"!b\n"),
        (True, b"!c\n"),
        (False, b"c\n"),
    ]
    assert list(split_marked(b"a\n", b"!")) == [(False, b"a\n")]

"""Tests of chanreplay.recorder.memory: the in-memory journal a replay records into."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from chanreplay.cassette import load
from chanreplay.cassette.model import Cassette, Connection
from chanreplay.recorder.compiler import CompileResult, compile_journal
from chanreplay.recorder.memory import MemoryJournal, cassette_from_records

# -- helpers ------------------------------------------------------------------


def scope(path: str) -> dict[str, Any]:
    return {"path": path, "query_string": "", "headers": []}


def opened(
    cid: str, step: int, *, kind: str = "websocket", user: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "k": "open",
        "c": cid,
        "type": kind,
        "scope": scope(f"/ws/{cid}/"),
        "user": user,
        "step": step,
    }


def event(cid: str | None, step: int, text: str = "") -> dict[str, Any]:
    """An inbound frame on ``cid``; for None an external group_send (what those are)."""
    message = {"type": "websocket.receive", "text": text or f"at {step}"}
    if cid is None:
        body = {"dir": "layer", "op": "group_send", "group": "g", "message": message}
    else:
        body = {"dir": "in", "message": message}
    return {"k": "ev", "c": cid, "e": {**body, "step": step}}


def closed(cid: str) -> dict[str, Any]:
    return {"k": "close", "c": cid}


def line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


# -- MemoryJournal.append -----------------------------------------------------------


def test_append_parses_and_keeps_each_record() -> None:
    """Lines are parsed into dicts and kept in order."""
    journal = MemoryJournal()
    journal.append(line(opened("c1", 1)))
    journal.append(line(event("c1", 2)))
    assert journal.records == [opened("c1", 1), event("c1", 2)]


def test_append_takes_a_line_without_its_newline() -> None:
    """The trailing newline is optional."""
    journal = MemoryJournal()
    journal.append(b'{"k":"close","c":"c1"}')
    assert journal.records == [{"k": "close", "c": "c1"}]


def test_append_rejects_a_line_that_is_not_json() -> None:
    """A broken line is an error, not silently dropped: where it is read, or at once for
    an observer."""
    journal = MemoryJournal()
    journal.append(b'{"k": "open"')
    with pytest.raises(orjson.JSONDecodeError):
        journal.records  # noqa: B018  (the property parses)
    observed = MemoryJournal(lambda record: None)
    with pytest.raises(orjson.JSONDecodeError):
        observed.append(b'{"k": "open"')


def test_the_clean_hook_gets_the_raw_lines_when_the_records_are_read() -> None:
    """The ``clean`` hook gets the lines appended since the last read, as one batch; what it
    returns is what is parsed and kept."""
    seen: list[bytes] = []

    def clean(raw: bytes) -> bytes:
        seen.append(raw)
        return raw.replace(b"hunter2", b"<redacted>")

    journal = MemoryJournal()
    journal.clean = clean
    first, second = line(event("c1", 2, "password hunter2")), line(event("c1", 3, "hunter2"))
    journal.append(first)
    journal.append(second)
    assert seen == []
    assert journal.records[0]["e"]["message"]["text"] == "password <redacted>"
    assert journal.records[1]["e"]["message"]["text"] == "<redacted>"
    assert seen == [first + second]  # read twice, cleaned once


def test_without_a_clean_hook_lines_are_kept_as_they_are() -> None:
    """The hook is off by default."""
    journal = MemoryJournal()
    assert journal.clean is None
    journal.append(line(event("c1", 2, "password hunter2")))
    assert journal.records[0]["e"]["message"]["text"] == "password hunter2"


def test_the_observer_gets_each_record_as_it_came_and_the_records_are_cleaned() -> None:
    """The observer is called once per record, with it as it came (it reads only the kind,
    connection and step, which cleaning never changes); ``records`` holds it cleaned."""
    observed: list[dict[str, Any]] = []
    journal = MemoryJournal(observed.append)
    journal.clean = lambda raw: raw.replace(b"secret", b"XXXXXX")
    journal.append(line(opened("c1", 1)))
    journal.append(line(event("c1", 2, "secret")))
    journal.append((b'"c1"', b"out", b'"websocket.send"', "secret", 3))  # a frame, unrendered
    assert observed == [
        opened("c1", 1),
        event("c1", 2, "secret"),
        {"k": "ev", "c": "c1", "e": {"step": 3}},
    ]
    assert journal.records == [
        opened("c1", 1),
        event("c1", 2, "XXXXXX"),
        {
            "k": "ev",
            "c": "c1",
            "e": {"dir": "out", "message": {"type": "websocket.send", "text": "XXXXXX"}, "step": 3},
        },
    ]


def test_records_are_cleaned_in_one_batch_as_line_by_line() -> None:
    """However the lines are cut into batches (one per read here, all at once there),
    the real cleaner gives the same records: control lines apply in their place."""
    from chanreplay.cassette.binding import Binder
    from chanreplay.cassette.redaction import Redactor
    from chanreplay.recorder.cleaning import JournalCleaner, control_line

    lines = [
        line(opened("c1", 1)),
        line(event("c1", 2, "token 0123456789abcdef0123 before it is known")),
        control_line("learn", "0123456789abcdef0123"),
        line(event("c1", 3, "token 0123456789abcdef0123 after")),
        (b'"c1"', b"out", b'"websocket.send"', '{"id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}', 4),
        line(event("c1", 5, "again 7c9e6679-7425-40de-944b-e07fc1f90ae7")),
    ]
    one_by_one = MemoryJournal()
    one_by_one.clean = JournalCleaner(Redactor(), Binder())
    read: list[dict[str, Any]] = []
    for each in lines:
        one_by_one.append(each)
        read = one_by_one.records
    batched = MemoryJournal(lambda record: None)
    batched.clean = JournalCleaner(Redactor(), Binder())
    for each in lines:
        batched.append(each)
    assert batched.records == read
    assert len(read) == 5
    assert read[1]["e"]["message"]["text"].startswith("token 0123456789abcdef0123")
    assert "0123456789abcdef0123" not in orjson.dumps(read[2]).decode()
    assert "7c9e6679" not in orjson.dumps(read[3:]).decode()  # named by the binder


def test_the_observer_sees_the_record_already_kept() -> None:
    """When the observer runs, the record is in ``records`` (it may look at the cassette)."""
    counts: list[int] = []
    journal = MemoryJournal(lambda record: counts.append(len(journal.records)))
    journal.append(line(opened("c1", 1)))
    journal.append(line(closed("c1")))
    assert counts == [1, 2]


# -- cassette_from_records ------------------------------------------------------------


def test_events_are_grouped_by_connection_in_order() -> None:
    """Each connection gets its own events, in the order they were journaled."""
    records = [
        opened("c1", 1, user={"username": "alice"}),
        event("c1", 2, "a"),
        opened("c2", 3),
        event("c2", 4, "b"),
        event("c1", 5, "c"),
        closed("c1"),
        closed("c2"),
    ]
    cassette = cassette_from_records(records)
    assert cassette == Cassette(
        [
            Connection(
                "c1",
                "websocket",
                scope("/ws/c1/"),
                1,
                {"username": "alice"},
                True,
                [event("c1", 2, "a")["e"], event("c1", 5, "c")["e"]],
            ),
            Connection(
                "c2", "websocket", scope("/ws/c2/"), 3, None, True, [event("c2", 4, "b")["e"]]
            ),
        ]
    )
    assert cassette.path is None


def test_external_events_are_kept() -> None:
    """Events with a null connection are the cassette's external events, in order."""
    cassette = cassette_from_records(
        [event(None, 1, "one"), opened("c1", 2), event(None, 3, "two")]
    )
    assert [e["message"]["text"] for e in cassette.external] == ["one", "two"]
    assert cassette.connections[0].events == []


def test_connections_without_a_close_are_open() -> None:
    """Only connections with a close record are marked closed."""
    cassette = cassette_from_records([opened("c1", 1), opened("c2", 2), closed("c2")])
    assert [(c.id, c.closed) for c in cassette.connections] == [("c1", False), ("c2", True)]


def test_events_of_unknown_connections_are_ignored() -> None:
    """An event (or close) for a connection never opened is not in the cassette."""
    records = [event("ghost", 1), closed("ghost"), opened("c1", 2), event("c1", 3)]
    cassette = cassette_from_records(records)
    assert [c.id for c in cassette.connections] == ["c1"]
    assert cassette.event_count == 1


def test_an_event_before_its_open_is_ignored() -> None:
    """Only events journaled after their connection's open are kept."""
    cassette = cassette_from_records(
        [event("c1", 1, "early"), opened("c1", 2), event("c1", 3, "late")]
    )
    assert [e["message"]["text"] for e in cassette.connection("c1").events] == ["late"]


def test_events_after_the_close_are_kept() -> None:
    """An application can outlive its connection a little (a group_discard after it)."""
    cassette = cassette_from_records([opened("c1", 1), closed("c1"), event("c1", 2, "after")])
    (connection,) = cassette.connections
    assert connection.closed is True
    assert [e["message"]["text"] for e in connection.events] == ["after"]


def test_other_records_are_ignored() -> None:
    """Run headers and records of unknown kinds do not change the cassette."""
    records: list[dict[str, Any]] = [
        {"k": "run", "run": "r"},
        {"k": "future", "c": "c1"},
        {"x": 1},
        opened("c1", 1),
    ]
    cassette = cassette_from_records(records)
    assert [c.id for c in cassette.connections] == ["c1"]
    assert cassette.external == []


def test_header_fields_come_from_the_open_record() -> None:
    """type, scope, user and step are taken from the open record; nothing else is."""
    record = {**opened("c1", 7, kind="http", user={"username": "bob"}), "extra": "ignored"}
    (connection,) = cassette_from_records([record]).connections
    assert connection.header() == {
        "closed": False,
        "id": "c1",
        "scope": scope("/ws/c1/"),
        "step": 7,
        "type": "http",
        "user": {"username": "bob"},
    }


def test_an_empty_journal_is_an_empty_cassette() -> None:
    """No records: no connections and no external events."""
    assert cassette_from_records([]) == Cassette()
    assert cassette_from_records(iter([])) == Cassette()


def test_the_cassette_is_what_compiling_the_journal_writes(tmp_path: Path) -> None:
    """The in-memory cassette equals the one compile_journal writes from the same records."""
    records = [
        {"k": "run", "run": "r"},
        opened("c1", 1, user={"username": "alice"}),
        event("c1", 2, "hi"),
        event(None, 3, "outside"),
        event("ghost", 4),
        opened("c2", 5, kind="http"),
        event("c2", 6),
        closed("c1"),
        closed("ghost"),
        event("c1", 7, "late"),
    ]
    journal = tmp_path / ".x.journal"
    journal.write_bytes(b"".join(line(record) for record in records))
    result = compile_journal(journal, tmp_path / "x.json")
    assert cassette_from_records(records) == load(tmp_path / "x.json")
    memory = MemoryJournal()
    for record in records:
        memory.append(line(record))
    assert memory.compile() == result


# -- cassette(), compile() and close() -------------------------------------------------


def test_cassette_reflects_the_records_so_far() -> None:
    """The cassette is rebuilt on each call: it always shows what was appended."""
    journal = MemoryJournal()
    assert journal.cassette() == Cassette()
    journal.append(line(opened("c1", 1)))
    assert [c.closed for c in journal.cassette().connections] == [False]
    journal.append(line(closed("c1")))
    assert [c.closed for c in journal.cassette().connections] == [True]


def test_compile_summarises_connections_events_and_unclosed() -> None:
    """Connections opened, events kept (external ones included), ids of the unclosed."""
    journal = MemoryJournal()
    for record in [
        opened("c1", 1),
        opened("c2", 2),
        opened("c3", 3),
        event("c1", 4),
        event("c3", 5),
        event(None, 6),
        event("ghost", 7),
        closed("c2"),
    ]:
        journal.append(line(record))
    assert journal.compile() == CompileResult(connections=3, events=3, unclosed=["c1", "c3"])
    assert journal.compile(durable=True) == journal.compile()


def test_close_compiles_unless_told_not_to() -> None:
    """close() returns the summary, or None with ``compile=False``."""
    journal = MemoryJournal()
    journal.append(line(opened("c1", 1)))
    journal.append(line(closed("c1")))
    assert journal.close() == CompileResult(connections=1, events=0, unclosed=[])
    assert journal.close(compile=False) is None


def test_the_file_operations_do_nothing() -> None:
    """flush, request_compile and remove keep the records: there is no file."""
    journal = MemoryJournal()
    journal.append(line(opened("c1", 1)))
    journal.flush()
    journal.request_compile()
    journal.remove()
    assert journal.records == [opened("c1", 1)]
    assert journal.compile().connections == 1

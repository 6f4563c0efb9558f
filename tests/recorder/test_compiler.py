"""Tests of chanreplay.recorder.compiler: incremental compiles equal compiles from scratch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from chanreplay.cassette import load
from chanreplay.recorder.compiler import JournalCompiler, compile_journal


def line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


def opened(cid: str, step: int) -> bytes:
    scope = {"path": f"/ws/{cid}/", "query_string": "", "headers": []}
    return line(
        {"k": "open", "c": cid, "type": "websocket", "scope": scope, "user": None, "step": step}
    )


def event(cid: str | None, step: int, text: str = "") -> bytes:
    """An inbound frame on ``cid``; for None, an external group_send (what those are)."""
    message = {"type": "websocket.receive", "text": text or f"at {step}"}
    if cid is None:
        body = {"dir": "layer", "op": "group_send", "group": "g", "message": message}
    else:
        body = {"dir": "in", "message": message}
    return line({"k": "ev", "c": cid, "e": {**body, "step": step}})


def closed(cid: str) -> bytes:
    return line({"k": "close", "c": cid})


class Journal:
    """A journal file being appended to, with an incremental compiler and a scratch compile."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / ".x.journal"
        self.path.write_bytes(line({"k": "run", "run": "r"}))
        self.cassette = directory / "x.json"
        self.scratch = directory / "scratch.json"
        self.compiler = JournalCompiler(self.path, self.cassette)

    def append(self, *lines: bytes) -> None:
        with self.path.open("ab") as handle:
            handle.write(b"".join(lines))

    def compile(self) -> bytes:
        """Compile incrementally; assert the result is what a compile from scratch gives."""
        result = self.compiler.compile()
        expected = compile_journal(self.path, self.scratch)
        assert result == expected
        if not result.written:  # nothing recorded yet: neither writes a cassette
            assert not self.cassette.exists()
            assert not self.scratch.exists()
            return b""
        assert self.cassette.read_bytes() == self.scratch.read_bytes()
        return self.cassette.read_bytes()


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("open"), st.integers(0, 3)),
        st.tuples(st.just("event"), st.integers(-1, 3)),
        st.tuples(st.just("close"), st.integers(0, 3)),
        st.tuples(st.just("compile"), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(OPERATIONS)
def test_any_sequence_of_appends_compiles_as_from_scratch(
    tmp_path_factory: Any, operations: list[tuple[str, int]]
) -> None:
    """Whatever was appended between compiles, the incremental result is byte-identical."""
    journal = Journal(tmp_path_factory.mktemp("journal"))
    for step, (operation, number) in enumerate(operations, 1):
        cid = f"c{number}" if number >= 0 else None
        if operation == "open" and cid is not None:
            journal.append(opened(cid, step))
        elif operation == "event":
            journal.append(event(cid, step))
        elif operation == "close" and cid is not None:
            journal.append(closed(cid))
        else:
            journal.compile()
    journal.compile()


def test_a_compile_renders_only_what_was_appended(tmp_path: Path) -> None:
    """Events compiled before are copied from the previous cassette, not read again."""
    journal = Journal(tmp_path)
    journal.append(opened("c1", 1), event("c1", 2, "first"), event("c1", 3, "second"))
    journal.compile()
    # Overwrite an already compiled event in the journal with a same-length one:
    # a compile that read it again would show the change.
    data = journal.path.read_bytes()
    journal.path.write_bytes(data.replace(b'"first"', b'"FIRST"'))
    journal.append(event("c1", 4, "third"), closed("c1"))
    journal.compiler.compile()
    texts = [e["message"]["text"] for e in load(journal.cassette).connection("c1").events]
    assert texts == ["first", "second", "third"]


def test_a_cassette_replaced_behind_the_compiler_is_rendered_again(tmp_path: Path) -> None:
    """When the cassette on disk is not the one the compiler wrote, nothing is copied from it."""
    journal = Journal(tmp_path)
    journal.append(opened("c1", 1), event("c1", 2))
    journal.compile()
    journal.cassette.write_bytes(b"{}\n")  # someone checked out another version
    journal.append(event("c1", 3))
    journal.compile()


def test_a_torn_line_is_read_once_it_is_whole(tmp_path: Path) -> None:
    """A line still being written is left for the next compile, not skipped for good."""
    journal = Journal(tmp_path)
    whole = opened("c1", 1) + event("c1", 2, "torn")
    journal.append(whole[:-10])
    journal.compile()
    assert load(journal.cassette).connections[0].events == []
    journal.append(whole[-10:])
    journal.compile()
    assert load(journal.cassette).connection("c1").events[0]["message"]["text"] == "torn"


def test_external_events_are_kept_across_compiles(tmp_path: Path) -> None:
    """External events accumulate like a connection's."""
    journal = Journal(tmp_path)
    journal.append(event(None, 1, "one"))
    journal.compile()
    journal.append(event(None, 2, "two"))
    journal.compile()
    assert [e["message"]["text"] for e in load(journal.cassette).external] == ["one", "two"]


def test_a_closed_connection_is_copied_whole_until_it_changes(tmp_path: Path) -> None:
    """A closed, unchanged connection is not read again; an event after its close is added."""
    journal = Journal(tmp_path)
    journal.append(opened("c1", 1), event("c1", 2, "first"), closed("c1"), opened("c2", 3))
    journal.compile()
    data = journal.path.read_bytes()
    journal.path.write_bytes(data.replace(b"/ws/c1/", b"/ws/XX/"))
    journal.append(event("c2", 4))
    journal.compiler.compile()
    assert load(journal.cassette).connection("c1").scope["path"] == "/ws/c1/"
    # The application may still act after the disconnect: c1 is rendered again.
    journal.path.write_bytes(data)
    journal.append(event("c2", 4), event("c1", 2, "late"))
    journal.compile()
    texts = [e["message"]["text"] for e in load(journal.cassette).connection("c1").events]
    assert texts == ["first", "late"]

"""Tests of chanreplay.recorder.journal: compiling, resuming, recovering, and the writers.

The writer tests run against both writers: the thread (JournalWriter) and
the child process (JournalProcess), which share one interface.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from chanreplay.cassette import load, writer
from chanreplay.cassette.model import VERSION, Cassette
from chanreplay.exceptions import CassetteFormatError, ChanreplayError
from chanreplay.recorder.compiler import compile_journal
from chanreplay.recorder.journal import (
    JournalLocked,
    JournalState,
    JournalWriter,
    journal_lines,
    journal_path,
    read_state,
    recover,
)
from chanreplay.recorder.writer_process import JournalProcess

V1_MINIMAL = Path(__file__).parents[1] / "cassette" / "fixtures" / "v1-minimal.json"
V2_ERRORS = Path(__file__).parents[1] / "cassette" / "fixtures" / "v2-errors.json"
SCOPE = {"path": "/ws/chat/lobby/", "query_string": "", "headers": ["host: localhost"]}


def line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


def opened(cid: str, step: int, kind: str = "websocket") -> bytes:
    return line({"k": "open", "c": cid, "type": kind, "scope": SCOPE, "user": None, "step": step})


def event(cid: str | None, step: int, **fields: Any) -> bytes:
    body = fields or {"message": {"type": "websocket.receive", "text": f"at {step}"}}
    return line({"k": "ev", "c": cid, "e": {"dir": "in", "step": step, **body}})


def closed(cid: str) -> bytes:
    return line({"k": "close", "c": cid})


def layer(cid: str | None, step: int, channel: str) -> bytes:
    record = {"dir": "layer", "op": "new_channel", "channel": channel, "step": step}
    return line({"k": "ev", "c": cid, "e": record})


INTERLEAVED = [
    line({"k": "run", "run": "r1"}),
    opened("c1", 1),
    event("c1", 1),
    opened("c2", 2, "http"),
    event("c2", 2),
    event("c1", 3),
    layer(None, 4, "<channel:x1>"),
    event("c2", 5),
    closed("c2"),
    event("c1", 6),
    closed("c1"),
]


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    """A cassette path in a fresh directory and its journal path."""
    cassette = tmp_path / "cassettes" / "chat.json"
    cassette.parent.mkdir()
    return journal_path(cassette), cassette


Writer = JournalWriter | JournalProcess


@pytest.fixture(params=[JournalWriter, JournalProcess], ids=["thread", "process"])
def make_writer(
    request: pytest.FixtureRequest, paths: tuple[Path, Path]
) -> Iterator[Callable[..., Writer]]:
    """Open writers of one kind on the test's journal; any left open are closed at the end."""
    made: list[Writer] = []

    def make(**kwargs: Any) -> Writer:
        made.append(request.param(*paths, **kwargs))
        return made[-1]

    yield make
    for journal_writer in made:
        journal_writer.close(compile=False)  # closing twice is harmless


def steps(events: list[dict[str, Any]]) -> list[int]:
    return [e["step"] for e in events]


# -- compile_journal ---------------------------------------------------------------------


def test_journal_path() -> None:
    """The journal of NAME.json is the hidden .NAME.journal beside it."""
    assert journal_path(Path("cassettes/chat.json")) == Path("cassettes/.chat.journal")


def test_compile_groups_events_by_connection_in_order(paths: tuple[Path, Path]) -> None:
    """Connections come in order of opening, each with its own events in order, external apart."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(b"".join(INTERLEAVED))
    result = compile_journal(journal_file, cassette_file)
    cassette = load(cassette_file)
    assert [(c.id, c.type, c.step) for c in cassette.connections] == [
        ("c1", "websocket", 1),
        ("c2", "http", 2),
    ]
    assert steps(cassette.connections[0].events) == [1, 3, 6]
    assert steps(cassette.connections[1].events) == [2, 5]
    assert cassette.external == [
        {"dir": "layer", "op": "new_channel", "channel": "<channel:x1>", "step": 4}
    ]
    assert (result.connections, result.events, result.unclosed) == (2, 6, [])


def test_connection_order_is_opening_order_not_name_order(paths: tuple[Path, Path]) -> None:
    """c10 opened before c9 stays before it: order is the journal's, never sorted by name."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(opened("c10", 1) + opened("c9", 2) + opened("c2", 3))
    compile_journal(journal_file, cassette_file)
    assert [c.id for c in load(cassette_file).connections] == ["c10", "c9", "c2"]


def test_unclosed_connections_are_marked(paths: tuple[Path, Path]) -> None:
    """A connection without a close record is written with closed: false and reported."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(opened("c1", 1) + opened("c2", 2) + event("c2", 3) + closed("c1"))
    result = compile_journal(journal_file, cassette_file)
    assert [(c.id, c.closed) for c in load(cassette_file).connections] == [
        ("c1", True),
        ("c2", False),
    ]
    assert result.unclosed == ["c2"]


@pytest.mark.parametrize("cut", [1, 10, -2])
def test_torn_last_line_is_skipped(paths: tuple[Path, Path], cut: int) -> None:
    """A half-written last line (no newline) is skipped and everything before it is kept."""
    journal_file, cassette_file = paths
    torn = event("c1", 7)[:cut]
    journal_file.write_bytes(b"".join(INTERLEAVED) + torn)
    result = compile_journal(journal_file, cassette_file)
    assert steps(load(cassette_file).connections[0].events) == [1, 3, 6]
    assert result.events == 6


def test_whole_last_line_without_newline_is_skipped(paths: tuple[Path, Path]) -> None:
    """A last line without its newline counts as torn even when its JSON happens to be whole."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(opened("c1", 1) + event("c1", 2)[:-1])
    compile_journal(journal_file, cassette_file)
    assert load(cassette_file).connections[0].events == []


def test_corrupt_line_mid_journal_is_skipped(paths: tuple[Path, Path]) -> None:
    """A corrupt whole line in the middle is skipped; the lines after it are kept."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(
        opened("c1", 1) + event("c1", 2) + b'{"k":"ev",\n' + b"[1]\n" + event("c1", 3)
    )
    compile_journal(journal_file, cassette_file)
    assert steps(load(cassette_file).connections[0].events) == [2, 3]


def test_events_of_unknown_connections_are_not_counted(paths: tuple[Path, Path]) -> None:
    """Events whose connection was never opened are left out and not counted as written."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(opened("c1", 1) + event("c1", 2) + event("c7", 3))
    result = compile_journal(journal_file, cassette_file)
    assert result.events == 1
    assert load(cassette_file).event_count == 1


def test_an_empty_journal_writes_no_cassette(paths: tuple[Path, Path]) -> None:
    """A server stopped before any traffic recorded nothing: no cassette is written, and
    one already there (committed, recorded again with mode all) stays as it was."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(b"")
    result = compile_journal(journal_file, cassette_file)
    assert not result.written
    assert not cassette_file.exists()
    committed = writer.dumps(Cassette()) + b" "
    cassette_file.write_bytes(committed)
    assert not compile_journal(journal_file, cassette_file).written
    assert cassette_file.read_bytes() == committed


def test_missing_journal_is_a_format_error(paths: tuple[Path, Path]) -> None:
    """Compiling a journal that does not exist raises CassetteFormatError naming it."""
    journal_file, cassette_file = paths
    with pytest.raises(CassetteFormatError, match="no such journal"):
        compile_journal(journal_file, cassette_file)
    assert not cassette_file.exists()


# -- journal_lines -----------------------------------------------------------------------


def test_journal_lines_compile_back_to_the_same_bytes(paths: tuple[Path, Path]) -> None:
    """A cassette turned into journal lines compiles back to byte-identical cassette bytes."""
    journal_file, cassette_file = paths
    original = load(V1_MINIMAL)
    journal_file.write_bytes(b"".join(journal_lines(original, "r1")))
    compile_journal(journal_file, cassette_file)
    assert cassette_file.read_bytes() == writer.dumps(original)


def test_journal_lines_keep_unclosed_connections_open(paths: tuple[Path, Path]) -> None:
    """A connection recorded as not closed gets no close record, so it stays unclosed."""
    journal_file, cassette_file = paths
    original = load(V1_MINIMAL)
    original.connections[1].closed = False
    journal_file.write_bytes(b"".join(journal_lines(original, "r1")))
    result = compile_journal(journal_file, cassette_file)
    assert result.unclosed == ["c2"]
    assert cassette_file.read_bytes() == writer.dumps(original)


def test_journal_lines_start_with_the_run(paths: tuple[Path, Path]) -> None:
    """The journal of an existing cassette starts with the run that appends to it."""
    first = next(journal_lines(load(V1_MINIMAL), "run-42"))
    assert orjson.loads(first) == {"k": "run", "run": "run-42"}


# -- read_state ---------------------------------------------------------------------------


def test_read_state_resumes_counters(paths: tuple[Path, Path]) -> None:
    """read_state gives the last run, the highest connection number, step and x placeholder."""
    journal_file, _ = paths
    journal_file.write_bytes(
        line({"k": "run", "run": "r1"})
        + opened("c1", 1)
        + opened("c12", 2)
        + layer("c1", 9, "<channel:x3>")
        + event(None, 11, op="group_send", group="g", message={"to": "<channel:x7>"})
        + line({"k": "run", "run": "r2"})
        + opened("c4", 12)
    )
    assert read_state(journal_file) == JournalState(
        run="r2", connections=12, step=12, external_channels=7, records=7
    )


def test_read_state_ignores_a_torn_last_line(paths: tuple[Path, Path]) -> None:
    """A torn last line does not count towards the resumed counters."""
    journal_file, _ = paths
    journal_file.write_bytes(opened("c1", 1) + opened("c2", 5)[:-1])
    state = read_state(journal_file)
    assert (state.connections, state.step, state.records) == (1, 1, 1)


def test_read_state_of_missing_journal_starts_fresh(paths: tuple[Path, Path]) -> None:
    """A journal that does not exist gives zero counters and no run."""
    journal_file, _ = paths
    assert read_state(journal_file) == JournalState()


def test_read_state_of_v1_fixture(paths: tuple[Path, Path]) -> None:
    """Appending to an existing cassette resumes after its last connection and step."""
    journal_file, _ = paths
    journal_file.write_bytes(b"".join(journal_lines(load(V1_MINIMAL), "r1")))
    state = read_state(journal_file)
    assert (state.run, state.connections, state.step, state.external_channels) == ("r1", 2, 5, 0)


def test_read_state_reports_the_highest_binding_per_kind(paths: tuple[Path, Path]) -> None:
    """Each kind's highest placeholder number, wherever it is: a resumed recording goes on."""
    journal_file, _ = paths
    journal_file.write_bytes(
        opened("c1", 1)
        + event("c1", 2, dir="out", message={"type": "websocket.send", "text": "<uuid:3>"})
        + event("c1", 3, message={"type": "websocket.receive", "text": "/t/<uuid:12>/<uuid:2>"})
        + event(None, 4, op="group_send", group="trip_<uuid:7>", message={"jwt": "<jwt:2>"})
        + line(
            {
                "k": "open",
                "c": "c2",
                "type": "http",
                "scope": {**SCOPE, "headers": ["cookie: sessionid=<token:1>"]},
                "user": None,
                "step": 5,
            }
        )
        + event("c2", 6, message={"text": "<uuid:0> <hex:01> <datetime> <redacted> <channel:c1>"})
    )
    state = read_state(journal_file)
    assert state.bindings == {"uuid": 12, "jwt": 2, "token": 1}
    assert state.version == VERSION


def test_read_state_of_a_journal_without_bindings(paths: tuple[Path, Path]) -> None:
    """A journal of exact values (or none) reports no binding numbers."""
    journal_file, _ = paths
    assert read_state(journal_file).bindings == {}
    journal_file.write_bytes(b"".join(INTERLEAVED))
    assert read_state(journal_file).bindings == {}


def test_read_state_reports_the_version_of_a_format_record(paths: tuple[Path, Path]) -> None:
    """A journal appending to an older cassette carries its version; others are current."""
    journal_file, _ = paths
    journal_file.write_bytes(
        line({"k": "run", "run": "r1"}) + line({"k": "format", "version": 2}) + opened("c1", 1)
    )
    state = read_state(journal_file)
    assert (state.version, state.run, state.connections, state.records) == (2, "r1", 1, 3)
    journal_file.write_bytes(line({"k": "format", "version": "2"}) + opened("c1", 1))
    assert read_state(journal_file).version == VERSION


def test_journal_lines_of_a_version_2_cassette_carry_its_format(paths: tuple[Path, Path]) -> None:
    """Appending to a version-2 cassette records in version 2, and compiles back byte for byte."""
    journal_file, cassette_file = paths
    original = load(V2_ERRORS)
    assert (original.version, original.binds) == (2, False)
    lines = list(journal_lines(original, "r1"))
    assert [orjson.loads(row) for row in lines[:2]] == [
        {"k": "run", "run": "r1"},
        {"k": "format", "version": 2},
    ]
    journal_file.write_bytes(b"".join(lines))
    assert read_state(journal_file).version == 2
    compile_journal(journal_file, cassette_file)
    assert cassette_file.read_bytes() == writer.dumps(original) == V2_ERRORS.read_bytes()
    assert load(cassette_file).version == 2


def test_journal_lines_of_a_current_cassette_have_no_format_record(
    paths: tuple[Path, Path],
) -> None:
    """A cassette in the current version needs no format record and stays in it."""
    journal_file, cassette_file = paths
    current = load(V2_ERRORS)
    current.version = VERSION
    lines = list(journal_lines(current, "r1"))
    assert all(orjson.loads(row)["k"] != "format" for row in lines)
    journal_file.write_bytes(b"".join(lines))
    compile_journal(journal_file, cassette_file)
    assert cassette_file.read_bytes() == writer.dumps(current)
    assert load(cassette_file).version == VERSION


# -- recover ------------------------------------------------------------------------------


def test_recover_turns_journal_into_cassette(paths: tuple[Path, Path]) -> None:
    """recover compiles .NAME.journal into NAME.json and deletes the journal."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(b"".join(INTERLEAVED))
    path, result = recover(journal_file)
    assert path == cassette_file
    assert not journal_file.exists()
    assert len(load(cassette_file).connections) == result.connections == 2


def test_recover_names_every_line_it_could_not_read(paths: tuple[Path, Path]) -> None:
    """Lines that are no record, and a torn last line, are lost and said, by line number."""
    journal_file, cassette_file = paths
    lines = list(INTERLEAVED)
    lines.insert(3, b"this is not json\n")
    lines.insert(6, b"[1, 2]\n")
    journal_file.write_bytes(b"".join(lines) + b'{"k": "ev", "c": "c1"')
    _, result = recover(journal_file)
    assert result.skipped == [4, 7]
    assert result.torn
    assert len(load(cassette_file).connections) == 2


def test_a_record_missing_what_its_kind_needs_is_a_lost_line(paths: tuple[Path, Path]) -> None:
    """Found by fuzzing: an ``open`` record without its scope (a flipped byte in the key)
    stopped the compile with a KeyError; it is a line that held no record."""
    journal_file, _ = paths
    lines = list(INTERLEAVED)
    lines[1] = lines[1].replace(b'"scope"', b'" cope"')
    journal_file.write_bytes(b"".join(lines))
    _, result = recover(journal_file)
    assert result.skipped == [2]
    assert result.connections == 1  # c1's events have no connection to belong to


def test_recover_keeps_a_journal_that_makes_no_loadable_cassette(
    paths: tuple[Path, Path],
) -> None:
    """Records that compile into a cassette the loader rejects (an event of a wrong shape):
    nothing is written, the journal stays, the error names the loader's diagnosis."""
    journal_file, cassette_file = paths
    broken = line({"k": "ev", "c": "c1", "e": {"dir": "sideways", "step": 1}})
    original = b"".join([*INTERLEAVED[:3], broken, *INTERLEAVED[3:]])
    journal_file.write_bytes(original)
    with pytest.raises(CassetteFormatError, match="does not make a loadable cassette") as error:
        recover(journal_file)
    assert "the journal is kept" in str(error.value)
    assert journal_file.read_bytes() == original
    assert not cassette_file.exists()
    assert list(cassette_file.parent.iterdir()) == [journal_file]


@pytest.mark.parametrize("name", ["chat.journal", ".chat.json", "chat.json"])
def test_recover_refuses_other_files(tmp_path: Path, name: str) -> None:
    """recover refuses a file not named like a journal, and leaves it alone."""
    path = tmp_path / name
    path.write_bytes(b"".join(INTERLEAVED))
    with pytest.raises(CassetteFormatError, match="not a journal file"):
        recover(path)
    assert path.exists()


# -- JournalWriter and JournalProcess ----------------------------------------------------


def test_lines_from_many_threads_all_reach_the_file(
    make_writer: Callable[..., Writer], paths: tuple[Path, Path]
) -> None:
    """Lines appended from several threads while the writer flushes all reach the file whole."""
    journal_writer = make_writer()
    threads, per_thread = 8, 2000
    start = threading.Barrier(threads)

    def append(thread: int) -> None:
        start.wait()
        for index in range(per_thread):
            journal_writer.append(line({"k": "t", "t": thread, "i": index}))

    workers = [threading.Thread(target=append, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    journal_writer.close(compile=False)
    records = [orjson.loads(raw) for raw in paths[0].read_bytes().splitlines()]
    assert sorted((r["t"], r["i"]) for r in records) == [
        (t, i) for t in range(threads) for i in range(per_thread)
    ]
    for thread in range(threads):
        assert [r["i"] for r in records if r["t"] == thread] == list(range(per_thread))


def test_request_compile_writes_the_cassette_soon(
    make_writer: Callable[..., Writer], paths: tuple[Path, Path]
) -> None:
    """After request_compile, the background thread writes the cassette within a second."""
    _, cassette_file = paths
    journal_writer = make_writer()
    for record in INTERLEAVED:
        journal_writer.append(record)
    journal_writer.request_compile()
    deadline = time.monotonic() + 1
    while not cassette_file.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cassette_file.exists()
    assert [c.id for c in load(cassette_file).connections] == ["c1", "c2"]


def test_second_writer_on_the_same_journal_is_refused(
    make_writer: Callable[..., Writer], paths: tuple[Path, Path]
) -> None:
    """A second writer on a journal in use raises JournalLocked naming the journal."""
    first = make_writer()
    with pytest.raises(JournalLocked, match="another process is already recording") as caught:
        make_writer()
    assert str(paths[0]) in str(caught.value)
    assert isinstance(caught.value, ChanreplayError)
    assert isinstance(caught.value, RuntimeError)
    first.close(compile=False)
    make_writer()  # the lock is released with the first writer


def test_close_writes_a_final_cassette(
    make_writer: Callable[..., Writer], paths: tuple[Path, Path]
) -> None:
    """close() flushes every queued line and compiles the final cassette."""
    journal_file, cassette_file = paths
    journal_writer = make_writer()
    for record in INTERLEAVED:
        journal_writer.append(record)
    result = journal_writer.close()
    assert result is not None
    assert (result.connections, result.events) == (2, 6)
    assert journal_file.read_bytes() == b"".join(INTERLEAVED)
    cassette = load(cassette_file)
    assert [(c.id, steps(c.events)) for c in cassette.connections] == [
        ("c1", [1, 3, 6]),
        ("c2", [2, 5]),
    ]


def test_close_without_compile_writes_no_cassette(
    make_writer: Callable[..., Writer], paths: tuple[Path, Path]
) -> None:
    """close(compile=False) flushes the journal but writes no cassette."""
    journal_file, cassette_file = paths
    journal_writer = make_writer()
    journal_writer.append(opened("c1", 1))
    assert journal_writer.close(compile=False) is None
    assert journal_file.read_bytes() == opened("c1", 1)
    assert not cassette_file.exists()


def test_resuming_after_a_torn_line_keeps_new_lines(
    make_writer: Callable[..., Writer], paths: tuple[Path, Path]
) -> None:
    """A writer resuming a journal whose last line is torn keeps its first appended line."""
    journal_file, cassette_file = paths
    journal_file.write_bytes(opened("c1", 1) + event("c1", 2)[:15])
    journal_writer = make_writer()
    journal_writer.append(opened("c2", 3))
    journal_writer.close()
    assert [c.id for c in load(cassette_file).connections] == ["c1", "c2"]


def test_compile_errors_go_to_on_error(
    make_writer: Callable[..., Writer], paths: tuple[Path, Path]
) -> None:
    """A failing background compile is reported to on_error and the writer keeps flushing."""
    journal_file, cassette_file = paths
    cassette_file.mkdir()  # the cassette cannot replace a directory
    errors: list[BaseException] = []
    journal_writer = make_writer(on_error=errors.append)
    journal_writer.append(opened("c1", 1))
    journal_writer.request_compile()
    deadline = time.monotonic() + 1
    while not errors and time.monotonic() < deadline:
        time.sleep(0.01)
    assert errors
    assert isinstance(errors[0], OSError)
    journal_writer.append(closed("c1"))
    journal_writer.flush()
    assert journal_file.read_bytes() == opened("c1", 1) + closed("c1")


def test_remove_deletes_the_journal(
    make_writer: Callable[..., Writer], paths: tuple[Path, Path]
) -> None:
    """remove() after close deletes the journal and keeps the cassette."""
    journal_file, cassette_file = paths
    journal_writer = make_writer()
    journal_writer.append(opened("c1", 1))
    journal_writer.close()
    journal_writer.remove()
    assert not journal_file.exists()
    assert cassette_file.exists()

"""Tests of chanreplay.recorder.writer_process: what only the writer process does.

What it shares with the writer thread (flush, compile, close, the lock) is
tested against both in test_journal.py. Here: the writer cleans in its own
process at a lower priority, outlives a killed recording process and a
Ctrl-C, and reports that it is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from chanreplay.cassette import load
from chanreplay.cassette.redaction import REDACTED, Redactor
from chanreplay.exceptions import ChanreplayError
from chanreplay.recorder.cleaning import control_line
from chanreplay.recorder.journal import journal_path, wait_released
from chanreplay.recorder.writer_process import WRITER_NICENESS, JournalProcess, JournalWriterError

SECRET = "s3cr3t-session-value-0123456789"
SCOPE = {"path": "/ws/chat/lobby/", "query_string": "", "headers": []}


def opened(cid: str) -> bytes:
    record = {"k": "open", "c": cid, "type": "websocket", "scope": SCOPE, "user": None, "step": 1}
    return orjson.dumps(record) + b"\n"


def frame(cid: str, step: int, text: str) -> bytes:
    message = {"type": "websocket.receive", "text": text}
    return orjson.dumps({"k": "ev", "c": cid, "e": {"dir": "in", "step": step, "message": message}})


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    cassette = tmp_path / "cassettes" / "chat.json"
    cassette.parent.mkdir()
    return journal_path(cassette), cassette


@pytest.fixture
def writer(paths: tuple[Path, Path]) -> Iterator[JournalProcess]:
    process = JournalProcess(*paths, redactor=Redactor())
    yield process
    process.close(compile=False)


def test_the_writer_cleans_with_what_the_stream_taught_it(
    writer: JournalProcess, paths: tuple[Path, Path]
) -> None:
    """A secret learned mid-stream is scrubbed from later lines, in the writer process."""
    writer.append(opened("c1"))
    writer.append(frame("c1", 2, f"before {SECRET}") + b"\n")
    writer.append(control_line("learn", SECRET))
    writer.append(frame("c1", 3, f"after {SECRET}") + b"\n")
    writer.flush()
    texts = [
        record["e"]["message"]["text"]
        for record in map(orjson.loads, paths[0].read_bytes().splitlines())
        if record["k"] == "ev"
    ]
    assert texts == [f"before {SECRET}", f"after {REDACTED}"]
    assert b"!learn" not in paths[0].read_bytes()


def test_the_writer_ignores_ctrl_c(writer: JournalProcess, paths: tuple[Path, Path]) -> None:
    """SIGINT (Ctrl-C reaches the whole process group) leaves the writer writing."""
    os.kill(writer.pid, signal.SIGINT)
    os.kill(writer.pid, signal.SIGTERM)
    writer.append(opened("c1"))
    result = writer.close()
    assert result is not None
    assert result.connections == 1
    assert [c.id for c in load(paths[1]).connections] == ["c1"]


def test_the_writer_yields_the_cpu_to_the_server(writer: JournalProcess) -> None:
    """The writer runs at a lower priority than the process that records (it is background work)."""
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    expected = min(ours + WRITER_NICENESS, 19)
    assert os.getpriority(os.PRIO_PROCESS, writer.pid) == expected


def test_a_dead_writer_is_reported_and_named(paths: tuple[Path, Path]) -> None:
    """When the writer process dies, on_error hears of it and a flush raises, naming the journal."""
    errors: list[BaseException] = []
    writer = JournalProcess(*paths, on_error=errors.append)
    try:
        os.kill(writer.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not errors and time.monotonic() < deadline:
            time.sleep(0.01)
        assert errors
        assert isinstance(errors[0], JournalWriterError)
        assert "exited with code -9" in str(errors[0])
        writer.append(opened("c1"))
        with pytest.raises(JournalWriterError, match="chanreplay recover") as caught:
            writer.flush()
        assert str(paths[0]) in str(caught.value)
        assert isinstance(caught.value, ChanreplayError)
    finally:
        # Closing compiles what the journal holds, in this process.
        result = writer.close()
    assert result is not None
    assert result.connections == 0
    assert not result.written  # the journal held nothing: no cassette of nothing
    assert "journal lines recorded after the writer of" in str(errors[-1])
    assert not paths[1].exists()


RECORDING_PROCESS = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from chanreplay.recorder.writer_process import JournalProcess
    journal, cassette, count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    writer = JournalProcess(journal, cassette)
    writer.append(b'{"k":"open","c":"c1","type":"websocket","user":null,"step":1,'
                  b'"scope":{"path":"/ws/","query_string":"","headers":[]}}\\n')
    for index in range(count):
        writer.append(b'{"k":"ev","c":"c1","e":{"dir":"in","step":%d,'
                      b'"message":{"type":"websocket.receive","text":"m%d"}}}\\n'
                      % (index + 2, index))
    writer.send()
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_killed_recording_loses_nothing_it_handed_over(paths: tuple[Path, Path]) -> None:
    """SIGKILL of the recording process: the writer writes all it was sent and compiles."""
    journal, cassette = paths
    count = 20_000  # more than the pipe holds: the writer is still reading when its parent dies
    process = subprocess.run(
        [sys.executable, "-c", RECORDING_PROCESS, str(journal), str(cassette), str(count)],
        capture_output=True,
        timeout=60,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()
    assert wait_released(journal, timeout=30)
    (connection,) = load(cassette).connections
    assert [event["message"]["text"] for event in connection.events] == [
        f"m{index}" for index in range(count)
    ]
    assert connection.closed is False
    assert journal.exists()  # kept: recover and resume still work from it

"""The journal writer process: cleaning, writing and compiling off the server's CPU.

A recording server spends its time serving; what it records only has to
reach the disk soon and safely. So the recording process does the least it
can per event (serialise, append to a list; a websocket frame is handed over
as it is and serialised here: :mod:`chanreplay.recorder.deferred`) and a child
process does the rest: it takes batches of journal lines through a pipe, cleans them
(placeholders, redaction: :mod:`chanreplay.recorder.cleaning`), appends them
to the journal, which it holds locked, and compiles the cassette after a
connection closes. It runs on another core and never holds the server's GIL,
at a lower scheduling priority (:data:`WRITER_NICENESS`) than the server, so
that it takes only CPU time the server and its clients leave.

Crash safety improves too: when the recording process dies, even by
SIGKILL, the pipe closes and the writer writes out everything it was sent,
compiles the cassette, and exits.

The pipe carries journal lines, websocket frames still to serialise (see
:func:`~chanreplay.recorder.deferred.stream_batch`) and, in the same stream so
that they apply in order, the cleaner's control lines (``!``) and requests to
the writer (``?``, sent as records of their own that the writer finds without
searching every line: :func:`~chanreplay.recorder.deferred.request_record`):

    ?soon                    compile the cassette shortly (a connection closed)
    ?flush N                 write everything before this line, then answer N
    ?compile N durable|fast  compile now, then answer N with the result
    ?close N compile|none    write everything, compile (or not), answer N, exit

Answers and errors come back as JSON lines on the writer's stdout.

This module is pure: it imports neither Django nor Channels, so the writer
process starts quickly.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from chanreplay.cassette.binding import Binder
from chanreplay.cassette.redaction import Redactor
from chanreplay.exceptions import ChanreplayError, JournalLocked
from chanreplay.recorder.cleaning import JournalCleaner
from chanreplay.recorder.compiler import CompileResult, JournalCompiler
from chanreplay.recorder.deferred import JournalLine, StreamReader, request_record, stream_batch
from chanreplay.recorder.journal import (
    COMPILE_DELAY,
    JournalFile,
    take_pending,
    ticks,
)

__all__ = ["WRITER_NICENESS", "JournalProcess", "JournalWriterError"]

logger = logging.getLogger("chanreplay")

START_TIMEOUT = 30.0
"""Seconds to wait for the writer process to hold the journal (beyond the lock timeout)."""
ANSWER_TIMEOUT = 120.0
"""Seconds to wait for the writer to answer a request (a final compile can be long)."""
_PIPE_SIZE = 1 << 20
"""Bytes the pipe to the writer holds (Linux; the default 64 KiB means more wake-ups)."""
_READ_SIZE = 1 << 20
_SOON = request_record(b"?soon")
WRITER_NICENESS = 10
"""How much the writer process lowers its scheduling priority (``nice``) below the server's."""


class JournalWriterError(ChanreplayError, OSError):
    """The journal writer process failed to write, compile or keep running."""


class JournalProcess:
    """A :class:`~chanreplay.recorder.recording.JournalSink` whose writing is done by a child.

    :attr:`append` is the hot path, as in
    :class:`~chanreplay.recorder.journal.JournalWriter`: the list's own
    method. A thread sends what was appended to the writer every
    :data:`FLUSH_INTERVAL` seconds; another reads its answers. ``redactor``
    (its configuration; what it learned reaches the writer as control
    lines) sets up the writer's cleaner; without one, lines are written as
    they come.
    """

    clean: Callable[[bytes], bytes] | None = None
    """Unused: the writer process cleans (the attribute completes the JournalSink protocol)."""

    def __init__(
        self,
        journal: Path,
        cassette: Path,
        *,
        on_error: Callable[[BaseException], None] | None = None,
        lock_timeout: float = 0.0,
        redactor: Redactor | None = None,
        bind: bool = True,
    ) -> None:
        self.journal = journal
        self.cassette = cassette
        self._on_error = on_error
        settings = redactor.settings if redactor is not None else None
        package_root = str(Path(__file__).resolve().parents[2])
        path = os.environ.get("PYTHONPATH")
        environment = {
            **os.environ,
            "PYTHONPATH": package_root + (os.pathsep + path if path else ""),
        }
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                __name__,
                str(journal),
                str(cassette),
                repr(lock_timeout),
                orjson.dumps(settings).decode(),
                "bind" if bind else "exact",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
        )
        assert self._process.stdin is not None
        self._pipe = self._process.stdin.fileno()
        with contextlib.suppress(OSError, AttributeError):  # Linux only; a hint
            fcntl.fcntl(self._pipe, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        self._answers: dict[int, dict[str, Any]] = {}
        self._answered = threading.Condition()
        self._requests = itertools.count(1)
        self._ended = False
        self._closed = False
        self._lost = 0
        """Journal lines that never reached the writer (it had ended)."""
        self._reader = threading.Thread(
            target=self._read_answers,
            name=f"chanreplay-writer-answers-{cassette.stem}",
            daemon=True,
        )
        self._reader.start()
        ready = self._wait(0, START_TIMEOUT + lock_timeout)
        if "error" in ready:
            self._end_process()
            if ready.get("kind") == "JournalLocked":
                raise JournalLocked(ready["error"])
            raise JournalWriterError(ready["error"])
        self._pending: list[JournalLine] = []
        self.append: Callable[[JournalLine], None] = self._pending.append
        """Queue one record (a complete line ending in ``\\n``, or a frame to
        serialise with the batch: :mod:`chanreplay.recorder.deferred`)."""
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._sender = threading.Thread(
            target=self._run, name=f"chanreplay-writer-{cassette.stem}", daemon=True
        )
        self._sender.start()

    @property
    def pid(self) -> int:
        """The writer process's id."""
        return self._process.pid

    def send(self) -> None:
        """Hand everything appended so far to the writer, without waiting for it to be written."""
        self._send()

    # -- the JournalSink interface ----------------------------------------
    def request_compile(self) -> None:
        """Ask for the cassette to be rebuilt shortly (the writer debounces)."""
        self.append(_SOON)

    def flush(self) -> None:
        """Have everything appended so far written to the journal file; wait for it."""
        self._request("flush")

    def compile(self, *, durable: bool = False) -> CompileResult:
        """Write everything appended so far, then rebuild the cassette; wait for it."""
        answer = self._request("compile", "durable" if durable else "fast")
        return CompileResult(**answer["result"])

    def close(self, *, compile: bool = True) -> CompileResult | None:
        """Write everything, compile a final cassette (by default), and end the writer."""
        if self._closed:
            return None
        self._closed = True
        self._stop.set()
        self._sender.join(timeout=10)
        try:
            answer = self._request("close", "compile" if compile else "none")
        except JournalWriterError:
            if not self._ended:
                raise
            answer = self._close_after_writer_died(compile=compile)
        finally:
            self._end_process()
        result = answer.get("result")
        return CompileResult(**result) if result is not None else None

    def _close_after_writer_died(self, *, compile: bool) -> dict[str, Any]:
        """The writer is gone (reported when it went): compile here what the journal holds."""
        lost = self._lost + len(self._pending)
        if lost:
            self._report(
                JournalWriterError(
                    f"{lost} journal lines recorded after the writer of {self.journal} ended "
                    "are lost"
                )
            )
        if not compile:
            return {}
        self._process.wait(ANSWER_TIMEOUT)  # it holds the lock until it has exited
        # Everything in the journal was cleaned before it was written.
        return {
            "result": asdict(JournalCompiler(self.journal, self.cassette).compile(durable=True))
        }

    def remove(self) -> None:
        """Delete the journal file (after a final compile)."""
        self.journal.unlink(missing_ok=True)

    def _end_process(self) -> None:
        """Close the pipe (the writer exits on it), wait for the writer, close its output."""
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        try:
            self._process.wait(ANSWER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=10)
        if self._process.stdout is not None:
            self._process.stdout.close()

    # -- sending ----------------------------------------------------------
    def _run(self) -> None:
        for _ in ticks(self._stop):
            try:
                self._send()
            except Exception as error:  # the server must keep running
                self._report(error)

    def _send(self, request: bytes = b"") -> None:
        with self._send_lock:
            batch = take_pending(self._pending)
            if self._ended:
                self._lost += len(batch)
                if request:
                    raise JournalWriterError(self._gone())
                return
            data = stream_batch(batch) + request
            if not data:
                return
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self._pipe, view)
                except BrokenPipeError:
                    self._lost += len(batch)  # some may have gone through: at most this many
                    raise JournalWriterError(self._gone()) from None
                view = view[written:]

    def _request(self, kind: str, argument: str = "") -> dict[str, Any]:
        number = next(self._requests)
        line = f"?{kind} {number} {argument}".rstrip()
        self._send(request_record(line.encode("ascii")))
        answer = self._wait(number, ANSWER_TIMEOUT)
        if "error" in answer:
            raise JournalWriterError(answer["error"])
        return answer

    # -- answers ------------------------------------------------------------
    def _read_answers(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        for raw in stdout:
            try:
                answer = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue  # not ours (something the writer's imports printed)
            number = answer.get("answer")
            if number is None:
                self._report(JournalWriterError(answer.get("error", "unknown error")))
                continue
            with self._answered:
                self._answers[number] = answer
                self._answered.notify_all()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(5)  # its output ended: it is exiting (the report says how)
        with self._answered:
            self._ended = True
            self._answered.notify_all()
        if not self._closed:
            self._report(JournalWriterError(self._gone()))

    def _wait(self, number: int, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._answered:
            while number not in self._answers:
                remaining = deadline - time.monotonic()
                if self._ended or remaining <= 0:
                    what = "ended" if self._ended else f"did not answer within {timeout:g} s"
                    return {"error": f"the journal writer process {what} ({self.journal})"}
                self._answered.wait(remaining)
            return self._answers.pop(number)

    def _gone(self) -> str:
        code = self._process.poll()
        how = f"exited with code {code}" if code is not None else "stopped reading"
        return (
            f"the journal writer process of {self.journal} {how}; events recorded since are "
            "lost, the journal holds what came before (chanreplay recover turns it into "
            "a cassette)"
        )

    def _report(self, error: BaseException) -> None:
        if self._on_error is not None:
            self._on_error(error)
        else:
            logger.error("chanreplay: %s", error)


# -- the writer process itself ------------------------------------------------------------


class _Writer:
    """The writer side: turns the stream from the pipe into the journal and the cassette."""

    def __init__(self, journal: JournalFile, answer: Callable[[dict[str, Any]], None]) -> None:
        self.journal = journal
        self.answer = answer
        self.compile_at: float | None = None
        self.closing: tuple[int, bool] | None = None

    def handle(self, parts: list[tuple[bool, bytes]]) -> None:
        """Write the journal lines and carry out the requests of ``parts``
        (:meth:`StreamReader.feed`), in order."""
        for request, part in parts:
            if request:
                self._request(part.decode("ascii").split())
                if self.closing is not None:
                    return  # nothing follows a close
            else:
                self._write(part)

    def _write(self, data: bytes) -> None:
        try:
            self.journal.write(data)
        except Exception as error:  # keep writing what comes next
            self.answer({"error": f"writing {self.journal.journal} failed: {error}"})

    def _request(self, words: list[str]) -> None:
        kind, number = words[0][1:], int(words[1]) if len(words) > 1 else 0
        if kind == "soon":
            if self.compile_at is None:
                delay = max(COMPILE_DELAY, self.journal.compile_cost)
                self.compile_at = time.monotonic() + delay
        elif kind == "flush":
            self.answer({"answer": number})
        elif kind == "compile":
            self.answer({"answer": number, **self._compile(durable=words[2] == "durable")})
        elif kind == "close":
            self.closing = (number, words[2] == "compile")
        else:
            self.answer({"answer": number, "error": f"unknown request {kind!r}"})

    def _compile(self, *, durable: bool) -> dict[str, Any]:
        self.compile_at = None
        try:
            return {"result": asdict(self.journal.compile(durable=durable))}
        except Exception as error:
            return {"error": f"compiling {self.journal.cassette} failed: {error}"}

    def compile_if_due(self) -> None:
        """Compile the cassette if a request for it has waited long enough."""
        if self.compile_at is not None and time.monotonic() >= self.compile_at:
            outcome = self._compile(durable=False)
            if "error" in outcome:
                self.answer(outcome)

    def timeout(self) -> float | None:
        """Seconds until the next compile is due (None: nothing to wait for)."""
        if self.compile_at is None:
            return None
        return max(0.0, self.compile_at - time.monotonic())


def _serve(writer: _Writer, pipe: int) -> None:
    """Read the pipe until the recording closes it (or dies); then finish the cassette."""
    stream = StreamReader()
    while writer.closing is None:
        ready, _, _ = select.select([pipe], [], [], writer.timeout())
        if ready:
            chunk = os.read(pipe, _READ_SIZE)
            if not chunk:
                break  # the recording process is gone: write out what it sent
            writer.handle(stream.feed(chunk))
        writer.compile_if_due()
    if writer.closing is None:
        # No close: the recording process died. A torn last line or frame (what
        # the stream holds back) is left out; everything whole is in the
        # journal, and the cassette too.
        outcome = writer._compile(durable=True)
        if "error" in outcome:
            writer.answer(outcome)
        return
    number, compile = writer.closing
    answer: dict[str, Any] = {"answer": number}
    if compile:
        answer.update(writer._compile(durable=True))
    writer.answer(answer)


def main(argv: list[str]) -> int:
    """The writer process: ``JOURNAL CASSETTE LOCK_TIMEOUT REDACTOR_SETTINGS``."""
    # Ctrl-C reaches the whole process group; this process must outlive the
    # server to write what it sends last, so it stops only when the pipe closes.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    journal_arg, cassette_arg, lock_timeout, settings, values = argv
    # The writer's work is background work: it may lag, the server may not.
    # On a busy machine (a browser, the test clients, another server on the
    # same cores), the scheduler gives the server and its clients the CPU
    # first; the writer catches up when they wait, and its pipe and the
    # recording process's list hold what it has not written yet.
    with contextlib.suppress(OSError, AttributeError):  # not on every platform
        os.nice(WRITER_NICENESS)
    out = sys.stdout.buffer

    def answer(message: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):  # the recording process is gone
            out.write(orjson.dumps(message) + b"\n")
            out.flush()

    configured = orjson.loads(settings)
    binder = Binder(keep_times=True) if values == "bind" else None
    cleaner = JournalCleaner(Redactor(**configured), binder) if configured is not None else None
    try:
        journal = JournalFile(
            Path(journal_arg), Path(cassette_arg), lock_timeout=float(lock_timeout), clean=cleaner
        )
    except JournalLocked as error:
        answer({"answer": 0, "error": str(error), "kind": "JournalLocked"})
        return 1
    except OSError as error:
        answer({"answer": 0, "error": f"cannot open {journal_arg}: {error}"})
        return 1
    answer({"answer": 0})
    try:
        _serve(_Writer(journal, answer), sys.stdin.fileno())
    finally:
        journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

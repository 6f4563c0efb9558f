"""Real example-project servers in subprocesses, for integration tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

EXAMPLE_PROJECT = Path(__file__).parent / "example_project"
START_TIMEOUT = 60.0


# A command started from a background job inherits SIGINT as ignored, and then
# neither Python nor Twisted handles Ctrl-C. Servers get the default back, as
# they would when started from a terminal.
def _exec_with_sigint(disposition: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        f"import os, signal, sys; signal.signal(signal.SIGINT, signal.{disposition}); "
        "os.execv(sys.argv[1], sys.argv[1:])",
    ]


_WITH_DEFAULT_SIGINT = _exec_with_sigint("SIG_DFL")
_WITH_IGNORED_SIGINT = _exec_with_sigint("SIG_IGN")


def with_default_sigint(command: list[str]) -> list[str]:
    """``command`` started with Ctrl-C's default handling, whatever this process's is."""
    return [*_WITH_DEFAULT_SIGINT, *command]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One server process (with its autoreloader child, if any)."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        """Block until the server accepts connections; fail with its output if it died."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send ``sig`` to the server's main process and wait for the whole group to end."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
        self._wait_group_gone(timeout)
        return self.process.returncode

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl-C: SIGINT to every process of the server, as a terminal sends it."""
        return self._signal_group(signal.SIGINT, timeout)

    def kill(self) -> None:
        """SIGKILL every process of the server (nothing gets to clean up)."""
        self._signal_group(signal.SIGKILL, 30)

    def _signal_group(self, sig: int, timeout: float) -> int:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout)
        self._wait_group_gone(timeout)
        return self.process.returncode

    def _wait_group_gone(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.killpg(self.process.pid, signal.SIGKILL)


def spawn(command: list[str], *, port: int, cwd: Path, env: dict[str, str], log: Path) -> Server:
    """Start ``command`` (a server on ``port``) in ``cwd`` as a terminal would: in a session
    of its own, Ctrl-C handled by default, its output in ``log``. Not waited for."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            with_default_sigint(command),
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, port, log)


class ServerFactory:
    """Starts servers of the example project against one database and cassette dir."""

    def __init__(self, *, database: Path, cassette_dir: Path) -> None:
        self.database = database
        self.cassette_dir = cassette_dir
        self.started: list[Server] = []

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a server or management command of the example project runs in."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHANREPLAY_")}
        env.update(EXAMPLE_DB_PATH=str(self.database), PYTHONUNBUFFERED="1")
        env.update(extra)
        return env

    def start(
        self,
        args: list[str],
        *,
        env: dict[str, str] | None = None,
        wait: bool = True,
        port: int | None = None,
        sigint_ignored: bool = False,
    ) -> Server:
        """Run ``args`` (with ``{port}`` filled in) in the example project, in a new session.

        ``sigint_ignored`` starts it as a background job would be: ignoring SIGINT.
        """
        port = port or free_port()
        log = self.cassette_dir.parent / f"server-{len(self.started)}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as handle:
            process = subprocess.Popen(
                (_WITH_IGNORED_SIGINT if sigint_ignored else _WITH_DEFAULT_SIGINT)
                + [part.format(port=port) for part in args],
                cwd=EXAMPLE_PROJECT,
                env=env or self.env(),
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(process, port, log)
        self.started.append(server)
        if wait:
            server.wait_ready()
        return server

    def runserver(
        self,
        *options: str,
        record: str | None = "session",
        reload: bool = False,
        wait: bool = True,
        port: int | None = None,
        sigint_ignored: bool = False,
        **env: str,
    ) -> Server:
        """``manage.py runserver`` (by default recording into ``session``, no autoreload)."""
        args = [sys.executable, "manage.py", "runserver"]
        if record is not None:
            args += ["--record", record, "--cassette-dir", str(self.cassette_dir)]
        if not reload:
            args.append("--noreload")
        args += [*options, "127.0.0.1:{port}"]
        return self.start(
            args, env=self.env(**env), wait=wait, port=port, sigint_ignored=sigint_ignored
        )

    def manage(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run a management command of the example project to completion."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE_PROJECT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop_all(self) -> None:
        """Stop every server still running (SIGKILL if it does not stop)."""
        for server in self.started:
            if server.process.poll() is None:
                try:
                    server.stop(timeout=15)
                except Exception:
                    server.kill()


def run_session(base: str) -> dict[str, str]:
    """Drive the example project's scripted session against ``base``; return its cookies."""
    import asyncio

    from drive_session import run_session as drive

    return asyncio.run(drive(base, quiet=True))

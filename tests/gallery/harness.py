"""Runs the gallery's apps as their users would: record a session, then test it.

Each folder under ``tests/gallery/`` with a ``drive.py`` is one small Django
project. Recording happens in a fresh copy of the folder (its own SQLite file,
or a PostgreSQL database made for the run), with the project's own
``manage.py``: ``migrate``, ``seed.py`` for the rows the session assumes,
``runserver --record NAME`` with the autoreloader on (as a person starts it),
the driver's scripted session, then Ctrl-C. Tests run in the folder itself
with ``pytest`` and ``manage.py test``, each in a process of its own, since
every app has its own settings.

Re-record one app's committed cassette::

    .venv/bin/python -m tests.gallery.harness NAME [NAME ...]

Run every app's tests 20 times with each runner, each under a new random
``PYTHONHASHSEED``::

    .venv/bin/python -m tests.gallery.harness --soak 20 [NAME ...]
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.servers import Server

GALLERY = Path(__file__).resolve().parent
ROOT = GALLERY.parents[1]
TIMEOUT = 120.0


@dataclass(frozen=True)
class App:
    """One gallery app: a folder with a Django project, a driver and a cassette."""

    path: Path

    @property
    def name(self) -> str:
        """The folder's name, which is also the cassette's."""
        return self.path.name

    @property
    def cassette(self) -> Path:
        """The committed cassette."""
        return self.path / "cassettes" / f"{self.name}.json"

    @property
    def postgres(self) -> bool:
        """True when the project keeps its data in PostgreSQL (its settings read POSTGRES_DB)."""
        return any(
            "POSTGRES_DB" in settings.read_text() for settings in self.path.glob("*/settings.py")
        )


def apps() -> list[App]:
    """Every app of the gallery, by name."""
    return [App(p.parent) for p in sorted(GALLERY.glob("*/drive.py"))]


def app(name: str) -> App:
    """The gallery app called ``name``."""
    found = GALLERY / name
    if not (found / "drive.py").exists():
        raise SystemExit(f"no gallery app {name!r}: choose one of {[a.name for a in apps()]}")
    return App(found)


def environment(**extra: str) -> dict[str, str]:
    """The environment of an app's process: ours, minus chanreplay's and Django's own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHANREPLAY_", "DJANGO_", "PYTEST_", "POSTGRES_"))
        and key not in ("PYTHONHASHSEED",)
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@contextmanager
def database(app: App) -> Iterator[dict[str, str]]:
    """The environment that gives ``app`` a database of its own for one run."""
    if not app.postgres:
        yield {}  # SQLite: the copy's own db.sqlite3
        return
    import psycopg

    name = f"gallery_{app.name}_{secrets.token_hex(4)}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"POSTGRES_DB": name}
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(where: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python manage.py ARGS`` in ``where``; raises with its output if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed in {where}:\n{done.stdout}{done.stderr}"
        )
    return done


def drive(app: App, base: str) -> None:
    """Run ``app``'s scripted session against the server at ``base``."""
    spec = importlib.util.spec_from_file_location(
        f"gallery_drive_{app.name}", app.path / "drive.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    asyncio.run(module.session(base))


@contextmanager
def running(
    app: App, into: Path, *arguments: str, reload: bool = True
) -> Iterator[tuple[Server, Path]]:
    """``app`` served by ``runserver ARGUMENTS`` from a fresh copy under ``into``, its data seeded.

    Yields the server and the copy; the server is stopped with Ctrl-C when
    the block ends, as a person stops it.
    """
    from tests.servers import free_port, spawn

    copy = into / app.name
    shutil.copytree(
        app.path, copy, ignore=shutil.ignore_patterns("__pycache__", "cassettes", "*.sqlite3")
    )
    with database(app) as db:
        env = environment(**db)
        manage(copy, "migrate", "--no-input", env=env)
        manage(copy, "shell", "-c", "import seed; seed.seed()", env=env)
        port = free_port()
        log = into / f"{app.name}-server.log"
        command = [sys.executable, "manage.py", "runserver", *arguments]
        if not reload:
            command.append("--noreload")
        server = spawn([*command, f"127.0.0.1:{port}"], port=port, cwd=copy, env=env, log=log)
        try:
            server.wait_ready()
            yield server, copy
        except BaseException:
            server.kill()
            raise
        server.interrupt()  # Ctrl-C


def record(app: App, into: Path) -> Path:
    """Record ``app``'s scripted session in a fresh copy under ``into``; the cassette's path."""
    with running(app, into, "--record", app.name) as (server, copy):
        drive(app, server.base)
    cassette = copy / "cassettes" / f"{app.name}.json"
    if server.process.returncode != 0 or not cassette.exists():
        raise RuntimeError(
            f"runserver --record {app.name} ended with {server.process.returncode}:\n"
            f"{server.output()}"
        )
    return cassette


@contextmanager
def proxying(upstream: str, into: Path, name: str, cwd: Path | None = None) -> Iterator[Server]:
    """``chanreplay proxy`` in front of ``upstream``, recording ``name`` under ``into``
    (run in ``cwd``: a project's folder, whose settings it reads); stopped with Ctrl-C when
    the block ends, which writes the cassette."""
    command = ["proxy", "--upstream", upstream, "--record", name]
    command += ["--cassette-dir", str(into / "cassettes")]
    proxy = _command_server(command, into / f"{name}-proxy.log", cwd)
    try:
        proxy.wait_ready()
        yield proxy
    except BaseException:
        proxy.kill()
        raise
    if proxy.interrupt() != 0:
        raise RuntimeError(f"chanreplay proxy ended with an error:\n{proxy.output()}")


def _command_server(arguments: list[str], log: Path, cwd: Path | None = None) -> Server:
    """``chanreplay ARGUMENTS --listen 127.0.0.1:PORT`` on a free port, its output in ``log``."""
    from tests.servers import Server, free_port

    port = free_port()
    command = [sys.executable, "-m", "chanreplay", *arguments, "--listen", f"127.0.0.1:{port}"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment(),
            cwd=cwd,
            start_new_session=True,
        )
    return Server(process, port, log)


def record_at_the_edge(app: App, into: Path) -> Path:
    """Record ``app``'s scripted session through ``chanreplay proxy`` in front of
    ``runserver`` (a fresh copy under ``into``); the cassette's path."""
    with (
        running(app, into, reload=False) as (server, _),
        proxying(server.base, into, app.name) as proxy,
    ):
        drive(app, proxy.base)
    cassette = into / "cassettes" / f"{app.name}.json"
    if not cassette.exists():
        raise RuntimeError(f"the proxy wrote no {cassette}:\n{proxy.output()}")
    return cassette


def copy_of(app: App, into: Path) -> Path:
    """A copy of ``app``'s folder (its committed cassette included) under ``into``."""
    copy = into / app.name
    shutil.copytree(app.path, copy, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    return copy


def secret_arguments(app: App) -> list[str]:
    """``--secret`` options with the passwords of the app's users (``seed.py``'s
    ``PASSWORD`` for all of them, or ``PASSWORDS``, one per user)."""
    import ast

    found: dict[str, object] = {}
    for node in ast.parse((app.path / "seed.py").read_text()).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(target, ast.Name) and target.id in ("PASSWORD", "PASSWORDS"):
            found[target.id] = ast.literal_eval(node.value)  # type: ignore[attr-defined]
    arguments: list[str] = []
    if isinstance(found.get("PASSWORD"), str):
        arguments += ["--secret", f"password={found['PASSWORD']}"]
    own = found.get("PASSWORDS")
    if isinstance(own, dict):
        for user, value in own.items():
            arguments += ["--secret", f"password@{user}={value}"]
    return arguments


def chanreplay(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The ``chanreplay`` command."""
    return subprocess.run(
        [sys.executable, "-m", "chanreplay", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environment(),
    )


@contextmanager
def serving(app: App, into: Path, cassette: Path | None = None) -> Iterator[Server]:
    """``chanreplay serve`` answering with ``cassette`` (``app``'s committed one by default)."""
    command = ["serve", str(cassette or app.cassette), *secret_arguments(app)]
    server = _command_server(command, into / f"{app.name}-serve.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def run_tests(
    app: App,
    runner: str,
    *args: str,
    hashseed: int,
    cwd: Path | None = None,
    developer: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``app``'s tests with ``pytest`` or ``manage.py test`` under ``hashseed``.

    ``developer``: as on a developer's machine, not under CI (update mode is refused there).
    """
    where = cwd or app.path
    if runner == "pytest":
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *args]
    else:
        command = [sys.executable, str(app.path / "manage.py"), "test", "-v", "2", *args]
    with database(app) as db:
        env = environment(PYTHONHASHSEED=str(hashseed), **db)
        if developer:
            env.pop("CI", None)
        return subprocess.run(
            command,
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 3,
        )


def soak(chosen: list[App], rounds: int) -> int:
    """Run every chosen app's tests ``rounds`` times with each runner, each under a new
    random hash seed; print a line per app and runner. Returns the number of failed runs."""
    import random
    import time

    failures = 0
    print(f"{'app':<14} {'runner':<8} {'green':>7}  seconds per run (median)  failing seeds")
    for each in chosen:
        for runner in ("pytest", "django"):
            seeds, times, failed = [], [], []
            for _ in range(rounds):
                hashseed = random.randrange(1, 2**32)
                seeds.append(hashseed)
                started = time.perf_counter()
                done = run_tests(each, runner, hashseed=hashseed)
                times.append(time.perf_counter() - started)
                if done.returncode != 0:
                    failed.append(hashseed)
            failures += len(failed)
            median = sorted(times)[len(times) // 2]
            print(
                f"{each.name:<14} {runner:<8} {rounds - len(failed):>3}/{rounds:<3}  "
                f"{median:>6.2f}                    {' '.join(map(str, failed)) or '-'}"
            )
    return failures


def main(argv: list[str]) -> int:
    """Re-record the committed cassettes of the named apps (all without names).

    ``--soak N``: instead, run each app's tests N times with each runner under
    random hash seeds, and report how many passed.
    """
    if argv[:1] == ["--soak"]:
        rounds = int(argv[1])
        return 1 if soak([app(name) for name in argv[2:]] or apps(), rounds) else 0
    chosen = [app(name) for name in argv] or apps()
    for each in chosen:
        with tempfile.TemporaryDirectory() as scratch:
            recorded = record(each, Path(scratch))
            each.cassette.parent.mkdir(exist_ok=True)
            shutil.copy(recorded, each.cassette)
        print(f"recorded {each.cassette.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""docs/getting-started.md, followed step by step on a fresh project.

The page's files are taken from the page itself (its code blocks that start
with ``# file: PATH``, and the ``# change: PATH`` edit), so what the page
shows is what runs: ``django-admin startproject``, ``startapp``, the
tutorial's chat consumer, ``migrate``, ``runserver --record chat`` with the
autoreloader and real websocket clients, Ctrl-C, ``chanreplay show``, the
test under ``manage.py test`` and under pytest, a change that fails it with
the report, ``CHANREPLAY_UPDATE=1`` and ``chanreplay diff``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, spawn

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "getting-started.md"
BLOCK = re.compile(r"```(?:python|ini)\n# (file|change): (\S+)\n(.*?)```", re.DOTALL)
TIMEOUT = 120


def blocks(kind: str) -> dict[str, str]:
    """The page's ``# file:`` (or ``# change:``) blocks, by path."""
    return {
        path: f"# {found}: {path}\n{body}"
        for found, path, body in BLOCK.findall(PAGE.read_text())
        if found == kind
    }


def environment(project: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHANREPLAY_", "DJANGO_", "PYTEST_")) and key != "PYTHONHASHSEED"
    }
    # The page's settings lines live in a module of their own (see the page).
    env["DJANGO_SETTINGS_MODULE"] = "mysite.settings_chanreplay"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("CI", None)  # update mode is a developer's step
    return env


def run(project: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """A command of the page, in ``project`` (``python`` is this interpreter)."""
    argv = [sys.executable if command[0] == "python" else command[0], *command[1:]]
    if command[0] == "chanreplay":
        argv = [sys.executable, "-m", "chanreplay", *command[1:]]
    elif command[0] in ("pytest", "django-admin"):
        module = "pytest" if command[0] == "pytest" else "django"
        argv = [sys.executable, "-m", module, *command[1:]]
    done = subprocess.run(
        argv,
        cwd=project,
        env=environment(project),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done


async def chat(base: str) -> None:
    """Two people in the lobby, each waiting for every broadcast before going on."""
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    url = base.replace("http", "ws") + "/ws/chat/lobby/"
    async with connect(url, origin=Origin(base)) as ann, connect(url, origin=Origin(base)) as bob:
        for speaker, text in ((ann, "hello"), (bob, "hi ann"), (ann, "bye")):
            await speaker.send(json.dumps({"message": text}))
            for listener in (ann, bob):
                assert json.loads(await listener.recv()) == {"message": text}


def test_the_getting_started_page_works_as_written(tmp_path: Path) -> None:
    run(tmp_path, "django-admin", "startproject", "mysite")
    project = tmp_path / "mysite"
    run(project, "python", "manage.py", "startapp", "chat")
    for path, text in blocks("file").items():
        if path in ("chat/tests.py", "test_chat.py", "pytest.ini"):
            continue  # written at their step, below
        (project / path).write_text(text)
    run(project, "python", "manage.py", "migrate")
    assert (
        "System check identified no issues" in run(project, "python", "manage.py", "check").stdout
    )

    # 3. Record: runserver --record chat (with the autoreloader), a session, Ctrl-C.
    port = free_port()
    log = tmp_path / "server.log"
    command = [sys.executable, "manage.py", "runserver", "--record", "chat", f"127.0.0.1:{port}"]
    server = spawn(command, port=port, cwd=project, env=environment(project), log=log)
    try:
        server.wait_ready()
        asyncio.run(chat(server.base))
    finally:
        server.interrupt()
    assert re.search(
        r"chanreplay: wrote cassettes/chat\.json \(2 connections, \d+ events\)", server.output()
    ), server.output()
    shown = run(project, "chanreplay", "show", "cassettes/chat.json").stdout
    assert shown.startswith("2 connections, ")
    assert '{"message":"hi ann"}' in shown

    # 4. manage.py test, from the project and from another directory.
    (project / "chat/tests.py").write_text(blocks("file")["chat/tests.py"])
    passed = run(project, "python", "manage.py", "test", "chat")
    assert "Ran 1 test" in passed.stderr, passed.stderr
    assert "\nOK\n" in passed.stderr, passed.stderr
    elsewhere = run(tmp_path, "python", str(project / "manage.py"), "test", "chat.tests")
    assert "\nOK\n" in elsewhere.stderr, elsewhere.stderr

    # 5. pytest, with the settings pytest.ini names.
    (project / "pytest.ini").write_text(blocks("file")["pytest.ini"])
    (project / "test_chat.py").write_text(blocks("file")["test_chat.py"])
    assert "1 passed" in run(project, "pytest", "-p", "no:cacheprovider", "test_chat.py").stdout

    # 6. A change fails both with the report; update mode re-blesses it; diff shows it.
    consumer = project / "chat/consumers.py"
    ((path, change),) = blocks("change").items()
    assert path == "chat/consumers.py"
    new_line = change.splitlines()[1]
    lines = consumer.read_text().splitlines()
    (index,) = [i for i, line in enumerate(lines) if line.startswith(new_line.split("{")[0])]
    lines[index] = new_line
    consumer.write_text("\n".join(lines) + "\n")
    failed = run(project, "python", "manage.py", "test", "chat", check=False)
    assert failed.returncode != 0
    assert "does not match what the application did: 2 connections differ: " in failed.stderr
    assert 'actual   "HELLO"' in failed.stderr
    assert run(project, "pytest", "-p", "no:cacheprovider", "test_chat.py", check=False).returncode
    before = (project / "cassettes/chat.json").read_text()
    updated = subprocess.run(
        [sys.executable, "manage.py", "test", "chat"],
        cwd=project,
        env={**environment(project), "CHANREPLAY_UPDATE": "1"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert updated.returncode == 0, updated.stderr
    assert "chanreplay: rewrote" in updated.stderr
    (tmp_path / "before.json").write_text(before)
    compared = run(
        project,
        "chanreplay",
        "diff",
        str(tmp_path / "before.json"),
        "cassettes/chat.json",
        check=False,
    )
    assert compared.returncode == 1
    assert '"HELLO"' in compared.stdout
    assert "1 passed" in run(project, "pytest", "-p", "no:cacheprovider", "test_chat.py").stdout

"""The review commands as a user runs them: ``chanreplay show``, ``diff``, ``git install``.

Each test runs the real command in a subprocess (exit status, output, formats);
the git tests use a real repository and real ``git diff``, ``git show`` and
``git difftool``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLE = Path(__file__).parents[2] / "cassettes" / "example_session.json"
ENV = {
    # As a user runs the command: pytest-django's settings module is this test run's.
    **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    "NO_COLOR": "1",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def chanreplay(
    *arguments: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chanreplay", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**ENV, **(env or {})},
        check=False,
        timeout=120,
    )


def git(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *arguments], capture_output=True, text=True, cwd=cwd, env=ENV, check=True
    )


def changed(document: dict[str, Any]) -> dict[str, Any]:
    """The example session with the chat's user renamed in c4's frames, one frame added,
    and the binary connection gone."""
    document = copy.deepcopy(document)
    chat = document["connections"][3]
    for event in chat["events"]:
        message = event.get("message", {})
        if message.get("type") == "websocket.send" and isinstance(message.get("text"), dict):
            message["text"]["$json"]["user"] = "ALICE"
    chat["events"].append(
        {
            "dir": "out",
            "step": 14,
            "message": {
                "type": "websocket.send",
                "text": {"$json": {"type": "message", "message": "extra"}},
            },
        }
    )
    document["connections"] = [
        c for c in document["connections"] if c["scope"]["path"] != "/ws/binary/"
    ]
    return document


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    shutil.copy(EXAMPLE, old)
    new.write_text(json.dumps(changed(json.loads(EXAMPLE.read_text())), indent=2, sort_keys=True))
    return old, new


# -- show ------------------------------------------------------------------------------


def test_show_prints_a_transcript() -> None:
    shown = chanreplay("show", str(EXAMPLE))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "10 connections, 77 events, 0 external"
    assert "c4 websocket /ws/chat/lobby/ (alice)" in lines
    assert '    11 -> websocket.receive  {"message":"hello"}' in lines
    group_send = next(line for line in lines if "group_send chat_lobby" in line)
    assert "(received by c5)" in group_send
    assert "    11 .. receive <channel:c5>  chat.message from c4" in lines
    assert "\x1b[" not in shown.stdout  # no colour into a pipe


def test_show_markdown_and_json() -> None:
    markdown = chanreplay("show", "--format", "markdown", str(EXAMPLE)).stdout
    assert "### `c4 websocket /ws/chat/lobby/ (alice)`" in markdown
    assert markdown.count("```text") == 10
    document = json.loads(chanreplay("show", "--format", "json", str(EXAMPLE)).stdout)
    chat = document["connections"][3]
    assert (chat["id"], chat["path"], chat["user"]) == ("c4", "/ws/chat/lobby/", "alice")
    sends = [e for e in chat["events"] if e["what"] == "group_send chat_lobby"]
    assert sends[0]["received_by"] == ["c5"]


def test_show_colours_only_when_asked_or_on_a_terminal() -> None:
    assert "\x1b[" in chanreplay("show", "--color", str(EXAMPLE)).stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such cassette"),
        ('{"format": "chanreplay-cassette", "version": 1, "connec', "truncated"),
        ('{"format": "chanreplay-cassette", "version": 99, "connections": []}', "version 99"),
    ],
)
def test_show_names_a_bad_file_and_exits_2(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    shown = chanreplay("show", str(path))
    assert shown.returncode == 2
    assert str(path) in shown.stderr
    assert expected in shown.stderr
    assert "Traceback" not in shown.stderr


# -- diff -----------------------------------------------------------------------------


def test_diff_summarises_then_lists_the_changes(versions: tuple[Path, Path]) -> None:
    old, new = versions
    result = chanreplay("diff", str(old), str(new))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        f"--- {old}",
        f"+++ {new}",
        '`/ws/chat/lobby/`: 1 outbound "message" added; `message.text.user` added in 1 event; '
        "`message.text.user` changed in 2 events. `/ws/binary/`: 1 connection removed.",
    ]
    assert "    event 7 (step 11) <- websocket.send" in lines
    assert '-     message.text.user: "alice"' in lines
    assert '+     message.text.user: "ALICE"' in lines
    assert "+   event 14 (step 14) <- websocket.send" in lines
    assert "- c9 websocket /ws/binary/ (anonymous): removed, 8 events" in lines


def test_diff_of_equal_cassettes_exits_0(versions: tuple[Path, Path]) -> None:
    old, _ = versions
    result = chanreplay("diff", str(old), str(EXAMPLE))
    assert (result.returncode, result.stdout) == (0, "No behaviour changed.\n")


def test_diff_markdown_is_ready_for_a_pull_request(versions: tuple[Path, Path]) -> None:
    old, new = versions
    markdown = chanreplay("diff", "--format", "markdown", str(old), str(new)).stdout
    assert markdown.startswith(f"**{old} → {new}**\n\n`/ws/chat/lobby/`: 1 outbound")
    block = markdown.split("```diff\n", 1)[1].split("```", 1)[0]
    assert '-     message.text.user: "alice"\n+     message.text.user: "ALICE"' in block


def test_diff_ignore_leaves_a_field_out(versions: tuple[Path, Path]) -> None:
    old, new = versions
    result = chanreplay("diff", "--ignore", "message.text.user", str(old), str(new))
    assert "message.text.user" not in result.stdout
    assert result.returncode == 1  # the added frame and the removed connection remain


def test_diff_match_compares_a_field_by_kind(versions: tuple[Path, Path]) -> None:
    old, new = versions
    result = chanreplay("diff", "--match", "message.text.user=string", str(old), str(new))
    assert "message.text.user" not in result.stdout
    wrong = chanreplay("diff", "--match", "message.text.user=regex:[a-z]+", str(old), str(new))
    assert '+     message.text.user: "ALICE"' in wrong.stdout.splitlines()


def test_diff_errors_exit_2(versions: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = versions
    missing = chanreplay("diff", str(old), str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "nope.json: no such cassette" in missing.stderr
    assert chanreplay("diff", str(old)).returncode == 2
    assert chanreplay("diff", "--format", "html", str(old), str(old)).returncode == 2
    unnamed = chanreplay("diff", "--match", "message.text=integer", str(old), str(old))
    assert unnamed.returncode == 2
    assert "--match" in unnamed.stderr
    assert "regex:PATTERN" in unnamed.stderr
    assert "Traceback" not in unnamed.stderr


# -- git -------------------------------------------------------------------------------


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "project"
    (root / "cassettes").mkdir(parents=True)
    git("init", "-q", cwd=root)
    shutil.copy(EXAMPLE, root / "cassettes" / "chat.json")
    git("add", ".", cwd=root)
    git("commit", "-q", "-m", "record", cwd=root)
    cassette = root / "cassettes" / "chat.json"
    cassette.write_text(
        json.dumps(changed(json.loads(EXAMPLE.read_text())), indent=2, sort_keys=True)
    )
    return root


def test_git_install_makes_git_diff_show_transcripts(repository: Path) -> None:
    installed = chanreplay("git", "install", cwd=repository)
    assert installed.returncode == 0, installed.stderr
    assert (repository / ".gitattributes").read_text() == "**/cassettes/**/*.json diff=chanreplay\n"
    assert chanreplay("git", "install", cwd=repository).returncode == 0  # idempotent
    assert (repository / ".gitattributes").read_text().count("diff=chanreplay") == 1

    shown = git("diff", cwd=repository).stdout
    # Transcript lines, not JSON: the user renamed in three frames, the binary connection gone.
    frame = '    11 <- websocket.send  {"message":"hello","room":"lobby","type":"message","user":'
    assert f'-{frame}"alice"}}' in shown
    assert f'+{frame}"ALICE"}}' in shown
    assert "-c9 websocket /ws/binary/ (anonymous)" in shown
    assert '"$json"' not in shown

    git("commit", "-q", "-am", "rename", cwd=repository)
    assert "-c9 websocket /ws/binary/ (anonymous)" in git("show", cwd=repository).stdout
    history = git("log", "-p", cwd=repository).stdout
    assert "-c9 websocket /ws/binary/ (anonymous)" in history  # the second commit
    assert "+c4 websocket /ws/chat/lobby/ (alice)" in history  # the first
    assert '"$json"' not in history


def test_diff_against_a_revision(repository: Path) -> None:
    result = chanreplay("diff", "HEAD", "--", "cassettes/chat.json", cwd=repository)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("--- HEAD:cassettes/chat.json\n+++ cassettes/chat.json\n")
    assert "`message.text.user` changed in 2 events" in result.stdout
    spelled = chanreplay("diff", "HEAD:cassettes/chat.json", "cassettes/chat.json", cwd=repository)
    assert spelled.stdout.splitlines()[2:] == result.stdout.splitlines()[2:]
    unknown = chanreplay("diff", "HEAD:cassettes/nope.json", "cassettes/chat.json", cwd=repository)
    assert unknown.returncode == 2
    assert "HEAD:cassettes/nope.json: git cannot show it" in unknown.stderr


def test_git_difftool_runs_chanreplay_diff(repository: Path) -> None:
    chanreplay("git", "install", cwd=repository)
    tool = git("difftool", "-y", "-t", "chanreplay", cwd=repository).stdout
    assert "`message.text.user` changed in 2 events" in tool


def test_show_and_diff_import_neither_django_nor_channels(versions: tuple[Path, Path]) -> None:
    old, new = versions
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from chanreplay.cli import main\n"
        f"CliRunner().invoke(main, ['show', {str(old)!r}])\n"
        f"CliRunner().invoke(main, ['diff', {str(old)!r}, {str(new)!r}])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'channels')))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("revision", ["main-that-is-not", "HEAD~5"])
def test_diff_against_a_revision_git_does_not_know_says_so(repository: Path, revision: str) -> None:
    """The docs' `diff main -- PATH` on a repository without `main` (or a commit that
    does not exist): not "no such cassette, record it", but what git knows."""
    branch = git("branch", "--show-current", cwd=repository).stdout.strip()
    result = chanreplay("diff", revision, "--", "cassettes/chat.json", cwd=repository)
    assert result.returncode == 2
    assert f"{revision}: neither a cassette file nor a git revision here" in result.stderr
    assert f"name a commit or branch git knows (branches here: {branch})" in result.stderr
    assert "record it" not in result.stderr

"""``chanreplay play`` against a real daphne server running the example project."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_pytest_plugin import PASSWORD
from tests.review.test_cli import EXAMPLE
from tests.servers import Server, ServerFactory, free_port

EXAMPLE_V2 = Path(__file__).parents[1] / "cassette" / "fixtures" / "v2-example-session.json"
"""The example session as release 2 recorded it."""

SHOUTING_ASGI = """
from chat.consumers import EchoConsumer

original = EchoConsumer.receive

def receive(self, text_data=None, bytes_data=None):
    if text_data == "close":
        return original(self, text_data, bytes_data)
    self.send(text_data=f"ECHO: {text_data}")

EchoConsumer.receive = receive

from example.asgi import application  # noqa: E402
"""


def play(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chanreplay", "play", *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_example_session_plays_against_the_example_project(servers: ServerFactory) -> None:
    server = servers.runserver(record=None)
    result = play(str(EXAMPLE), "--against", server.base, "--secret", f"password={PASSWORD}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "No behaviour changed.\n"


def test_a_version_2_cassette_still_plays(servers: ServerFactory) -> None:
    """The example session as release 2 recorded it (every value redacted or as it was)."""
    server = servers.runserver(record=None)
    result = play(str(EXAMPLE_V2), "--against", server.base, "--secret", f"password={PASSWORD}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "No behaviour changed.\n"


def test_the_csrf_cookie_name_is_the_one_given(servers: ServerFactory) -> None:
    """Told the wrong CSRF cookie, play posts a version-2 login form (its token redacted,
    not bound) without a token: Django refuses."""
    server = servers.runserver(record=None)
    result = play(
        str(EXAMPLE_V2),
        "--against",
        server.base,
        "--secret",
        f"password={PASSWORD}",
        "--csrf-cookie",
        "not_the_csrf_cookie",
        "--session-cookie",
        "sessionid",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "403" in result.stdout


@pytest.fixture
def shouting(servers: ServerFactory, tmp_path: Path) -> Server:
    """The example project served with an echo consumer that now shouts its replies."""
    (tmp_path / "shouting_asgi.py").write_text(SHOUTING_ASGI)
    return servers.runserver(
        record=None,
        PYTHONPATH=str(tmp_path),
        DJANGO_SETTINGS_MODULE="example.settings",
        EXAMPLE_ASGI_APPLICATION="shouting_asgi.application",
    )


def test_a_changed_consumer_fails_the_play(shouting: Server) -> None:
    result = play(str(EXAMPLE), "--against", shouting.base, "--include", "/ws/echo/*")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[2] == "`/ws/echo/`: `message.text` changed in 1 event."
    assert '-     message.text: "echo: ping"' in lines
    assert '+     message.text: "ECHO: ping"' in lines


def test_ignored_and_matched_fields_are_not_differences(shouting: Server) -> None:
    """``--ignore`` and ``--match`` relax play's comparison as they relax a replay's."""
    arguments = [str(EXAMPLE), "--against", shouting.base, "--include", "/ws/echo/*"]
    ignored = play(*arguments, "--ignore", "message.text")
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
    assert ignored.stdout.startswith("No behaviour changed.\n")
    matched = play(*arguments, "--match", "message.text=regex:(?i)echo: .*")
    assert matched.returncode == 0, matched.stdout + matched.stderr
    assert matched.stdout.startswith("No behaviour changed.\n")
    strict = play(*arguments, "--match", "message.text=regex:echo: .*")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert '+     message.text: "ECHO: ping"' in strict.stdout.splitlines()


def test_filters_choose_the_connections(servers: ServerFactory) -> None:
    server = servers.runserver(record=None)
    result = play(
        str(EXAMPLE),
        "--against",
        server.base,
        "--include",
        "/ws/*",
        "--exclude",
        "/ws/chat/*",
        "--exclude",
        "/ws/notes/*",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_server_is_an_error() -> None:
    result = play(
        str(EXAMPLE), "--against", f"http://127.0.0.1:{free_port()}", "--secret", "password=x"
    )
    assert result.returncode == 2
    assert "cannot play against" in result.stderr


def test_a_missing_secret_is_an_error_before_anything_is_sent() -> None:
    """Without the password the login would post '<redacted>': play says what to give instead."""
    result = play(str(EXAMPLE), "--against", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2, result.stdout + result.stderr
    assert str(EXAMPLE) in result.stderr
    assert "'password' (form of c2 POST /login/, event 0)" in result.stderr
    assert "--secret password=..." in result.stderr
    assert "cannot play against" not in result.stderr  # nothing was sent
    assert "csrf" not in result.stderr.lower()  # the CSRF token comes from the live cookie

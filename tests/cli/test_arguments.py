"""Command-line values are validated: a usage error naming the option and the fix, exit
status 2, never a traceback, and nothing recorded by a command that could not start."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chanreplay.cli import main
from tests.review.test_cli import EXAMPLE


def run(*arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments), catch_exceptions=False)


@pytest.fixture
def busy() -> Iterator[int]:
    """A port a server holds on 127.0.0.1."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


@pytest.mark.parametrize("listen", ["127.0.0.1:99999", "127.0.0.1:0", "8002", "127.0.0.1:x"])
@pytest.mark.parametrize("command", ["proxy", "serve"])
def test_a_listen_address_out_of_range_is_a_usage_error(command: str, listen: str) -> None:
    target = ["--upstream", "http://127.0.0.1:1"] if command == "proxy" else [str(EXAMPLE)]
    result = run(command, *target, "--listen", listen)
    assert result.exit_code == 2, result.output
    assert "--listen" in result.output
    assert "port from 1 to 65535" in result.output


def test_serve_on_a_busy_port_says_so(busy: int) -> None:
    result = run("serve", str(EXAMPLE), "--listen", f"127.0.0.1:{busy}")
    assert result.exit_code == 2, result.output
    assert f"cannot listen on 127.0.0.1:{busy}" in result.output
    assert "give --listen another" in result.output


def test_a_proxy_that_cannot_listen_records_nothing(
    busy: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(
        "proxy",
        "--upstream",
        "http://127.0.0.1:1",
        "--listen",
        f"127.0.0.1:{busy}",
        "--record",
        "edge",
    )
    assert result.exit_code == 2, result.output
    assert f"cannot listen on 127.0.0.1:{busy}" in result.output
    assert not (tmp_path / "cassettes").exists() or not any((tmp_path / "cassettes").iterdir())


def test_render_makes_a_missing_folder_and_refuses_a_directory(tmp_path: Path) -> None:
    made = run("render", str(EXAMPLE), "-o", str(tmp_path / "new" / "folder" / "page.html"))
    assert made.exit_code == 0, made.output
    assert (tmp_path / "new" / "folder" / "page.html").is_file()
    onto = run("render", str(EXAMPLE), "-o", str(tmp_path))
    assert onto.exit_code == 2, onto.output
    assert "is a directory: give a file name in it" in onto.output


def test_split_refuses_an_output_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    result = run("split", str(EXAMPLE), "-o", str(tmp_path / "taken"))
    assert result.exit_code == 2, result.output
    assert "is a file: give the folder the parts go into" in result.output


def test_recover_of_a_path_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    result = run("recover", str(tmp_path / "nope"))
    assert result.exit_code == 2, result.output
    assert "no such file or folder" in result.output
    empty = run("recover", str(tmp_path))
    assert empty.exit_code == 0, empty.output
    assert "nothing to recover" in empty.output

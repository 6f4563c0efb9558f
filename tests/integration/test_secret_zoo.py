"""The secret zoo (tests/secret_zoo): no secret a session shows reaches disk, from either
recorder, in journals or cassettes, and lint raises no false alarm on what is left.

The zoo's session shows each secret of ``values.py`` once in its own place (a
query string, camelCase and UPPER keys, JSON inside a string, a binary frame
holding JSON, a multipart field, ``Proxy-Authorization``, a subprotocol
token, a cookie, a layer message, a password typed into a chat line, a view
echoing ``SECRET_KEY``) and the app echoes most of them back. Bytes are
checked as written, and inside every base64 payload.
"""

from __future__ import annotations

import base64
import re
import subprocess
import time
from pathlib import Path

import pytest

from chanreplay.cassette import load
from tests.gallery import harness
from tests.secret_zoo import values

ZOO = harness.App(Path(__file__).resolve().parents[1] / "secret_zoo")
_PAYLOAD = re.compile(rb'"\$bytes":\s*"([A-Za-z0-9+/=]*)"')


def _readable(data: bytes) -> bytes:
    """``data`` and the bytes every base64 payload in it holds."""
    decoded = [base64.b64decode(m.group(1)) for m in _PAYLOAD.finditer(data)]
    return b"\n".join([data, *decoded])


def _files(folder: Path) -> dict[str, bytes]:
    """Every file chanreplay wrote under ``folder`` (journals, cassettes, sidecars)."""
    return {
        str(p.relative_to(folder)): _readable(p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(".log")
    }


def _leaks(files: dict[str, bytes], secrets: tuple[str, ...]) -> list[str]:
    return [
        f"{name}: {secret}"
        for name, data in files.items()
        for secret in secrets
        if secret.encode() in data
    ]


def _settled() -> None:
    """Long enough for the journal's writer to write what was recorded (it flushes every 50 ms)."""
    time.sleep(1.0)


@pytest.mark.server
def test_runserver_record_writes_no_secret_of_the_zoo(tmp_path: Path) -> None:
    with harness.running(ZOO, tmp_path, "--record", "zoo") as (server, copy):
        harness.drive(ZOO, server.base)
        _settled()
        journal = _files(copy / "cassettes")
    assert any("journal" in name for name in journal), sorted(journal)
    assert _leaks(journal, values.ALL) == [], "\n".join(_leaks(journal, values.ALL))
    written = _files(copy / "cassettes")
    assert "zoo.json" in written, server.output()
    assert _leaks(written, values.ALL) == []
    assert len(_leaks({"zoo.json": written["zoo.json"]}, values.GAPS)) == 2  # as documented
    output = server.output()
    assert "turned up again" in output  # the app echoes secrets: the recorder says where
    # get_token()'s masked token, a value no test knows in advance: under "csrf", a placeholder.
    (csrf,) = [
        c for c in load(copy / "cassettes" / "zoo.json").connections if c.path == "/api/csrf/"
    ]
    body = next(
        e["message"]["body"] for e in csrf.events if e["message"]["type"] == "http.response.body"
    )
    assert re.fullmatch(r"<(?:redacted|token:\d+)>", body["$bytes_json"]["csrf"]), body
    linted = harness.chanreplay("lint", "--no-unused", "cassettes/zoo.json", cwd=copy)
    _found_the_gaps_only(linted, 0)


def _found_the_gaps_only(linted: subprocess.CompletedProcess[str], others: int) -> None:
    """Lint found the documented gaps (they are in the cassette), ``others`` more errors,
    and no false alarm on the rest (a DEBUG page, a digest, UUIDs in paths)."""
    errors = [line for line in linted.stderr.splitlines() if ": error: " in line]
    assert linted.returncode == 1, linted.stdout + linted.stderr
    path_token = [e for e in errors if ", scope.path: error: a high-entropy string" in e]
    unnamed = [e for e in errors if ", message.text.note: error: a high-entropy string" in e]
    assert (len(path_token), len(unnamed)) == (1, 1), linted.stderr
    assert len(errors) == 2 + others, linted.stderr
    assert linted.stdout.endswith(f"1 cassette: {2 + others} errors, 0 warnings\n")


@pytest.mark.server
def test_the_proxy_in_the_project_writes_no_secret_of_the_zoo(tmp_path: Path) -> None:
    """Run in the project's folder, the proxy reads its settings' secrets as runserver does:
    the SECRET_KEY a view echoes is written redacted, and kept nowhere beside the cassette."""
    (tmp_path / "edge").mkdir()
    with (
        harness.running(ZOO, tmp_path / "upstream", reload=False) as (server, copy),
        harness.proxying(server.base, tmp_path / "edge", "zoo", cwd=copy) as proxy,
    ):
        harness.drive(ZOO, proxy.base)
        _settled()
        journal = _files(tmp_path / "edge" / "cassettes")
    assert any("journal" in name for name in journal), sorted(journal)
    assert _leaks(journal, values.ALL) == [], "\n".join(_leaks(journal, values.ALL))
    written = _files(tmp_path / "edge" / "cassettes")
    assert _leaks(written, values.ALL) == [], "\n".join(_leaks(written, values.ALL))
    cassette = tmp_path / "edge" / "cassettes" / "zoo.json"
    _found_the_gaps_only(harness.chanreplay("lint", "--no-unused", str(cassette), cwd=copy), 0)


@pytest.mark.server
def test_a_proxy_blind_to_the_settings_leaves_lint_to_find_them(tmp_path: Path) -> None:
    """Run elsewhere (a server that is not this project's, as far as it can tell), the proxy
    cannot know SECRET_KEY: the view's echo is a value the server made, bound in the cassette
    and kept for reading beside it; lint, run in the project, finds it there."""
    (tmp_path / "edge").mkdir()
    with (
        harness.running(ZOO, tmp_path / "upstream", reload=False) as (server, copy),
        harness.proxying(server.base, tmp_path / "edge", "zoo", cwd=tmp_path) as proxy,
    ):
        harness.drive(ZOO, proxy.base)
    knowable = tuple(v for v in values.ALL if v not in values.SETTINGS_ONLY)
    written = _files(tmp_path / "edge" / "cassettes")
    assert _leaks(written, knowable) == []
    cassette = tmp_path / "edge" / "cassettes" / "zoo.json"
    linted = harness.chanreplay("lint", "--no-unused", str(cassette), cwd=copy)
    assert values.SECRET_KEY.encode() not in cassette.read_bytes()
    assert "(.zoo.values.json) hold the project's SECRET_KEY" in linted.stderr
    _found_the_gaps_only(linted, 1)

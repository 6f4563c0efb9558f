"""``chanreplay lint`` as CI runs it: over files, with exit statuses, against a real test run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_pytest_plugin import INI
from tests.review.test_cli import EXAMPLE, chanreplay
from tests.servers import EXAMPLE_PROJECT

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def _with(tmp_path: Path, change: Any) -> Path:
    document = json.loads(EXAMPLE.read_text())
    change(document)
    path = tmp_path / "cassettes" / "leaky.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path


def _chat(document: dict[str, Any]) -> dict[str, Any]:
    chat: dict[str, Any] = document["connections"][3]
    return chat


def test_a_clean_cassette_passes() -> None:
    result = chanreplay("lint", "--no-unused", str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("1 cassette: 0 errors, 0 warnings\n")


def test_secrets_that_escaped_redaction_fail_with_their_place(tmp_path: Path) -> None:
    def leak(document: dict[str, Any]) -> None:
        chat = _chat(document)
        chat["scope"]["headers"].append("authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543")
        chat["events"][4]["message"]["text"]["$json"]["message"] = f"my token is {JWT}"
        chat["events"][4]["message"]["text"]["$json"]["password"] = "wonderland"
        chat["events"][7]["message"]["text"]["$json"]["note"] = "k9Xq2Lm7Pz4Rt8Vw1Yb5Nc3Hd6Jf0Gs"

    result = chanreplay("lint", "--no-unused", str(_with(tmp_path, leak)))
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    prefix = f"{tmp_path}/cassettes/leaky.json: connection c4 (/ws/chat/lobby/)"

    def hint(path: str) -> str:
        setting = "(or the setting CHANREPLAY['LINT_ALLOW'])"
        return f"; if it is no secret, allow it: --allow '{path}' {setting}"

    assert (
        f"{prefix}, scope.headers.authorization: error: a authorization header with a value "
        "that is not redacted" + hint("scope.headers.authorization") in errors
    )
    assert (
        f"{prefix}, event 4, message.text.message: error: a JSON Web Token"
        + hint("message.text.message")
        in errors
    )
    assert (
        f"{prefix}, event 4, message.text.password: error: a secret-named field with a value"
        + hint("message.text.password")
        in errors
    )
    assert any(
        line.startswith(
            f"{prefix}, event 7, message.text.note: error: a high-entropy string "
            "(31 characters, 5.0 bits each)"
        )
        for line in errors
    )
    assert result.stdout.endswith("1 cassette: 4 errors, 0 warnings\n")


def test_kept_schemes_and_bindings_are_no_leak(tmp_path: Path) -> None:
    """``Bearer <redacted>``, ``Token <hex:1>``, a bound cookie and a secret-named field holding
    a binding are what chanreplay writes on purpose: lint flags none of them."""

    def written(document: dict[str, Any]) -> None:
        chat = _chat(document)
        chat["scope"]["headers"] += [
            "authorization: Bearer <redacted>",
            "x-api-key: <token:7>",
        ]
        chat["scope"]["query_string"] = "token=<jwt:2>"
        document["connections"][9]["scope"]["headers"].append("authorization: Token <hex:1>")
        chat["events"][4]["message"]["text"]["$json"]["token"] = "<jwt:2>"

    result = chanreplay("lint", "--no-unused", str(_with(tmp_path, written)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_what_real_apps_record_raises_no_false_alarm(tmp_path: Path) -> None:
    """A digest in a binary frame, a hashed group name, a UUID in a path (whichever UUID the
    recording drew), a kept scheme where a header is echoed as JSON, paths in a DEBUG page."""
    import base64
    import hashlib
    import uuid

    def recorded(document: dict[str, Any]) -> None:
        chat = _chat(document)
        digest = base64.b64encode(hashlib.sha256(b"upload").digest()).decode()
        chat["events"].append(
            {
                "dir": "out",
                "message": {"type": "websocket.send", "bytes": {"$bytes": digest}},
                "step": 30,
            }
        )
        chat["events"].append(
            {
                "dir": "layer",
                "op": "group_add",
                "group": "DCRF-" + hashlib.sha256(b"tasks").hexdigest(),
                "channel": "<channel:c4>",
                "step": 30,
            }
        )
        for n in range(50):
            chat["events"][4]["message"]["text"]["$json"][f"trip{n}"] = f"/api/trip/{uuid.uuid4()}/"
        chat["events"][4]["message"]["text"]["$json"]["echo"] = {
            "Authorization": "Bearer <redacted>"
        }
        chat["events"][4]["message"]["text"]["$json"]["trace"] = (
            'File "/usr/lib/python3/dist-packages/django/core/handlers/exception.py", line 55, '
            "in inner /home/app/venv/lib/python3.11/site-packages/channels_redis/core.py"
        )

    result = chanreplay("lint", "--no-unused", str(_with(tmp_path, recorded)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("1 cassette: 0 errors, 0 warnings\n")


def test_a_binary_frame_that_holds_text_is_checked_as_text(tmp_path: Path) -> None:
    import base64

    def leak(document: dict[str, Any]) -> None:
        payload = base64.b64encode(f'{{"token": "{JWT}"}}'.encode()).decode()
        _chat(document)["events"].append(
            {
                "dir": "in",
                "message": {"type": "websocket.receive", "bytes": {"$bytes": payload}},
                "step": 30,
            }
        )

    result = chanreplay("lint", "--no-unused", str(_with(tmp_path, leak)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "message.bytes.token: error: a secret-named field with a value" in result.stderr


def test_the_allow_list_silences_a_path_or_a_pattern(tmp_path: Path) -> None:
    def noted(document: dict[str, Any]) -> None:
        _chat(document)["events"][7]["message"]["text"]["$json"]["note"] = (
            "k9Xq2Lm7Pz4Rt8Vw1Yb5Nc3Hd6Jf0Gs"
        )

    path = str(_with(tmp_path, noted))
    assert chanreplay("lint", "--no-unused", path).returncode == 1
    by_path = chanreplay("lint", "--no-unused", "--allow", "**.note", path)
    assert by_path.returncode == 0, by_path.stdout + by_path.stderr
    by_value = chanreplay("lint", "--no-unused", "--allow", "regex:^k9Xq", path)
    assert by_value.returncode == 0, by_value.stdout + by_value.stderr
    wrong = chanreplay("lint", "--no-unused", "--allow", "regex:(", path)
    assert wrong.returncode == 2
    assert "--allow" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_the_allow_list_comes_from_the_settings_too(tmp_path: Path) -> None:
    def noted(document: dict[str, Any]) -> None:
        _chat(document)["events"][7]["message"]["text"]["$json"]["note"] = (
            "k9Xq2Lm7Pz4Rt8Vw1Yb5Nc3Hd6Jf0Gs"
        )

    (tmp_path / "project_settings.py").write_text(
        "from example.settings import *  # noqa\n"
        "CHANREPLAY = {**CHANREPLAY, 'LINT_ALLOW': ['message.text.note']}\n"
    )
    result = chanreplay(
        "lint",
        "--no-unused",
        str(_with(tmp_path, noted)),
        env={
            "PYTHONPATH": f"{EXAMPLE_PROJECT}{os.pathsep}{tmp_path}",
            "DJANGO_SETTINGS_MODULE": "project_settings",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_projects_secret_key_is_found(tmp_path: Path) -> None:
    def leak(document: dict[str, Any]) -> None:
        _chat(document)["events"][4]["message"]["text"]["$json"]["message"] = KEY

    from django.conf import settings

    KEY = settings.SECRET_KEY
    path = _with(tmp_path, leak)
    result = chanreplay(
        "lint",
        "--no-unused",
        str(path),
        env={"PYTHONPATH": str(EXAMPLE_PROJECT), "DJANGO_SETTINGS_MODULE": "example.settings"},
    )
    assert result.returncode == 1
    assert "holds the project's SECRET_KEY" in result.stderr


def _installed(*arguments: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed ``chanreplay`` command (its directory, not the current one, on the import
    path, as after ``pip install``), with no DJANGO_SETTINGS_MODULE unless given."""
    base = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")
    }
    command = Path(sys.executable).parent / "chanreplay"
    return subprocess.run(
        [str(command), *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, **env},
        check=False,
        timeout=120,
    )


def test_the_installed_command_finds_the_settings_as_manage_py_does(tmp_path: Path) -> None:
    """Run from the project's directory, the installed command reads manage.py's settings
    module and imports it from there: the SECRET_KEY check runs."""
    from django.conf import settings

    key = settings.SECRET_KEY

    def leak(document: dict[str, Any]) -> None:
        _chat(document)["events"][4]["message"]["text"]["$json"]["message"] = f"key: {key}"

    path = _with(tmp_path, leak)
    result = _installed("lint", "--no-unused", str(path), cwd=EXAMPLE_PROJECT)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "holds the project's SECRET_KEY" in result.stderr


def test_settings_that_do_not_import_are_said_loudly(tmp_path: Path) -> None:
    result = _installed(
        "lint", "--no-unused", str(EXAMPLE), cwd=tmp_path, DJANGO_SETTINGS_MODULE="nowhere.settings"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning: the settings 'nowhere.settings' did not import" in result.stderr
    assert "are not known here" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.endswith("1 cassette: 0 errors, 1 warning\n")
    strict = _installed(
        "lint",
        "--no-unused",
        "--strict",
        str(EXAMPLE),
        cwd=tmp_path,
        DJANGO_SETTINGS_MODULE="nowhere.settings",
    )
    assert strict.returncode == 1


def test_a_broken_cassette_is_an_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(EXAMPLE.read_text()[:500])
    result = chanreplay("lint", "--no-unused", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{broken}: error: ")
    assert "truncated" in result.stderr


def test_the_size_budget_warns_and_strict_fails(tmp_path: Path) -> None:
    result = chanreplay("lint", "--no-unused", "--max-size", "0.01", str(EXAMPLE))
    assert result.returncode == 0
    assert (
        "warning: 0.03 MB, over the 0.01 MB budget" in result.stdout
        or "over the 0.01 MB budget" in result.stdout
    )
    strict = chanreplay("lint", "--no-unused", "--strict", "--max-size", "0.01", str(EXAMPLE))
    assert strict.returncode == 1


def test_no_cassettes_is_an_error(tmp_path: Path) -> None:
    result = chanreplay("lint", str(tmp_path))
    assert result.returncode == 2
    assert f"no cassettes in {tmp_path}" in result.stderr


def test_unused_cassettes_after_a_test_run_under_xdist(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(INI.replace("-p no:cacheprovider ", ""))
    cassettes = pytester.path / "cassettes"
    cassettes.mkdir()
    shutil.copy(EXAMPLE, cassettes / "session.json")
    shutil.copy(EXAMPLE, cassettes / "forgotten.json")
    pytester.makepyfile(
        test_replay="""
        import pytest

        @pytest.mark.parametrize("part", ["/ws/echo/*", "/ws/binary/*"])
        def test_part(replay, part):
            replay("session", include=[part])
        """
    )
    pytester.runpytest_subprocess("-n", "2", "-p", "xdist", timeout=300).assert_outcomes(passed=2)
    monkeypatch.chdir(pytester.path)
    result = chanreplay("lint", "cassettes", cwd=pytester.path)
    assert result.returncode == 0, result.stderr
    assert (
        "cassettes/forgotten.json: warning: no test used this cassette in the last test run"
        in result.stdout
    )
    assert "session.json: warning" not in result.stdout

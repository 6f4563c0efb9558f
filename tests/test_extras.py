"""chanreplay.extras: a missing optional dependency names the extra that brings it."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from chanreplay.cli import main
from chanreplay.extras import MissingExtraError, require


def test_an_installed_module_passes() -> None:
    require("chanreplay proxy", "aiohttp", "websockets")


def test_a_missing_module_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # as if it were not installed
    with pytest.raises(MissingExtraError) as missing:
        require("chanreplay proxy", "aiohttp", "websockets")
    assert str(missing.value) == (
        "chanreplay proxy needs aiohttp, which is not installed: pip install 'chanreplay[proxy]'"
    )


def test_modules_of_two_extras_name_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pytest_django", None)
    monkeypatch.setitem(sys.modules, "channels_redis", None)
    with pytest.raises(
        MissingExtraError,
        match=r"pip install 'chanreplay\[pytest\]' "
        r"'chanreplay\[redis\]'$",
    ):
        require("this", "pytest_django", "channels_redis")


@pytest.mark.parametrize(
    ("arguments", "module", "extra"),
    [
        (["proxy", "--upstream", "http://127.0.0.1:1"], "aiohttp", "proxy"),
        (["serve", "cassettes/x.json"], "aiohttp", "proxy"),
        (["play", "cassettes/x.json", "--against", "http://127.0.0.1:1"], "websockets", "proxy"),
        (["verify", "."], "pytest_django", "pytest"),
    ],
)
def test_a_command_without_its_extra_says_which_to_install(
    monkeypatch: pytest.MonkeyPatch, arguments: list[str], module: str, extra: str
) -> None:
    """One line and exit status 2, not a ModuleNotFoundError traceback."""
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "example.settings")
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2, result.output
    assert f"needs {module}, which is not installed: pip install 'chanreplay[{extra}]'" in (
        result.output
    )
    assert "Traceback" not in result.output

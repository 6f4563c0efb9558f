"""chanreplay.checks: the system checks that say why recording would not happen."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core import checks as django_checks
from django.test import override_settings

from chanreplay import checks

DAPHNE_FIRST = [
    "daphne",
    *[app for app in settings.INSTALLED_APPS if app != "daphne"],
]


def ids() -> list[str]:
    return [message.id or "" for message in checks.recording_checks()]


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No chanreplay variables; and after the test, this process is not left relaying."""
    from chanreplay.recorder import state

    for name in ("CHANREPLAY_RECORD", "CHANREPLAY_FORCE", "CHANREPLAY_SUPERVISED"):
        monkeypatch.delenv(name, raising=False)
    relaying = state.relaying
    yield monkeypatch
    assert state.relaying == relaying


def test_a_project_listing_chanreplay_first_passes(clean_environment: pytest.MonkeyPatch) -> None:
    assert checks.runserver_owner() == "chanreplay"
    assert ids() == []


def test_daphne_first_takes_runserver_and_the_check_says_how_to_fix_it(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    with override_settings(INSTALLED_APPS=DAPHNE_FIRST):
        assert checks.runserver_owner() == "daphne"
        (warning,) = checks.recording_checks()
    assert warning.id == "chanreplay.W001"
    assert "runserver is daphne's, not chanreplay's" in warning.msg
    assert "list 'chanreplay' before 'daphne' in INSTALLED_APPS" in str(warning.hint)


def test_the_checks_are_registered_with_django(clean_environment: pytest.MonkeyPatch) -> None:
    """``manage.py check`` runs them: the app registers them when it is ready."""
    with override_settings(INSTALLED_APPS=DAPHNE_FIRST):
        found = django_checks.run_checks()
    assert "chanreplay.W001" in [message.id for message in found]


def test_recording_asked_for_under_another_runserver_is_named(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    # Not by reordering INSTALLED_APPS here: with CHANREPLAY_RECORD set, reloading the
    # apps would make this process wrap its layers for recording, for every later test.
    clean_environment.setattr(checks, "runserver_owner", lambda: "daphne")
    clean_environment.setenv("CHANREPLAY_RECORD", "chat")
    clean_environment.setattr(sys, "argv", ["manage.py", "runserver"])
    with override_settings(DEBUG=True):
        assert ids() == ["chanreplay.W001", "chanreplay.W002"]
    clean_environment.setattr(sys, "argv", ["manage.py", "check"])
    with override_settings(DEBUG=True):
        assert ids() == ["chanreplay.W001"]  # not starting a server: nothing to lose


@pytest.mark.parametrize(("force", "expected"), [("", ["chanreplay.W003"]), ("1", [])])
def test_recording_asked_for_with_debug_off_is_named_unless_forced(
    clean_environment: pytest.MonkeyPatch, force: str, expected: list[str]
) -> None:
    clean_environment.setenv("CHANREPLAY_RECORD", "chat")
    clean_environment.setenv("CHANREPLAY_FORCE", force)
    with override_settings(DEBUG=False):
        assert ids() == expected


def test_the_hint_for_an_unknown_record_option(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setattr(sys, "argv", ["manage.py", "runserver", "--record", "chat"])
    assert checks.wrong_runserver_hint() is None  # chanreplay's runserver knows it
    with override_settings(INSTALLED_APPS=DAPHNE_FIRST):
        hint = checks.wrong_runserver_hint()
    assert hint is not None
    assert hint.startswith("chanreplay: runserver here is daphne's, which has no --record")
    clean_environment.setattr(sys, "argv", ["manage.py", "runserver", "8001"])
    with override_settings(INSTALLED_APPS=DAPHNE_FIRST):
        assert checks.wrong_runserver_hint() is None

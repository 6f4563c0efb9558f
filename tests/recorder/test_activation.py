"""Where recording meets Django: the CHANREPLAY setting, DEBUG, layers, the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from channels.layers import channel_layers
from django.test import override_settings

from chanreplay.exceptions import ConfigurationError, RecordingRefusedError
from chanreplay.layers import RecordingChannelLayer
from chanreplay.recorder import activation


@pytest.fixture
def clean_layers() -> Iterator[None]:
    """Forget instantiated channel layers before and after the test."""
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


def test_unknown_setting_keys_are_named(settings: object) -> None:
    """A typo in CHANREPLAY is an error that lists the known keys."""
    with (
        override_settings(CHANREPLAY={"CASETTE_DIR": "x"}),
        pytest.raises(ConfigurationError, match=r"CASETTE_DIR.*known ones are"),
    ):
        activation.options()


def test_debug_off_refuses_unless_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    """DEBUG False refuses; force or CHANREPLAY_FORCE set to a true value allows (and says
    so: the caller warns); CHANREPLAY_FORCE=0 does not force."""
    monkeypatch.delenv(activation.ENV_FORCE, raising=False)
    with override_settings(DEBUG=False):
        with pytest.raises(RecordingRefusedError, match="--record-force"):
            activation.check_debug()
        assert activation.check_debug(force=True) is True  # forced: the caller warns
        monkeypatch.setenv(activation.ENV_FORCE, "1")
        assert activation.check_debug() is True
        for off in ("0", "false", "no", ""):
            monkeypatch.setenv(activation.ENV_FORCE, off)
            with pytest.raises(RecordingRefusedError):
                activation.check_debug()
    with override_settings(DEBUG=True):
        assert activation.check_debug() is False


def test_cassette_dir_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    """The option beats the environment, which beats the setting, which beats ./cassettes."""
    monkeypatch.delenv(activation.ENV_CASSETTE_DIR, raising=False)
    with override_settings(CHANREPLAY={}):
        assert activation.cassette_dir() == Path("cassettes")
    with override_settings(CHANREPLAY={"CASSETTE_DIR": "from-setting"}):
        assert activation.cassette_dir() == Path("from-setting")
        monkeypatch.setenv(activation.ENV_CASSETTE_DIR, "from-env")
        assert activation.cassette_dir() == Path("from-env")
        assert activation.cassette_dir("from-option") == Path("from-option")


def test_built_recordings_ignore_static_files_and_configured_paths(tmp_path: Path) -> None:
    """STATIC_URL, favicon and IGNORE_PATHS are not recorded; the rest is."""
    with override_settings(CHANREPLAY={"IGNORE_PATHS": ["/health/*"]}, STATIC_URL="/static/"):
        recording = activation.build_recording("x", directory=tmp_path)
    assert recording.ignores({"type": "http", "path": "/static/app.js"})
    assert recording.ignores({"type": "http", "path": "/favicon.ico"})
    assert recording.ignores({"type": "http", "path": "/health/live"})
    assert not recording.ignores({"type": "websocket", "path": "/ws/chat/"})


def test_configured_redaction_reaches_the_redactor(tmp_path: Path) -> None:
    """REDACT_KEYS and REDACT_HEADERS extend the built-in lists."""
    with override_settings(CHANREPLAY={"REDACT_KEYS": ["card"], "REDACT_HEADERS": ["x-team"]}):
        recording = activation.build_recording("x", directory=tmp_path)
    assert recording.redactor.is_secret_key("card")
    assert recording.redactor.header("x-team", "blue") == "<redacted>"


def test_exact_paths_and_hook_inputs_reach_the_recording(tmp_path: Path) -> None:
    """EXACT_PATHS go to the binder of every cleaner the recording makes; BEFORE_RECORD_INPUTS
    to the hook; both off by default."""
    with override_settings(CHANREPLAY={}):
        plain = activation.build_recording("x", directory=tmp_path)
    assert plain.exact_paths == ()
    assert plain.hook_inputs is False
    configured = {"EXACT_PATHS": ["message.text.created"], "BEFORE_RECORD_INPUTS": True}
    with override_settings(CHANREPLAY=configured):
        recording = activation.build_recording("x", directory=tmp_path)
    assert recording.exact_paths == ("message.text.created",)
    assert recording.hook_inputs is True
    cleaner = recording._cleaner()
    assert cleaner.binder is not None
    assert cleaner.binder.exact == ("message.text.created",)


def test_a_before_record_hook_that_cannot_be_imported_is_named(tmp_path: Path) -> None:
    """A wrong dotted path for BEFORE_RECORD says what it must be."""
    with (
        override_settings(CHANREPLAY={"BEFORE_RECORD": "nowhere.hook"}),
        pytest.raises(ConfigurationError, match=r"nowhere\.hook"),
    ):
        activation.build_recording("x", directory=tmp_path)


def test_wrapping_every_alias_is_idempotent(clean_layers: None) -> None:
    """Each configured alias is wrapped once, however often wrapping is asked for."""
    layers = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
        "other": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    }
    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends = {}
        assert activation.wrap_channel_layers() == ["default", "other"]
        first = channel_layers["other"]
        activation.wrap_channel_layers()
        assert channel_layers["other"] is first
        assert isinstance(first, RecordingChannelLayer)
        assert first.alias == "other"
        assert not isinstance(first.inner, RecordingChannelLayer)


def test_each_recording_knows_the_secrets_of_the_settings_in_force(
    tmp_path: Path, settings: object
) -> None:
    """The settings' secrets are read once, and again whenever the settings change:
    by override_settings, by pytest-django's settings fixture, by a new SECRET_KEY."""

    def learned() -> bytes:
        return b" ".join(activation.build_recording("x", directory=tmp_path).redactor.learned)

    assert b"first-signing-key-0123" not in learned()
    with override_settings(SIMPLE_JWT={"SIGNING_KEY": "first-signing-key-0123"}):
        assert b"first-signing-key-0123" in learned()
        assert b"first-signing-key-0123" in learned()  # the second read is the cached one
    assert b"first-signing-key-0123" not in learned()
    settings.STRIPE_API_KEY = "sk_test_fixture_value_4567"  # type: ignore[attr-defined]
    assert b"sk_test_fixture_value_4567" in learned()
    from django.conf import settings as django_settings

    original = django_settings.SECRET_KEY
    django_settings.SECRET_KEY = "assigned-secret-key-89abcdef"
    try:
        assert b"assigned-secret-key-89abcdef" in learned()
    finally:
        django_settings.SECRET_KEY = original
    assert b"assigned-secret-key-89abcdef" not in learned()

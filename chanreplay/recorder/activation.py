"""Where recording attaches to a Django project: settings, environment, channel layers.

The environment carries a recording from the ``runserver`` process that was
asked for it to the server process the autoreloader starts:

``CHANREPLAY_RECORD``        the cassette name (setting it by hand records too)
``CHANREPLAY_CASSETTE_DIR``  where cassettes go (default: the CASSETTE_DIR setting)
``CHANREPLAY_RECORD_MODE``   once, new_episodes or all
``CHANREPLAY_RUN_ID``        ties the processes of one run together
``CHANREPLAY_SUPERVISED``    set in a server process whose parent finalises the cassette
``CHANREPLAY_FORCE``         record even when DEBUG is off
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from chanreplay.cassette.redaction import MIN_FIELD_SCRUB_LENGTH, Redactor
from chanreplay.exceptions import ChanreplayError, ConfigurationError, RecordingRefusedError
from chanreplay.recorder import state
from chanreplay.recorder.recording import Recording, load_hook
from chanreplay.settings_secrets import setting_secrets

__all__ = [
    "activate_from_environment",
    "build_recording",
    "check_debug",
    "forced",
    "options",
    "start_from_environment",
    "start_once_from_environment",
    "wrap_channel_layers",
]

logger = logging.getLogger("chanreplay")

ENV_RECORD = "CHANREPLAY_RECORD"
ENV_CASSETTE_DIR = "CHANREPLAY_CASSETTE_DIR"
ENV_RECORD_MODE = "CHANREPLAY_RECORD_MODE"
ENV_RUN_ID = "CHANREPLAY_RUN_ID"
ENV_SUPERVISED = "CHANREPLAY_SUPERVISED"
ENV_FORCE = "CHANREPLAY_FORCE"

_KNOWN_OPTIONS = frozenset(
    {
        "CASSETTE_DIR",
        "RECORD_MODE",
        "REDACT_HEADERS",
        "REDACT_KEYS",
        "REDACT_PATHS",
        "BEFORE_RECORD",
        "BEFORE_RECORD_INPUTS",
        "EXACT_PATHS",
        "IGNORE_PATHS",
        "IDENTIFY_USERS",
        "LINT_ALLOW",
    }
)


def options() -> dict[str, Any]:
    """The ``CHANREPLAY`` setting, checked for unknown keys."""
    configured = getattr(settings, "CHANREPLAY", {}) or {}
    if not isinstance(configured, dict):
        raise ConfigurationError("the CHANREPLAY setting must be a dict")
    unknown = set(configured) - _KNOWN_OPTIONS
    if unknown:
        raise ConfigurationError(
            f"unknown CHANREPLAY setting(s) {', '.join(sorted(unknown))}: "
            f"known ones are {', '.join(sorted(_KNOWN_OPTIONS))}"
        )
    return dict(configured)


def cassette_dir(explicit: str | Path | None = None) -> Path:
    """The cassette directory: the option, the environment, the setting, or ./cassettes."""
    chosen = explicit or os.environ.get(ENV_CASSETTE_DIR) or options().get("CASSETTE_DIR")
    return Path(chosen or "cassettes")


def check_debug(*, force: bool = False) -> bool:
    """Refuse to record with DEBUG off (a production-like server) unless forced.

    True when recording goes ahead with DEBUG off (forced): the caller warns.
    ``CHANREPLAY_FORCE`` forces when set to a true value (1, true, yes, on).
    """
    if settings.DEBUG:
        return False
    if force or forced():
        return True
    raise RecordingRefusedError(
        "refusing to record with DEBUG = False: a recording holds every message of "
        "every user. Record on a development server, or pass --record-force "
        "(CHANREPLAY_FORCE=1) if you mean it"
    )


def forced() -> bool:
    """True when ``CHANREPLAY_FORCE`` asks to record with DEBUG off (1, true, yes, on)."""
    return _true(os.environ.get(ENV_FORCE, ""))


def _true(value: str) -> bool:
    """An environment variable's value as a switch: 1, true, yes and on are true."""
    return value.strip().lower() in ("1", "true", "yes", "on")


def _ignored_paths() -> tuple[str, ...]:
    patterns = ["/favicon.ico"]
    for url in (getattr(settings, "STATIC_URL", None), getattr(settings, "MEDIA_URL", None)):
        if url and not str(url).startswith(("http://", "https://")):
            patterns.append("/" + str(url).strip("/") + "/*")
    return tuple(patterns) + tuple(options().get("IGNORE_PATHS", ()))


def build_recording(
    name: str,
    *,
    directory: str | Path | None = None,
    mode: str | None = None,
    run_id: str | None = None,
    finalize: bool = True,
) -> Recording:
    """A :class:`Recording` configured from the ``CHANREPLAY`` setting."""
    configured = options()
    identify = None
    if configured.get("IDENTIFY_USERS", True):
        from chanreplay.recorder.identity import identify_user

        identify = identify_user
    redactor = Redactor(
        headers=configured.get("REDACT_HEADERS", ()),
        keys=configured.get("REDACT_KEYS", ()),
        paths=configured.get("REDACT_PATHS", ()),
    )
    # The settings' secrets (SECRET_KEY, passwords, signing keys) are known
    # before the first event: a view that echoes one never writes it.
    for secret in _settings_secrets():
        redactor.learn(secret, minimum=MIN_FIELD_SCRUB_LENGTH)
    return Recording(
        name,
        cassette_dir=cassette_dir(directory),
        mode=mode or os.environ.get(ENV_RECORD_MODE) or configured.get("RECORD_MODE", "once"),
        run_id=run_id,
        redactor=redactor,
        before_record=load_hook(configured.get("BEFORE_RECORD")),
        hook_inputs=bool(configured.get("BEFORE_RECORD_INPUTS", False)),
        exact_paths=tuple(configured.get("EXACT_PATHS", ())),
        identify=identify,
        ignore_paths=_ignored_paths(),
        finalize=finalize,
    )


_secrets: tuple[tuple[object, object], list[str]] | None = None
"""What :func:`_settings_secrets` last read (its key) and what it found there; replaced
whole, so a reader in another thread sees one or the other."""


def _settings_secrets() -> list[str]:
    """:func:`setting_secrets` of the settings in force, read again only when they change.

    A replay builds a recording per test, and reading every setting for
    secrets cost a small test a fifth of its time. Settings change in tests
    by ``override_settings`` (pytest-django's ``settings`` fixture uses it
    too), which puts a new settings object in place and sends
    ``setting_changed``: either makes this read them again, as does a new
    ``SECRET_KEY`` however it was set. (Other settings assigned at run time
    outside ``override_settings``, which Django's docs advise against, are
    not seen until then.)
    """
    global _secrets
    key = (getattr(settings, "_wrapped", None), getattr(settings, "SECRET_KEY", None))
    cached = _secrets
    if cached is not None and cached[0][0] is key[0] and cached[0][1] is key[1]:
        return cached[1]
    found = setting_secrets(settings)
    _secrets = (key, found)
    return found


def _forget_settings_secrets(**_: Any) -> None:
    global _secrets
    _secrets = None


setting_changed.connect(_forget_settings_secrets, dispatch_uid="chanreplay.settings_secrets")


def wrap_channel_layers() -> list[str]:
    """Wrap every configured channel-layer alias in a RecordingChannelLayer."""
    from channels.layers import channel_layers

    from chanreplay.layers import RecordingChannelLayer

    wrapped = []
    for alias in getattr(settings, "CHANNEL_LAYERS", {}):
        layer = channel_layers[alias]
        if not isinstance(layer, RecordingChannelLayer):
            channel_layers.set(alias, RecordingChannelLayer(layer, alias=alias))
        wrapped.append(alias)
    return wrapped


def activate_from_environment() -> None:
    """At start-up: with ``CHANREPLAY_RECORD`` set, wrap the layers so they record or relay."""
    if os.environ.get(ENV_RECORD):
        state.relaying = True
        wrap_channel_layers()


def start_from_environment() -> Recording:
    """Start the recording the environment describes in this process."""
    name = os.environ[ENV_RECORD]
    if check_debug() and not os.environ.get(ENV_SUPERVISED):  # runserver warned already
        logger.warning(
            "chanreplay: recording with DEBUG = False, as CHANREPLAY_FORCE says: the "
            "cassette will hold every message of every user of this server"
        )
    recording = build_recording(
        name,
        run_id=os.environ.get(ENV_RUN_ID),
        finalize=not os.environ.get(ENV_SUPERVISED),
    )
    message = state.start(recording)
    wrap_channel_layers()
    logger.info("chanreplay: %s", message)
    return recording


_lazy_lock = threading.Lock()
_lazy_attempted = False


def start_once_from_environment() -> Recording | None:
    """Start the environment's recording on first use; log (once) why it could not."""
    global _lazy_attempted
    with _lazy_lock:
        if state.recording is not None or _lazy_attempted:
            return state.recording
        _lazy_attempted = True
        try:
            recording = start_from_environment()
        except ChanreplayError as error:
            logger.error("chanreplay: not recording: %s", error)
            return None
        return recording

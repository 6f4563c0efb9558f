"""Every error chanreplay raises, under one base class.

Each error says what happened, where (the file, the line or the event), and
what to do about it. Errors also subclass the builtin they resemble, so code
that catches ``FileNotFoundError`` or ``ValueError`` keeps working.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CassetteError",
    "CassetteExistsError",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "CassetteVersionError",
    "ChanreplayError",
    "ConfigurationError",
    "FrameError",
    "JournalLocked",
    "MissingSecretError",
    "RecordingRefusedError",
    "ReplayError",
    "UnserializableValueError",
]


class ChanreplayError(Exception):
    """Base class of every error chanreplay raises."""


class ConfigurationError(ChanreplayError, ValueError):
    """Raised when a setting or an option has a value chanreplay cannot use."""


class CassetteError(ChanreplayError, ValueError):
    """Raised when a cassette cannot be read; the message names the file and the place."""

    def __init__(self, path: Path | str | None, problem: str, *, fix: str = "") -> None:
        self.path = Path(path) if path is not None else None
        self.problem = problem
        self.fix = fix
        where = str(self.path) if self.path is not None else "<cassette>"
        message = f"{where}: {problem}"
        if fix:
            message += f"\n  fix: {fix}"
        super().__init__(message)


class CassetteNotFoundError(CassetteError, FileNotFoundError):
    """Raised when a cassette file does not exist."""


class CassetteFormatError(CassetteError):
    """Raised when a file is not valid JSON, is truncated, or is not a cassette."""


class CassetteVersionError(CassetteError):
    """Raised when a cassette declares a format version this release cannot read."""


class CassetteExistsError(CassetteError, FileExistsError):
    """Raised when recording would overwrite a cassette the record mode protects."""


class JournalLocked(ChanreplayError, RuntimeError):
    """Raised when another running process is recording into the same journal."""


class RecordingRefusedError(ChanreplayError, RuntimeError):
    """Raised when recording is asked for where it would be dangerous (``DEBUG`` off)."""


class UnserializableValueError(ChanreplayError, TypeError):
    """Raised when a recorded message holds a value JSON cannot represent.

    The value is rejected rather than silently changed: the message names the
    connection, the event and the path of the value inside the message.
    """

    def __init__(
        self,
        *,
        path: str,
        value: object,
        where: str = "",
        reason: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.path = path
        self.value = value
        kind = f"{type(value).__module__}.{type(value).__qualname__}"
        if kind.startswith("builtins."):
            kind = kind[len("builtins.") :]
        place = f" in {where}" if where else ""
        reason = reason or (
            "a cassette holds JSON (str, int, float, bool, None, list, dict with str keys) "
            "and bytes"
        )
        fix = fix or (
            "send a JSON-compatible value (for example an ISO string for a datetime), "
            "or convert it in a CHANREPLAY['BEFORE_RECORD'] hook"
        )
        super().__init__(
            f"cannot record a value of type {kind} at {path}{place}: {reason}.\n  fix: {fix}."
        )


class FrameError(ChanreplayError, ValueError):
    """Raised when the bytes crossing the capture proxy are not websocket frames it can read.

    The proxy forwards them regardless (the server judges its client) and
    stops recording that connection, keeping what it recorded before.
    """


class ReplayError(ChanreplayError, RuntimeError):
    """A replay could not be set up (a user the cassette names is missing, ...)."""


class MissingSecretError(ReplayError):
    """Raised when a replay would send ``<redacted>`` where the server needs a real value.

    ``needed`` maps each field name to a description of the first place it
    is needed (its kind, connection and event).
    """

    def __init__(self, path: Path | str | None, needed: dict[str, str], *, how: str) -> None:
        self.path = Path(path) if path is not None else None
        self.needed = needed
        where = str(self.path) if self.path is not None else "<cassette>"
        places = "; ".join(f"{name!r} ({place})" for name, place in needed.items())
        example = " ".join(f"{how} {name}=..." for name in needed)
        super().__init__(
            f"{where}: the client side sends redacted values the server needs: {places}.\n"
            f"  fix: give each its real value: {example}"
        )

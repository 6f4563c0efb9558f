"""The recording this process writes, if any (one per process).

The layer wrapper and the ASGI recorder read :data:`recording` on every call;
it is a module global rather than a context variable because a recording
spans every connection and thread of the server.
"""

from __future__ import annotations

import atexit
import os
import threading

from chanreplay.recorder.journal import CompileResult
from chanreplay.recorder.recording import Recording

__all__ = ["recording", "relaying", "start", "stop"]

recording: Recording | None = None
"""The active recording, or None."""

relaying: bool = bool(os.environ.get("CHANREPLAY_RECORD"))
"""True in a process that does not record but whose layer messages a recording
server should see as external events (``CHANREPLAY_RECORD`` is set)."""

_lock = threading.Lock()
_atexit_registered = False


def start(new: Recording) -> str:
    """Make ``new`` this process's recording and start it; returns what it will do."""
    global recording, _atexit_registered
    with _lock:
        if recording is not None:
            raise RuntimeError(
                f"already recording {recording.cassette_path}; stop it before starting another"
            )
        message = new.start()
        recording = new
        if not _atexit_registered:
            # A server stopped by Ctrl-C or SIGTERM exits through atexit; the
            # final cassette is written there.
            atexit.register(stop)
            _atexit_registered = True
    return message


def stop() -> CompileResult | None:
    """Stop the active recording (if any) and write its cassette."""
    global recording
    with _lock:
        current, recording = recording, None
    if current is None:
        return None
    return current.stop()

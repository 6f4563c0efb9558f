"""``chanreplay git install``: the .gitattributes lines and git config a cassette diff needs.

With them, ``git diff``, ``git log -p`` and ``git show`` run each version of
a cassette through ``chanreplay show`` (a textconv) and diff the
transcripts; ``git difftool -t chanreplay`` runs ``chanreplay diff``.

Pure: no Django, no Channels.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from chanreplay.exceptions import ConfigurationError

__all__ = ["DRIVER", "install"]

DRIVER = "chanreplay"


def install(patterns: Sequence[str], *, command: Sequence[str]) -> Iterator[str]:
    """Configure the repository around the current directory; say what was done."""
    top = _git("rev-parse", "--show-toplevel").strip()
    attributes = Path(top) / ".gitattributes"
    existing = attributes.read_text() if attributes.exists() else ""
    lines = existing.splitlines()
    added = [
        f"{pattern} diff={DRIVER}"
        for pattern in patterns
        if f"{pattern} diff={DRIVER}" not in lines
    ]
    if added:
        text = existing + ("" if not existing or existing.endswith("\n") else "\n")
        attributes.write_text(text + "\n".join(added) + "\n")
        yield f"{attributes}: added {', '.join(added)}"
    else:
        yield f"{attributes}: already has the cassette patterns"
    program = " ".join(shlex.quote(part) for part in command)
    settings = {
        f"diff.{DRIVER}.textconv": f"{program} show --format text --no-color",
        f"difftool.{DRIVER}.cmd": f'{program} diff "$LOCAL" "$REMOTE"',
    }
    for key, value in settings.items():
        _git("config", "--local", key, value)
        yield f"git config {key} = {value}"
    yield (
        "git diff, log -p and show now diff transcripts; git difftool -t chanreplay (or "
        "chanreplay diff REV -- PATH) shows what changed, summarised"
    )


def _git(*arguments: str) -> str:
    try:
        done = subprocess.run(["git", *arguments], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ConfigurationError("git is not installed (or not on PATH)") from None
    if done.returncode != 0:
        raise ConfigurationError(
            f"git {' '.join(arguments[:2])} failed: {done.stderr.strip()}; run chanreplay git "
            "install inside a git work tree"
        )
    return done.stdout

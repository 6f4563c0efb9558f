"""Where ``chanreplay show`` and ``diff`` read cassettes: files, and ``REV:path`` in git.

Pure: no Django, no Channels.
"""

from __future__ import annotations

import os
from pathlib import Path

from chanreplay.cassette.loader import load, loads
from chanreplay.cassette.model import Cassette
from chanreplay.exceptions import CassetteNotFoundError

__all__ = ["is_revision", "read", "read_at", "unknown_revision"]


def read(spec: str, like: Cassette | None = None, *, compact: bool = True) -> Cassette:
    """The cassette ``spec`` names: a file, or ``REV:path`` (``HEAD~1:cassettes/chat.json``).

    ``like``: another version already read (a diff's old one), whose connections this
    one shares where they are the same; ``compact=False`` reads faster in more memory
    (see :func:`chanreplay.cassette.loader.loads`).
    """
    if Path(spec).exists() or ":" not in spec:
        return load(spec, compact=compact, like=like)
    revision, _, path = spec.partition(":")
    return read_at(revision, path, like, compact=compact)


def read_at(
    revision: str, path: str, like: Cassette | None = None, *, compact: bool = True
) -> Cassette:
    """The cassette at ``path`` as it was in git revision ``revision`` (``like`` and
    ``compact``: see :func:`read`)."""
    import subprocess

    shown = subprocess.run(
        ["git", "show", f"{revision}:{_git_path(path)}"],
        capture_output=True,
        check=False,
    )
    if shown.returncode != 0:
        raise CassetteNotFoundError(
            Path(f"{revision}:{path}"),
            f"git cannot show it: {shown.stderr.decode(errors='replace').strip()}",
            fix="name a revision and a path that git knows (git log -- PATH lists them)",
        )
    return loads(shown.stdout, path=Path(f"{revision}:{path}"), compact=compact, like=like)


def unknown_revision(name: str) -> CassetteNotFoundError:
    """The error for ``name``, meant as a git revision that git does not know here."""
    import subprocess

    branches = subprocess.run(
        ["git", "branch", "--format=%(refname:short)"], capture_output=True, check=False
    )
    if branches.returncode != 0:
        fix = (
            "run it inside the git repository that holds the cassettes, or give two cassette files"
        )
    else:
        names = branches.stdout.decode(errors="replace").split()
        known = f" (branches here: {', '.join(names[:10])})" if names else ""
        fix = f"name a commit or branch git knows{known}, or give a cassette file"
    return CassetteNotFoundError(
        Path(name), "neither a cassette file nor a git revision here", fix=fix
    )


def is_revision(name: str) -> bool:
    """True when ``name`` is a git revision here (and not a file)."""
    if Path(name).exists():
        return False
    import subprocess

    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def _git_path(path: str) -> str:
    """``path`` for ``git show REV:path``: relative to the current directory (git's ``./`` form)."""
    relative = os.path.relpath(path) if os.path.isabs(path) else path
    return relative if relative.startswith(("./", "../")) else f"./{relative}"

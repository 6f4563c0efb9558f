"""The values behind a recording's bindings, kept for reading next to the cassette (pure).

A cassette names the values the server made (``<uuid:1>``) and never holds
them: two recordings of a session must be the same bytes. A person reading a
recording may still want to know which trip ``<uuid:1>`` was. So a recording
keeps them beside the cassette, in ``cassettes/.NAME.values.json``, for the
bindings that never stood in a secret's place (a JWT, a session key, a
token under a secret key are never kept), and ``chanreplay show`` prints
them. The file is local, like the journal: ignore ``cassettes/.*.values.json``
in version control. It belongs to the recording that wrote it: a cassette
written again otherwise (an update, a migration) loses it.

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import orjson

from chanreplay.cassette import writer

__all__ = ["forget_values", "read_values", "values_path", "write_values"]


def values_path(cassette: Path) -> Path:
    """Where the values of the cassette at ``cassette`` are kept."""
    return cassette.with_name(f".{cassette.stem}.values.json")


def read_values(cassette: Path) -> dict[str, str]:
    """The values kept for ``cassette`` (``{"uuid:1": "3f2a..."}``); empty when there are none.

    A file that cannot be read as such is taken as none: it is only ever for reading.
    """
    try:
        data = orjson.loads(values_path(cassette).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def write_values(cassette: Path, values: Mapping[str, str]) -> None:
    """Keep ``values`` for ``cassette`` (atomically; none: the file goes)."""
    path = values_path(cassette)
    if not values:
        forget_values(cassette)
        return
    ordered = dict(sorted(values.items(), key=lambda item: _order(item[0])))
    writer.write_chunks(path, [orjson.dumps(ordered, option=orjson.OPT_INDENT_2) + b"\n"])


def forget_values(cassette: Path) -> None:
    """Remove the values kept for ``cassette``, if any."""
    values_path(cassette).unlink(missing_ok=True)


def _order(name: str) -> tuple[str, int]:
    kind, _, number = name.partition(":")
    return kind, int(number) if number.isdigit() else 0

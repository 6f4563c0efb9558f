"""The values behind a recording's bindings, kept for reading next to the cassette (pure).

A cassette names the values the server made (``<uuid:1>``) and never holds
them: two recordings of a session must be the same bytes. A person reading a
recording may still want to know which trip ``<uuid:1>`` was, or when a
``<datetime>`` was. So a recording keeps them beside the cassette, in
``cassettes/.NAME.values.json``: the values of the bindings that never stood
in a secret's place (a JWT, a session key, a token under a secret key are
never kept) and the timestamps written by shape, by connection and place in
the order they were sent; ``chanreplay show`` prints them. The file is
local, like the journal: ignore ``cassettes/.*.values.json`` in version
control. It belongs to the recording that wrote it: a cassette
written again otherwise (an update, a migration) loses it.

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

__all__ = ["Kept", "forget_values", "read_values", "values_path", "write_values"]


@dataclass
class Kept:
    """What a recording keeps for reading: values behind bindings, and timestamps."""

    bindings: dict[str, str] = field(default_factory=dict)
    """Binding name -> its value (``{"uuid:1": "3f2a..."}``)."""
    timestamps: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    """Connection id -> dotted path -> the timestamps sent there, in order."""

    def __bool__(self) -> bool:
        return bool(self.bindings or self.timestamps)

    def then(self, later: Kept) -> Kept:
        """This, followed by what ``later`` kept (a recording resumed after a reload)."""
        times = {
            owner: {p: list(v) for p, v in places.items()}
            for owner, places in self.timestamps.items()
        }
        for owner, places in later.timestamps.items():
            for place, values in places.items():
                times.setdefault(owner, {}).setdefault(place, []).extend(values)
        return Kept({**self.bindings, **later.bindings}, times)


def values_path(cassette: Path) -> Path:
    """Where the values of the cassette at ``cassette`` are kept."""
    return cassette.with_name(f".{cassette.stem}.values.json")


def read_values(cassette: Path) -> Kept:
    """What is kept for ``cassette``; nothing when there is none.

    A file that cannot be read as such is taken as none: it is only ever for reading.
    """
    try:
        data = orjson.loads(values_path(cassette).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return Kept()
    if not isinstance(data, dict):
        return Kept()
    bindings = data.get("bindings")
    times = data.get("timestamps")
    return Kept(
        {str(k): str(v) for k, v in bindings.items() if isinstance(v, str)}
        if isinstance(bindings, dict)
        else {},
        {
            str(owner): {str(p): list(v) for p, v in places.items() if isinstance(v, list)}
            for owner, places in times.items()
            if isinstance(places, dict)
        }
        if isinstance(times, dict)
        else {},
    )


def write_values(cassette: Path, kept: Kept) -> None:
    """Keep ``kept`` for ``cassette`` (atomically; nothing: the file goes)."""
    path = values_path(cassette)
    if not kept:
        forget_values(cassette)
        return
    from chanreplay.cassette import writer  # not imported by `chanreplay show`, which reads

    document = {
        "bindings": dict(sorted(kept.bindings.items(), key=lambda item: _order(item[0]))),
        "timestamps": kept.timestamps,
    }
    writer.write_chunks(path, [orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"])


def forget_values(cassette: Path) -> None:
    """Remove the values kept for ``cassette``, if any."""
    values_path(cassette).unlink(missing_ok=True)


def _order(name: str) -> tuple[str, int]:
    kind, _, number = name.partition(":")
    return kind, int(number) if number.isdigit() else 0

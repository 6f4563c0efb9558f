"""What ``chanreplay show`` prints as text: the transcript in batches, and the kept values."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from chanreplay.review.transcript import Style, transcript_lines

if TYPE_CHECKING:
    from chanreplay.cassette.model import Cassette

__all__ = ["BATCH", "kept_lines", "text_batches"]

BATCH = 1000
"""Lines written at once: writing (click.echo) per line costs more than the rendering."""


def text_batches(cassette: Cassette, style: Style) -> Iterator[str]:
    """The text transcript, as :data:`BATCH` lines at a time joined by newlines."""
    batch: list[str] = []
    for line in transcript_lines(cassette, style):
        batch.append(line)
        if len(batch) == BATCH:
            yield "\n".join(batch)
            batch.clear()
    if batch:
        yield "\n".join(batch)


def kept_lines(spec: str) -> list[str]:
    """What a recording kept beside the cassette at ``spec`` (a file, not REV:PATH), as lines."""
    path = Path(spec)
    if not path.is_file():
        return []
    from chanreplay.cassette.values import read_values

    kept = read_values(path)
    if not kept:
        return []
    lines = ["values the recording made (kept beside the cassette, never in it):"]
    lines += [f"  <{name}> = {value}" for name, value in kept.bindings.items()]
    for owner, places in kept.timestamps.items():
        for place, values in places.items():
            shown = ", ".join(str(value) for value in values)
            lines.append(f"  {owner} {place}: {shown}")
    return lines

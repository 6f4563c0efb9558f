"""What happens to journal lines between the recorder and the file: placeholders, redaction.

The recorder appends each event as a journal line the moment it happens, and
does as little as it can there: the line is serialised, but live channel
names and secrets may still be in it. The cleaner takes whole batches of
lines (in the journal's writer process, or in process for a replay), puts
placeholders in place of channel names and redacts, and only then is
anything written.

What the recorder learns as it goes reaches the cleaner in the same stream,
as *control lines* (they start with ``!``, which no JSON line does), so that
every line is cleaned with exactly what was known when it was recorded,
however the lines fall into batches::

    !learn "<secret>"                       a secret value seen in a header
    !chan ["<live name>","<channel:c1>"]    the placeholder of a channel name

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from chanreplay.cassette.redaction import Redactor
from chanreplay.recorder.channel_names import ChannelNames

__all__ = ["JournalCleaner", "control_line", "split_marked"]

_CONTROL = b"!"
_LEARN = b"!learn "
_CHANNEL = b"!chan "


def split_marked(batch: bytes, marker: bytes) -> Iterator[tuple[bool, bytes]]:
    """``batch`` (whole lines) in order as ``(marked, part)``: runs of ordinary lines,
    and each line that starts with ``marker`` on its own."""
    done = 0
    while done < len(batch):
        if batch.startswith(marker, done):
            start = done
        else:
            start = batch.find(b"\n" + marker, done) + 1
            if not start:  # no marked line left
                yield False, batch[done:]
                return
            yield False, batch[done:start]
        end = batch.find(b"\n", start) + 1 or len(batch)
        yield True, batch[start:end]
        done = end


def control_line(kind: str, value: Any) -> bytes:
    """The control line that tells the cleaner about ``value`` (see the module docstring)."""
    return b"!%b %b\n" % (kind.encode("ascii"), orjson.dumps(value))


class JournalCleaner:
    """Cleans batches of journal lines; learns secrets and placeholders from control lines.

    ``redactor`` must be its own (see :meth:`Redactor.twin`): what it has
    learned decides what is scrubbed, so it may learn only from the stream.
    """

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.names = ChannelNames()

    def __call__(self, batch: bytes) -> bytes:
        """``batch`` (whole lines) cleaned, its control lines applied and left out."""
        if not batch.startswith(_CONTROL) and batch.find(b"\n!") < 0:
            return self._clean(batch)
        parts = []
        for control, part in split_marked(batch, _CONTROL):
            if control:
                self._apply(part)
            else:
                parts.append(self._clean(part))
        return b"".join(parts)

    def _apply(self, line: bytes) -> None:
        if line.startswith(_LEARN):
            self.redactor.learn(orjson.loads(line[len(_LEARN) :]))
        elif line.startswith(_CHANNEL):
            live, placeholder = orjson.loads(line[len(_CHANNEL) :])
            self.names.register(live, placeholder)
        else:
            raise ValueError(f"unknown journal control line {line[:40]!r}")

    def _clean(self, batch: bytes) -> bytes:
        """Lines with learned secrets scrubbed, channel names replaced, content redacted.

        The batch is searched once for the places that may need more than
        scrubbing (a secret word, a channel name's stem); only the lines
        holding one are parsed.
        """
        if not batch:
            return batch
        batch = self.redactor.scrub_json(batch)
        offsets = self.redactor.suspect_offsets(batch)
        if offsets is None:
            return b"".join(self._clean_line(line) for line in batch.splitlines(True))
        offsets.extend(self.names.suspect_offsets(batch))
        if not offsets:
            return batch
        starts = sorted({batch.rfind(b"\n", 0, offset) + 1 for offset in offsets})
        parts = []
        done = 0
        for start in starts:
            end = batch.find(b"\n", start) + 1 or len(batch)
            parts.append(batch[done:start])
            parts.append(self._clean_line(batch[start:end]))
            done = end
        parts.append(batch[done:])
        return b"".join(parts)

    def _clean_line(self, line: bytes) -> bytes:
        line = self.names.substitute(line)
        if not self.redactor.might_need(line, learned=False):
            return line
        record = orjson.loads(line)
        for key in ("e", "scope"):
            if key in record:
                record[key] = self.redactor.value(record[key], learned=False)
        return orjson.dumps(record) + b"\n"

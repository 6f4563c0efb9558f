"""What happens to journal lines between the recorder and the file: placeholders, redaction.

The recorder appends each event as a journal line the moment it happens, and
does as little as it can there: the line is serialised, but live channel
names, values the server made and secrets may still be in it, headers
included. The cleaner takes whole batches of lines (in the journal's writer
process, or in process for a replay), puts placeholders in place of channel
names and of the values a :class:`~chanreplay.cassette.binding.Binder` names,
redacts, and only then is anything written. Binding comes before redaction:
a token the server made and a client sent back is a binding, not a secret
lost (its value is never written either way).

What the recorder learns as it goes reaches the cleaner in the same stream,
as *control lines* (they start with ``!``, which no JSON line does), so that
every line is cleaned with exactly what was known when it was recorded,
however the lines fall into batches::

    !learn "<secret>"                       a secret value seen in a header
    !chan ["<live name>","<channel:c1>"]    the placeholder of a channel name
    !count {"uuid": 3}                      numbers bindings already have (a resumed journal)
    !exact ["message.text.id"]              places whose values the binder leaves as they are

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import orjson

from chanreplay.cassette.binding import Binder, kind_of, volatile_length
from chanreplay.cassette.redaction import Redactor, find_all
from chanreplay.cassette.values import Kept
from chanreplay.recorder.channel_names import ChannelNames

__all__ = [
    "CONTROL",
    "JournalCleaner",
    "bound_event",
    "control_line",
    "find_marked",
    "split_marked",
]

logger = logging.getLogger("chanreplay")

CONTROL = b"!"
"""How a control line starts (see the module docstring): no journal record does."""
_LEARN = b"!learn "
_CHANNEL = b"!chan "
_COUNT = b"!count "
_EXACT = b"!exact "
_HEADERS = b'"headers":'
# Where a line may hold a value the binder names: a run of ten characters a
# token is made of (a JWT's first part, a UUID, an ISO date and epoch seconds
# or milliseconds are such runs), checked before the line is parsed. The
# look-behind starts a run only where one starts (see binding._CANDIDATE).
_RUN_CHARACTERS = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123)) + b"_-"
_AS_RUNS = bytes(ord("a") if byte in _RUN_CHARACTERS else ord(" ") for byte in range(256))
"""A translation table: a character a token is made of becomes ``a``, any other a space."""
_LONG_RUN = b"a" * 10
_TIMESTAMP = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{10}")
_AS_DIGITS = bytes(ord("0") if 48 <= byte < 58 else ord(" ") for byte in range(256))
"""A translation table: a digit becomes ``0``, any other character a space."""
_FOUR_DIGITS = b"0000"
"""What :data:`_TIMESTAMP` cannot match without (both of its forms start with four digits)."""
_LONG = 256
"""Runs longer than this are pre-checked in C before a regular expression walks them."""


def find_marked(data: bytes, marker: bytes, start: int = 0) -> int:
    """Where the first line from ``start`` (a line's start) that begins with ``marker``
    (one character) starts, or -1.

    Looked for as the character alone first: one search for a single byte is
    ten times faster than one for it after a newline, and a marker that
    starts no line is rare inside lines (JSON holds ``!`` and ``#`` seldom).
    Only after a marker inside a line does the slower search take over.
    """
    found = data.find(marker, start)
    if found <= start or data[found - 1] == 10:  # none, at start, or after a newline
        return found
    found = data.find(b"\n" + marker, found)
    return found + 1 if found >= 0 else -1


def split_marked(batch: bytes, marker: bytes) -> Iterator[tuple[bool, bytes]]:
    """``batch`` (whole lines) in order as ``(marked, part)``: runs of ordinary lines,
    and each line that starts with ``marker`` on its own."""
    done = 0
    while done < len(batch):
        start = find_marked(batch, marker, done)
        if start < 0:  # no marked line left
            yield False, batch[done:]
            return
        if start > done:
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
    ``binder`` names the values the server makes (None: they stay as they are,
    as a replay of a cassette older than bindings needs).
    """

    def __init__(self, redactor: Redactor, binder: Binder | None = None) -> None:
        self.redactor = redactor
        self.warned: set[str] = set()
        """The places a secret turned up again, each said once (see :meth:`_found_again`)."""
        self.names = ChannelNames()
        self.binder = binder
        if binder is not None:
            # A secret the binder named (a session key in Set-Cookie) is learned
            # all the same: wherever the binder does not find it, it is scrubbed.
            redactor.resolve = binder.value

    def __call__(self, batch: bytes) -> bytes:
        """``batch`` (whole lines) cleaned, its control lines applied and left out."""
        if find_marked(batch, CONTROL) < 0:
            return self._clean(batch)
        parts = []
        for control, part in split_marked(batch, CONTROL):
            if control:
                self._apply(part)
            else:
                parts.append(self._clean(part))
        return b"".join(parts)

    def readable(self) -> Kept:
        """What may be read of the values the server made: the bindings' (never a JWT,
        never one that stood in a secret's place: a cookie, a token under a secret key,
        never one holding a secret the session revealed, such as an echoed SECRET_KEY)
        and the timestamps', by connection and place."""
        if self.binder is None:
            return Kept()
        known = self.redactor.secrets
        bindings = {
            name: value
            for name, value in self.binder.values().items()
            if not name.startswith("jwt:")
            and name not in self.redactor.kept
            and not any(secret in value for secret in known)
        }
        return Kept(bindings, self.binder.times)

    def _apply(self, line: bytes) -> None:
        if line.startswith(_LEARN):
            self.redactor.learn(orjson.loads(line[len(_LEARN) :]))
        elif line.startswith(_CHANNEL):
            live, placeholder = orjson.loads(line[len(_CHANNEL) :])
            self.names.register(live, placeholder)
        elif line.startswith(_EXACT):
            if self.binder is not None:
                self.binder.keep_exact(orjson.loads(line[len(_EXACT) :]))
        elif line.startswith(_COUNT):
            if self.binder is not None:
                self.binder.continue_from(orjson.loads(line[len(_COUNT) :]))
        else:
            raise ValueError(f"unknown journal control line {line[:40]!r}")

    def _clean(self, batch: bytes) -> bytes:
        """Lines cleaned in order: those with headers or values to bind parsed one by one.

        A line with headers may teach the redactor a secret (a cookie) that
        every later line must lose, so the lines before it are cleaned before
        it is, and the lines after it after. The rest are cleaned together.
        """
        starts = self._whole_lines(batch)
        if not starts:
            return self._clean_plain(batch)
        parts = []
        pending: list[bytes] = []
        done = 0
        for start in starts:
            end = batch.find(b"\n", start) + 1 or len(batch)
            pending.append(batch[done:start])
            line = batch[start:end]
            if line.find(_HEADERS) >= 0:
                parts.append(self._clean_plain(b"".join(pending)))
                pending = []
                parts.append(self._clean_plain(self._parsed(line)))
            else:
                pending.append(self._parsed(line))
            done = end
        pending.append(batch[done:])
        parts.append(self._clean_plain(b"".join(pending)))
        return b"".join(parts)

    def _whole_lines(self, batch: bytes) -> list[int]:
        """Where the lines start that need parsing whole: headers, values to bind."""
        offsets = list(find_all(batch, _HEADERS))
        if self.binder is not None:
            offsets.extend(_bindable_runs(batch, self.binder))
            for key in self.binder.place_keys:
                offsets.extend(find_all(batch, key.encode()))
        return sorted({batch.rfind(b"\n", 0, offset) + 1 for offset in offsets})

    def _parsed(self, line: bytes) -> bytes:
        """One line parsed: values bound, headers redacted (learning); to be cleaned as any."""
        line = self.names.substitute(line)
        record = orjson.loads(line)
        binder = self.binder
        if record.get("k") == "open" and isinstance(record.get("scope"), dict):
            scope = record["scope"]
            if binder is not None:
                scope = binder.client(scope, ("scope",))
                if isinstance(scope.get("headers"), list):
                    scope["headers"] = [volatile_length(header) for header in scope["headers"]]
            record["scope"] = self.redactor.scope(scope)
        elif record.get("k") == "ev" and isinstance(record.get("e"), dict):
            owner = record.get("c")
            record["e"] = bound_event(
                record["e"], self.redactor, binder, owner=owner if owner else "external"
            )
        return orjson.dumps(record) + b"\n"

    def _clean_plain(self, batch: bytes) -> bytes:
        """Lines with learned secrets scrubbed, channel names replaced, content redacted.

        The batch is searched once for the places that may need more than
        scrubbing (a secret word, a channel name's stem); only the lines
        holding one are parsed.
        """
        if not batch:
            return batch
        scrubbed = self.redactor.scrub_json(batch)
        if scrubbed is not batch and scrubbed != batch:
            self._found_again(batch, scrubbed)
        batch = scrubbed
        offsets = self.redactor.suspect_offsets(batch)
        if offsets is None:
            return b"".join(
                self._clean_line(self.redactor.scrub_json(line)) for line in batch.splitlines(True)
            )
        offsets.extend(self.names.suspect_offsets(batch))
        if not offsets:
            return batch
        starts = sorted({batch.rfind(b"\n", 0, offset) + 1 for offset in offsets})
        parts = []
        done = 0
        for start in starts:
            end = batch.find(b"\n", start) + 1 or len(batch)
            parts.append(batch[done:start])
            known = self.redactor.learned
            parts.append(self._clean_line(batch[start:end]))
            done = end
            if self.redactor.learned is not known:
                # A field taught a secret (a password posted): this line loses it
                # wherever else it holds it, and so does every line after it.
                parts[-1] = self.redactor.scrub_json(parts[-1])
                parts.append(self._clean_plain(batch[end:]))
                return b"".join(parts)
        parts.append(batch[done:])
        return b"".join(parts)

    def _found_again(self, batch: bytes, scrubbed: bytes) -> None:
        """Say where a secret the session revealed before turned up again (once a place).

        It is written as ``<redacted>`` all the same: this is the gate before
        disk. The warning tells that the application echoes a secret (a view
        returning a session key, a frame repeating a password).
        """
        for before, after in zip(batch.splitlines(), scrubbed.splitlines(), strict=False):
            if before == after:
                continue
            try:
                record = orjson.loads(after)
            except orjson.JSONDecodeError:
                continue
            event = record.get("e") if isinstance(record.get("e"), dict) else {}
            message = event.get("message")
            kind = message.get("type") if isinstance(message, dict) else event.get("op", "scope")
            place = f"{record.get('c') or 'external'} {kind}"
            if place in self.warned:
                continue
            self.warned.add(place)
            logger.warning(
                "chanreplay: a secret the session revealed before (a cookie, a password, a "
                "token) turned up again in %s (step %s); it is written as <redacted>",
                place,
                event.get("step", "?"),
            )

    def _clean_line(self, line: bytes) -> bytes:
        line = self.names.substitute(line)
        if not self.redactor.might_need(line, learned=False):
            return line
        record = orjson.loads(line)
        for key in ("e", "scope"):
            if key in record:
                record[key] = self.redactor.value(record[key], learned=False)
        return orjson.dumps(record) + b"\n"


def _bindable_runs(batch: bytes, binder: Binder) -> Iterator[int]:
    """Offsets of the runs in ``batch`` that may be values to bind.

    A run is ten or more characters a token is made of (a JWT's first part,
    a UUID, an ISO date and epoch seconds or milliseconds are such runs);
    one that may be a value (see :func:`kind_of`) or that ``binder`` named
    already (whatever it looks like) counts. The runs are found
    in C: the batch translated to ``a`` for run characters and searched for
    ten of them, where a regular expression would try every position.
    """
    shape = batch.translate(_AS_RUNS)
    start = shape.find(_LONG_RUN)
    while start >= 0:
        end = shape.find(b" ", start)
        if end < 0:
            end = len(shape)
        run = batch[start:end]
        if run.startswith(b"eyJ") or (_may_be_time(run) and _TIMESTAMP.search(run)):
            yield start
        else:
            text = run.decode()
            if (_may_have_kind(run) and kind_of(text)) or binder.knows(text):
                yield start
        start = shape.find(_LONG_RUN, end)


def _may_be_time(run: bytes) -> bool:
    """False when ``run`` surely holds nothing :data:`_TIMESTAMP` matches (no four digits
    in a row), decided in C for a long run, which the expression would walk byte by byte."""
    return len(run) <= _LONG or run.translate(_AS_DIGITS).find(_FOUR_DIGITS) >= 0


def _may_have_kind(run: bytes) -> bool:
    """False when :func:`kind_of` surely finds no kind in ``run`` (a run, not a UUID's length):
    a long run of fewer than four different characters (``xxxx...``, ``AAAA...``).

    A run holds no ``.``, so it is no JWT; a hex digest needs four different
    characters, a token more (see :func:`kind_of`). Decided in C: each pass
    drops every copy of one character, where ``kind_of`` would walk a 64 KB
    run with several regular expressions.
    """
    if len(run) <= _LONG:
        return True
    for _ in range(3):
        run = run.translate(None, run[:1])
        if not run:
            return False
    return True


def bound_event(
    event: dict[str, Any], redactor: Redactor, binder: Binder | None, owner: str | None = None
) -> dict[str, Any]:
    """``event`` (cassette form, parsed) with the values the server made named and its
    headers redacted: what either side sent, as the binder sees it from that side.

    Content-based redaction is left to the caller (:meth:`Redactor.value`).
    ``owner`` (the connection's id) keeps the timestamps shaped in
    :attr:`Binder.times`, for reading.
    """
    if binder is not None:
        server = event.get("dir") != "in"
        for key in ("message", "group", "detail"):
            if key in event:
                if server:
                    event[key] = binder.server(event[key], (key,), owner)
                else:
                    event[key] = binder.client(event[key], (key,))
    message = event.get("message")
    if isinstance(message, dict) and isinstance(message.get("headers"), list):
        headers = redactor.headers(message["headers"])
        if binder is not None and event.get("dir") == "out":
            headers = [volatile_length(header) for header in headers]
        message["headers"] = headers
    return event

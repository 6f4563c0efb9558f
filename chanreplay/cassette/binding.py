"""Values the server makes: bindings and volatile shapes (pure).

A session carries values from one message to the next that the server
mints at run time: a JWT a login view returns and the client then sends in
a query string, a UUID a consumer creates and the client sends back, a
session key in ``Set-Cookie``. Recorded as they were, they make the cassette
differ on every recording and the replay send values the application never
made. The :class:`Binder` of a recording therefore looks at every value the
server sends (ASGI output, layer messages, error details) and at every value
a client sends (scope, ASGI input):

* a value that looks random (a JWT, a UUID, a hex digest, a token; see
  :func:`kind_of`) and first appears in something the server sent is written
  as a numbered placeholder, ``<uuid:1>``, ``<jwt:2>``, numbered per kind in
  order of first appearance. The same value is the same placeholder
  wherever it appears again, in what either side sends: where a client sends
  it back, the placeholder is a **binding**, which a replay fills with the
  value the application made this time. The value itself is never written.
* a value a client made first (a client-side id) stays as it was, also where
  the server echoes it: a replay sends it again, and the echo is exact.
* a timestamp near the time of recording (an ISO-8601 date-time or date in a
  string, epoch seconds or milliseconds as a JSON number) in what the
  server sends is written as its shape: ``<datetime>``, ``<date>``,
  ``<epoch-s>``, ``<epoch-ms>``.

Two recordings of the same session therefore give the same bytes, and a
replay compares these values by kind and by consistency: a UUID field that
becomes an int, a token that stops being reused (``<token:1>`` expected,
``<token:2>`` made) or a timestamp that becomes a word is a difference.

This module is pure: it imports neither Django nor Channels.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

__all__ = [
    "BOUND",
    "KINDS",
    "SHAPES",
    "WINDOW",
    "Binder",
    "bound_places",
    "fill",
    "is_bound",
    "kind_of",
    "names_in",
    "volatile_length",
]

KINDS = ("jwt", "uuid", "hex", "token")
"""The kinds of values that are numbered and can bind, as their placeholders name them."""
SHAPES = ("datetime", "date", "epoch-s", "epoch-ms")
"""The shapes of timestamps, written unnumbered: they are compared by shape only."""

BOUND = re.compile(r"<(jwt|uuid|hex|token):([1-9][0-9]{0,8})>")
"""A numbered placeholder; group 1 is its kind, group 2 its number."""
SHAPE = re.compile(r"<(datetime|date|epoch-s|epoch-ms)>")
"""A timestamp's shape placeholder."""

WINDOW = 30 * 86400
"""Seconds either side of the time of recording in which a number or date counts as a
timestamp: a date of birth or a row from a fixture keeps its value."""

MIN_TOKEN = 10
"""Characters a run needs before it can be a token (short share ids have 10 to 12)."""
MIN_HEX = 16
"""Characters a run of hexadecimal digits needs before it is a digest."""

# A JWT (three base64url parts, the first two JSON objects), a UUID, or a run
# of characters a token is made of. A run that holds a UUID is looked into.
# The look-behind starts a run only where one starts: without it, every
# position inside a short word would be tried again (a scan ten times slower).
_CANDIDATE = re.compile(
    r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
    rf"|(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{{{MIN_TOKEN},}}",
    re.ASCII,
)
_RUN = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_UUID = re.compile(
    r"(?<![0-9A-Za-z])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"(?![0-9A-Za-z])",
)
_UUID_WHOLE = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
# Segments of a run that read as words or numbers: all digits, a short word,
# or letters in one case, capitalised or in camelCase humps (see _wordy).
_NUMBER_OR_SHORT = re.compile(r"[0-9]+|[a-z]{1,3}|[A-Z]{1,3}|[A-Z][a-z]{1,2}", re.ASCII)
_ONE_CASE = re.compile(r"[a-z]+|[A-Z]+", re.ASCII)
_WORD_CASE = re.compile(r"[a-z]+|[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*", re.ASCII)
_HUMP = re.compile(r"[A-Z]?[a-z]+|[A-Z]+", re.ASCII)
_CONSONANTS = re.compile(r"[b-df-hj-np-tv-xz]{5}", re.IGNORECASE | re.ASCII)
_SIX_CONSONANTS = re.compile(r"[b-df-hj-np-tv-xz]{6}", re.IGNORECASE | re.ASCII)
_SEPARATOR = re.compile(r"[-_]")
_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO = re.compile(
    r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"((?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?))?"
    r"(?![0-9])"
)
# Where a string may hold something to bind or a date: a run of ten characters
# a token is made of (a JWT's first part, a UUID and an ISO date are such runs).
_MAYBE = re.compile(rf"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{{{MIN_TOKEN}}}", re.ASCII)
_Window = tuple[float, float, int, int]
"""Timestamps near the recording's time: epoch seconds from, to; day ordinals from, to."""
_NOT_SCANNED = frozenset({"$bytes", "$int", "$float"})
"""Tags whose values are no text: base64 and numbers spelled out."""


def kind_of(value: str) -> str | None:
    """The kind of value ``value`` is when it looks made at random, else None.

    A JWT and a UUID are recognised by their form. A run of at least
    :data:`MIN_TOKEN` letters, digits, ``-`` and ``_`` is a ``hex`` digest
    when it is all hexadecimal in one case with both digits and letters, and
    a ``token`` when some of its segments (split at ``-`` and ``_``) do not
    read as words or numbers, at least 8 characters of them in a run longer
    than 16: a slug such as ``bootstrap-4-grid-system`` or ``user_2024_report``
    is not a token, ``k3J9x_Qw2mZpL0aB`` and ``oU-AXKg6n-DF`` are.
    """
    if value.startswith("eyJ") and value.count(".") == 2:
        return "jwt"
    if _UUID_WHOLE.fullmatch(value):
        return "uuid"
    if len(value) < MIN_TOKEN or not _RUN.fullmatch(value):
        return None
    if _DATE.search(value):
        return None  # "2026-12-07T04": a date, shaped where it is near enough
    if _HEX.fullmatch(value):
        if value.isdigit() or len(set(value)) < 4:
            return None  # a number, or "deadbeefdeadbeef": repeats, not chance
        if len(value) >= MIN_HEX and not value.isalpha():
            return "hex"
    if len(set(value)) < min(len(value), 16) // 2:
        return None  # "xxxxxxxxxxxx", "ababababab1": repeats, not chance
    random_part = sum(
        len(segment) for segment in _SEPARATOR.split(value) if segment and not _wordy(segment)
    )
    # A short id ("oU-AXKg6n-DF") may be cut into short segments by chance;
    # a long run needs more than one odd word ("room-abc123-lobby-main").
    if random_part >= 8 or (random_part and len(value) <= 16):
        return "token"
    return None


def _wordy(segment: str) -> bool:
    """True for a segment that reads as a number or a word (``report``, ``TripStatus``).

    Letters in one case count unless six consonants follow each other
    (``csrfmiddlewaretoken`` is a word); in mixed case only when each hump has
    a vowel and no five consonants follow each other: random letters rarely
    do both, so a short random id without digits is still seen as one.
    """
    if _NUMBER_OR_SHORT.fullmatch(segment):
        return True
    if _ONE_CASE.fullmatch(segment):
        # "csrfmiddlewaretoken", "strengths": words; six consonants in a row are not.
        return not _SIX_CONSONANTS.search(segment)
    if not _WORD_CASE.fullmatch(segment) or _CONSONANTS.search(segment):
        return False
    return all(set(hump.lower()) & _VOWELS for hump in _HUMP.findall(segment))


_VOWELS = frozenset("aeiouy")


def _candidates(text: str, known: Mapping[str, str]) -> Iterator[tuple[int, int, str]]:
    """``(start, end, kind)`` of each value in ``text`` that looks made at random, or is
    one of the ``known`` values already named (kind ``""``) whatever it looks like."""
    for match in _CANDIDATE.finditer(text):
        run = match.group()
        if "-" in run and len(run) >= 36:
            inner = list(_UUID.finditer(run))
            if inner:
                offset = match.start()
                for found in inner:
                    yield offset + found.start(), offset + found.end(), "uuid"
                continue
        kind = kind_of(run)
        if kind is not None:
            yield match.start(), match.end(), kind
        elif run in known:
            yield match.start(), match.end(), ""


def is_bound(text: str) -> bool:
    """True when ``text`` is one numbered placeholder (``<uuid:1>``) and nothing else."""
    return BOUND.fullmatch(text) is not None


def names_in(text: str) -> list[str]:
    """The bindings ``text`` uses, as names (``uuid:1``), in order."""
    return [f"{m.group(1)}:{m.group(2)}" for m in BOUND.finditer(text)]


def fill(value: Any, lookup: Callable[[str], str | None]) -> Any:
    """``value`` (encoded form) with each placeholder that ``lookup`` knows replaced.

    ``lookup`` takes a binding's name (``uuid:1``) and returns its live value,
    or None to leave the placeholder as it is.
    """
    if isinstance(value, str):
        if "<" not in value:
            return value

        def live(match: re.Match[str]) -> str:
            found = lookup(f"{match.group(1)}:{match.group(2)}")
            return match.group() if found is None else found

        return BOUND.sub(live, value)
    if isinstance(value, dict):
        return {fill(key, lookup): fill(item, lookup) for key, item in value.items()}
    if isinstance(value, list):
        return [fill(item, lookup) for item in value]
    return value


class Binder:
    """The server-made values of one recording, and their placeholders.

    ``now`` gives the time timestamps are compared with (the recording's
    own, so a replay judges its values by its own clock). ``start`` gives the
    numbers already used per kind (a recording resumed after a restart goes
    on numbering, so that two values never share a name). ``exact`` names
    the places whose values are recorded as they are, as ``REDACT_PATHS``
    names places: from the event (``message.text.id``), tags and arrays not
    counting, ``*`` for any one key. ``shapes=False`` leaves timestamps as
    they are (when the time of recording is not known). ``keep_times`` keeps
    every timestamp shaped, with its place, in :attr:`times`.

    ``places`` (a replay's binder) maps the places where the recording it
    replays named a value (see :func:`bound_places`) to the value's kind. A
    value the server sends there is named even when it does not look made
    at random: a random value can read as words by chance (one short token
    in a thousand does), and the recording had a binding there, so the
    replay has one too.
    """

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.time,
        start: Mapping[str, int] | None = None,
        exact: Iterable[str] = (),
        shapes: bool = True,
        keep_times: bool = False,
        places: Mapping[str, str] | None = None,
    ) -> None:
        self._now = now
        self._shapes = shapes
        self._owner: str | None = None
        self.keep_times = keep_times
        """Keep the timestamps shaped in :attr:`times` (a recording does, for reading)."""
        self.times: dict[str, dict[str, list[Any]]] = {}
        """The timestamps shaped, as they were: connection id -> dotted path -> values,
        in the order they were sent (kept for reading, never in the cassette)."""
        self.exact: tuple[str, ...] = ()
        """Dotted paths whose values stay as they are (``message.text.created``; ``*`` is
        any one key): the user's ``EXACT_PATHS``."""
        self._exact: list[tuple[str, ...]] = []
        self.keep_exact(exact)
        self._names: dict[str, str] = {}
        """Live value -> its placeholder."""
        self._values: dict[str, str] = {}
        """Name (``uuid:1``) -> live value."""
        self._client: set[str] = set()
        """Values a client sent before the server did: they stay as they are."""
        self._counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.continue_from(start or {})
        self._places = {tuple(place.split(".")): kind for place, kind in (places or {}).items()}

    @property
    def counts(self) -> dict[str, int]:
        """The highest number given so far, per kind."""
        return dict(self._counts)

    def values(self) -> dict[str, str]:
        """Every binding's live value, by name (``{"uuid:1": "3f2a..."}``)."""
        return dict(self._values)

    def value(self, name: str) -> str | None:
        """The live value of binding ``name`` (``uuid:1``), or None if none was made yet."""
        return self._values.get(name)

    def knows(self, value: str) -> bool:
        """True when ``value`` was named already (so it is named wherever it appears)."""
        return value in self._names

    @property
    def place_keys(self) -> tuple[str, ...]:
        """The last key of each bound place (``public_id``): where a value may have to
        be named without looking made, a line holds its place's key."""
        return tuple(sorted({place[-1] for place in self._places}))

    def keep_exact(self, paths: Iterable[str]) -> None:
        """Leave the values at ``paths`` (see :attr:`exact`) as they are from now on."""
        self.exact = tuple(paths)
        self._exact = [tuple(pattern.split(".")) for pattern in self.exact]

    def continue_from(self, counts: Mapping[str, int]) -> None:
        """Go on numbering after ``counts`` (``{"uuid": 3}``): names a resumed journal has."""
        for kind, count in counts.items():
            if kind in self._counts and type(count) is int:
                self._counts[kind] = max(self._counts[kind], count)

    def bind(self, name: str, live: str) -> None:
        """Name ``live`` as binding ``name``: a value a replay made up and sent first."""
        kind, _, number = name.partition(":")
        self._names[live] = f"<{name}>"
        self._values[name] = live
        if kind in self._counts and number.isdigit():
            self._counts[kind] = max(self._counts[kind], int(number))

    # -- the two sides ------------------------------------------------------
    def server(self, value: Any, path: tuple[str, ...] = (), owner: str | None = None) -> Any:
        """``value`` (encoded form) as the server sent it: made values named, timestamps shaped.

        ``path`` is where ``value`` is in its event (``("message",)``): it
        decides which values :attr:`exact` keeps. With ``owner`` (the
        connection's id, ``"external"`` for an external event) each timestamp
        shaped is kept in :attr:`times`, for reading.
        """
        window = self._window() if self._shapes else None
        self._owner = owner if self.keep_times else None
        tracked = path if self._exact or self._places or self._owner is not None else None
        try:
            return self._walk(value, server=True, window=window, path=tracked)
        finally:
            self._owner = None

    def client(self, value: Any, path: tuple[str, ...] = ()) -> Any:
        """``value`` (encoded form) as a client sent it: values the server made named."""
        return self._walk(value, server=False, window=None, path=path if self._exact else None)

    def _is_exact(self, path: tuple[str, ...]) -> bool:
        return any(
            len(pattern) == len(path)
            and all(part in ("*", key) for part, key in zip(pattern, path, strict=True))
            for pattern in self._exact
        )

    def _window(self) -> _Window:
        now = self._now()
        today = datetime.datetime.fromtimestamp(now, datetime.UTC).date().toordinal()
        return now - WINDOW, now + WINDOW, today - WINDOW // 86400, today + WINDOW // 86400

    def _walk(
        self,
        value: Any,
        *,
        server: bool,
        window: _Window | None,
        path: tuple[str, ...] | None = None,
    ) -> Any:
        """``value`` with its values named; ``path`` (None: not followed) is where it is."""
        if isinstance(value, str):
            named = self._text(value, server=server, window=window, path=path)
            if self._places and named == value:
                if not server:
                    # A client's own value, which a bound place must not name if echoed.
                    if len(value) >= MIN_TOKEN and _RUN.fullmatch(value):
                        self._client.add(value)
                elif path in self._places:
                    kind = self._places[path]
                    if _could_be(kind, value) and value not in self._client:
                        return self._named(value, kind, server=True)
            return named
        if isinstance(value, dict):
            result = {}
            for key, item in value.items():
                if key in _NOT_SCANNED:
                    result[key] = item
                    continue
                child = path
                if path is not None and not key.startswith("$"):
                    child = (*path, key)
                    if self._is_exact(child):
                        result[key] = item
                        continue
                if len(key) >= MIN_TOKEN:
                    key = self._text(key, server=server, window=None)
                result[key] = self._walk(item, server=server, window=window, path=child)
            return result
        if isinstance(value, list):
            return [self._walk(item, server=server, window=window, path=path) for item in value]
        if window is not None and type(value) in (int, float):
            low, high, _, _ = window
            shape = None
            if low <= value <= high:
                shape = "<epoch-s>"
            elif low * 1000 <= value <= high * 1000:
                shape = "<epoch-ms>"
            if shape is not None:
                self._keep_time(path, value)
                return shape
        return value

    def _keep_time(self, path: tuple[str, ...] | None, value: Any) -> None:
        if self._owner is not None and path is not None:
            place = ".".join(path)
            self.times.setdefault(self._owner, {}).setdefault(place, []).append(value)

    def _text(
        self,
        text: str,
        *,
        server: bool,
        window: _Window | None,
        path: tuple[str, ...] | None = None,
    ) -> str:
        if len(text) < 10 or not _MAYBE.search(text):
            return text
        if window is not None and "-" in text:

            def shaped(match: re.Match[str]) -> str:
                shape = _shaped(match, window)
                if shape != match.group():
                    self._keep_time(path, match.group())
                return shape

            text = _ISO.sub(shaped, text)
        if "%" in text:
            # "next=%2Ftrips%2F<uuid>%2F": an escape's hex digits are no part of a value.
            pieces = _ESCAPE.split(text)
            return "".join(
                piece if index % 2 else self._named_in(piece, server=server)
                for index, piece in enumerate(pieces)
            )
        return self._named_in(text, server=server)

    def _named_in(self, text: str, *, server: bool) -> str:
        """``text`` with each value that looks made at random named (or kept)."""
        parts: list[str] = []
        done = 0
        for start, end, kind in _candidates(text, self._names):
            parts.append(text[done:start])
            parts.append(self._named(text[start:end], kind, server=server))
            done = end
        if not parts:
            return text
        parts.append(text[done:])
        return "".join(parts)

    def _named(self, value: str, kind: str, *, server: bool) -> str:
        """The placeholder of ``value``, or ``value`` itself where it stays."""
        placeholder = self._names.get(value)
        if placeholder is not None:
            return placeholder
        if not server or value in self._client:
            self._client.add(value)
            return value
        number = self._counts[kind] = self._counts[kind] + 1
        placeholder = self._names[value] = f"<{kind}:{number}>"
        self._values[f"{kind}:{number}"] = value
        return placeholder


def _could_be(kind: str, value: str) -> bool:
    """True when ``value`` has the form of a value of ``kind``, whatever it reads as."""
    if kind == "token":
        return len(value) >= MIN_TOKEN and _RUN.fullmatch(value) is not None
    if kind == "hex":
        return len(value) >= MIN_HEX and _HEX.fullmatch(value) is not None
    return kind_of(value) == kind  # a UUID and a JWT are known by their form alone


def bound_places(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The places (dotted paths, as :attr:`Binder.exact` names them) where ``events``
    (cassette form) hold, in what the server sent, a whole binding every time, each
    with the binding's kind: ``{"message.text.note.public_id": "token"}``.

    A place that also held anything else (a word, a client's value, a binding of
    another kind, one inside a longer text) is left out: there the recording
    did not name every value, and neither may a replay.
    """
    kinds: dict[tuple[str, ...], str | None] = {}

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, str):
            bound = BOUND.fullmatch(value)
            kind = bound.group(1) if bound else None
            kinds[path] = kind if kinds.get(path, kind) == kind else None
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in _NOT_SCANNED:
                    walk(item, path if key.startswith("$") else (*path, key))
        elif isinstance(value, list):
            for item in value:
                walk(item, path)

    for event in events:
        if event.get("dir") != "in":
            for key in ("message", "group", "detail"):
                if key in event:
                    walk(event[key], (key,))
    return {".".join(path): kind for path, kind in kinds.items() if kind is not None}


def _shaped(match: re.Match[str], window: _Window) -> str:
    """``<datetime>`` or ``<date>`` for a date near the recording's time, else the text."""
    _, _, first, last = window
    try:
        day = datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return match.group()
    if not first <= day.toordinal() <= last:
        return match.group()
    return "<datetime>" if match.group(4) else "<date>"


def volatile_length(header: str) -> str:
    """A ``"name: value"`` header line with ``content-length`` volatile: a body may hold
    bound values, whose length differs from run to run (a JWT's grows with the user's
    id). A replay sends the length of the body it sends."""
    if header.startswith("content-length:"):
        return "content-length: <volatile>"
    return header

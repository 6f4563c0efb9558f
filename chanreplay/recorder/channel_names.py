"""Stable placeholders for the random channel names a layer hands out.

``new_channel()`` returns names such as ``specific..inmemory!AbCdEf`` or
``specific.3f2a...!9c1b...``: different on every run. The recorder writes
``<channel:c3>`` instead (the channel connection c3 created; ``<channel:c3.2>``
for its second one, ``<channel:x1>`` for a random name created outside any
connection or first seen without its creation), also where the name appears
inside a payload, so the same session gives the same cassette.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import orjson

from chanreplay.cassette.redaction import find_all

__all__ = ["ChannelNames", "placeholder_pattern"]

placeholder_pattern = re.compile(r"<channel:([a-z]+[0-9]+(?:\.[0-9]+)?)>")
"""Matches a placeholder; group 1 is its key (``c3``, ``c3.2``, ``x1``)."""

# RedisPubSubChannelLayer names its channels "<prefix>specific.<uuid4 hex>".
_RANDOM_SUFFIX = re.compile(r"[0-9a-f]{32}$")
_STEM_LENGTH = 8
"""Leading characters of a live name kept to pre-check payloads cheaply."""
# A run of characters a channel name can hold, long enough to be a random one.
_TOKEN = re.compile(rb"[A-Za-z0-9_.!\-]{20,}")


class ChannelNames:
    """Live channel names and their placeholders, for one recording."""

    def __init__(self, *, external_start: int = 0) -> None:
        self._placeholders: dict[str, str] = {}
        self._json: dict[str, bytes] = {}
        self._stems: tuple[bytes, ...] = ()
        self._per_owner: dict[str, int] = {}
        self._external = external_start
        self._lock = threading.Lock()
        self.on_new: Callable[[str, str], None] | None = None
        """Called with ``(live, placeholder)`` for each name given a placeholder."""

    def __len__(self) -> int:
        return len(self._placeholders)

    def created(self, live: str, owner: str | None) -> str:
        """Register ``live`` as created by connection ``owner`` (None: outside any)."""
        with self._lock:
            if live in self._placeholders:
                return self._placeholders[live]
            if owner is None:
                self._external += 1
                placeholder = f"<channel:x{self._external}>"
            else:
                count = self._per_owner.get(owner, 0) + 1
                self._per_owner[owner] = count
                suffix = "" if count == 1 else f".{count}"
                placeholder = f"<channel:{owner}{suffix}>"
            self._add(live, placeholder)
            if self.on_new is not None:
                self.on_new(live, placeholder)
            return placeholder

    def register(self, live: str, placeholder: str) -> None:
        """Substitute ``placeholder`` for ``live`` from now on (as another instance decided)."""
        with self._lock:
            self._add(live, placeholder)

    def _add(self, live: str, placeholder: str) -> None:
        self._placeholders[live] = placeholder
        stem = live[:_STEM_LENGTH].encode("ascii", "replace")
        if stem not in self._stems:
            self._stems = (*self._stems, stem)

    def name(self, live: str) -> str:
        """The name to record for a channel argument.

        A known random name becomes its placeholder; an unknown random name (a
        process-specific one with ``!``, or one ending in a uuid4 as
        RedisPubSubChannelLayer makes them) gets an external placeholder; a
        plain name such as ``"thumbnails"`` is stable and is kept.
        """
        placeholder = self._placeholders.get(live)
        if placeholder is not None:
            return placeholder
        if "!" in live or _RANDOM_SUFFIX.search(live):
            return self.created(live, None)
        return live

    def json(self, live: str) -> bytes:
        """:meth:`name` serialised as a JSON string, cached: it runs for every layer event."""
        encoded = self._json.get(live)
        if encoded is None:
            # A name's record form never changes once decided, so it can be
            # kept; copied, because orjson's own result holds a 4 KiB buffer.
            encoded = self._json[live] = b"%b" % orjson.dumps(self.name(live))
        return encoded

    def live(self, placeholder: str) -> str | None:
        """The live name recorded as ``placeholder`` (a replay maps them back), if any."""
        for live, known in self._placeholders.items():
            if known == placeholder:
                return live
        return None

    def might_contain(self, data: bytes) -> bool:
        """False when ``data`` surely holds no known live name (a cheap pre-check).

        Live names share a few fixed beginnings ("specific..inmemory!",
        "asgispecific."): when none is in the data, neither is any name.
        """
        return any(stem in data for stem in self._stems)

    def suspect_offsets(self, data: bytes) -> list[int]:
        """Offsets in ``data`` where a known live name may start (by its stem)."""
        return [offset for stem in self._stems for offset in find_all(data, stem)]

    def substitute(self, data: bytes) -> bytes:
        """``data`` (serialised JSON) with every known live name replaced."""
        if not self.might_contain(data):
            return data
        placeholders = self._placeholders
        found = False
        for match in _TOKEN.finditer(data):
            if match.group().decode("ascii") in placeholders:
                found = True
                break
        if not found:
            return data

        def replace(match: re.Match[bytes]) -> bytes:
            token = match.group().decode("ascii")
            return placeholders.get(token, token).encode("ascii")

        return _TOKEN.sub(replace, data)

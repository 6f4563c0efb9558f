"""``chanreplay lint``: checks a CI can run over committed cassettes.

For each cassette: it loads (the loader's schema check and diagnosis); no
value looks like a secret that escaped redaction (a JSON Web Token, a
credential in a header, a secret-named field with a value, a long
high-entropy string, or one of the project's own secrets such as Django's
``SECRET_KEY``); it is within a size budget (a warning only); and, given the
list of cassettes the last test run used, some test uses it (a warning).

Pure: no Django, no Channels (the CLI looks ``SECRET_KEY`` up).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chanreplay.cassette.binding import BOUND, SHAPE
from chanreplay.cassette.loader import load
from chanreplay.cassette.model import Cassette, Event
from chanreplay.cassette.redaction import decoded_text, is_secret_name, json_in, only_bound
from chanreplay.cassette.values import values_path
from chanreplay.diff.paths import PathPattern, format_path
from chanreplay.exceptions import CassetteError

__all__ = ["Allowed", "Finding", "cassette_files", "lint"]

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")
_TOKEN_RUN = re.compile(r"[A-Za-z0-9+=_\-]{24,}")
"""A run of token characters (base64 and base64url, without ``/``: a path's separator)."""
_BOUNDARY = re.compile(r"boundary=[^;\s]+", re.IGNORECASE)
_DELIMITER = re.compile(r"(?m)^--[^\r\n]*$")
_UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_PLACEHOLDER = re.compile(
    rf"<(?:redacted|volatile|channel:[a-z0-9.]+)>|{BOUND.pattern}|{SHAPE.pattern}"
)
"""What chanreplay writes in place of a value: never a secret (bindings name values
the server made, which are never written)."""
_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9_-]*\s*$")
"""An ``Authorization`` scheme word, all that is left once its credentials are out."""
ENTROPY = 4.0
"""Bits per character above which a long run of token characters counts as a secret."""


@dataclass(frozen=True)
class Allowed:
    """What a project says is no secret, so lint does not flag it.

    Each entry is a path (``message.text.digest``, ``**.sha``, with the
    wildcards of ``--ignore``) where any value is allowed, or ``regex:PATTERN``
    for values allowed anywhere (``regex:sha256-[A-Za-z0-9+/=]{44}``). From
    ``--allow`` and the setting ``CHANREPLAY['LINT_ALLOW']``: reviewable in
    the repository like the cassettes.
    """

    paths: tuple[PathPattern, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowed:
        """The allow-list ``entries`` give; ValueError naming one that is malformed."""
        paths, patterns = [], []
        for entry in entries:
            if entry.startswith("regex:"):
                try:
                    patterns.append(re.compile(entry[len("regex:") :]))
                except re.error as error:
                    raise ValueError(f"{entry!r}: not a regular expression ({error})") from None
            else:
                paths.append(PathPattern.parse(entry))
        return cls(tuple(paths), tuple(patterns))

    def allows(self, where: tuple[str | int, ...], value: str) -> bool:
        """True when the value at ``where`` is allowed by a path or a pattern."""
        return any(p.matches(where) for p in self.paths) or any(
            p.search(value) for p in self.patterns
        )


@dataclass(frozen=True)
class Finding:
    """One problem: ``level`` is "error" (fails lint) or "warning"."""

    path: Path
    where: str
    message: str
    level: str = "error"

    def __str__(self) -> str:
        where = f": {self.where}" if self.where else ""
        return f"{self.path}{where}: {self.level}: {self.message}"


def cassette_files(paths: Iterable[Path]) -> list[Path]:
    """The cassettes ``paths`` name: files as given, and ``*.json`` in directories (recursively)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.json")) if not p.name.startswith("."))
        else:
            found.append(path)
    return found


def lint(
    path: Path,
    *,
    max_size: int,
    secrets: Iterable[str] = (),
    used: set[Path] | None = None,
    allow: Allowed = Allowed(),
) -> Iterator[Finding]:
    """Every problem with the cassette at ``path``; ``allow``: what is no secret."""
    try:
        cassette = load(path)
    except CassetteError as error:
        yield Finding(path, "", str(error).split(": ", 1)[-1])
        return
    size = path.stat().st_size
    if size > max_size:
        yield Finding(
            path,
            "",
            f"{size / 1e6:.2f} MB, over the {max_size / 1e6:g} MB budget: chanreplay split "
            "cuts a long session into smaller cassettes",
            "warning",
        )
    if used is not None and path.resolve() not in used:
        yield Finding(path, "", "no test used this cassette in the last test run", "warning")
    own = [s for s in secrets if s and len(s) >= 8]
    raw = path.read_text(encoding="utf-8", errors="replace")
    for secret in own:
        if secret in raw:
            yield Finding(path, "", "holds the project's SECRET_KEY (or another listed secret)")
    kept = values_path(path)
    if kept.is_file():
        # The values kept for reading beside a recording (local, never committed)
        # are on disk all the same: a recorder that could not know a secret (the
        # capture proxy, blind to the settings) may have kept one as a value.
        beside = kept.read_text(encoding="utf-8", errors="replace")
        if any(secret in beside for secret in own):
            yield Finding(
                path,
                "",
                f"the values kept beside it ({kept.name}) hold the project's SECRET_KEY (or "
                "another listed secret); fix: delete that file (nothing needs it to replay)",
            )
    yield from _scan(path, cassette, allow)


def _scan(path: Path, cassette: Cassette, allow: Allowed) -> Iterator[Finding]:
    for connection in cassette.connections:
        place = f"connection {connection.id} ({connection.path})"
        yield from _message(path, place, "scope", connection.scope, allow)
        for index, event in enumerate(connection.events):
            yield from _event(path, f"{place}, event {index}", event, allow)
    for index, event in enumerate(cassette.external):
        yield from _event(path, f"external event {index}", event, allow)


def _event(path: Path, place: str, event: Event, allow: Allowed) -> Iterator[Finding]:
    # A layer event's group and channel are names (DCRF hashes its group
    # names): only what the message holds is a value.
    message = event.get("message")
    if isinstance(message, dict):
        yield from _message(path, place, "message", message, allow)


def _message(
    path: Path, place: str, root: str, message: dict[str, Any], allow: Allowed
) -> Iterator[Finding]:
    """What is wrong in a message (or a scope): its headers, then every value in it."""
    for name, value in _headers(message.get("headers", [])):
        where = (root, "headers", name)
        problem = _header_problem(name, value)
        if problem and not allow.allows(where, value):
            yield _finding(path, place, where, problem)
    yield from _values(path, place, root, message, allow)


def _finding(path: Path, place: str, where: tuple[str | int, ...], problem: str) -> Finding:
    shown = format_path(where)
    return Finding(
        path,
        f"{place}, {shown}",
        f"{problem}; if it is no secret, allow it: --allow '{shown}' (or the setting "
        "CHANREPLAY['LINT_ALLOW'])",
    )


def _headers(headers: Any) -> Iterator[tuple[str, str]]:
    if isinstance(headers, list):
        for header in headers:
            if isinstance(header, str) and ": " in header:
                name, _, value = header.partition(": ")
                yield name.lower(), value


def _header_problem(name: str, value: str) -> str | None:
    if name == "content-type":
        value = _BOUNDARY.sub("", value)  # a multipart boundary is random, and no secret
    if name in _CREDENTIAL_HEADERS:
        cleaned = _PLACEHOLDER.sub("", value)
        # What is left of a redacted cookie header is names and attributes.
        if name in ("cookie", "set-cookie"):
            cleaned = re.sub(r"[A-Za-z0-9_.-]+=(?:;|$)", "", cleaned.replace(" ", ""))
            cleaned = re.sub(r"(?i)(?:expires|max-age|path|samesite|domain)=[^;]*;?", "", cleaned)
            cleaned = re.sub(r"(?i)(?:httponly|secure);?", "", cleaned)
        elif name in ("authorization", "proxy-authorization") and cleaned != value:
            # The scheme is kept on purpose ("Bearer <redacted>", "Token <hex:1>").
            cleaned = _SCHEME.sub("", cleaned)
        if cleaned.strip(" ;"):
            return f"a {name} header with a value that is not redacted"
    return _text_problem(value)


def _values(path: Path, place: str, root: str, value: Any, allow: Allowed) -> Iterator[Finding]:
    """Secret-looking values anywhere in ``value`` (tagged JSON), named by their JSON path."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((root,), value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            if len(item) == 1 and isinstance(item.get("$bytes"), str):
                # A binary payload is data (an image, a digest), unless it is text.
                text = decoded_text(item["$bytes"])
                if text is not None:
                    stack.append((where, _as_json(text)))
                continue
            for key, child in item.items():
                if key == "headers" and len(where) == 1:
                    continue  # checked as headers
                child_where = where if key.startswith("$") else (*where, key)
                if (
                    not key.startswith("$")
                    and is_secret_name(key)
                    and isinstance(child, str)
                    and not _written_in_its_place(child)
                ):
                    if not allow.allows(child_where, child):
                        yield _finding(
                            path, place, child_where, "a secret-named field with a value"
                        )
                    continue
                stack.append((child_where, child))
        elif isinstance(item, list):
            stack.extend(((*where, index), child) for index, child in enumerate(item))
        elif isinstance(item, str):
            inner = _as_json(item) if item[:1] in ("{", "[") else item
            if inner is not item:
                stack.append((where, inner))  # JSON inside a string: its keys count
                continue
            problem = _text_problem(item)
            if problem and not allow.allows(where, item):
                yield _finding(path, place, where, problem)


def _as_json(text: str) -> Any:
    """The JSON object or array ``text`` holds, else ``text`` itself."""
    parsed = json_in(text)
    return text if parsed is None else parsed


def _written_in_its_place(value: str) -> bool:
    """True for what chanreplay writes in a secret's place: nothing, a placeholder, or one
    with the scheme word an ``Authorization`` value keeps (``Bearer <redacted>``)."""
    rest, placeholders = _PLACEHOLDER.subn("", value)
    if not value.strip() or only_bound(value):
        return True
    return bool(placeholders) and not _SCHEME.sub("", rest).strip()


def _text_problem(text: str) -> str | None:
    if _JWT.search(text):
        return "a JSON Web Token"
    if "form-data" in text:
        text = _DELIMITER.sub("", text)  # a multipart body's boundary lines
    # Identifiers by their shape are no secret (a UUID in a path), and a path's
    # segments are words: what is left is judged run by run, so the verdict
    # does not depend on which random UUID a recording drew.
    cleaned = _UUID.sub(" ", _PLACEHOLDER.sub(" ", text))
    for match in _TOKEN_RUN.finditer(cleaned):
        run = match.group()
        entropy = _entropy(run)
        if entropy >= ENTROPY and _mixed(run):
            return (
                f"a high-entropy string ({len(run)} characters, {entropy:.1f} bits each) "
                "that looks like a token"
            )
    return None


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _mixed(text: str) -> bool:
    """Letters and digits both: a word run together or a long number is no token."""
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)

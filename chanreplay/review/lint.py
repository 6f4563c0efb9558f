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
from chanreplay.cassette.redaction import REDACTED, VOLATILE, is_secret_name, only_bound
from chanreplay.exceptions import CassetteError

__all__ = ["Finding", "cassette_files", "lint"]

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key")
_TOKEN_RUN = re.compile(r"[A-Za-z0-9+/=_\-]{24,}")
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
) -> Iterator[Finding]:
    """Every problem with the cassette at ``path``."""
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
    yield from _scan(path, cassette)


def _scan(path: Path, cassette: Cassette) -> Iterator[Finding]:
    for connection in cassette.connections:
        place = f"connection {connection.id} ({connection.path})"
        for name, value in _headers(connection.scope.get("headers", [])):
            problem = _header_problem(name, value)
            if problem:
                yield Finding(path, f"{place}, scope header {name}", problem)
        yield from _values(path, f"{place}, scope", connection.scope, ("headers",))
        for index, event in enumerate(connection.events):
            yield from _event(path, f"{place}, event {index}", event)
    for index, event in enumerate(cassette.external):
        yield from _event(path, f"external event {index}", event)


def _event(path: Path, place: str, event: Event) -> Iterator[Finding]:
    message = event.get("message")
    if isinstance(message, dict):
        for name, value in _headers(message.get("headers", [])):
            problem = _header_problem(name, value)
            if problem:
                yield Finding(path, f"{place}, header {name}", problem)
        yield from _values(path, place, message, ("headers",))


def _headers(headers: Any) -> Iterator[tuple[str, str]]:
    if isinstance(headers, list):
        for header in headers:
            if isinstance(header, str) and ": " in header:
                name, _, value = header.partition(": ")
                yield name.lower(), value


def _header_problem(name: str, value: str) -> str | None:
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


def _values(path: Path, place: str, value: Any, skip: tuple[str, ...]) -> Iterator[Finding]:
    """Secret-looking strings anywhere in ``value`` (tagged JSON), named by their JSON path."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if key in skip and not where:
                    continue
                child_where = where if key.startswith("$") else f"{where}.{key}".lstrip(".")
                if (
                    not key.startswith("$")
                    and is_secret_name(key)
                    and isinstance(child, str)
                    and child not in (REDACTED, VOLATILE, "")
                    and not only_bound(child)
                ):
                    yield Finding(
                        path, f"{place}, {child_where}", "a secret-named field with a value"
                    )
                    continue
                stack.append((child_where, child))
        elif isinstance(item, list):
            stack.extend(
                (f"{where}.{index}".lstrip("."), child) for index, child in enumerate(item)
            )
        elif isinstance(item, str):
            problem = _text_problem(item)
            if problem:
                yield Finding(path, f"{place}, {where or 'value'}", problem)


def _text_problem(text: str) -> str | None:
    if _JWT.search(text):
        return "a JSON Web Token"
    for match in _TOKEN_RUN.finditer(_PLACEHOLDER.sub(" ", text)):
        run = match.group()
        if _entropy(run) >= ENTROPY and _mixed(run):
            return f"a high-entropy string ({len(run)} characters) that looks like a token"
    return None


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _mixed(text: str) -> bool:
    """Letters and digits both: a word run together or a long number is no token."""
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)

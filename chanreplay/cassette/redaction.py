"""Removes secrets from recorded data before anything is written.

Redaction works on the encoded (JSON) form of an event, so it sees inside
JSON text frames and HTTP bodies. Three rules apply:

* header values: cookies keep their names but lose their values,
  ``Authorization`` keeps its scheme, a fixed list of secret headers and any
  header named as a secret is blanked; volatile headers (dates) are
  replaced for determinism;
* keys: the value of any object key, form field, query parameter or
  multipart field whose name is a secret's (:data:`SECRET_WORDS`, in any
  naming style), also inside JSON held in a string and inside binary
  payloads that hold text;
* learned values: a secret the session showed (in a header, under a secret
  key, or given up front: the settings' secrets) is scrubbed from every
  string recorded after it, in any connection.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import unquote_plus

import orjson

from chanreplay.cassette.binding import BOUND, names_in

__all__ = [
    "REDACTED",
    "SECRET_WORDS",
    "VOLATILE",
    "Redactor",
    "decoded_text",
    "find_all",
    "is_secret_name",
    "json_in",
]

REDACTED = "<redacted>"
VOLATILE = "<volatile>"

DEFAULT_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "sec-websocket-key",
        "sec-websocket-accept",
        "x-csrftoken",
        "x-csrf-token",
        "x-api-key",
        "x-auth-token",
    }
)
DEFAULT_VOLATILE_HEADERS = frozenset({"date", "expires", "last-modified"})
# Random per-connection handshake values: redacted (they differ on every run)
# but not learned, since they never recur; learning one per connection would
# make every later event pay for every past connection.
_NONCE_HEADERS = frozenset({"sec-websocket-key", "sec-websocket-accept"})

SECRET_WORDS = (
    r"password\d*|passwd|pass|passphrase|pwd|secret|token|api_?key|access_?key"
    r"|csrfmiddlewaretoken|csrf(?:_?token)?|session_?(?:id|key)|authorization|auth"
    r"|private_?key|secret_?key|signing_?key|client_?secret|credentials?|otp|pin|refresh"
)
"""The words that make a key, form field or query parameter secret: its name is one,
or ends in ``_`` and one (``new_password``), in any style (see :func:`is_secret_name`)."""
_SECRET_KEY_PATTERN = rf"(?:.*_)?(?:{SECRET_WORDS})"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
"""Where a camelCase or PascalCase name has a word boundary (``refresh|Token``, ``API|Key``)."""
# The cheap pre-check of serialised JSON for the same keys: a secret word that
# ends a key or a form field name (a quote, escaped inside a JSON string, or
# "="). What precedes it is not checked: camelCase puts a letter there
# (refreshToken), and the full check decides. A form field name with a
# %-escape could decode to anything, so it always counts.
_SECRET_KEY_IN_JSON = re.compile(
    rb"(?:" + SECRET_WORDS.replace("_", "[_-]").encode() + rb')\\?["=]'
    rb'|["&][^"&=]*%[0-9A-Fa-f]{2}[^"&=]*=',
    re.IGNORECASE,
)
# Every word of SECRET_WORDS contains one of these (lower-case, ASCII), and
# every JWT starts with "eyJ".
_HINTS = (
    b"pass",
    b"pwd",
    b"secret",
    b"token",
    b"key",
    b"csrf",
    b"session",
    b"auth",
    b"credential",
    b"otp",
    b"pin",
    b"refresh",
    b"eyj",
)
# A JSON Web Token: base64url header and payload (both JSON objects, so both
# start "eyJ") and a signature. Redacted wherever it appears, whatever its key:
# a token handed out in one response is typically sent back in a later header.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_REDACTED_BYTES = REDACTED.encode()
# Django's {% csrf_token %}: the hidden input holds a per-request random token.
_CSRF_INPUT = re.compile(
    r'(name=["\']csrfmiddlewaretoken["\']\s+value=["\'])([^"\']*)'
    r'|(value=["\'])([^"\']*)(["\']\s+name=["\']csrfmiddlewaretoken["\'])'
)
# Learned secrets shorter than this are redacted where seen but not scrubbed
# elsewhere: scrubbing "dark" (a theme cookie) would corrupt ordinary text.
MIN_SCRUB_LENGTH = 16
# A value posted under a secret name (a password, a PIN) is a secret by what
# the session said of it, not by its looks: from this length on it is
# scrubbed from everything recorded after it (Django's shortest password).
# Shorter than MIN_SCRUB_LENGTH, it is not scrubbed from JSON keys: a
# sign-up form's field may be named what someone chose as a password.
MIN_FIELD_SCRUB_LENGTH = 8


class Redactor:
    """Redacts one recording's events; learns secret values as it goes."""

    def __init__(
        self,
        *,
        headers: Iterable[str] = (),
        keys: Iterable[str] = (),
        paths: Iterable[str] = (),
    ) -> None:
        # Kept to build a twin (the journal's cleaner, perhaps in another process).
        headers, keys, paths = list(headers), list(keys), list(paths)
        self._settings = {"headers": headers, "keys": keys, "paths": paths}
        self.secret_headers = DEFAULT_SECRET_HEADERS | {h.lower() for h in headers}
        self.volatile_headers = DEFAULT_VOLATILE_HEADERS
        extra = [re.escape(_snake(k)) for k in keys]
        pattern = "|".join([_SECRET_KEY_PATTERN, *extra])
        # ASCII-only case folding: Unicode folding matches "s" to a long s
        # (U+017F), which the byte pre-check in might_need() cannot see.
        self._secret_key = re.compile(f"^(?:{pattern})$", re.IGNORECASE | re.ASCII)
        self._extra_keys: re.Pattern[bytes] | None = None
        if extra:
            # The same keys in serialised JSON: a word boundary ("_" once snake
            # cased) may be "_", "-", a space, "+" (a form field name) or none
            # at all (camelCase).
            alternatives = "|".join(extra).replace("_", "[_ +-]?")
            self._extra_keys = re.compile(f'["&?](?:{alternatives})["=]'.encode(), re.IGNORECASE)
        self.paths = [tuple(p.split(".")) for p in paths]
        self._secrets: set[str] = set()
        self._scrub: re.Pattern[str] | None = None
        self.learned: tuple[bytes, ...] = ()
        """The learned secrets as serialised JSON shows them (longest first)."""
        self._not_keys: dict[bytes, re.Pattern[bytes]] = {}
        """The short learned secrets, each as a pattern that skips JSON keys."""
        self.on_learn: Callable[[str], None] | None = None
        """Called with each newly learned secret (a recording passes it to its journal)."""
        self.kept: set[str] = set()
        """Names of the bindings kept in a secret's place: their values are secrets."""
        self.resolve: Callable[[str], str | None] | None = None
        """The live value of a binding (``token:4`` -> the session key), where a binder
        named values first: a binding kept in a secret's place is learned as a secret."""

    @property
    def settings(self) -> dict[str, list[str]]:
        """The configuration this redactor was built with (``Redactor(**settings)``)."""
        return {name: list(values) for name, values in self._settings.items()}

    @property
    def secrets(self) -> frozenset[str]:
        """The secret values learned so far."""
        return frozenset(self._secrets)

    def twin(self) -> Redactor:
        """A redactor with the same configuration that has learned nothing yet."""
        return type(self)(**self.settings)

    # -- learning -------------------------------------------------------
    def learn(self, value: str, *, minimum: int = MIN_SCRUB_LENGTH) -> None:
        """Remember ``value`` as secret so it is scrubbed wherever it appears.

        ``minimum``: the shortest value learned (shorter ones are common words).
        """
        value = value.strip()
        if len(value) < minimum or value in self._secrets or value == REDACTED:
            return
        self._secrets.add(value)
        # Longest first so a secret that contains another is replaced whole.
        alternatives = sorted(self._secrets, key=len, reverse=True)
        self._scrub = None  # compiled on first use: learning happens per connection
        # Serialised JSON escapes '"', "\\" and control characters; a few
        # substring tests beat one alternation.
        self.learned = tuple(orjson.dumps(s)[1:-1] for s in alternatives)
        self._not_keys = {
            secret: re.compile(re.escape(secret) + rb'(?!\\?":)')
            for secret in self.learned
            if len(secret) < MIN_SCRUB_LENGTH
        }
        if self.on_learn is not None:
            self.on_learn(value)

    # -- headers ----------------------------------------------------------
    def headers(self, lines: Iterable[str]) -> list[str]:
        """Cassette ``"name: value"`` header lines, their values redacted (:meth:`header`)."""
        redacted = []
        for line in lines:
            name, _, value = line.partition(": ")
            redacted.append(f"{name}: {self.header(name, value)}")
        return redacted

    def scope(self, scope: dict[str, Any]) -> dict[str, Any]:
        """A connection's scope in cassette form, redacted: headers, query string, values."""
        result = dict(scope)
        if isinstance(result.get("headers"), list):
            result["headers"] = self.headers(result["headers"])
        if isinstance(result.get("query_string"), str):
            result["query_string"] = self.query_string(result["query_string"])
        redacted: dict[str, Any] = self.value(result)
        return redacted

    def header(self, name: str, value: str) -> str:
        """The value to record for header ``name`` (lower-case).

        A value that is a binding (``Bearer <jwt:1>``, a cookie ``<token:2>``)
        is kept: the secret it stands for was never written.
        """
        if name in ("cookie",):
            return self._cookie_header(value)
        if name == "set-cookie":
            return self._set_cookie_header(value)
        if name in ("authorization", "proxy-authorization"):
            if only_bound(value):
                return self._kept(value)
            scheme, _, credentials = value.partition(" ")
            self.learn(credentials or scheme)
            return f"{scheme} {REDACTED}" if credentials else REDACTED
        if name in self.secret_headers or self.is_secret_key(name):
            # A header named as a secret is one (X-Access-Key, X-Refresh-Token).
            if only_bound(value):
                return self._kept(value)
            if name not in _NONCE_HEADERS:
                self.learn(value, minimum=MIN_FIELD_SCRUB_LENGTH)
            return REDACTED
        if name in self.volatile_headers:
            return VOLATILE
        return self.scrub(value)

    def _cookie_header(self, value: str) -> str:
        parts = []
        for item in value.split(";"):
            cookie_name, sep, cookie_value = item.strip().partition("=")
            if not sep:
                continue
            if only_bound(cookie_value):
                parts.append(f"{cookie_name}={self._kept(cookie_value)}")
                continue
            self.learn(cookie_value.strip('"'))
            parts.append(f"{cookie_name}={REDACTED}")
        return "; ".join(parts)

    def _set_cookie_header(self, value: str) -> str:
        first, *attributes = value.split(";")
        cookie_name, _, cookie_value = first.strip().partition("=")
        if only_bound(cookie_value):
            kept = [f"{cookie_name}={self._kept(cookie_value)}"]
        else:
            self.learn(cookie_value.strip('"'))
            kept = [f"{cookie_name}={REDACTED}"]
        for attribute in attributes:
            attribute_name = attribute.strip().partition("=")[0].lower()
            kept.append(
                f"{attribute_name}={VOLATILE}" if attribute_name == "expires" else attribute.strip()
            )
        return "; ".join(kept)

    # -- values -----------------------------------------------------------
    def is_secret_key(self, key: str) -> bool:
        """True when an object key, form field or query parameter named ``key`` is secret.

        In any style: ``api_key``, ``api-key``, ``API_KEY``, ``apiKey``, ``ApiKey``.
        """
        match = self._secret_key.match
        return bool(match(key.replace("-", "_").replace(" ", "_")) or match(_snake(key)))

    def might_need(self, data: bytes, *, learned: bool = True) -> bool:
        """Cheap pre-check on serialised JSON: False means :meth:`value` would change nothing.

        Substring tests (C speed) rule out the common case before any regular
        expression runs: every secret word contains one of :data:`_HINTS`,
        and text that is not ASCII or holds a %-escape goes to the full check,
        where case folding and escapes count. ``learned=False`` leaves learned
        secrets out, as :meth:`value` does with the same flag.
        """
        if self.paths:
            return True
        if learned and any(secret in data for secret in self.learned):
            return True
        if data.find(_BYTES_TAG) >= 0 and _text_in_bytes(data):
            return True  # a binary frame that holds text: its words are base64, unseen here
        if self._extra_keys is not None and self._extra_keys.search(data):
            return True
        if data.isascii() and b"%" not in data:
            lowered = data.lower()
            if not any(hint in lowered for hint in _HINTS):
                return False
        return (
            bool(_SECRET_KEY_IN_JSON.search(data))
            or b"csrfmiddlewaretoken" in data
            or b"eyJ" in data
        )

    def suspect_offsets(self, data: bytes) -> list[int] | None:
        """Offsets in serialised JSON where content-based redaction might apply.

        A cheaper, positional form of ``might_need(data, learned=False)`` for
        a long buffer of many events: only the places returned can need
        redaction. None means anywhere (JSON paths are configured).
        """
        if self.paths:
            return None
        lowered = data.lower()
        offsets = [
            offset
            # "csrfmiddlewaretoken" holds "csrf"; a binary frame may hold text
            for needle in (*_HINTS, b"%", _BYTES_TAG)
            for offset in find_all(lowered, needle)
        ]
        if self._extra_keys is not None:
            offsets.extend(match.start() for match in self._extra_keys.finditer(data))
        return offsets

    def value(self, value: Any, path: tuple[str, ...] = (), *, learned: bool = True) -> Any:
        """``value`` (encoded form) with secret keys, form fields and learned values redacted.

        ``learned=False`` applies only the rules that depend on the value
        itself, not on secrets learned so far: the result then does not
        depend on when it is computed.
        """
        if isinstance(value, dict):
            if len(value) == 1 and isinstance(value.get("$bytes"), str):
                return self._bytes(value, path, learned=learned)
            result: dict[str, Any] = {}
            for key, item in value.items():
                child = (*path, key) if not key.startswith("$") else path
                if (
                    not key.startswith("$")
                    and (self.is_secret_key(key) or self._path_matches(child))
                    and not (isinstance(item, str) and only_bound(item))
                ):
                    if isinstance(item, str):
                        self.learn(item, minimum=MIN_FIELD_SCRUB_LENGTH)
                    result[key] = REDACTED
                elif not key.startswith("$") and self.is_secret_key(key) and isinstance(item, str):
                    result[key] = self._kept(item)
                else:
                    result[key] = self.value(item, child, learned=learned)
            return result
        if isinstance(value, list):
            return [self.value(item, path, learned=learned) for item in value]
        if isinstance(value, str):
            return self.text(value, learned=learned)
        return value

    def _bytes(
        self, value: dict[str, Any], path: tuple[str, ...], *, learned: bool
    ) -> dict[str, Any]:
        """A binary payload (``{"$bytes": base64}``) redacted inside when it holds text.

        A binary websocket frame may carry JSON or text (a client that sends
        ``Blob``s, a protocol that frames JSON as bytes); its secrets are
        redacted as a text frame's would be, learned ones included (the
        scrubbing that serialised JSON gets cannot see through base64), and
        it stays a binary payload. Bytes that are not UTF-8 (an image, a
        digest) are left as they are.
        """
        text = decoded_text(value["$bytes"])
        if text is None:
            return self._binary_form(value)
        redacted = self.scrub(text)
        if redacted[:1] in ("{", "["):
            parsed = json_in(redacted)
            if parsed is not None:
                cleaned = self.value(parsed, path, learned=learned)
                if cleaned != parsed:
                    redacted = orjson.dumps(cleaned).decode()
        redacted = self.text(redacted, learned=learned)
        if redacted == text:
            return value
        return {"$bytes": base64.b64encode(redacted.encode()).decode("ascii")}

    def _binary_form(self, value: dict[str, Any]) -> dict[str, Any]:
        """A multipart/form-data body with a file in it (bytes, not text): its secret
        fields redacted all the same, every other byte kept."""
        raw = _multipart_bytes(value["$bytes"])
        if raw is None:
            return value
        # Latin-1 maps each byte to one character and back: the file stays as it was.
        text = raw.decode("latin-1")
        redacted = _MULTIPART_FIELD.sub(self._multipart_field, text)
        if redacted == text:
            return value
        return {"$bytes": base64.b64encode(redacted.encode("latin-1")).decode("ascii")}

    def _path_matches(self, path: tuple[str, ...]) -> bool:
        for pattern in self.paths:
            if len(pattern) == len(path) and all(
                p in ("*", part) for p, part in zip(pattern, path, strict=True)
            ):
                return True
        return False

    def _scrubber(self) -> re.Pattern[str] | None:
        if self._scrub is None and self._secrets:
            alternatives = sorted(self._secrets, key=len, reverse=True)
            self._scrub = re.compile("|".join(re.escape(s) for s in alternatives))
        return self._scrub

    def text(self, text: str, *, learned: bool = True) -> str:
        """``text`` with learned secrets, JWTs, CSRF inputs and secret form fields redacted."""
        scrubber = self._scrubber() if learned else None
        if scrubber is not None:
            text = scrubber.sub(REDACTED, text)
        if text[:1] in ("{", "[") and _HINT_IN_TEXT.search(text):
            # JSON inside a string (a frame's "msg" holding serialised JSON):
            # its keys count as any object's.
            parsed = json_in(text)
            if parsed is not None:
                cleaned = self.value(parsed, learned=learned)
                if cleaned != parsed:
                    return orjson.dumps(cleaned).decode()
        if "eyJ" in text:
            text = _JWT.sub(REDACTED, text)
        if "csrfmiddlewaretoken" in text:
            text = _CSRF_INPUT.sub(_csrf_replacement, text)
        if "=" in text and _looks_like_form(text):
            text = self.query_string(text)
        if "form-data" in text:
            text = _MULTIPART_FIELD.sub(self._multipart_field, text)
        return text

    def _multipart_field(self, match: re.Match[str]) -> str:
        """A multipart/form-data part: its value redacted when its name is a secret's."""
        value = match.group("value")
        if not self.is_secret_key(match.group("name")) or only_bound(value):
            return match.group(0)
        self.learn(value, minimum=MIN_FIELD_SCRUB_LENGTH)
        return f"{match.group('head')}{REDACTED}{match.group('tail')}"

    def query_string(self, query: str) -> str:
        """A URL-encoded query or form body with the values of secret fields redacted.

        Only those values change: every other field keeps its bytes (its
        escapes, a binding it holds), so what a replay sends is what was sent.
        """
        if not query:
            return query
        fields = query.split("&")
        changed = False
        for index, field in enumerate(fields):
            raw_name, equals, raw_value = field.partition("=")
            if not equals or not self.is_secret_key(unquote_plus(raw_name)):
                continue
            value = unquote_plus(raw_value)
            if only_bound(value):
                self._kept(value)
                continue
            self.learn(value, minimum=MIN_FIELD_SCRUB_LENGTH)
            if raw_value != REDACTED:
                fields[index] = f"{raw_name}={REDACTED}"
                changed = True
        return "&".join(fields) if changed else query

    def _kept(self, text: str) -> str:
        """``text`` (bindings kept in a secret's place), with the values behind them learned."""
        resolve = self.resolve
        self.kept.update(names_in(text))
        if resolve is not None:
            for name in names_in(text):
                value = resolve(name)
                if value is not None:
                    self.learn(value)
        return text

    def scrub(self, text: str) -> str:
        """``text`` with every learned secret value replaced."""
        scrubber = self._scrubber()
        return text if scrubber is None else scrubber.sub(REDACTED, text)

    def scrub_json(self, data: bytes) -> bytes:
        """Serialised JSON with every secret learned so far replaced (cheap when none is there).

        The recorder calls this as each event is recorded, so a secret is
        scrubbed from everything recorded after the header that revealed it,
        the same way on every run.
        """
        for secret in self.learned:
            # find(), not "in": on bytes it is the cheaper of the two.
            if data.find(secret) >= 0:
                short = self._not_keys.get(secret)
                if short is None:
                    data = data.replace(secret, _REDACTED_BYTES)
                else:  # a short secret leaves JSON keys be (see MIN_FIELD_SCRUB_LENGTH)
                    data = short.sub(_REDACTED_BYTES, data)
        return data


_BYTES_TAG = b'"$bytes":"'
_BYTES_PAYLOADS = re.compile(rb'"\$bytes":"([A-Za-z0-9+/=]*)"')
_HINT_IN_TEXT = re.compile(
    "|".join(re.escape(hint.decode()) for hint in _HINTS) + "|%", re.IGNORECASE
)
"""A string that holds none of these holds no secret key (see :data:`_HINTS`)."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Characters no text holds: bytes that decode to them are data, not text."""
_MAX_EMBEDDED = 1 << 20
"""Longer JSON inside a string or binary text inside base64 is not looked into."""


def decoded_text(payload: str) -> str | None:
    """The text a base64 payload holds, if it is UTF-8 text without control characters
    (and not too long)."""
    if len(payload) > _MAX_EMBEDDED:
        return None
    try:
        text = base64.b64decode(payload, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return None if _CONTROL.search(text) else text


def _multipart_bytes(payload: str) -> bytes | None:
    """The bytes of a base64 payload that is a multipart/form-data body, else None."""
    if len(payload) > _MAX_EMBEDDED:
        return None
    try:
        raw = base64.b64decode(payload, validate=True)
    except ValueError:
        return None
    return raw if b"form-data" in raw else None


def _text_in_bytes(data: bytes) -> bool:
    """True when serialised JSON holds a binary payload that is UTF-8 text or a form."""
    return any(
        decoded_text(payload) is not None or _multipart_bytes(payload) is not None
        for payload in (m.group(1).decode("ascii") for m in _BYTES_PAYLOADS.finditer(data))
    )


def json_in(text: str) -> Any:
    """The JSON object or array ``text`` is, or None."""
    if len(text) > _MAX_EMBEDDED:
        return None
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


@functools.lru_cache(maxsize=4096)
def is_secret_name(key: str) -> bool:
    """True when ``key`` names a secret by the default words (see :data:`SECRET_WORDS`).

    Remembered by name: the same setting and key names are asked about for
    every recording a test run builds.
    """
    return _default().is_secret_key(key)


@functools.cache
def _default() -> Redactor:
    """The default redactor, for questions about names that need no configuration (built
    on first use: importing this module stays cheap for the commands that never ask)."""
    return Redactor()


def _snake(name: str) -> str:
    """``name`` in snake case: camelCase split into words, ``-``, ``.`` and spaces as ``_``."""
    return _CAMEL.sub("_", name).lower().replace("-", "_").replace(" ", "_")


def find_all(data: bytes, needle: bytes) -> Iterator[int]:
    """Offsets of ``needle`` in ``data``, at most one per line (one is enough to suspect it)."""
    offset = data.find(needle)
    while offset != -1:
        yield offset
        end = data.find(b"\n", offset)
        if end == -1:
            return
        offset = data.find(needle, end)


def _csrf_replacement(match: re.Match[str]) -> str:
    if match.group(1):
        value = match.group(2)
        return f"{match.group(1)}{value if only_bound(value) else REDACTED}"
    value = match.group(4)
    return f"{match.group(3)}{value if only_bound(value) else REDACTED}{match.group(5)}"


_SCHEMES = frozenset({"", "bearer", "token", "jwt"})


def only_bound(text: str) -> bool:
    """True when ``text`` holds bindings (``<jwt:1>``) and at most an auth scheme word.

    Such a value stands for secrets that were never written, so it is kept
    where a secret would be redacted.
    """
    if "<" not in text:
        return False
    rest, found = BOUND.subn("", text)
    return bool(found) and rest.strip().lower() in _SCHEMES


# A text part of a multipart/form-data body (no filename: a file is data).
_MULTIPART_FIELD = re.compile(
    r'(?P<head>Content-Disposition: form-data; name="(?P<name>[^"]*)"\r\n'
    r"(?:[^\r\n]+\r\n)*\r\n)(?P<value>.*?)(?P<tail>\r\n--)",
    re.IGNORECASE | re.DOTALL,
)
# Field names may be placeholders (<token:1>): a binding must never hide a form.
_FORM = re.compile(r"^[\w.%+~<>:-]+=[^&\s]*(?:&[\w.%+~<>:-]+=[^&\s]*)*$")


def _looks_like_form(text: str) -> bool:
    """True for ``a=1&b=2`` style text (a form body or query string), not prose."""
    return len(text) < 65536 and bool(_FORM.match(text))

"""Values for what recording redacted, so that a replayed request works (pure).

A cassette never holds a password, a session id or a CSRF token: they are
``<redacted>``. Some requests only work with a real value: a login form needs
the password, a POST needs a CSRF token that matches its cookie. A replay
fills ``<redacted>`` values by name from ``secrets`` (``{"password":
"wonderland"}``), in cookies, headers, query strings, form bodies and JSON
(bodies and text frames); CSRF tokens get a value of their own that matches
between cookie, header and form, and the session cookie is the replayed
user's (see :mod:`chanreplay.replay.driver`).

A secret may differ from user to user: ``{"password": {"alice": "wonderland",
"bob": "builder"}}``, beside or instead of one value for all (``"*"`` in such
a mapping, or the name given once more as a plain value). A redacted
field takes the value of the user it belongs to: the user a connection was
recorded for, else the user a form, JSON body or frame names (the
``username`` of a login form); a value for all users stands in when neither
is known or the user has none of their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote_plus

import orjson

from chanreplay.cassette.redaction import REDACTED

__all__ = ["EVERYONE", "SecretValues", "Secrets"]

SecretValues = Mapping[str, "str | Mapping[str, str]"]
"""Secrets as given: by name, one value for all users or ``{username: value}``."""
EVERYONE = "*"
"""In ``{username: value}``, the value of every user not named."""

_REDACTED_BYTES = REDACTED.encode()
_SECRET_SUFFIX = re.compile(r"\d+$")
"""What follows the secret word in a field it names (``password1``)."""


class Secrets:
    """Replacement values for redacted fields, by field, cookie or header name.

    ``user``: whose values come first (see the module's docstring);
    :meth:`for_user` gives the same secrets for another user.
    """

    def __init__(self, values: SecretValues | None = None, *, user: str | None = None) -> None:
        self.values: dict[str, str] = {}
        """The values for every user, by lower-case name."""
        self.per_user: dict[str, dict[str, str]] = {}
        """The values of one user each: {lower-case name: {username: value}}."""
        for name, value in (values or {}).items():
            if isinstance(value, Mapping):
                own = {str(u): str(v) for u, v in value.items()}
                if EVERYONE in own:
                    self.values[name.lower()] = own.pop(EVERYONE)
                self.per_user[name.lower()] = own
            else:
                self.values[name.lower()] = value
        self.user = user

    def for_user(self, user: str | None) -> Secrets:
        """These secrets, with ``user``'s own values first."""
        other = Secrets(user=user)
        other.values, other.per_user = self.values, self.per_user
        return other

    def with_values(self, values: Mapping[str, str]) -> Secrets:
        """These secrets with ``values`` added for every user (they win over given ones)."""
        other = Secrets(values, user=self.user)
        other.values = {**self.values, **other.values}
        other.per_user = self.per_user
        return other

    @property
    def users(self) -> set[str]:
        """The users some secret has a value of their own for."""
        return {user for values in self.per_user.values() for user in values}

    def value(self, name: str) -> str | None:
        """The value to put where ``name`` was redacted, if known.

        A name given exactly wins; otherwise a secret word fills every field
        that word redacted, as recording matched them: ``password`` fills
        ``password1`` and ``password2`` (a sign-up form) and ``new_password``.
        """
        lowered = name.lower()
        word = _SECRET_SUFFIX.sub("", lowered.replace("-", "_").rpartition("_")[2])
        for candidate in (lowered.replace("-", "_"), lowered, word):
            if not candidate:
                continue
            known = self._lookup(candidate)
            if known is not None:
                return known
        return None

    def _lookup(self, name: str) -> str | None:
        own = self.per_user.get(name, {}).get(self.user) if self.user is not None else None
        return own if own is not None else self.values.get(name)

    def _whose(self, values: list[str]) -> Secrets:
        """These secrets for the user ``values`` name (a login form's username), if any.

        The user already chosen (the connection's) wins.
        """
        if self.user is not None or not self.per_user:
            return self
        users = self.users
        named = next((value for value in values if value in users), None)
        return self.for_user(named) if named is not None else self

    def headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Headers with redacted cookies and header values filled where a value is known."""
        filled = []
        for raw_name, raw_value in headers:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            if name == "cookie":
                value = self.cookie(value)
            elif name == "set-cookie":
                value = self.set_cookie(value)
            elif REDACTED in value:
                known = self.value(name)
                if known is not None:
                    value = value.replace(REDACTED, known)
            filled.append((raw_name, value.encode("latin-1")))
        return filled

    def cookie(self, header: str) -> str:
        """A ``Cookie`` header with each redacted cookie given its value, if known."""
        parts = []
        for part in header.split(";"):
            name, equals, value = part.strip().partition("=")
            if equals and value == REDACTED:
                known = self.value(name)
                if known is not None:
                    value = known
            parts.append(f"{name}{equals}{value}")
        return "; ".join(parts)

    def set_cookie(self, header: str) -> str:
        """A ``Set-Cookie`` header with its redacted value given the cookie's, if known."""
        pair, semicolon, attributes = header.partition(";")
        name, equals, value = pair.strip().partition("=")
        known = self.value(name) if equals and value == REDACTED else None
        if known is None:
            return header
        return f"{name}={known}{semicolon}{attributes}"

    def form(self, text: str) -> str:
        """A URL-encoded query or form with redacted fields filled, if known."""
        if REDACTED not in text:
            return text
        pairs = parse_qsl(text, keep_blank_values=True)
        whose = self._whose([value for _, value in pairs])
        filled = []
        for name, value in pairs:
            if value == REDACTED:
                known = whose.value(name)
                value = value if known is None else known
            filled.append(f"{quote_plus(name)}={quote_plus(value)}")
        return "&".join(filled)

    def json(self, value: Any) -> Any:
        """Parsed JSON with redacted string values filled by their key, if known."""
        return self._whose(list(_strings(value)))._json(value, None)

    def _json(self, value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            return {k: self._json(item, k) for k, item in value.items()}
        if isinstance(value, list):
            return [self._json(item, key) for item in value]
        if value == REDACTED and key is not None:
            known = self.value(key)
            return value if known is None else known
        return value

    def differs(self, sent: Any, recorded: Any) -> str | None:
        """The first field where ``sent`` holds another value than the one given for it.

        ``recorded`` is the cassette's (redacted) form of what was sent, parsed:
        JSON, or a form as a dict. Only fields redacted in the recording that
        have a value here are checked (a mock server checking credentials), as
        the user the recording names, if any.
        """
        return self._whose(list(_strings(recorded)))._differs(sent, recorded, None)

    def _differs(self, sent: Any, recorded: Any, key: str | None) -> str | None:
        differs = self._differs
        if isinstance(recorded, dict) and isinstance(sent, dict):
            for name, item in recorded.items():
                found = differs(sent.get(name), item, name)
                if found is not None:
                    return found
        elif isinstance(recorded, list) and isinstance(sent, list):
            for sent_item, item in zip(sent, recorded, strict=False):
                found = differs(sent_item, item, key)
                if found is not None:
                    return found
        elif recorded == REDACTED and key is not None:
            known = self.value(key)
            if known is not None and sent != known:
                return key
        return None

    def body(self, body: bytes, content_type: str) -> bytes:
        """An HTTP request body with redacted fields filled (form or JSON), if known."""
        if _REDACTED_BYTES not in body:
            return body
        kind = content_type.split(";")[0].strip().lower()
        if kind == "application/json" or kind.endswith("+json"):
            try:
                return orjson.dumps(self.json(orjson.loads(body)))
            except orjson.JSONDecodeError:
                return body
        if kind != "application/x-www-form-urlencoded":
            return body  # multipart, text: left as recorded rather than rewritten wrongly
        try:
            return self.form(body.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return body

    def text(self, text: str) -> str:
        """A websocket text frame with redacted JSON fields filled, if it holds JSON."""
        if REDACTED not in text:
            return text
        try:
            return orjson.dumps(self.json(orjson.loads(text))).decode()
        except orjson.JSONDecodeError:
            return text


def _strings(value: Any) -> list[str]:
    """Every string in parsed JSON (or a form's dict), in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []

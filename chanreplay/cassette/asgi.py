"""ASGI scopes and messages in their cassette form, and back.

Headers become ``"name: value"`` strings (latin-1, so any byte survives),
websocket text frames holding JSON become structure, binary frames and
bodies are tagged bytes. Only the stable part of a scope is kept: no
client address, no server port, no ASGI internals.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from chanreplay.cassette.codec import (
    decode_value,
    dumps_text,
    encode_bytes,
    encode_text,
    encode_value,
)
from chanreplay.cassette.model import Cassette
from chanreplay.cassette.redaction import Redactor
from chanreplay.exceptions import CassetteFormatError

__all__ = [
    "check_messages",
    "decode_headers",
    "decode_message",
    "decode_scope",
    "dumps_frame_parts",
    "encode_headers",
    "encode_message",
    "encode_scope",
    "frame_parts",
]

_SCOPE_KEYS = ("method", "scheme", "http_version", "subprotocols")
# Headers that carry the server's port, which changes from run to run.
_PORT_HEADERS = frozenset({"host", "origin", "referer"})
_PORT = re.compile(r"(^|//)(\[[^\]]*\]|[^/:\[\]]+):\d+")


def _strip_port(value: str) -> str:
    return _PORT.sub(r"\1\2", value, count=1)


def encode_headers(
    headers: Iterable[tuple[bytes, bytes] | list[bytes]], redactor: Redactor | None = None
) -> list[str]:
    """Header pairs as port-free ``"name: value"`` lines, redacted by ``redactor`` if given.

    One string per header keeps a cassette diff to one line per changed
    header; a header name never holds a colon, so the split is unambiguous.
    A recorder leaves redaction to the journal's cleaner, which binds values
    the server made first (see :mod:`chanreplay.recorder.cleaning`).
    """
    encoded = []
    for raw_name, raw_value in headers:
        name = bytes(raw_name).decode("latin-1").lower()
        value = bytes(raw_value).decode("latin-1")
        if name in _PORT_HEADERS:
            value = _strip_port(value)
        encoded.append(f"{name}: {value if redactor is None else redactor.header(name, value)}")
    return encoded


def decode_headers(headers: Iterable[str]) -> list[tuple[bytes, bytes]]:
    """Cassette ``"name: value"`` lines as the ``(bytes, bytes)`` pairs ASGI expects."""
    pairs = []
    for line in headers:
        name, _, value = line.partition(":")
        pairs.append((name.encode("latin-1"), value.removeprefix(" ").encode("latin-1")))
    return pairs


def encode_scope(scope: Mapping[str, Any], redactor: Redactor | None = None) -> dict[str, Any]:
    """The stable part of an ASGI connection scope, redacted by ``redactor`` if given."""
    encoded: dict[str, Any] = {
        "path": scope.get("path", ""),
        "query_string": bytes(scope.get("query_string", b"")).decode("latin-1"),
        "headers": encode_headers(scope.get("headers", ())),
    }
    for key in _SCOPE_KEYS:
        if key in scope:
            encoded[key] = list(scope[key]) if key == "subprotocols" else scope[key]
    if scope.get("root_path"):
        encoded["root_path"] = scope["root_path"]
    return encoded if redactor is None else redactor.scope(encoded)


def decode_scope(kind: str, scope: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh ASGI scope rebuilt from its cassette form (for replay)."""
    decoded: dict[str, Any] = {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "path": scope["path"],
        "raw_path": scope["path"].encode("utf-8"),
        "query_string": scope.get("query_string", "").encode("latin-1"),
        "headers": decode_headers(scope.get("headers", [])),
        "root_path": scope.get("root_path", ""),
    }
    for key in _SCOPE_KEYS:
        if key in scope:
            decoded[key] = scope[key]
    return decoded


def encode_message(
    message: Mapping[str, Any], redactor: Redactor | None = None, *, path: str = "message"
) -> dict[str, Any]:
    """An ASGI message in cassette form, headers redacted by ``redactor`` if given.

    ``text`` holding a JSON object or array is stored as structure; ``bytes``
    (websocket frames) as base64; ``body`` (HTTP) as text where it is UTF-8.
    """
    encoded: dict[str, Any] = {}
    for key, value in message.items():
        if key == "headers" and value is not None:
            encoded[key] = encode_headers(value, redactor)
        elif key == "text" and isinstance(value, str):
            encoded[key] = encode_text(value)
        elif key == "body" and isinstance(value, (bytes, bytearray)):
            encoded[key] = encode_bytes(bytes(value), prefer_text=True)
        else:
            encoded[key] = encode_value(value, f"{path}.{key}")
    return encoded


_FRAME_TYPES = {"websocket.receive": b'"websocket.receive"', "websocket.send": b'"websocket.send"'}


def frame_parts(message: Mapping[str, Any]) -> tuple[bytes, str | bytes] | None:
    """The type (serialised) and payload of a plain websocket frame, or None for anything else.

    A frame is ``{"type": "websocket.receive" | "websocket.send", "text" | "bytes": ...}``
    and nothing more: the common case while recording. Both parts are
    immutable, so a recorder may hold them and serialise later
    (:func:`dumps_frame_parts`).
    """
    if len(message) != 2:
        return None
    kind = _FRAME_TYPES.get(message.get("type"))  # type: ignore[arg-type]
    if kind is None:
        return None
    text = message.get("text")
    if type(text) is str:
        return kind, text
    data = message.get("bytes")
    if type(data) is bytes:
        return kind, data
    return None


def dumps_frame_parts(kind: bytes, payload: str | bytes) -> bytes:
    """The serialised cassette form of the frame :func:`frame_parts` took apart.

    Raises :class:`TypeError` for text that is not valid Unicode (a lone
    surrogate), which JSON cannot hold.
    """
    if isinstance(payload, str):
        return b'{"type":%b,"text":%b}' % (kind, dumps_text(payload))
    return b'{"type":%b,"bytes":%b}' % (kind, orjson.dumps(encode_bytes(payload)))


def decode_message(
    message: Mapping[str, Any], where: Callable[[], str] = lambda: "?"
) -> dict[str, Any]:
    """The ASGI message a cassette event stands for (inverse of :func:`encode_message`).

    ``where`` names the message's place for an error about a malformed value.
    """
    decoded = {}
    for key, value in message.items():
        if key == "headers" and value is not None:
            decoded[key] = decode_headers(value)
        else:
            decoded[key] = decode_value(value, where)
    return decoded


def check_messages(cassette: Cassette, path: Path | str | None = None) -> None:
    """Raise :class:`CassetteFormatError` (naming ``path`` and the event) for the first
    message of ``cassette`` whose tagged values do not decode or whose content has
    the wrong type, or client input that comes before its connection opens.

    The loader checks a cassette's structure; tagged values (``$bytes``,
    ``$json``) are decoded where they are used, and steps are compared only
    when a session is played. A reader that replays, serves or plays a whole
    session checks them all first, so that a malformed one is a diagnosis
    before anything starts, not an error halfway through a client's request.
    """
    for connection in cassette.connections:
        where = connection.scope.get("path")
        if not (isinstance(where, str) and where.startswith("/")):
            raise CassetteFormatError(
                path,
                f"{connection.id}: its scope's path {where!r} does not start with /",
                fix="restore the scope from version control, or re-record the session",
            )
        _check_headers(connection.scope.get("headers"), f"{connection.id}'s scope", path)
        method = connection.scope.get("method")
        if method is not None and not (isinstance(method, str) and _TOKEN.fullmatch(method)):
            raise CassetteFormatError(
                path,
                f"{connection.id}: its scope's method {method!r} is not an HTTP method",
                fix="restore the scope from version control, or re-record the session",
            )
        for index, event in enumerate(connection.events):
            if event.get("dir") == "in" and event["step"] < connection.step:
                raise CassetteFormatError(
                    path,
                    f"{connection.id} event {index} is client input at step {event['step']}, "
                    f"before its connection opened (step {connection.step})",
                    fix="restore the steps from version control, or re-record the session",
                )
    events = [("external", index, e) for index, e in enumerate(cassette.external)]
    events += [(c.id, index, e) for c in cassette.connections for index, e in enumerate(c.events)]
    for owner, index, event in events:
        message = event.get("message")
        if isinstance(message, dict):
            place = f"{owner} event {index} ({message.get('type', event.get('op', '?'))})"
            try:
                decoded = decode_message(message, functools.partial(str, place))
            except CassetteFormatError as error:
                raise CassetteFormatError(path, error.problem, fix=error.fix) from None
            if event.get("dir") in ("in", "out"):
                _check_headers(message.get("headers"), place, path)
            problem = _shape_problem(decoded) if event.get("dir") in ("in", "out") else None
            if problem is not None:
                raise CassetteFormatError(
                    path,
                    f"{place}: {problem}",
                    fix="restore the event from version control, or re-record the session",
                )


def _check_headers(headers: Any, place: str, path: Path | str | None) -> None:
    """Refuse a header no HTTP peer would send or take: a name that is not a token, a
    value with a line break or a NUL (aiohttp's parser answers either with a 400)."""
    for line in headers if isinstance(headers, list) else ():
        name, _, value = str(line).partition(":")
        if not _TOKEN.fullmatch(name) or any(c in value for c in "\r\n\x00"):
            raise CassetteFormatError(
                path,
                f"{place}: the header {str(line)[:60]!r} is not one HTTP can carry",
                fix="restore the headers from version control, or re-record the session",
            )


_FRAMES = frozenset({"websocket.send", "websocket.receive"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP method is a token (RFC 9110): what a client can send and a server receive."""
_BODIES = frozenset({"http.request", "http.response.body", "websocket.http.response.body"})
_STARTS = frozenset({"http.response.start", "websocket.http.response.start"})


def _shape_problem(message: Mapping[str, Any]) -> str | None:
    """What is wrong with a decoded ASGI message's content fields, if anything."""
    kind = message.get("type")
    if not isinstance(kind, str):
        return None  # a layer message's type is the consumer's business
    if kind in _FRAMES:
        text, data = message.get("text"), message.get("bytes")
        if text is None and data is None:
            return "a frame with neither text nor bytes"
        if text is not None and not isinstance(text, str):
            return f"its text is {type(text).__name__}, expected a string"
        if data is not None and not isinstance(data, bytes):
            return f"its bytes are {type(data).__name__}, expected a tagged $bytes value"
    elif kind in _BODIES and not isinstance(message.get("body", b""), bytes):
        return f"its body is {type(message['body']).__name__}, expected a tagged bytes value"
    elif kind in _STARTS and "status" not in message:
        return "a response start without a status"
    return None

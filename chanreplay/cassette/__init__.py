"""The cassette format: model, codec, redaction, schema, reading and writing.

This package is the pure core: it imports neither Django nor Channels. Its
names are imported on first use (the writer is not needed to read a
cassette, and ``chanreplay show`` starts faster without it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanreplay.cassette.loader import load, loads, validate
    from chanreplay.cassette.model import FORMAT, VERSION, Cassette, Connection, Event
    from chanreplay.cassette.writer import dumps, write

__all__ = [
    "FORMAT",
    "VERSION",
    "Cassette",
    "Connection",
    "Event",
    "dumps",
    "load",
    "loads",
    "validate",
    "write",
]

_WHERE = {
    "load": "loader",
    "loads": "loader",
    "validate": "loader",
    "FORMAT": "model",
    "VERSION": "model",
    "Cassette": "model",
    "Connection": "model",
    "Event": "model",
    "dumps": "writer",
    "write": "writer",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

"""The cassette format: model, codec, redaction, schema, reading and writing.

This package is the pure core: it imports neither Django nor Channels.
"""

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

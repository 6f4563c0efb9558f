"""Host validation during a replay: the hosts the recording served are allowed again.

A session is recorded against the development server, where ``DEBUG = True``
lets Django accept ``localhost`` and ``127.0.0.1`` with an empty
``ALLOWED_HOSTS``. Tests run with ``DEBUG = False`` and only ``testserver``
added, so every replayed request would be a 400 (``DisallowedHost``) and
every websocket behind ``AllowedHostsOriginValidator`` refused. The replay
keeps the recorded ``Host`` and ``Origin`` headers (responses that contain
the host stay byte for byte) and, for its duration, allows the hosts the
replayed connections were recorded with, in ``ALLOWED_HOSTS`` and in
Channels' origin validators. Other hosts and origins are judged by the
project's own settings, as in the recording.

What the project still refuses is reported: a ``DisallowedHost`` Django
logs, an origin a validator turns away.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HostRefusals", "recorded_hosts", "recorded_hosts_allowed"]


@dataclass
class HostRefusals:
    """What host validation refused during a replay, in the words of the report."""

    notes: list[str] = field(default_factory=list)


class _Collector(logging.Handler):
    def __init__(self, refusals: HostRefusals) -> None:
        super().__init__(logging.WARNING)
        self.refusals = refusals

    def emit(self, record: logging.LogRecord) -> None:
        self.refusals.notes.append(f"Django refused a Host header: {record.getMessage()}")


def recorded_hosts(scopes: Iterable[dict[str, Any]]) -> list[str]:
    """The hosts of the ``host`` headers in recorded scopes (cassette form), in order."""
    hosts: list[str] = []
    for scope in scopes:
        for header in scope.get("headers", []):
            name, _, value = str(header).partition(": ")
            if name.lower() == "host":
                host = value.strip().lower()
                # The recorder drops the port; an IPv6 literal keeps its brackets.
                if host and host not in hosts:
                    hosts.append(host)
    return hosts


@contextlib.contextmanager
def recorded_hosts_allowed(hosts: list[str]) -> Iterator[HostRefusals]:
    """Allow ``hosts`` in ``ALLOWED_HOSTS`` and origin validators for the ``with`` block."""
    from channels.security.websocket import OriginValidator
    from django.test.utils import override_settings

    refusals = HostRefusals()
    collector = _Collector(refusals)
    security = logging.getLogger("django.security.DisallowedHost")
    original = OriginValidator.valid_origin
    allowed = set(hosts)

    def valid_origin(self: Any, parsed_origin: Any) -> bool:
        if original(self, parsed_origin):
            return True
        host = parsed_origin.hostname if parsed_origin is not None else None
        if host is not None and (host in allowed or f"[{host}]" in allowed):
            return True
        origin = parsed_origin.geturl() if parsed_origin is not None else "none"
        refusals.notes.append(
            f"a websocket's Origin {origin!r} was refused by {type(self).__name__} "
            f"(allowed: {', '.join(map(str, self.allowed_origins)) or 'nothing'})"
        )
        return False

    from django.conf import settings

    extra = [host for host in hosts if host not in settings.ALLOWED_HOSTS]
    security.addHandler(collector)
    OriginValidator.valid_origin = valid_origin
    try:
        if extra:
            with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, *extra]):
                yield refusals
        else:  # allowed already: no settings change (and no setting_changed signals)
            yield refusals
    finally:
        OriginValidator.valid_origin = original
        security.removeHandler(collector)

"""What a replay changes in the process for its duration, to go fast; each change undone after.

Two costs grow with what a replay holds or does, not with what the
application does, and both are taken off while a replay runs:

* **Full garbage collections.** Each one walks every object the process
  holds. A large cassette is hundreds of thousands of dicts and lists that the
  replay only reads, and the recording it makes grows as large: a third of a
  long replay's time went to full collections walking them again and again.
  :func:`no_full_collections` raises the collector's third threshold for the
  replay's duration: young collections go on as ever (the short-lived cycles
  a replay makes are collected as it goes), only the walk of everything
  waits until the replay is over. (``gc.freeze()`` would also spare the walk,
  but everything it freezes, the garbage of the test before included, stays
  out of reach until ``gc.unfreeze()``, and it sets the collection counts back:
  in a suite of replays, nothing old would ever be collected.)
* **A thread hop per message.** Channels' consumers call
  ``channels.db.aclose_old_connections()`` before each handler: a
  thread-sensitive ``sync_to_async`` call of Django's
  ``close_old_connections``. While the test keeps its database connection
  open (:data:`connections_kept`, which ``database_kept_open`` installs
  instead), that call does nothing, yet each message still waited for a round
  trip through the test's thread. :func:`no_idle_hop` makes the consumers skip
  the hop while (and only while) the function it would call is that no-op;
  with Django's own function installed, the call is made as before.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

__all__ = ["connections_kept", "no_full_collections", "no_idle_hop"]

_lock = threading.Lock()


# -- the garbage collector ------------------------------------------------------

_FULL_NEVER = 1_000_000_000
"""A third threshold no replay reaches: young collections never lead to a full one."""

_quiet = 0
"""How many replays are running without full collections (they may overlap in threads)."""
_thresholds: tuple[int, int, int] | None = None
"""The thresholds the first of them found, and the ones it set."""
_set: tuple[int, int, int] | None = None


@contextlib.contextmanager
def no_full_collections() -> Iterator[None]:
    """No full (oldest-generation) garbage collection in the block; young ones as ever.

    The thresholds are put back when the last replay running ends (unless
    something else changed them meanwhile), and the next young collection
    after it considers a full one as usual.
    """
    global _quiet, _thresholds, _set
    with _lock:
        if _quiet == 0:
            found = gc.get_threshold()
            _thresholds = found
            _set = (found[0], found[1], _FULL_NEVER)
            gc.set_threshold(*_set)
        _quiet += 1
    try:
        yield
    finally:
        with _lock:
            _quiet -= 1
            if _quiet == 0:
                if _thresholds is not None and gc.get_threshold() == _set:
                    gc.set_threshold(*_thresholds)
                _thresholds = _set = None


# -- the thread hop before each handler -------------------------------------------


def connections_kept(**kwargs: Any) -> None:
    """``close_old_connections`` while a test keeps its database connection open: nothing."""
    return None


_HOPPING_MODULES = (
    "channels.db",
    "channels.consumer",
    "channels.generic.websocket",
    "channels.generic.http",
)
"""The modules that hold ``aclose_old_connections`` (the consumers import it by name)."""

_hops = 0
_saved: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {}
_ours: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {}


def _skipping(
    original: Callable[[], Coroutine[Any, Any, None]],
) -> Callable[[], Coroutine[Any, Any, None]]:
    import channels.db

    async def aclose_old_connections() -> None:
        if channels.db.close_old_connections is connections_kept:
            return None  # the call would do nothing, in another thread: skip the trip
        await original()

    return aclose_old_connections


@contextlib.contextmanager
def no_idle_hop() -> Iterator[None]:
    """Consumers skip the thread hop of ``aclose_old_connections`` while it would do nothing."""
    global _hops
    with _lock:
        if _hops == 0:
            for name in _HOPPING_MODULES:
                module = importlib.import_module(name)
                original = getattr(module, "aclose_old_connections", None)
                if original is None:
                    continue
                _saved[name] = original
                _ours[name] = _skipping(original)
                vars(module)["aclose_old_connections"] = _ours[name]
        _hops += 1
    try:
        yield
    finally:
        with _lock:
            _hops -= 1
            if _hops == 0:
                for name, original in _saved.items():
                    module = importlib.import_module(name)
                    # Something that patched it over ours meanwhile (a test's mock) restores it.
                    if getattr(module, "aclose_old_connections", None) is _ours[name]:
                        vars(module)["aclose_old_connections"] = original
                _saved.clear()
                _ours.clear()

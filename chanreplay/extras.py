"""Optional dependencies: a one-line error naming the extra to install when one is missing.

The core (cassettes, review commands, recording, replay) needs only what
``pip install chanreplay`` brings. The network tools (``proxy``, ``serve``,
``play``) need the ``proxy`` extra, ``verify`` the ``pytest`` one. A
command that needs a module that is not installed says which extra brings
it, before it imports anything, instead of a ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib.util

from chanreplay.exceptions import ChanreplayError

__all__ = ["EXTRA_OF", "MissingExtraError", "require"]

EXTRA_OF = {
    "aiohttp": "proxy",
    "websockets": "proxy",
    "pytest": "pytest",
    "pytest_django": "pytest",
    "channels_redis": "redis",
}
"""The extra that brings each optional module (by import name)."""


class MissingExtraError(ChanreplayError, ImportError):
    """Raised when a feature needs an optional dependency that is not installed."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent missing, or a module blocked in sys.modules
        return False


def require(feature: str, *modules: str) -> None:
    """Raise :class:`MissingExtraError` naming the extras to install when any of
    ``modules`` (import names) is missing; ``feature`` is what needs them."""
    missing = [module for module in modules if not _installed(module)]
    if not missing:
        return
    extras = sorted({EXTRA_OF.get(module, module) for module in missing})
    what = ", ".join(missing)
    verb = "is" if len(missing) == 1 else "are"
    install = " ".join(f"'chanreplay[{extra}]'" for extra in extras)
    raise MissingExtraError(
        f"{feature} needs {what}, which {verb} not installed: pip install {install}"
    )

"""``apply_routes``: the application test clients talk to, replaced for a while.

::

    with apply_routes([path("ws/new/", MyConsumer.as_asgi())]):
        client = WSClient()
        client.send_and_consume("websocket.connect", path="/ws/new/")

    @apply_routes(MyConsumer)
    def test_my_consumer(self): ...

``routes`` is a list of URL routes (``path()``/``re_path()`` entries, and
dicts mapping channel names to consumers for ``Client.consume``), an ASGI
application or router, or a consumer class (which then answers every path).
URL routes are wrapped in Channels' ``AuthMiddlewareStack`` so that a
client's ``login()`` reaches the consumer as it does in a typical project.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["apply_routes", "routed_application"]

F = TypeVar("F", bound=Callable[..., Any])

_stack: list[Any] = []


def routed_application() -> Any | None:
    """The application ``apply_routes`` put in place, or None."""
    return _stack[-1] if _stack else None


def _build(routes: Any) -> Any:
    from channels.auth import AuthMiddlewareStack
    from channels.consumer import AsyncConsumer
    from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter
    from django.urls import re_path

    if isinstance(routes, type) and issubclass(routes, AsyncConsumer):
        consumer: Any = routes
        routes = [re_path(r"", consumer.as_asgi())]
    if not isinstance(routes, (list, tuple)):
        if not callable(routes):
            raise TypeError(
                f"apply_routes() takes a list of routes, an ASGI application or a consumer "
                f"class, not {routes!r}"
            )
        return routes
    urls = [route for route in routes if not isinstance(route, dict)]
    channels: dict[str, Any] = {}
    for route in routes:
        if isinstance(route, dict):
            channels.update(route)
    protocols: dict[str, Any] = {}
    if urls:
        protocols["websocket"] = AuthMiddlewareStack(URLRouter(urls))
        protocols["http"] = AuthMiddlewareStack(URLRouter(urls))
    if channels:
        protocols["channel"] = ChannelNameRouter(channels)
    return ProtocolTypeRouter(protocols)


class apply_routes:
    """Replace the application test clients use, as a context manager or a decorator."""

    def __init__(self, routes: Any) -> None:
        self.application = _build(routes)

    def __enter__(self) -> Any:
        _stack.append(self.application)
        return self.application

    def __exit__(self, *exc: object) -> None:
        _stack.remove(self.application)

    @contextmanager
    def _applied(self) -> Iterator[None]:
        with self:
            yield

    def __call__(self, function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._applied():
                    return await function(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._applied():
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]

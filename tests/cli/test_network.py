"""The network commands' event loop."""

from __future__ import annotations

import asyncio

import pytest

from chanreplay.cli.network import event_loop


def test_the_network_servers_run_on_uvloop_where_it_is_installed() -> None:
    """The proxy extra brings uvloop, and the proxy and mock server run on its loop."""
    uvloop = pytest.importorskip("uvloop", reason="uvloop comes with the proxy extra")
    loop = event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
        assert loop.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
    finally:
        loop.close()

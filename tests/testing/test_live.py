"""ChannelLiveServerTestCase's channel layers: TEST_CONFIG and the initial flush, on real Redis.

The live server cannot use an in-memory database, so the test classes run in
a pytest subprocess (pytester) whose test database is a file, as in
tests/integration/test_live_server.py.
"""

from __future__ import annotations

import uuid

import pytest

from tests.integration.test_live_server import INI

START_METHOD_CONFTEST = """
import multiprocessing

multiprocessing.set_start_method({start_method!r}, force=True)
"""

LIVE_TESTS = """
import asyncio
import json
from copy import deepcopy

import redis
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.test import override_settings
from websockets.asyncio.client import connect

from chanreplay.testing import ChannelLiveServerTestCase

# Nothing listens on port 1: a layer built from CONFIG fails at its first use.
UNREACHABLE = "redis://127.0.0.1:1/0"
REDIS = "channels_redis.core.RedisChannelLayer"
CHAT_LAYERS = {
    "default": {
        "BACKEND": REDIS,
        "CONFIG": {"hosts": [UNREACHABLE], "prefix": "development"},
        "TEST_CONFIG": {"hosts": [REDIS_URL], "prefix": PREFIX + "-chat"},
    },
    "memory": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
}
FLUSH_LAYERS = {
    "default": {
        "BACKEND": REDIS,
        "CONFIG": {"hosts": [UNREACHABLE], "prefix": "development"},
        "TEST_CONFIG": {"hosts": [REDIS_URL], "prefix": PREFIX + "-flush"},
    },
    # Without TEST_CONFIG, flushed all the same.
    "plain": {"BACKEND": REDIS, "CONFIG": {"hosts": [REDIS_URL], "prefix": PREFIX + "-plain"}},
}
# Read at import, before any test: pytest-django runs the test case classes first.
BEFORE = deepcopy(settings.CHANNEL_LAYERS)
CLASS_LAYERS = []


def keys(prefix):
    return redis.Redis.from_url(REDIS_URL).keys(prefix + "*")


@override_settings(CHANNEL_LAYERS=FLUSH_LAYERS)
class FlushTests(ChannelLiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        # What an earlier run left on Redis, under the prefixes the class uses.
        for prefix in (PREFIX + "-flush", PREFIX + "-plain"):
            leftover = RedisChannelLayer(hosts=[REDIS_URL], prefix=prefix)
            async_to_sync(leftover.send)("leftover", {"type": "stale"})
            assert keys(prefix), "the leftover message is not on Redis"
        super().setUpClass()

    def test_what_was_left_on_redis_is_gone(self):
        CLASS_LAYERS.append(channel_layers["default"])
        assert keys(PREFIX + "-flush") == []
        assert keys(PREFIX + "-plain") == []


@override_settings(CHANNEL_LAYERS=CHAT_LAYERS)
class TestConfigTests(ChannelLiveServerTestCase):
    def test_the_server_and_the_test_process_use_test_config(self):
        asyncio.run(self.chat())

    async def chat(self):
        url = self.live_server_ws_url + "/ws/chat/lobby/"
        # Built from CONFIG, the server's layer fails in the consumer's group_add.
        async with connect(url, origin=self.live_server_url) as ws:
            # The server's group_add and group_send go through its layer ...
            await ws.send(json.dumps({"message": "from the browser"}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["message"] == "from the browser"
            # ... the same Redis, under the same prefix, as the test process's.
            layer = get_channel_layer()
            CLASS_LAYERS.append(layer)
            assert isinstance(layer, RedisChannelLayer)
            assert layer.prefix == PREFIX + "-chat"
            assert isinstance(channel_layers["memory"], InMemoryChannelLayer)
            await layer.group_send(
                "chat_lobby",
                {"type": "chat.message", "message": "from the test", "user": "t", "room": "lobby"},
            )
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["message"] == "from the test"


def test_after_the_classes():
    assert len(CLASS_LAYERS) == 2, "this test must run after both classes"
    assert settings.CHANNEL_LAYERS == BEFORE
    assert not any(layer in CLASS_LAYERS for layer in channel_layers.backends.values())
    assert isinstance(get_channel_layer(), InMemoryChannelLayer)
"""


@pytest.mark.redis
@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_live_server_layers_use_test_config_and_start_flushed(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    start_method: str,
) -> None:
    """TEST_CONFIG in the server (forked or spawned) and the test process; flushed; then undone."""
    import redis

    pytester.makeini(INI)
    monkeypatch.setenv("EXAMPLE_TEST_DB_PATH", str(pytester.path / "test-db.sqlite3"))
    monkeypatch.setenv("EXAMPLE_DB_PATH", str(pytester.path / "db.sqlite3"))
    monkeypatch.delenv("EXAMPLE_CHANNEL_LAYER", raising=False)
    monkeypatch.delenv("CHANREPLAY_RECORD", raising=False)
    # Unique: other runs may share this Redis.
    prefix = f"chanreplay-live-{uuid.uuid4().hex[:12]}"
    pytester.makeconftest(START_METHOD_CONFTEST.format(start_method=start_method))
    pytester.makepyfile(
        test_layers=f"REDIS_URL = {redis_url!r}\nPREFIX = {prefix!r}\n" + LIVE_TESTS
    )
    try:
        result = pytester.runpytest_subprocess("test_layers.py", "-v", timeout=300)
        result.assert_outcomes(passed=3)
    finally:
        client = redis.Redis.from_url(redis_url)
        leftover = client.keys(prefix + "*")
        if leftover:
            client.delete(*leftover)

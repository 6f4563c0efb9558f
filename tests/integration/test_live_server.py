"""ChannelLiveServerTestCase: headless Chromium on a real daphne server, recorded, then replayed.

The live server cannot use an in-memory database, so the browser test runs
in a pytest subprocess (pytester) whose test database is a file.
"""

from __future__ import annotations

import pytest

from chanreplay.cassette import load
from tests.conftest import CHROMEDRIVER, CHROMIUM
from tests.integration.test_pytest_plugin import SHOUTING
from tests.servers import EXAMPLE_PROJECT

INI = f"""
[pytest]
DJANGO_SETTINGS_MODULE = example.settings
pythonpath = {EXAMPLE_PROJECT}
addopts = -p no:cacheprovider -p no:randomly
asyncio_default_fixture_loop_scope = function
faulthandler_timeout = 120
"""

BROWSER_TEST = f"""
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from chanreplay.testing import ChannelLiveServerTestCase

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
)


class BrowserChatTests(ChannelLiveServerTestCase):
    record_cassettes = True
    cassette_dir = "cassettes"

    def browser(self):
        options = Options()
        options.binary_location = "{CHROMIUM}"
        for flag in FLAGS:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {{"browser": "ALL"}})
        driver = webdriver.Chrome(service=Service("{CHROMEDRIVER}"), options=options)
        self.addCleanup(driver.quit)
        return driver

    def test_chat(self):
        assert self.live_server_ws_url.startswith("ws://")
        driver = self.browser()
        driver.get(self.live_server_url + "/chat/lobby/")
        wait = WebDriverWait(driver, 20)
        wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-connected"))
        driver.find_element(By.ID, "message").send_keys("hello from chromium\\n")
        wait.until(lambda d: "anonymous: hello from chromium" in d.find_element(By.ID, "log").text)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], errors
"""

REPLAY_TEST = """
import pytest

@pytest.mark.django_db
def test_replay_the_browser_session(replay):
    replay("BrowserChatTests.test_chat", include=["/ws/*"])
"""


def test_a_browser_session_is_recorded_and_replays_without_a_browser(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, browser_ready: None
) -> None:
    pytester.makeini(INI)
    (pytester.path / "cassettes").mkdir()
    monkeypatch.setenv("EXAMPLE_TEST_DB_PATH", str(pytester.path / "test-db.sqlite3"))
    monkeypatch.setenv("EXAMPLE_DB_PATH", str(pytester.path / "db.sqlite3"))
    pytester.makepyfile(test_browser=BROWSER_TEST)
    result = pytester.runpytest_subprocess("test_browser.py", "-s", timeout=300)
    result.assert_outcomes(passed=1)

    path = pytester.path / "cassettes" / "BrowserChatTests.test_chat.json"
    cassette = load(path)
    chat = [c for c in cassette.connections if c.scope.get("path") == "/ws/chat/lobby/"]
    assert len(chat) == 1
    sent = [e["message"] for e in chat[0].events if e["dir"] == "in"]
    assert {
        "type": "websocket.receive",
        "text": {"$json": {"message": "hello from chromium"}},
    } in sent
    assert any(c.scope.get("path") == "/chat/lobby/" for c in cassette.connections)
    assert "sessionid" not in path.read_text()

    # The same session, replayed by a unit test: no browser, no server.
    (pytester.path / "test_browser.py").unlink(missing_ok=True)
    pytester.makepyfile(test_replay=REPLAY_TEST)
    pytester.runpytest_subprocess("test_replay.py", timeout=300).assert_outcomes(passed=1)
    # ... and it checks something: a consumer that now shouts fails it.
    pytester.makeconftest(SHOUTING)
    shouting = pytester.runpytest_subprocess("test_replay.py", timeout=300)
    shouting.assert_outcomes(failed=1)
    shouting.stdout.fnmatch_lines(["*HELLO FROM CHROMIUM*"])

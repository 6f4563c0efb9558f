"""Fixtures shared by the whole suite: Redis, a browser, and real runserver processes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.servers import EXAMPLE_PROJECT, ServerFactory

pytest_plugins = ("pytester",)


def _redis_reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server tests use; skipped without one, except under CI where it must exist."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if not _redis_reachable(url):
        reason = (
            f"no Redis server at {url}: start one (redis-server --port 6379) "
            "or point REDIS_URL at one"
        )
        _missing("Redis", reason)
    return url


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser_ready() -> None:
    """Debian's Chromium, its driver and Selenium; skipped without them, except under CI."""
    import importlib.util

    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if importlib.util.find_spec("selenium") is None:
        missing.append("the selenium package")
    if missing:
        _missing(
            "a browser",
            f"browser tests need {', '.join(missing)}: apt-get install chromium "
            "chromium-driver, and pip install -e '.[test]'",
        )


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
)


@pytest.fixture
def browser(browser_ready: None) -> Iterator[Any]:
    """Headless Chromium driven by Selenium, its console log kept."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _missing(what: str, reason: str) -> None:
    """Skip the test for want of ``what``; under CI, where everything must be there, fail it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI requires {what}: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated example-project database with user alice, copied by each server test."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    env = {**os.environ, "EXAMPLE_DB_PATH": str(path)}
    env.pop("CHANREPLAY_RECORD", None)
    for command in (["migrate", "-v0"], ["ensure_user", "alice", "wonderland-secret-1"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=EXAMPLE_PROJECT,
            env=env,
            check=True,
            capture_output=True,
        )
    return path


@pytest.fixture
def servers(template_db: Path, tmp_path: Path) -> Iterator[ServerFactory]:
    """Start real runserver/daphne processes of the example project; all stopped at the end."""
    database = tmp_path / "db.sqlite3"
    shutil.copy(template_db, database)
    factory = ServerFactory(database=database, cassette_dir=tmp_path / "cassettes")
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def fresh_servers(
    template_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], ServerFactory]]:
    """Make further server factories, each with its own fresh database and cassette dir."""
    made: list[ServerFactory] = []

    def make() -> ServerFactory:
        root = tmp_path_factory.mktemp("fresh")
        shutil.copy(template_db, root / "db.sqlite3")
        factory = ServerFactory(database=root / "db.sqlite3", cassette_dir=root / "cassettes")
        made.append(factory)
        return factory

    try:
        yield make
    finally:
        for factory in made:
            factory.stop_all()

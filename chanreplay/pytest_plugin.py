"""The pytest plugin: the ``replay`` fixture, the ``chanreplay`` marker, cassettes as tests.

Registered through the ``pytest11`` entry point, so installing chanreplay is
enough. With pytest-django::

    def test_chat(replay, django_user_model):
        django_user_model.objects.create_user("alice")
        replay("chat", include=["/ws/chat/*"])

    @pytest.mark.chanreplay("chat", include=["/ws/chat/*"])
    def test_chat_again(django_user_model):
        django_user_model.objects.create_user("alice")   # the replay follows the test body

    async def test_chat_async(replay):                    # needs django_db(transaction=True)
        await replay.areplay("chat")

Options: ``--chanreplay-cassettes DIR`` makes every cassette in DIR a test of
its own; ``--chanreplay-update`` (or ``CHANREPLAY_UPDATE=1``) rewrites the
cassettes whose replay differs with what the application does now. The
``chanreplay_config`` fixture (override it in a conftest) gives the options
every replay of its scope starts from (``secrets``, ``exclude``, ...).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CassetteItem", "Replay"]

_MARKER = "chanreplay"
_UPDATED_KEY = "chanreplay_updated"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chanreplay", "replaying Django Channels cassettes")
    group.addoption(
        "--chanreplay-cassettes",
        action="append",
        default=[],
        metavar="DIR",
        help="collect every cassette (*.json) in DIR as a test of its own (repeatable)",
    )
    group.addoption(
        "--chanreplay-record-mode",
        default=None,
        choices=("none", "once", "new_episodes", "all"),
        help="what becomes of the traffic tests drive through chanreplay_app: compare with "
        "the cassette (none, the default and the only mode under CI=true), record missing "
        "cassettes (once), append new connections (new_episodes), or always re-record (all)",
    )
    group.addoption(
        "--chanreplay-update",
        action="store_true",
        default=False,
        help="rewrite each cassette whose replay differs with what the application did "
        "(same as CHANREPLAY_UPDATE=1; refused under CI=true)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(name, **options): replay cassette NAME after the test body "
        "(options as for the replay fixture)",
    )
    if config.getoption("chanreplay_update"):
        from chanreplay.replay.update import ENV_UPDATE

        os.environ[ENV_UPDATE] = "1"
    config.stash[_updated] = []
    _add_cassette_directories(config)
    from chanreplay.replay.update import UPDATE_LISTENERS

    UPDATE_LISTENERS.append(_Listener(config))


_updated = pytest.StashKey[list[str]]()


class _Listener:
    """Notes each rewritten cassette on the test that rewrote it (reports carry it to xdist)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.item: pytest.Item | None = None

    def __call__(self, path: Path) -> None:
        if self.item is not None:
            self.item.user_properties.append((_UPDATED_KEY, str(path)))


def _listener(config: pytest.Config) -> _Listener | None:
    from chanreplay.replay.update import UPDATE_LISTENERS

    for listener in UPDATE_LISTENERS:
        if isinstance(listener, _Listener) and listener.config is config:
            return listener
    return None


def pytest_unconfigure(config: pytest.Config) -> None:
    from chanreplay.replay.update import UPDATE_LISTENERS

    listener = _listener(config)
    if listener is not None:
        UPDATE_LISTENERS.remove(listener)


class Replay:
    """The ``replay`` fixture: ``replay(name, **options)``, ``await replay.areplay(...)``.

    Options left out come from the ``chanreplay`` marker and then from the
    ``chanreplay_config`` fixture; the name may come from the marker.
    """

    def __init__(self, defaults: dict[str, Any], name: str | None) -> None:
        self.defaults = defaults
        self.name = name
        self.replayed = False

    def _arguments(
        self, name: str | Path | None, options: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        chosen = name if name is not None else self.name
        if chosen is None:
            raise TypeError(
                "replay() needs a cassette name, or a @pytest.mark.chanreplay('NAME') on the test"
            )
        self.replayed = True
        return chosen, {**self.defaults, **options}

    def __call__(self, name: str | Path | None = None, **options: Any) -> Any:
        """Replay cassette ``name``; fail the test with a report on a mismatch."""
        from chanreplay.exceptions import ChanreplayError
        from chanreplay.testing.replay import ReplayMismatch, replay_cassette, without_internals

        __tracebackhide__ = True
        chosen, merged = self._arguments(name, options)
        try:
            return replay_cassette(chosen, **merged)
        except (ReplayMismatch, ChanreplayError) as failure:
            raise without_internals(failure) from None

    async def areplay(self, name: str | Path | None = None, **options: Any) -> Any:
        """:meth:`__call__` for async tests."""
        from chanreplay.exceptions import ChanreplayError
        from chanreplay.testing.replay import ReplayMismatch, areplay_cassette, without_internals

        __tracebackhide__ = True
        chosen, merged = self._arguments(name, options)
        try:
            return await areplay_cassette(chosen, **merged)
        except (ReplayMismatch, ChanreplayError) as failure:
            raise without_internals(failure) from None


@pytest.fixture
def chanreplay_config() -> dict[str, Any]:
    """Options every replay in its scope starts from; override it in a conftest."""
    return {}


def _marker(node: pytest.Item) -> tuple[str | None, dict[str, Any]]:
    marker = node.get_closest_marker(_MARKER)
    if marker is None:
        return None, {}
    if len(marker.args) != 1:
        raise pytest.UsageError(
            f"{node.nodeid}: @pytest.mark.{_MARKER} takes one cassette name, "
            f"as in @pytest.mark.{_MARKER}('chat', include=['/ws/chat/*'])"
        )
    return str(marker.args[0]), dict(marker.kwargs)


def _needs_database(request: pytest.FixtureRequest) -> None:
    """Let the replay use the test database (users, sessions) under pytest-django."""
    if not request.config.pluginmanager.hasplugin("django"):
        return
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        return
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    _fresh_ids()


@pytest.fixture
def replay(
    request: pytest.FixtureRequest,
    chanreplay_config: dict[str, Any],
    _chanreplay_marked: Replay | None,
) -> Replay:
    """Replays cassettes in a test: ``replay("chat")`` (see :class:`Replay`)."""
    if _chanreplay_marked is not None:
        return _chanreplay_marked  # calling it counts as the marked replay
    _needs_database(request)
    return Replay(dict(chanreplay_config), None)


def _fresh_ids() -> None:
    """Let the rows the test body makes get the ids a fresh database gives (see ReplayTestCase)."""
    from chanreplay.replay.sequences import reset_sequences

    reset_sequences()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    listener = _listener(item.config)
    if listener is not None:
        listener.item = item
    try:
        result = yield
        funcargs = item.funcargs if isinstance(item, pytest.Function) else {}
        marked = funcargs.get("_chanreplay_marked")
        if isinstance(marked, Replay) and not marked.replayed:
            marked()  # the marked cassette replays after the test body
        captured = funcargs.get("chanreplay_app")
        if isinstance(captured, _Captured):
            captured.settle()  # the test's own traffic against its cassette
        return result
    finally:
        if listener is not None:
            listener.item = None


@pytest.fixture(autouse=True)
def _chanreplay_marked(
    request: pytest.FixtureRequest, chanreplay_config: dict[str, Any]
) -> Replay | None:
    """For a test with the ``chanreplay`` marker: what it replays after its body."""
    name, options = _marker(request.node)
    if name is None or "chanreplay_app" in request.fixturenames:
        return None  # with chanreplay_app, the marker names where the test's traffic goes
    _needs_database(request)
    return Replay({**chanreplay_config, **options}, name)


_REPLAYING_FIXTURES = frozenset({"replay", "chanreplay_app"})


def _replays(item: pytest.Item) -> bool:
    """True for a test that replays or records (it needs the test database)."""
    names = getattr(item, "fixturenames", ())
    return (
        isinstance(item, CassetteItem)
        or bool(_REPLAYING_FIXTURES.intersection(names))
        or item.get_closest_marker(_MARKER) is not None
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Give every replaying test pytest-django's database marker, before it plans the databases.

    pytest-django creates the test databases the collected tests declare (a
    ``db`` fixture, a ``django_db`` marker); a fixture that asks for ``db``
    only when it runs comes too late, and the replay would use the
    development database.
    """
    if not config.pluginmanager.hasplugin("django"):
        return
    for item in items:
        if _replays(item) and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Under ``CI=true`` a replay that was skipped fails: CI must never pass without replaying."""
    report: pytest.TestReport = yield
    if report.skipped and os.environ.get("CI") == "true" and _replays(item):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"a replay was skipped under CI=true, where every replay must run: {reason}"
        )
    return report


def pytest_sessionstart(session: pytest.Session) -> None:
    """Collected cassettes need the project's Django settings: an error that names the fix."""
    config = session.config
    directories = config.getoption("chanreplay_cassettes")
    if not directories:
        return
    from django.conf import settings

    if settings.configured:
        return
    invocation = config.invocation_params.dir
    local = [
        name
        for name in ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
        if (invocation / name).exists()
    ]
    option = f"--chanreplay-cassettes {' '.join(directories)}"
    if config.inipath is None and local:
        # pytest reads `--chanreplay-cassettes DIR` as an option and a path before
        # it knows the option: a path outside the project moves its rootdir away
        # from the project's configuration.
        raise pytest.UsageError(
            f"{option}: pytest did not read {invocation / local[0]}, so Django's settings "
            f"are not configured: it took {config.rootpath} as its rootdir, because "
            f"{directories[0]} lies outside {invocation}; write the option as "
            f"--chanreplay-cassettes={directories[0]}, or pass -c {local[0]}"
        )
    raise pytest.UsageError(
        f"{option}: Django's settings are not configured, and cassettes replay against your "
        "Django project; set DJANGO_SETTINGS_MODULE (in pytest.ini: [pytest] "
        "DJANGO_SETTINGS_MODULE = mysite.settings, or --ds mysite.settings)"
    )


_cassette_dirs = pytest.StashKey[list[Path]]()


def _add_cassette_directories(config: pytest.Config) -> None:
    """Make the ``--chanreplay-cassettes`` directories part of what pytest collects."""
    directories = config.getoption("chanreplay_cassettes")
    if directories and not config.pluginmanager.hasplugin("django"):
        raise pytest.UsageError(
            "--chanreplay-cassettes needs pytest-django (pip install pytest-django) and "
            "DJANGO_SETTINGS_MODULE: cassettes replay against your Django project"
        )
    roots = []
    for directory in directories:
        root = Path(directory)
        if not root.is_dir():
            raise pytest.UsageError(
                f"--chanreplay-cassettes {directory}: no such directory (relative to {Path.cwd()})"
            )
        roots.append(root.resolve())
        if directory not in config.args:
            config.args.append(directory)
    config.stash[_cassette_dirs] = roots


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    roots = parent.config.stash.get(_cassette_dirs, [])
    # A hidden file beside the cassettes (the values a recording keeps for
    # reading, .NAME.values.json) is no cassette.
    if (
        file_path.suffix == ".json"
        and not file_path.name.startswith(".")
        and file_path.parent.resolve() in roots
    ):
        collected: pytest.Collector = CassetteFile.from_parent(parent, path=file_path)
        return collected
    return None


class CassetteFile(pytest.File):
    """A cassette collected by ``--chanreplay-cassettes``: one test item."""

    def collect(self) -> Iterator[CassetteItem]:
        yield CassetteItem.from_parent(self, name=self.path.stem, callobj=_replay_collected)


class CassetteItem(pytest.Function):
    """Replays one collected cassette, creating the users it names if they are missing."""

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"cassette {self.path.name}"


def _replay_collected(
    request: pytest.FixtureRequest, chanreplay_config: dict[str, Any], db: None
) -> None:
    """The body of a collected cassette's test (in pytest-django's test database)."""
    from chanreplay.testing.replay import ReplayMismatch, replay_creating_users

    path = Path(request.node.path)
    options = dict(chanreplay_config)
    given = request.config.stash.get(SECRETS, {})  # chanreplay verify --secret
    if given:
        options["secrets"] = {**given, **(options.get("secrets") or {})}
    # "Record a session, drop the file in": the users it names are created,
    # with the password the secrets give, if any.
    password = (options.get("secrets") or {}).get("password")
    try:
        replay_creating_users(path, password, **options)
    except ReplayMismatch as mismatch:
        from chanreplay.diff.report import summary

        result = mismatch.result
        differing = [c.connection.describe() for c in result.diff.connections]
        if result.diff.external:
            differing.append("external events")
        request.node.user_properties.append((DIFFERING_KEY, differing))
        reason = summary(result.diff).partition(": ")[2] if not result.diff.equal else ""
        if result.stalled:
            reason = f"{reason}; stalled" if reason else f"stalled: it {result.stalled}"
        request.node.user_properties.append((REASON_KEY, reason))
        raise


SECRETS = pytest.StashKey[dict[str, Any]]()
"""Values for redacted secrets given on the command line (``chanreplay verify``)."""
DIFFERING_KEY = "chanreplay_differing"
"""A collected cassette's report property: the connections whose replay differed."""
REASON_KEY = "chanreplay_reason"
"""A collected cassette's report property: how its replay differed, in a few words."""


_CAPTURE_OPTIONS = frozenset({"directory", "application", "matchers", "ignore", "record_mode"})


class _Captured:
    """What ``chanreplay_app`` hands a test: the recorded application, and where it goes."""

    def __init__(self, item: pytest.Item, session: Any, path: Path, mode: str, rules: Any) -> None:
        self.item = item
        self.session = session
        self.path = path
        self.mode = mode
        self.rules = rules

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.session(scope, receive, send)

    def settle(self) -> None:
        from chanreplay.diff import render_text
        from chanreplay.replay.capture import settle
        from chanreplay.replay.update import notify_updated, update_requested

        outcome = settle(
            self.path,
            self.session.cassette(),
            self.mode,
            update=update_requested(),
            rules=self.rules,
        )
        if outcome.wrote:
            notify_updated(self.path)
        if outcome.failed:
            assert outcome.diff is not None
            title = f"what {self.item.name} made the application do does not match {self.path}"
            raise AssertionError(
                render_text(outcome.diff, title=title)
                + "\n(if the change is intended: --chanreplay-update rewrites the cassette)"
            )


@pytest.fixture
def chanreplay_app(
    request: pytest.FixtureRequest, chanreplay_config: dict[str, Any]
) -> Iterator[_Captured]:
    """The project's ASGI application, recorded: what the test makes it do is checked.

    After the test body, the traffic is compared with the cassette the
    ``chanreplay`` marker names (default: the test's name), or recorded into
    it, as ``--chanreplay-record-mode`` (or the marker's ``record_mode``) says.
    """
    from chanreplay.diff import Rules
    from chanreplay.recorder.activation import build_recording
    from chanreplay.replay.capture import CapturedSession, effective_mode
    from chanreplay.testing.replay import cassette_path, resolve_application

    _needs_database(request)
    name, options = _marker(request.node)
    unknown = set(options) - _CAPTURE_OPTIONS
    if unknown:
        raise pytest.UsageError(
            f"{request.node.nodeid}: the chanreplay marker of a test using chanreplay_app "
            f"takes {', '.join(sorted(_CAPTURE_OPTIONS))}, not {', '.join(sorted(unknown))}"
        )
    merged = {**chanreplay_config, **options}
    mode = effective_mode(
        merged.get("record_mode") or request.config.getoption("chanreplay_record_mode") or "none"
    )
    path = cassette_path(name or _test_name(request.node), merged.get("directory"))
    application = resolve_application(merged.get("application"))
    recording = build_recording("capture", finalize=False)
    recording.bind = _binds(path, mode)
    session = CapturedSession(application, recording)
    rules = Rules.build(merged.get("ignore", ()), merged.get("matchers"))
    session.start()
    from chanreplay.testing.routes import apply_routes

    try:
        with apply_routes(session):  # test clients talk to the recorded application
            yield _Captured(request.node, session, path, mode, rules)
    finally:
        session.stop()


@pytest.fixture
def captive_layer_aliases() -> list[str]:
    """The channel layer aliases ``captive_layers`` replaces; override it in a conftest."""
    return ["default"]


@pytest.fixture
def captive_layers(captive_layer_aliases: list[str]) -> Iterator[Any]:
    """Captive in-memory channel layers for one test, as a ``ChannelTestCase`` has.

    Each alias in ``captive_layer_aliases`` is replaced, empty, for the test:
    no Redis is needed, nothing leaks between tests, and the test clients
    (``WSClient``, ``Client``) can see when the consumers are done. Gives a
    :class:`chanreplay.testing.channels.CaptiveLayers` (``get_next_message``).
    """
    from chanreplay.replay.captive import swapped_layers
    from chanreplay.testing.channels import CaptiveLayers
    from chanreplay.testing.loop import close_consumer_loop

    with swapped_layers(captive_layer_aliases) as layers:
        try:
            yield CaptiveLayers(layers)
        finally:
            # Before the layers go: consumers still running would use the real ones.
            close_consumer_loop()


@pytest.fixture(autouse=True)
def _chanreplay_consumer_loop() -> Iterator[None]:
    """Stop the consumers a test's WSClient or HttpClient left running."""
    yield
    from chanreplay.testing.loop import close_consumer_loop

    close_consumer_loop()


def _binds(path: Path, mode: str) -> bool:
    """Whether a test's own traffic names server-made values: as its cassette does.

    A cassette older than bindings holds every value as recorded; compared
    with it, or appended to, the traffic must be too.
    """
    from chanreplay.cassette import load
    from chanreplay.exceptions import ChanreplayError

    if mode == "all" or not path.exists():
        return True
    try:
        return load(path).binds
    except ChanreplayError:
        return True  # settling reports what is wrong with it


def _test_name(node: pytest.Item) -> str:
    """A cassette name from a test's name: ``test_chat[lobby]`` -> ``test_chat-lobby``."""
    return "".join(c if c.isalnum() or c in "_-." else "-" for c in node.name).strip("-")


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> None:
    if report.when == "call":
        for key, value in report.user_properties:
            if key == _UPDATED_KEY:
                config.stash[_updated].append(str(value))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    found: list[str] = config.stash.get(_updated, [])
    updated = sorted(set(found))
    if updated:
        terminalreporter.section("chanreplay")
        terminalreporter.write_line(f"updated {len(updated)} cassette(s) to what the app does now:")
        for path in updated:
            terminalreporter.write_line(f"  {path}")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Under pytest-xdist, in the controller: add a worker's used cassettes to ours."""
    from chanreplay.replay.usage import USED

    USED.update(getattr(node, "workeroutput", {}).get("chanreplay_used", ()))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remember which cassettes the run used (``chanreplay lint`` reports the others)."""
    from chanreplay.replay.usage import CACHE_KEY, USED

    config = session.config
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller stores them
        workeroutput["chanreplay_used"] = sorted(USED)
    elif getattr(config, "cache", None) is not None and USED:  # absent with -p no:cacheprovider
        # A run that replayed nothing (a unit-test subset) keeps the last record.
        config.cache.set(CACHE_KEY, sorted(USED))

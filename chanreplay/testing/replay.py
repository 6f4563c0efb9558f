"""``ReplayMixin`` and the Django test cases that replay cassettes.

::

    from chanreplay.testing import ReplayTestCase

    class ChatTests(ReplayTestCase):
        def test_chat_session(self):
            self.replay("chat")            # cassettes/chat.json

``replay()`` raises ``AssertionError`` with a report when the application
does not do what the cassette recorded; ``await self.areplay(...)`` is the
same for async test methods.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async

from chanreplay.cassette import Cassette, load
from chanreplay.cassette.model import Connection
from chanreplay.diff import Rules, render_text
from chanreplay.exceptions import ConfigurationError, ReplayError
from chanreplay.replay.driver import DEFAULT_TIMEOUT, Replayer, ReplayResult
from chanreplay.replay.plan import build_plan
from chanreplay.replay.update import notify_updated, update_requested, write_update
from chanreplay.testing.channels import ChannelTestCase, ChannelTransactionTestCase

__all__ = [
    "ReplayMixin",
    "ReplayTestCase",
    "ReplayTransactionTestCase",
    "areplay_cassette",
    "cassette_path",
    "create_missing_users",
    "database_kept_open",
    "replay_cassette",
]


def cassette_path(name: str | Path, directory: str | Path | None = None) -> Path:
    """Where cassette ``name`` is: a path as given, or ``NAME.json`` in the cassette directory."""
    from chanreplay.replay.usage import note

    candidate = Path(name)
    if candidate.suffix != ".json" and len(candidate.parts) == 1:
        from chanreplay.recorder.activation import cassette_dir

        candidate = cassette_dir(directory) / f"{name}.json"
    note(candidate)  # for chanreplay lint: this cassette is used
    return candidate


def resolve_application(application: Any) -> Any:
    """The application to run: the one given, ``apply_routes``' one, or ``ASGI_APPLICATION``."""
    if application is not None:
        return application
    from chanreplay.testing.routes import routed_application

    routed = routed_application()
    if routed is not None:
        return routed
    from django.conf import settings
    from django.utils.module_loading import import_string

    dotted = getattr(settings, "ASGI_APPLICATION", None)
    if not dotted:
        raise ConfigurationError(
            "no application to replay against: set ASGI_APPLICATION in your settings, "
            "or pass application= to replay()"
        )
    return import_string(dotted)


def login_users(
    cassette: Cassette, include: Iterable[str], exclude: Iterable[str]
) -> dict[str, str]:
    """Log in every user the replayed connections name; their session keys by username.

    Runs synchronously (it uses the database), in the test's own thread so
    that the sessions live in the test's transaction.
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    names = _usernames(build_plan(cassette, include, exclude).connections)
    model = get_user_model()
    sessions = {}
    for name in sorted(names):
        try:
            user = model._default_manager.get_by_natural_key(name)
        except model.DoesNotExist:
            raise ReplayError(
                f"{cassette.path or 'the cassette'} replays connections of user {name!r}, "
                "who does not exist in the test database; create the user first (in setUp, "
                f"setUpTestData or a fixture), for example "
                f"get_user_model().objects.create_user({model.USERNAME_FIELD}={name!r})"
            ) from None
        client = Client()
        client.force_login(user)
        sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


def create_missing_users(cassette: Cassette, password: str | None = None) -> list[str]:
    """Create the users ``cassette`` names that do not exist; their names.

    They get ``password`` (so a recorded login form can log them in again),
    or an unusable one.
    """
    from django.contrib.auth import get_user_model

    model = get_user_model()
    created = []
    for name in sorted(_usernames(cassette.connections)):
        if not model._default_manager.filter(**{model.USERNAME_FIELD: name}).exists():
            user = model(**{model.USERNAME_FIELD: name})
            user.set_password(password)  # None makes it unusable
            user.save()
            created.append(name)
    return created


def _usernames(connections: Iterable[Connection]) -> set[str]:
    return {
        str(c.user["username"])
        for c in connections
        if isinstance(c.user, dict) and c.user.get("username")
    }


@contextlib.contextmanager
def database_kept_open() -> Iterator[None]:
    """Keep Django and Channels from closing the test's database connection mid-replay.

    Both close "old" connections around each request and each
    ``database_sync_to_async`` call; inside a ``TestCase`` that would end the
    test's transaction. Django's own test clients switch this off the same way.
    """
    import channels.db
    from django.core import signals
    from django.db import close_old_connections

    original = channels.db.close_old_connections
    channels.db.close_old_connections = lambda **kwargs: None
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        channels.db.close_old_connections = original
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


OPTIONS = (
    "directory",
    "application",
    "include",
    "exclude",
    "matchers",
    "ignore",
    "timeout",
    "secrets",
)
"""The keyword options of a replay."""


def _check_options(options: Mapping[str, Any]) -> None:
    for option in options:
        if option not in OPTIONS:
            close = difflib.get_close_matches(option, OPTIONS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ConfigurationError(
                f"unknown replay option {option!r}: {hint}the options are {', '.join(OPTIONS)}"
            )


class _Call:
    """One replay's arguments, resolved."""

    def __init__(
        self,
        name: str | Path,
        *,
        directory: str | Path | None = None,
        application: Any = None,
        include: Iterable[str] | str = (),
        exclude: Iterable[str] | str = (),
        matchers: Mapping[str, Any] | None = None,
        ignore: Iterable[str] | str = (),
        timeout: float | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.path = cassette_path(name, directory)
        self.cassette = load(self.path)
        self.application = resolve_application(application)
        self.include = (include,) if isinstance(include, str) else tuple(include)
        self.exclude = (exclude,) if isinstance(exclude, str) else tuple(exclude)
        try:
            self.rules = Rules.build(ignore, matchers)
        except (ValueError, TypeError) as error:
            raise ConfigurationError(f"replay({str(name)!r}): {error}") from None
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.secrets = secrets
        self.update = update_requested()

    def replayer(self, sessions: Mapping[str, str]) -> Replayer:
        from chanreplay.recorder.activation import build_recording

        return Replayer(
            self.cassette,
            self.application,
            include=self.include,
            exclude=self.exclude,
            rules=self.rules,
            timeout=self.timeout,
            secrets=self.secrets,
            sessions=sessions,
            recording=build_recording("replay", finalize=False),
            keep_going=self.update,
        )

    def check(self, result: ReplayResult) -> ReplayResult:
        """Raise the report of a replay that did not match, unless updating was asked for."""
        if result.passed:
            return result
        if self.update:
            write_update(self.path, self.cassette, result)
            notify_updated(self.path)
            return result
        raise ReplayMismatch(result)


class ReplayMismatch(AssertionError):
    """A replay that did not match: the report is the message, the result is kept."""

    def __init__(self, result: ReplayResult) -> None:
        super().__init__(report(result))
        self.result = result


def report(result: ReplayResult) -> str:
    """The failure report of a replay that did not match."""
    where = result.expected.path or "the cassette"
    title = f"replay of {where} does not match what the application did"
    text = render_text(result.diff, title=title)
    if result.stalled:
        text += f"\nthe replay stopped early: it {result.stalled}"
    return text


def replay_cassette(name: str | Path, **options: Any) -> ReplayResult:
    """Replay cassette ``name`` from synchronous code; raise AssertionError on a mismatch.

    Options (keyword-only): ``directory`` (where names are looked up),
    ``application`` (default: ``settings.ASGI_APPLICATION``), ``include`` /
    ``exclude`` (connection types or path globs), ``matchers`` ({path:
    matcher}), ``ignore`` (paths), ``timeout`` (seconds to wait for each
    expected event), ``secrets`` ({field name: value} for redacted values).
    """
    _check_options(options)
    call = _Call(name, **options)
    sessions = login_users(call.cassette, call.include, call.exclude)
    with database_kept_open():
        result = async_to_sync(call.replayer(sessions).run)()
    return call.check(result)


async def areplay_cassette(name: str | Path, **options: Any) -> ReplayResult:
    """:func:`replay_cassette` for async code (same options)."""
    _check_options(options)
    call = _Call(name, **options)
    sessions = await sync_to_async(login_users)(call.cassette, call.include, call.exclude)
    with database_kept_open():
        result = await call.replayer(sessions).run()
    return call.check(result)


class ReplayMixin:
    """Adds ``replay()`` and ``areplay()`` to a test case class.

    ``cassette_dir`` (class attribute) overrides where cassette names are
    looked up; by default the ``CHANREPLAY['CASSETTE_DIR']`` setting, or
    ``./cassettes``.
    """

    cassette_dir: str | Path | None = None

    def replay(self, name: str | Path, **options: Any) -> ReplayResult:
        """Replay cassette ``name``; raise AssertionError with a report on a mismatch.

        Options: ``application``, ``include``, ``exclude``, ``matchers``,
        ``ignore``, ``timeout``, ``secrets`` (see the docs).
        """
        options.setdefault("directory", self.cassette_dir)
        return replay_cassette(name, **options)

    async def areplay(self, name: str | Path, **options: Any) -> ReplayResult:
        """:meth:`replay` for async test methods."""
        options.setdefault("directory", self.cassette_dir)
        return await areplay_cassette(name, **options)


class ReplayTestCase(ReplayMixin, ChannelTestCase):
    """A :class:`ChannelTestCase` that replays cassettes (each test in a transaction)."""


class ReplayTransactionTestCase(ReplayMixin, ChannelTransactionTestCase):
    """A :class:`ChannelTransactionTestCase` that replays cassettes."""

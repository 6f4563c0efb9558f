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
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from asgiref.sync import async_to_sync, sync_to_async

from chanreplay.cassette import Cassette, load
from chanreplay.cassette.asgi import check_messages
from chanreplay.cassette.model import Connection
from chanreplay.diff import Rules, render_text
from chanreplay.exceptions import (
    CassetteNotFoundError,
    ChanreplayError,
    ConfigurationError,
    ReplayError,
)
from chanreplay.replay.driver import DEFAULT_TIMEOUT, Replayer, ReplayResult
from chanreplay.replay.secrets import EVERYONE, SecretValues
from chanreplay.replay.sequences import reset_sequences
from chanreplay.replay.transactions import CommitEmulation, emulated_commits
from chanreplay.replay.update import notify_updated, update_requested, write_update
from chanreplay.replay.users import assumed_users
from chanreplay.testing.channels import ChannelTestCase, ChannelTransactionTestCase

__all__ = [
    "Logins",
    "ReplayMixin",
    "ReplayTestCase",
    "ReplayTransactionTestCase",
    "areplay_cassette",
    "cassette_path",
    "database_kept_open",
    "replay_cassette",
    "replay_creating_users",
]


def cassette_path(name: str | Path, directory: str | Path | None = None) -> Path:
    """Where cassette ``name`` is: a path as given, or ``NAME.json`` in the cassette directory."""
    from chanreplay.replay.usage import note

    candidate = Path(name)
    if candidate.suffix != ".json" and len(candidate.parts) == 1:
        from chanreplay.recorder.activation import cassette_dir

        candidate = cassette_dir(directory) / f"{name}.json"
    candidate = _in_the_project(candidate)
    note(candidate)  # for chanreplay lint: this cassette is used
    return candidate


def _in_the_project(path: Path) -> Path:
    """``path`` as found: a relative one is looked up from the project's root first
    (``settings.BASE_DIR``, or where ``manage.py`` is), where ``runserver --record``
    wrote it, whatever directory the tests run from; then from the current directory
    (a project without ``BASE_DIR``, run from its root)."""
    if path.is_absolute():
        return path
    for root in _project_roots():
        if (root / path).exists():
            return root / path
    return path  # from the current directory: found there, to be recorded there, or missing


def load_cassette(path: Path) -> Cassette:
    """The cassette at ``path`` (from :func:`cassette_path`); a missing one's error names
    every place a relative path was looked up in."""
    try:
        return load(path)
    except CassetteNotFoundError as error:
        if path.is_absolute():
            raise
        roots = [*_project_roots(), Path.cwd()]
        looked = ", ".join(dict.fromkeys(str(root) for root in roots))
        raise CassetteNotFoundError(
            path, f"no such cassette (looked in {looked})", fix=error.fix
        ) from None


def _project_roots() -> list[Path]:
    """Where a project's ``cassettes/`` lives: ``BASE_DIR``, and ``manage.py``'s folder."""
    from django.conf import settings

    roots = []
    base = getattr(settings, "BASE_DIR", None)
    if base:
        roots.append(Path(base))
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "manage.py":
        roots.append(script.resolve().parent)
    return roots


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


class Logins:
    """Logs in the users a replay's connections were recorded for, as each connection opens.

    A user is looked up when the first connection recorded for them opens,
    not before the replay: a user the session itself creates (a sign-up
    view, a demo login that makes accounts) exists by then. Each user gets
    one session for the whole replay. The database work runs in the test's
    own thread, so the sessions live in the test's transaction.

    ``create``: make a user who does not exist when needed (collected
    cassettes, ``--chanreplay-cassettes``), with ``password`` (None: an
    unusable one), instead of failing.
    """

    def __init__(
        self,
        cassette: Cassette,
        *,
        create: bool = False,
        password: str | Mapping[str, str] | None = None,
    ) -> None:
        self.cassette = cassette
        self.create = create
        self.password = password
        self.sessions: dict[str, str] = {}

    async def __call__(self, connection: Connection) -> str:
        """The session key of the user ``connection`` was recorded for, logged in."""
        name = connection.username
        assert name is not None
        if name not in self.sessions:
            self.sessions[name] = await sync_to_async(self.login)(name, connection)
        return self.sessions[name]

    def create_assumed(self) -> list[str]:
        """Create (synchronously) the users the session assumed who do not exist; their names.

        Users a form of the session signs up are left to it (see
        :mod:`chanreplay.replay.users`).
        """
        from django.contrib.auth import get_user_model

        model = get_user_model()
        created = []
        for name in assumed_users(self.cassette):
            if not model._default_manager.filter(**{model.USERNAME_FIELD: name}).exists():
                self._create(name)
                created.append(name)
        return created

    def _create(self, name: str) -> Any:
        from django.contrib.auth import get_user_model

        model = get_user_model()
        user = model(**{model.USERNAME_FIELD: name})
        password = self.password
        if isinstance(password, Mapping):  # one per user, "*" for the others
            password = password.get(name, password.get(EVERYONE))
        user.set_password(password)  # None makes it unusable
        user.save()
        return user

    def login(self, name: str, connection: Connection | None = None) -> str:
        """Log ``name`` in (synchronously); the session key."""
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        model = get_user_model()
        try:
            user = model._default_manager.get_by_natural_key(name)
        except model.DoesNotExist:
            if not self.create:
                raise ReplayError(self._missing(name, connection)) from None
            user = self._create(name)
        client = Client()
        client.force_login(user)
        key: str = client.cookies[settings.SESSION_COOKIE_NAME].value
        return key

    def _missing(self, name: str, connection: Connection | None) -> str:
        from django.contrib.auth import get_user_model

        field = get_user_model().USERNAME_FIELD
        where = self.cassette.path or "the cassette"
        when = (
            f" when connection {connection.describe()} opens (step {connection.step})"
            if connection is not None
            else ""
        )
        return (
            f"{where} replays connections of user {name!r}, who does not exist in the test "
            f"database{when}; create the user first (in setUp, setUpTestData or a fixture), "
            f"for example get_user_model().objects.create_user({field}={name!r}) (a user the "
            "session signs up itself needs nothing: the request that creates it is replayed "
            "first)"
        )


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

    from chanreplay.replay.speedups import connections_kept

    original = channels.db.close_old_connections
    channels.db.close_old_connections = connections_kept
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
        secrets: SecretValues | None = None,
    ) -> None:
        self.path = cassette_path(name, directory)
        self.cassette = load_cassette(self.path)
        check_messages(self.cassette, self.path)
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

    def replayer(self, logins: Logins) -> Replayer:
        from chanreplay.recorder.activation import build_recording

        return Replayer(
            self.cassette,
            self.application,
            include=self.include,
            exclude=self.exclude,
            rules=self.rules,
            timeout=self.timeout,
            secrets=self.secrets,
            users=logins,
            recording=build_recording("replay", finalize=False),
        )

    def check(self, result: ReplayResult) -> ReplayResult:
        """Raise the report of a replay that did not match, unless updating was asked for.

        Update mode writes only what a replay that ran to its end found: a
        stalled replay, or one where the application raised where the
        cassette has no error, fails as it would without updating, and the
        cassette is left as it was.
        """
        if result.passed:
            return result
        if self.update:
            refused = update_refusal(result)
            if refused is None:
                write_update(self.path, self.cassette, result)
                notify_updated(self.path)
                return result
            raise ReplayMismatch(result, refused)
        raise ReplayMismatch(result)


def update_refusal(result: ReplayResult) -> str | None:
    """Why update mode must not write ``result`` over its cassette, or None when it may."""
    if result.stalled:
        return (
            "not updated: the replay stalled, so the events it waited for may be missing "
            "because the replay could not go on, not because the application changed; fix "
            "what stopped it, or record the session again (runserver --record)"
        )
    raised = result.unexpected_errors()
    if raised:
        names = ", ".join(f"{cid} ({type(error).__name__})" for cid, error in raised.items())
        return (
            f"not updated: the application raised where the cassette has no error ({names}); "
            "an error is never blessed by update mode: fix it, or record the session again "
            "if the error is what the application should do"
        )
    return None


class ReplayMismatch(AssertionError):
    """A replay that did not match: the report is the message, the result is kept."""

    def __init__(self, result: ReplayResult, note: str | None = None) -> None:
        if note is None and update_refusal(result) is None:
            note = UPDATE_HINT
        super().__init__(report(result) + (f"\n{note}" if note else ""))
        self.result = result


UPDATE_HINT = (
    "(if the change is intended: --chanreplay-update, or CHANREPLAY_UPDATE=1 with manage.py "
    "test, rewrites the cassette to what the application does now)"
)


def report(result: ReplayResult) -> str:
    """The failure report of a replay that did not match."""
    import traceback

    where = result.expected.path or "the cassette"
    title = f"replay of {where} does not match what the application did"
    text = render_text(result.diff, title=title)
    if result.stalled:
        text += f"\nthe replay stopped early: it {result.stalled}"
    for unbound in result.unbound:
        text += f"\n{unbound}"
    for note in result.notes:
        text += f"\n{note}"
    for cid, error in result.unexpected_errors().items():
        trace = "".join(traceback.format_exception(error)).rstrip()
        text += f"\nthe application of connection {cid} raised:\n{trace}"
    return text


def _prepared(result: ReplayResult, emulation: CommitEmulation) -> ReplayResult:
    """``result`` with what the emulated commits left undone named, if it stalled."""
    pending = emulation.pending() if result.stalled else []
    if pending:
        result.notes.append(
            f"{len(pending)} transaction.on_commit callback(s) registered during the replay "
            f"never ran ({', '.join(pending[:5])}): the transaction that registered them was "
            "still open when the replay gave up, so what they send never came; if the "
            "application keeps a transaction open across messages, replay in a "
            "ReplayTransactionTestCase (pytest: @pytest.mark.django_db(transaction=True))"
        )
    return result


def _replay_sync(call: _Call, logins: Logins) -> ReplayResult:
    """Run ``call``'s replay from the test's own thread (its transaction, its connections)."""
    reset_sequences()
    with database_kept_open(), emulated_commits() as emulation:
        result = async_to_sync(call.replayer(logins).run)()
    return _prepared(result, emulation)


def replay_cassette(name: str | Path, **options: Any) -> ReplayResult:
    """Replay cassette ``name`` from synchronous code; raise AssertionError on a mismatch.

    Options (keyword-only): ``directory`` (where names are looked up),
    ``application`` (default: ``settings.ASGI_APPLICATION``), ``include`` /
    ``exclude`` (connection types or path globs), ``matchers`` ({path:
    matcher}), ``ignore`` (paths), ``timeout`` (seconds to wait for each
    expected event), ``secrets`` ({field name: value} for redacted values, or
    {field name: {username: value}} for values that differ from user to user).
    """
    _check_options(options)
    call = _Call(name, **options)
    return call.check(_replay_sync(call, Logins(call.cassette)))


def replay_creating_users(
    name: str | Path, password: str | Mapping[str, str] | None = None, **options: Any
) -> ReplayResult:
    """:func:`replay_cassette`, creating each user the cassette names who does not exist.

    "Record a session, drop the file in": the users the session assumed are
    created before it starts, with ``password`` (one for all, or one per user
    as in ``secrets``; None: an unusable one), so
    that a recorded login works; a user a form of the session signs up is
    left to the session (and created when a connection of theirs opens, if
    the sign-up did not make them).
    """
    _check_options(options)
    call = _Call(name, **options)
    logins = Logins(call.cassette, create=True, password=password)
    logins.create_assumed()
    return call.check(_replay_sync(call, logins))


async def areplay_cassette(name: str | Path, **options: Any) -> ReplayResult:
    """:func:`replay_cassette` for async code (same options).

    The application's database work runs in the thread ``sync_to_async``
    gives thread-sensitive code, outside an async test's own transaction.
    """
    _check_options(options)
    call = _Call(name, **options)
    stack = contextlib.ExitStack()

    def begin() -> CommitEmulation:
        reset_sequences()
        return stack.enter_context(emulated_commits())

    emulation = await sync_to_async(begin)()
    try:
        with database_kept_open():
            result = await call.replayer(Logins(call.cassette)).run()
    finally:
        await sync_to_async(stack.close)()
    return call.check(_prepared(result, emulation))


def without_internals(failure: BaseException) -> BaseException:
    """``failure`` (a replay's mismatch or diagnosis) with chanreplay's own frames cut from
    its traceback: the report says what differs, and the test's line is where it failed."""
    return failure.with_traceback(None)


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
        try:
            return replay_cassette(name, **options)
        except (ReplayMismatch, ChanreplayError) as failure:
            raise without_internals(failure) from None

    async def areplay(self, name: str | Path, **options: Any) -> ReplayResult:
        """:meth:`replay` for async test methods."""
        options.setdefault("directory", self.cassette_dir)
        try:
            return await areplay_cassette(name, **options)
        except (ReplayMismatch, ChanreplayError) as failure:
            raise without_internals(failure) from None


class ReplayTestCase(ReplayMixin, ChannelTestCase):
    """A :class:`ChannelTestCase` that replays cassettes (each test in a transaction).

    The rows a test makes get the ids a fresh database gives them, as they had
    when the session was recorded: sequences are set back as each transaction
    of the class and of each test begins (PostgreSQL's do not roll back).
    """

    @classmethod
    def _enter_atomics(cls) -> Any:
        atomics = super()._enter_atomics()  # type: ignore[misc]  # TestCase's, not in the stubs
        reset_sequences()
        return atomics


class ReplayTransactionTestCase(ReplayMixin, ChannelTransactionTestCase):
    """A :class:`ChannelTransactionTestCase` that replays cassettes.

    Its sequences start again for each test (Django's ``reset_sequences``), so
    the rows a test makes get the ids a fresh database gives them.
    """

    reset_sequences = True

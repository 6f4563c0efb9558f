"""Every gallery app records deterministically and replays green, as its users would run it.

The apps are small Django Channels projects written the way their authors in
the wild write them (see tests/gallery/README.md). Their tests hold nothing
but the data the session assumed and the passwords; each runs here in a
process of its own. The hash seed is not the apps' doing: this suite draws a
new random one for every run (and names it on failure) to show a replay
passes under any. The consumers it changes with monkeypatch (a new field in
every frame, frames no longer sent) are product checks, not the apps' tests:
they show a real change still fails, and update mode blesses only what it may.
"""

from __future__ import annotations

import random
import re
import socket
import subprocess
from pathlib import Path

import pytest

from chanreplay.cassette import load
from chanreplay.diff import diff_cassettes, render_text
from tests.gallery import harness

APPS = harness.apps()


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), 1):
            return True
    except OSError:
        return False


@pytest.fixture
def needs(app: harness.App) -> None:
    """Skip an app whose database is not here (a failure under CI)."""
    if app.postgres and not _postgres_reachable():
        from tests.conftest import _missing

        _missing("PostgreSQL", f"{app.name} keeps its data in PostgreSQL at 127.0.0.1:5432")


def _hashseed() -> int:
    return random.randrange(1, 2**32)


def _outcome(done: subprocess.CompletedProcess[str], hashseed: int) -> str:
    return f"PYTHONHASHSEED={hashseed}\n{done.stdout}\n{done.stderr}"


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_the_app_replays_with_pytest(app: harness.App, needs: None) -> None:
    """``pytest`` in the app's folder: the ReplayTestCase and the ``replay`` fixture pass."""
    hashseed = _hashseed()
    done = harness.run_tests(app, "pytest", hashseed=hashseed)
    assert done.returncode == 0, _outcome(done, hashseed)
    summary = done.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), _outcome(done, hashseed)
    assert "skipped" not in summary, _outcome(done, hashseed)
    assert "failed" not in summary, _outcome(done, hashseed)


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_the_app_replays_with_manage_py_test(app: harness.App, needs: None) -> None:
    """``manage.py test``: Django's own runner finds the ReplayTestCase and it passes."""
    hashseed = _hashseed()
    done = harness.run_tests(app, "django", hashseed=hashseed)
    assert done.returncode == 0, _outcome(done, hashseed)
    assert re.search(r"Ran [1-9]\d* tests?", done.stderr), _outcome(done, hashseed)
    assert "skipped" not in done.stderr, _outcome(done, hashseed)


def test_manage_py_test_finds_the_cassettes_from_another_directory(tmp_path: Path) -> None:
    """Run from elsewhere (``python ~/project/manage.py test``), a replay still finds
    ``cassettes/NAME.json`` in the project, where ``runserver --record`` wrote it."""
    app = harness.app("echo")
    hashseed = _hashseed()
    done = harness.run_tests(app, "django", "test_replay", hashseed=hashseed, cwd=tmp_path)
    assert done.returncode == 0, _outcome(done, hashseed)
    assert re.search(r"Ran 1 test", done.stderr), _outcome(done, hashseed)


@pytest.mark.server
@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_recording_the_session_again_gives_the_committed_cassette(
    app: harness.App, needs: None, tmp_path: Path
) -> None:
    """``runserver --record`` of the scripted session writes the committed bytes again
    (tokens, UUIDs and timestamps made anew included), and ``chanreplay diff`` agrees."""
    recorded = harness.record(app, tmp_path)
    assert recorded.read_bytes() == app.cassette.read_bytes(), (
        f"recording {app.name} again differs from {app.cassette}; if that is intended, "
        f"re-record it with .venv/bin/python -m tests.gallery.harness {app.name}:\n"
        + render_text(diff_cassettes(load(app.cassette), load(recorded)))
    )
    compared = harness.chanreplay("diff", str(app.cassette), str(recorded))
    assert compared.returncode == 0, compared.stdout + compared.stderr


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_the_cassette_holds_no_secret_and_lint_finds_nothing(app: harness.App) -> None:
    """No password, no JWT, no token or session key: bound values are never written; and
    ``chanreplay lint`` raises no false alarm on what real apps record."""
    text = app.cassette.read_text()
    for argument in harness.secret_arguments(app)[1::2]:
        password = argument.partition("=")[2]
        assert password not in text
    assert "eyJ" not in text  # a JWT (header and payload are base64 JSON objects)
    assert not re.search(r"\b[0-9a-f]{40}\b", text)  # a DRF token
    assert not re.search(r"sessionid=[a-z0-9]{32}", text)
    # Run in the app's folder, as its developers would: lint reads the settings' secrets.
    linted = harness.chanreplay("lint", "--no-unused", str(app.cassette), cwd=app.path)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert linted.stdout.endswith("1 cassette: 0 errors, 0 warnings\n"), linted.stdout


@pytest.mark.server
@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_play_against_the_app_finds_no_change(
    app: harness.App, needs: None, tmp_path: Path
) -> None:
    """``chanreplay play`` sends the session's client side to the app served by runserver:
    disconnects are inputs (a client close, the app's own close, a client that vanishes),
    what only exists at the ASGI level is not expected at the network, and errors are what
    the client saw."""
    arguments = ["play", str(app.cassette), *harness.secret_arguments(app)]
    with harness.running(app, tmp_path, reload=False) as (server, _):
        done = harness.chanreplay(*arguments, "--against", server.base)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "No behaviour changed.\n"


@pytest.mark.server
@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_the_driver_finds_serve_answering_as_the_app(app: harness.App, tmp_path: Path) -> None:
    """``chanreplay serve`` stands in for the app: the session's own driver, which checks
    every reply on every socket, runs to its end against it (a reply goes out once its
    cause, a disconnect included, has come)."""
    with harness.serving(app, tmp_path) as server:
        harness.drive(app, server.base)


@pytest.mark.server
@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_a_session_recorded_at_the_edge_plays_and_serves(
    app: harness.App, needs: None, tmp_path: Path
) -> None:
    """The session recorded by ``chanreplay proxy`` in front of the app (no user names, no
    channel layer, steps from the order the proxy saw) plays against a fresh copy of the
    app with no difference, each browser with its own cookies, lints clean (what the proxy
    wrote and kept beside it), and ``serve`` of it answers the session's own driver, every
    reply after its cause."""
    cassette = harness.record_at_the_edge(app, tmp_path / "edge")
    arguments = ["play", str(cassette), *harness.secret_arguments(app)]
    with harness.running(app, tmp_path / "play", reload=False) as (server, _):
        done = harness.chanreplay(*arguments, "--against", server.base)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "No behaviour changed.\n"
    linted = harness.chanreplay("lint", "--no-unused", str(cassette), cwd=app.path)
    assert linted.stdout.endswith("1 cassette: 0 errors, 0 warnings\n"), linted.stderr
    with harness.serving(app, tmp_path, cassette) as mock:
        harness.drive(app, mock.base)


CHANGED = """
import json

import pytest
from channels.generic import websocket


def changed(text):
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return text
    if isinstance(data, dict):
        data["v"] = 2
        return json.dumps(data)
    return text


@pytest.fixture(autouse=True)
def changed_consumers(monkeypatch):
    # A new release of the consumers: every JSON frame they send gains a field.
    asynchronous = websocket.AsyncWebsocketConsumer.send
    synchronous = websocket.WebsocketConsumer.send

    async def send_async(self, text_data=None, bytes_data=None, close=False):
        await asynchronous(self, changed(text_data), bytes_data, close)

    def send_sync(self, text_data=None, bytes_data=None, close=False):
        synchronous(self, changed(text_data), bytes_data, close)

    monkeypatch.setattr(websocket.AsyncWebsocketConsumer, "send", send_async)
    monkeypatch.setattr(websocket.WebsocketConsumer, "send", send_sync)
"""

SILENT = """
import pytest
from channels.generic import websocket


@pytest.fixture
def chanreplay_config():
    return {"timeout": 1}  # what never comes is given up on sooner


@pytest.fixture(autouse=True)
def silent_consumers(monkeypatch):
    # Consumers that stopped sending text frames: the replay waits for them in vain.
    asynchronous = websocket.AsyncWebsocketConsumer.send
    synchronous = websocket.WebsocketConsumer.send

    async def send_async(self, text_data=None, bytes_data=None, close=False):
        if text_data is None:
            await asynchronous(self, text_data, bytes_data, close)

    def send_sync(self, text_data=None, bytes_data=None, close=False):
        if text_data is None:
            synchronous(self, text_data, bytes_data, close)

    monkeypatch.setattr(websocket.AsyncWebsocketConsumer, "send", send_async)
    monkeypatch.setattr(websocket.WebsocketConsumer, "send", send_sync)
"""


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_a_changed_consumer_fails_naming_the_field_and_update_reblesses_it(
    app: harness.App, needs: None, tmp_path: Path
) -> None:
    copy = harness.copy_of(app, tmp_path)
    cassette = copy / "cassettes" / f"{app.name}.json"
    (copy / "conftest.py").write_text(CHANGED)
    hashseed = _hashseed()

    def pytest_run(*args: str) -> subprocess.CompletedProcess[str]:
        # The pytest function only: the ReplayTestCase runs the same replay.
        return harness.run_tests(
            app, "pytest", "-k", "not Tests", *args, hashseed=hashseed, cwd=copy, developer=True
        )

    failed = pytest_run()
    assert failed.returncode == 1, _outcome(failed, hashseed)
    assert "message.text.v: unexpected, actual 2" in failed.stdout, _outcome(failed, hashseed)
    assert "--chanreplay-update" in failed.stdout  # the report says how to re-bless
    updated = pytest_run("--chanreplay-update")
    assert updated.returncode == 0, _outcome(updated, hashseed)
    assert "updated 1 cassette(s) to what the app does now:" in updated.stdout
    assert '"v": 2' in cassette.read_text()
    again = pytest_run()  # the re-blessed cassette holds
    assert again.returncode == 0, _outcome(again, hashseed)


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_a_stalled_replay_is_never_blessed(app: harness.App, needs: None, tmp_path: Path) -> None:
    copy = harness.copy_of(app, tmp_path)
    cassette = copy / "cassettes" / f"{app.name}.json"
    before = cassette.read_bytes()
    (copy / "conftest.py").write_text(SILENT)
    hashseed = _hashseed()
    done = harness.run_tests(
        app,
        "pytest",
        "-k",
        "not Tests",
        "--chanreplay-update",
        hashseed=hashseed,
        cwd=copy,
        developer=True,
    )
    assert done.returncode == 1, _outcome(done, hashseed)
    assert "the replay stopped early: it waited 1 s" in done.stdout, _outcome(done, hashseed)
    assert "not updated: the replay stalled" in done.stdout, _outcome(done, hashseed)
    assert "updated 1 cassette" not in done.stdout
    assert cassette.read_bytes() == before


# A new release in which a value the server makes changed kind, or stopped being the same
# value: bindings and shapes must not hide it. Each patches the app's own serializer.
CHANGED_VALUES = {
    "uuid_becomes_int": (
        "jwt_rides",
        "trips.serializers.TripSerializer",
        'data["id"] = 7',
        r'data\.id:[\sE]+expected "<uuid:1>"[\sE]+actual\s+7\n',
    ),
    "token_stops_being_reused": (
        "token_notes",
        "notes.serializers.NoteSerializer",
        'data["public_id"] = secrets.token_urlsafe(24)',
        r'public_id:[\sE]+expected "<token:1>"[\sE]+actual\s+"<token:[2-9]>"',
    ),
    "timestamp_becomes_text": (
        "token_notes",
        "notes.serializers.NoteSerializer",
        'data["created"] = "just now"',
        r'note\.created:[\sE]+expected "<datetime>"[\sE]+actual\s+"just now"',
    ),
}

CHANGED_VALUE = """
import importlib
import secrets

import pytest


@pytest.fixture(autouse=True)
def changed_values(monkeypatch):
    module, _, name = "{serializer}".rpartition(".")
    serializer = getattr(importlib.import_module(module), name)
    original = serializer.to_representation

    def to_representation(self, instance):
        data = original(self, instance)
        {change}
        return data

    monkeypatch.setattr(serializer, "to_representation", to_representation)
"""


@pytest.mark.parametrize("change", CHANGED_VALUES)
def test_a_changed_server_made_value_fails_naming_the_field(change: str, tmp_path: Path) -> None:
    """A UUID field that becomes an int, a public id that stops being the same value, a
    timestamp that becomes text: each is a difference at the field, never bound away."""
    name, serializer, statement, report = CHANGED_VALUES[change]
    app = next(a for a in APPS if a.name == name)
    copy = harness.copy_of(app, tmp_path)
    (copy / "conftest.py").write_text(CHANGED_VALUE.format(serializer=serializer, change=statement))
    hashseed = _hashseed()
    done = harness.run_tests(app, "pytest", "-k", "not Tests", hashseed=hashseed, cwd=copy)
    assert done.returncode == 1, _outcome(done, hashseed)
    assert re.search(report, done.stdout), _outcome(done, hashseed)


@pytest.mark.server
def test_the_values_a_recording_made_are_kept_beside_it_for_reading(tmp_path: Path) -> None:
    """Beside the cassette, never in it: what ``<uuid:1>`` was, for ``chanreplay show``;
    never a JWT, never a token that stood in a secret's place."""
    from chanreplay.cassette.values import read_values, values_path

    app = next(a for a in APPS if a.name == "jwt_rides")
    recorded = harness.record(app, tmp_path)
    kept = read_values(recorded)
    uuid4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
    trip = kept.bindings["uuid:1"]
    assert re.fullmatch(uuid4, trip)
    assert not any(name.startswith("jwt:") for name in kept.bindings)
    sent = kept.timestamps["c4"]["message.text.sent"]  # every frame to the driver says when
    assert sent
    assert all(re.match(r"\d{4}-\d{2}-\d{2}T", stamp) for stamp in sent)
    text = recorded.read_text()
    assert trip not in text
    assert sent[0] not in text
    shown = harness.chanreplay("show", str(recorded))
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert f"  <uuid:1> = {trip}" in lines
    assert f"  c4 message.text.sent: {', '.join(sent)}" in lines
    # The committed cassette has none beside it: the file is local, like the journal.
    assert not values_path(app.cassette).exists()

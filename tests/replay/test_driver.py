"""The replayer with applications that raise, hosts the project does not allow, and no layers.

Each session is recorded in process first (the same recorder runserver uses,
driven by Channels' communicators), then replayed as a test would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, WebsocketConsumer
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import TransactionTestCase, override_settings
from django.urls import path

from chanreplay.cassette import Cassette, load, writer
from chanreplay.recorder.recording import Recording
from chanreplay.replay.capture import CapturedSession
from chanreplay.testing.replay import ReplayMismatch, replay_cassette

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # Channels is untyped
    """Echoes JSON; a message without "x" raises KeyError out of the consumer."""

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        await self.send_json({"x": content["x"]})


APPLICATION = AllowedHostsOriginValidator(
    URLRouter([path("ws/boom/", Boom.as_asgi()), path("ws/echo/", Boom.as_asgi())])
)
HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


async def _record(into: Path) -> Path:
    """c1 raises on its second message; c2, opened after, goes on working."""
    session = CapturedSession(APPLICATION, Recording("driver", finalize=False))
    session.start()
    try:
        first = WebsocketCommunicator(session, "/ws/boom/", headers=HEADERS)
        assert (await first.connect())[0]
        await first.send_json_to({"x": 1})
        assert await first.receive_json_from() == {"x": 1}
        await first.send_json_to({"y": 2})
        with pytest.raises(KeyError):
            await first.wait()
        second = WebsocketCommunicator(session, "/ws/echo/", headers=HEADERS)
        assert (await second.connect())[0]
        await second.send_json_to({"x": 3})
        assert await second.receive_json_from() == {"x": 3}
        await second.disconnect()
        cassette = session.cassette()
    finally:
        session.stop()
    target = into / "boom.json"
    writer.write(cassette, target)
    return target


@pytest.fixture
async def cassette(tmp_path: Path) -> Path:
    with override_settings(ALLOWED_HOSTS=["127.0.0.1"]):
        return await _record(tmp_path)


@pytest.fixture(autouse=True)
def _tests_settings() -> Iterator[None]:
    """As Django's test runner has it: DEBUG off, only testserver allowed."""
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        yield


def _errors(cassette: Cassette) -> list[tuple[str, dict[str, Any]]]:
    return [(c.id, e) for c in cassette.connections for e in c.events if e["dir"] == "error"]


def test_a_recorded_error_replays_and_the_other_connections_carry_on(cassette: Path) -> None:
    (error,) = _errors(load(cassette))
    assert error == (
        "c1",
        {
            "client": "closed with 1011",
            "detail": "'x'",
            "dir": "error",
            "exception": "KeyError",
            "step": 4,
        },
    )
    result = replay_cassette(cassette, application=APPLICATION)
    assert _errors(result.actual) == [error]
    assert [c.id for c in result.actual.connections] == ["c1", "c2"]


def test_an_error_that_appears_fails_with_its_traceback(cassette: Path) -> None:
    async def fussy(self: Boom, content: dict[str, Any], **kwargs: Any) -> None:
        if content.get("x") == 3:
            raise ValueError("three is too many")
        await self.send_json({"x": content["x"]})

    with mock.patch.object(Boom, "receive_json", fussy), pytest.raises(ReplayMismatch) as failure:
        replay_cassette(cassette, application=APPLICATION, timeout=1)
    report = str(failure.value)
    assert "connection c2 (websocket /ws/echo/)" in report
    assert "unexpected event: error ValueError" in report
    assert "the application of connection c2 raised:" in report
    assert "ValueError: three is too many" in report
    assert "the replay stopped early" not in report  # an ended application is waited for no longer


def test_an_error_that_changes_type_fails_naming_it(cassette: Path) -> None:
    async def other(self: Boom, content: dict[str, Any], **kwargs: Any) -> None:
        if "x" not in content:
            raise LookupError("no x")
        await self.send_json({"x": content["x"]})

    with mock.patch.object(Boom, "receive_json", other), pytest.raises(ReplayMismatch) as failure:
        replay_cassette(cassette, application=APPLICATION, timeout=1)
    report = str(failure.value)
    assert "event 6: error KeyError changed" in report, report
    assert 'expected "KeyError"' in report
    assert 'actual   "LookupError"' in report


def test_an_error_that_disappears_fails(cassette: Path) -> None:
    async def lenient(self: Boom, content: dict[str, Any], **kwargs: Any) -> None:
        await self.send_json({"x": content.get("x")})

    with mock.patch.object(Boom, "receive_json", lenient), pytest.raises(ReplayMismatch) as failure:
        replay_cassette(cassette, application=APPLICATION, timeout=0.5)
    report = str(failure.value)
    assert "error KeyError expected, but it never happened" in report
    assert "unexpected event: out websocket.send" in report


def test_update_mode_never_blesses_an_error_or_a_stall(
    cassette: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("CHANREPLAY_UPDATE", "1")
    before = cassette.read_bytes()

    async def raising(self: Boom, content: dict[str, Any], **kwargs: Any) -> None:
        raise ValueError("always")

    with mock.patch.object(Boom, "receive_json", raising), pytest.raises(ReplayMismatch) as failure:
        replay_cassette(cassette, application=APPLICATION, timeout=0.5)
    assert "not updated: the application raised where the cassette has no error" in str(
        failure.value
    )
    assert cassette.read_bytes() == before

    async def mute(self: Boom, content: dict[str, Any], **kwargs: Any) -> None:
        if "x" not in content:
            raise KeyError("x")

    with mock.patch.object(Boom, "receive_json", mute), pytest.raises(ReplayMismatch) as failure:
        replay_cassette(cassette, application=APPLICATION, timeout=0.5)
    assert "the replay stopped early: it waited 0.5 s" in str(failure.value)
    assert "not updated: the replay stalled" in str(failure.value)
    assert cassette.read_bytes() == before

    async def renamed(self: Boom, content: dict[str, Any], **kwargs: Any) -> None:
        await self.send_json({"x": content["x"], "v": 2})

    with mock.patch.object(Boom, "receive_json", renamed):
        replay_cassette(cassette, application=APPLICATION, timeout=0.5)  # re-blessed
    with mock.patch.object(Boom, "receive_json", renamed):
        monkeypatch.delenv("CHANREPLAY_UPDATE")
        replay_cassette(cassette, application=APPLICATION, timeout=0.5)  # now it matches
    assert cassette.read_bytes() != before


def test_an_origin_the_project_refuses_stays_refused_and_is_named(cassette: Path) -> None:
    """The recorded host is allowed for the replay (the first test passes under the test
    runner's settings); another Origin is judged by the project, and the report says so."""
    hostile = cassette.read_text().replace("origin: http://127.0.0.1", "origin: http://evil.test")
    cassette.write_text(hostile)
    with pytest.raises(ReplayMismatch) as failure:
        replay_cassette(cassette, application=APPLICATION, timeout=0.5)
    report = str(failure.value)
    assert "a websocket's Origin 'http://evil.test' was refused by OriginValidator" in report


@override_settings(CHANNEL_LAYERS={})
async def test_a_project_without_channel_layers_replays_without_one(tmp_path: Path) -> None:
    """No CHANNEL_LAYERS when recorded: the replay gives the consumers no layer either."""
    with override_settings(ALLOWED_HOSTS=["127.0.0.1"]):
        recorded = await _record(tmp_path)
    assert not any(e["dir"] == "layer" for c in load(recorded).connections for e in c.events)
    from asgiref.sync import sync_to_async

    await sync_to_async(replay_cassette)(recorded, application=APPLICATION)


def test_a_split_part_holding_only_the_failing_connection_checks_its_error(
    cassette: Path, tmp_path: Path
) -> None:
    from chanreplay.review.split import split

    parts = split(load(cassette))  # by group: each connection on its own here
    (alone,) = [part for part in parts if [c.id for c in part.connections] == ["c1"]]
    part = tmp_path / "part.json"
    writer.write(alone, part)
    replay_cassette(part, application=APPLICATION)

    async def lenient(self: Boom, content: dict[str, Any], **kwargs: Any) -> None:
        await self.send_json({"x": content.get("x")})

    with mock.patch.object(Boom, "receive_json", lenient), pytest.raises(ReplayMismatch) as failure:
        replay_cassette(part, application=APPLICATION, timeout=0.5)
    assert "error KeyError expected, but it never happened" in str(failure.value)


class Committing(WebsocketConsumer):  # type: ignore[misc]  # Channels is untyped
    """Saves in a transaction and tells its client once the transaction has committed."""

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with transaction.atomic():
            transaction.on_commit(lambda: self.send(text_data="committed"))


COMMITTING = AllowedHostsOriginValidator(URLRouter([path("ws/commit/", Committing.as_asgi())]))


class StallsOnAnOpenTransaction(TransactionTestCase):
    """A replay that stalls while on_commit callbacks wait for a transaction says so."""

    def test_the_report_names_the_callbacks_and_the_fix(self) -> None:
        with override_settings(ALLOWED_HOSTS=["127.0.0.1"]):
            recorded = async_to_sync(self._record)()
        assert "committed" in recorded.read_text()

        opened: list[Any] = []

        def never_commits(
            self: Committing, text_data: str | None = None, bytes_data: bytes | None = None
        ) -> None:
            block = transaction.atomic()
            block.__enter__()  # a transaction the application keeps open across messages
            opened.append(block)
            transaction.on_commit(lambda: self.send(text_data="committed"))

        transaction.set_autocommit(False)  # as inside a TestCase: a transaction is open
        try:
            with (
                transaction.atomic(),
                mock.patch.object(Committing, "receive", never_commits),
                pytest.raises(ReplayMismatch) as failure,
            ):
                replay_cassette(recorded, application=COMMITTING, timeout=0.5)
            for block in reversed(opened):
                block.__exit__(None, None, None)
        finally:
            transaction.rollback()
            transaction.set_autocommit(True)
        report = str(failure.value)
        assert "the replay stopped early: it waited 0.5 s" in report
        assert (
            "1 transaction.on_commit callback(s) registered during the replay never ran" in report
        )
        assert "ReplayTransactionTestCase" in report

    async def _record(self) -> Path:
        import tempfile

        session = CapturedSession(COMMITTING, Recording("commit", finalize=False))
        session.start()
        try:
            client = WebsocketCommunicator(session, "/ws/commit/", headers=HEADERS)
            assert (await client.connect())[0]
            await client.send_to(text_data="save")
            assert await client.receive_from() == "committed"
            await client.disconnect()
            cassette = session.cassette()
        finally:
            session.stop()
        target = Path(tempfile.mkdtemp()) / "commit.json"
        writer.write(cassette, target)
        return target


SHARE_IDS: list[str] = []
"""The ids the next Shares connections make, in order (the test sets them)."""


class Shares(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # Channels is untyped
    """Makes a share id on connect; opening it by that id answers with the id."""

    async def connect(self) -> None:
        await self.accept()
        await self.send_json({"id": SHARE_IDS.pop(0)})

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        await self.send_json({"opened": content["open"]})


async def test_a_value_made_this_time_binds_where_the_recording_had_one(tmp_path: Path) -> None:
    """A random id that happens to read as words in the replay (one short token in a
    thousand does) is still bound where the recording bound one: the client sends it
    back, and nothing differs."""
    application = URLRouter([path("ws/shares/", Shares.as_asgi())])
    SHARE_IDS[:] = ["k3J9x_Qw2mZp"]
    session = CapturedSession(application, Recording("shares", finalize=False))
    session.start()
    try:
        client = WebsocketCommunicator(session, "/ws/shares/", headers=HEADERS)
        assert (await client.connect())[0]
        made = (await client.receive_json_from())["id"]
        await client.send_json_to({"open": made})
        assert await client.receive_json_from() == {"opened": made}
        await client.disconnect()
        recorded = session.cassette()
    finally:
        session.stop()
    sent = [e["message"].get("text") for e in recorded.connections[0].events if e["dir"] == "in"]
    assert {"$json": {"open": "<token:1>"}} in sent
    target = tmp_path / "shares.json"
    writer.write(recorded, target)
    SHARE_IDS[:] = ["zj-lnduznpNi"]  # reads as words: not a token by its looks
    result = await sync_to_async(replay_cassette)(target, application=application)
    assert result.passed
    made = [e.get("message", {}).get("text") for e in result.actual.connections[0].events]
    assert {"$json": {"id": "<token:1>"}} in made

"""Replaying the committed example cassette against the example project's real consumers."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from chanreplay.exceptions import CassetteNotFoundError, ConfigurationError, ReplayError
from chanreplay.testing import ANY_INT, ReplayTestCase, ReplayTransactionTestCase
from chat.consumers import ChatConsumer, EchoConsumer

CASSETTES = Path(__file__).parents[2] / "cassettes"
PASSWORD = "wonderland-secret-1"
"""Alice's password in the example session (tests/example_project/drive_session.py)."""
SECRETS = {"password": PASSWORD}
CHAT = ["/ws/chat/*"]
V2_EXAMPLE = Path(__file__).parents[1] / "cassette" / "fixtures" / "v2-example-session.json"
"""The example session as release 2 recorded it: every value as it was, or redacted."""


async def shouting_chat_message(self: ChatConsumer, event: dict[str, Any]) -> None:
    """A deliberately broken ChatConsumer.chat_message: it shouts every message."""
    reply = {"type": "message", "message": event["message"].upper(), "user": event["user"]}
    await self.send(text_data=json.dumps({**reply, "room": event["room"]}))


class ExampleSessionTests(ReplayTestCase):
    """The whole session: HTTP login, chat with two clients, notes, echo, binary, stats."""

    cassette_dir = CASSETTES

    def setUp(self) -> None:
        get_user_model().objects.create_user(username="alice", password=PASSWORD)

    def test_the_example_session_replays(self) -> None:
        result = self.replay("example_session", secrets=SECRETS)
        assert [c.id for c in result.actual.connections] == [f"c{n}" for n in range(1, 11)]

    def test_the_session_as_release_2_recorded_it_replays_as_it_always_did(self) -> None:
        """A version-2 cassette replays unchanged: every value as recorded, nothing bound."""
        result = self.replay(V2_EXAMPLE, secrets=SECRETS)
        assert result.actual.version == 2
        assert "<token:" not in str(result.actual.to_json())

    def test_the_session_as_release_2_recorded_it_replays_migrated(self) -> None:
        """What ``chanreplay migrate`` makes of a version-2 cassette (format 3, its redacted
        values left redacted) replays too."""
        from chanreplay.cassette import load, writer
        from chanreplay.cassette.migrate import migrate

        migrated = migrate(load(V2_EXAMPLE))
        assert migrated.version == 3
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "migrated.json"
            writer.write(migrated, path)
            result = self.replay(path, secrets=SECRETS)
        assert result.actual.version == 3

    def test_a_changed_consumer_fails_with_a_report_naming_the_field(self) -> None:
        with (
            mock.patch.object(ChatConsumer, "chat_message", shouting_chat_message),
            pytest.raises(AssertionError) as failure,
        ):
            self.replay("example_session", include=CHAT)
        report = str(failure.value)
        assert "connection c4 (websocket /ws/chat/lobby/) (user alice)" in report
        assert "message.text.message:" in report
        assert 'expected "hello"' in report
        assert 'actual   "HELLO"' in report

    def test_include_and_exclude_choose_connections(self) -> None:
        result = self.replay("example_session", include=["websocket"], exclude=["/ws/notes/"])
        assert [c.path for c in result.actual.connections] == [
            "/ws/chat/lobby/",
            "/ws/chat/lobby/",
            "/ws/echo/",
            "/ws/binary/",
        ]

    def test_an_excluded_view_broadcast_is_injected_at_its_place(self) -> None:
        """The /announce/ view is not replayed; its group_send still reaches the chat."""
        result = self.replay("example_session", include=CHAT)
        announcements = [
            e
            for e in result.actual.connection("c4").events
            if e.get("op") == "receive" and e["message"]["type"] == "chat.announcement"
        ]
        assert len(announcements) == 1

    def test_ignore_and_matchers_relax_the_comparison(self) -> None:
        with mock.patch.object(ChatConsumer, "chat_message", shouting_chat_message):
            self.replay("example_session", include=CHAT, ignore=["message.text.message"])
        self.replay("example_session", include=["/ws/notes/"], matchers={"**.id": ANY_INT})

    def test_an_expected_event_that_never_comes_fails_after_the_timeout(self) -> None:
        def silent(
            self: EchoConsumer, text_data: str | None = None, bytes_data: Any = None
        ) -> None:
            return None

        with (
            mock.patch.object(EchoConsumer, "receive", silent),
            pytest.raises(AssertionError) as failure,
        ):
            self.replay("example_session", include=["/ws/echo/"], timeout=0.5)
        report = str(failure.value)
        assert "expected, but it never happened" in report
        assert "the replay stopped early: it waited 0.5 s for" in report

    def test_a_wrong_option_is_a_clear_error(self) -> None:
        with pytest.raises(ConfigurationError, match="unknown replay option 'includ': did you"):
            self.replay("example_session", includ=CHAT)
        with pytest.raises(ConfigurationError, match=r"invalid path 'message\.\.text'"):
            self.replay("example_session", ignore=["message..text"])

    def test_a_missing_cassette_is_a_clear_error(self) -> None:
        with pytest.raises(CassetteNotFoundError, match=r"no_such_session\.json"):
            self.replay("no_such_session")

    def test_a_user_missing_from_the_database_is_a_clear_error(self) -> None:
        get_user_model().objects.filter(username="alice").delete()
        with pytest.raises(ReplayError, match=r"user 'alice'.*create_user\(username='alice'\)"):
            self.replay("example_session", include=CHAT)

    @override_settings(
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [("127.0.0.1", 1)]},  # nothing listens there
            }
        }
    )
    def test_replay_never_touches_the_configured_layer(self) -> None:
        self.replay("example_session", include=CHAT)

    async def test_areplay_in_an_async_test(self) -> None:
        await self.areplay("example_session", include=["/ws/chat/*", "/ws/echo/"])


class FanOutOrderTests(ReplayTestCase):
    """Two chat clients in one room: the order of a group_send's fan-out never matters."""

    cassette_dir = CASSETTES

    def setUp(self) -> None:
        get_user_model().objects.create_user(username="alice", password=PASSWORD)

    def test_a_multi_client_chat_replays_200_times_in_a_row(self) -> None:
        for _ in range(200):
            self.replay("example_session", include=CHAT)


class TransactionalReplayTests(ReplayTransactionTestCase):
    """The database-backed notes consumer also replays outside a wrapping transaction."""

    cassette_dir = CASSETTES

    def test_notes_replay(self) -> None:
        get_user_model().objects.create_user(username="alice", password=PASSWORD)
        self.replay("example_session", include=["/ws/notes/", "/api/stats/"])


def test_a_cassette_is_found_from_another_directory_through_base_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`manage.py test` run elsewhere: a relative cassette path is looked up from the
    project's root too; one found nowhere names every place looked in."""
    from chanreplay.testing.replay import cassette_path, load_cassette

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with override_settings(BASE_DIR=CASSETTES.parent, CHANREPLAY={}):
        assert cassette_path("example_session") == CASSETTES / "example_session.json"
        assert cassette_path("cassettes/example_session.json") == (
            CASSETTES / "example_session.json"
        )
        with pytest.raises(CassetteNotFoundError) as missing:
            load_cassette(cassette_path("nothing"))
        # The project's cassette wins over one that happens to sit in the current directory.
        (elsewhere / "cassettes").mkdir()
        (elsewhere / "cassettes" / "example_session.json").write_text("{}")
        assert cassette_path("example_session") == CASSETTES / "example_session.json"
    message = str(missing.value)
    assert message.startswith("cassettes/nothing.json: no such cassette (looked in ")
    assert str(elsewhere) in message
    assert str(CASSETTES.parent) in message
    assert "python manage.py runserver --record nothing" in message

"""ChannelTestCase, Channel, Group and Message against the example project's real code."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from chanreplay.testing import Channel, ChannelTestCase, Client, Group, Message, WSClient
from chat.models import Note
from chat.signals import NOTES_GROUP


class ChannelTests(ChannelTestCase):
    def test_a_message_sent_on_a_channel_is_the_next_message(self) -> None:
        Channel("input").send({"value": 33})
        message = self.get_next_message("input", require=True)
        assert isinstance(message, Message)
        assert message["value"] == 33
        assert message.content == {"value": 33}
        assert message.channel == Channel("input")
        assert not message.reply_channel
        assert message.reply_channel.name is None
        assert self.get_next_message("input") is None

    def test_the_reply_channel_of_a_message_that_names_none_says_so_when_read(self) -> None:
        Channel("input").send({"value": 33})
        message = self.get_next_message("input", require=True)
        assert message is not None
        with pytest.raises(AssertionError, match="has no 'reply_channel'"):
            self.get_next_message(message.reply_channel.name, require=True)
        with pytest.raises(AssertionError, match="has no 'reply_channel'"):
            message.reply_channel.send({"value": 1089})

    def test_reply_channel_names_the_channel_to_answer_on(self) -> None:
        Channel("input").send({"value": 2, "reply_channel": "answers"})
        message = self.get_next_message("input", require=True)
        assert message is not None
        assert message.reply_channel == Channel("answers")

    def test_require_fails_the_test_when_nothing_is_there(self) -> None:
        assert self.get_next_message("empty") is None
        with pytest.raises(AssertionError, match="expected a message on channel 'empty'"):
            self.get_next_message("empty", require=True)

    def test_a_name_the_layer_rejects_says_which_and_why(self) -> None:
        bad = "no spaces allowed"
        for attempt in (
            lambda: Channel(bad).send({"value": 1}),
            lambda: self.get_next_message(bad),
            lambda: Group(bad).send({"value": 1}),
            lambda: Group("fine").add(bad),
            lambda: Client().send(bad, {"value": 1}),
            lambda: WSClient().send_and_consume(bad, {"value": 1}),
        ):
            with pytest.raises(AssertionError, match=r"'no spaces allowed' is not a .*name the"):
                attempt()

    def test_messages_keep_their_order(self) -> None:
        for value in range(3):
            Channel("ordered").send({"value": value})
        received = [self.get_next_message("ordered", require=True) for _ in range(3)]
        assert [m["value"] for m in received if m is not None] == [0, 1, 2]


class IsolationTests(ChannelTestCase):
    """Whichever of these runs second would see the other's message if layers leaked."""

    def test_first(self) -> None:
        assert self.get_next_message("shared") is None
        Channel("shared").send({"from": "first"})

    def test_second(self) -> None:
        assert self.get_next_message("shared") is None
        Channel("shared").send({"from": "second"})


class GroupTests(ChannelTestCase):
    def test_group_send_reaches_its_members_only(self) -> None:
        Group("test-group").add("test-channel")
        Group("test-group").add(Channel("other-channel"))
        Group("test-group").discard("other-channel")
        Group("test-group").send({"value": 42})
        result = self.get_next_message("test-channel", require=True)
        assert result is not None
        assert result["value"] == 42
        assert self.get_next_message("other-channel") is None

    def test_a_post_save_broadcast_reaches_the_group(self) -> None:
        """Outbound data binding: the example project's post_save handler broadcasts a note."""
        Group(NOTES_GROUP).add("test-channel")
        alice = get_user_model().objects.create_user("alice")
        note = Note.objects.create(owner=alice, text="first note")
        received = self.get_next_message("test-channel", require=True)
        assert received is not None
        assert received.content == {
            "type": "notes.created",
            "id": note.pk,
            "text": "first note",
            "owner": "alice",
        }

    async def test_async_tests_await_the_same_operations(self) -> None:
        await Group("async-group").aadd("async-channel")
        await Group("async-group").asend({"value": 1})
        await Channel("async-channel").asend({"value": 2})
        first = self.get_next_message("async-channel", require=True)
        second = self.get_next_message("async-channel", require=True)
        assert first is not None
        assert second is not None
        assert (first["value"], second["value"]) == (1, 2)


class MultipleAliasTests(ChannelTestCase):
    test_channel_aliases = ["default", "other"]

    def test_each_alias_has_its_own_captive_layer(self) -> None:
        Channel("input", alias="other").send({"value": 1})
        assert self.get_next_message("input") is None
        message = self.get_next_message("input", alias="other", require=True)
        assert message is not None
        assert message.channel == Channel("input", alias="other")

    def test_an_alias_that_is_not_captive_is_refused(self) -> None:
        with pytest.raises(LookupError, match="'elsewhere'"):
            self.get_next_message("input", alias="elsewhere")


@override_settings(
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [("127.0.0.1", 1)]},  # nothing listens there
        }
    }
)
class NoServerNeededTests(ChannelTestCase):
    def test_the_configured_layer_is_never_used(self) -> None:
        Channel("input").send({"value": 1})
        assert self.get_next_message("input", require=True) is not None

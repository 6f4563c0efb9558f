"""Tests of chanreplay.recorder.channel_names: stable placeholders for random channel names."""

from __future__ import annotations

import threading

import orjson
import pytest

from chanreplay.recorder.channel_names import ChannelNames, placeholder_pattern

INMEMORY = [f"specific..inmemory!{letters}" for letters in ("AbCdEfGhIjKl", "MnOpQrStUvWx")]
REDIS = "specific.5f1c0e3c9c2d4b0e8a7f6e5d4c3b2a10!a3b4c5d6e7f8091a2b3c4d5e6f708192"
PUBSUB = "specific.0123456789abcdef0123456789abcdef"


def test_placeholders_per_owner_in_order() -> None:
    """Each connection's channels are numbered in order: <channel:c3>, then <channel:c3.2>."""
    names = ChannelNames()
    assert names.created(INMEMORY[0], "c3") == "<channel:c3>"
    assert names.created(INMEMORY[1], "c3") == "<channel:c3.2>"
    assert names.created(REDIS, "c4") == "<channel:c4>"
    assert names.created(PUBSUB, "c3") == "<channel:c3.3>"
    assert len(names) == 4


def test_same_name_keeps_its_placeholder() -> None:
    """Registering a known name again returns its placeholder and numbers nothing new."""
    names = ChannelNames()
    names.created(INMEMORY[0], "c1")
    assert names.created(INMEMORY[0], "c2") == "<channel:c1>"
    assert names.created(INMEMORY[1], "c1") == "<channel:c1.2>"


def test_external_placeholders() -> None:
    """Names created outside any connection get <channel:x1>, <channel:x2>, ..."""
    names = ChannelNames()
    assert names.created(INMEMORY[0], None) == "<channel:x1>"
    assert names.created(INMEMORY[1], None) == "<channel:x2>"


def test_external_numbering_resumes() -> None:
    """A resumed recording continues external numbering after external_start."""
    assert ChannelNames(external_start=5).created(REDIS, None) == "<channel:x6>"


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (INMEMORY[0], "<channel:x1>"),
        (REDIS, "<channel:x1>"),
        ("thumbnails", "thumbnails"),
        ("chat.worker", "chat.worker"),
    ],
)
def test_name_of_unregistered_channels(live: str, expected: str) -> None:
    """An unknown process-specific name (with "!") gets an x placeholder; plain names stay."""
    assert ChannelNames().name(live) == expected


def test_name_of_known_channel_is_its_placeholder() -> None:
    """A name created by a connection is recorded as that connection's placeholder."""
    names = ChannelNames()
    names.created(INMEMORY[0], "c2")
    assert names.name(INMEMORY[0]) == "<channel:c2>"


def test_unknown_name_placeholder_is_stable() -> None:
    """An unknown "!" name seen twice gets the same external placeholder both times."""
    names = ChannelNames()
    assert names.name(REDIS) == names.name(REDIS) == "<channel:x1>"
    assert names.name(INMEMORY[0]) == "<channel:x2>"


def test_plain_names_are_not_registered() -> None:
    """Keeping a plain name registers nothing, so it is never substituted."""
    names = ChannelNames()
    names.name("thumbnails")
    assert len(names) == 0


@pytest.mark.parametrize("key", ["c3", "c3.2", "x1", "c12.10"])
def test_placeholder_pattern_matches_placeholders(key: str) -> None:
    """placeholder_pattern finds a placeholder and gives its key."""
    match = placeholder_pattern.search(f'"reply": "<channel:{key}>"')
    assert match is not None
    assert match.group(1) == key


def test_substitute_replaces_known_names_in_json() -> None:
    """Known names are replaced wherever they appear as whole tokens inside JSON strings."""
    names = ChannelNames()
    names.created(INMEMORY[0], "c1")
    names.created(REDIS, "c2")
    data = orjson.dumps(
        {
            "type": "chat.message",
            "reply_channel": INMEMORY[0],
            "members": [INMEMORY[0], REDIS],
            "note": f"sent to {REDIS} at noon",
        }
    )
    assert orjson.loads(names.substitute(data)) == {
        "type": "chat.message",
        "reply_channel": "<channel:c1>",
        "members": ["<channel:c1>", "<channel:c2>"],
        "note": "sent to <channel:c2> at noon",
    }


@pytest.mark.parametrize(
    "value",
    [
        INMEMORY[1],
        "specific..inmemory!AbCdEfGhIjKlMore",
        "prefix_" + INMEMORY[0],
        "lobby",
        "a!b",
        "chat_lobby_with_a_long_group_name",
        "",
    ],
)
def test_substitute_leaves_unknown_tokens_alone(value: str) -> None:
    """Unknown names, longer tokens containing a known name, and short strings are kept."""
    names = ChannelNames()
    names.created(INMEMORY[0], "c1")
    data = orjson.dumps({"value": value, "n": 12345678901234567890})
    assert names.substitute(data) == data


def test_substitute_without_known_names_returns_data() -> None:
    """With nothing registered, substitute returns its input unchanged."""
    data = orjson.dumps({"channel": INMEMORY[0]})
    assert ChannelNames().substitute(data) == data


def test_created_is_thread_safe() -> None:
    """Names created from many threads for one connection get distinct, consecutive numbers."""
    names = ChannelNames()
    start = threading.Barrier(8)
    results: list[str] = []

    def create(thread: int) -> None:
        start.wait()
        for index in range(200):
            results.append(names.created(f"specific..inmemory!t{thread}n{index}", "c1"))

    workers = [threading.Thread(target=create, args=(t,)) for t in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    expected = ["<channel:c1>"] + [f"<channel:c1.{n}>" for n in range(2, 1601)]
    assert sorted(results) == sorted(expected)


def test_unknown_pubsub_style_names_get_external_placeholders() -> None:
    """A name ending in a uuid4 (RedisPubSub's channels) is random even without a '!'."""
    names = ChannelNames()
    live = "asgispecific.0123456789abcdef0123456789abcdef"
    assert names.name(live) == "<channel:x1>"
    assert names.name(live) == "<channel:x1>"
    assert names.name("thumbnails-0123") == "thumbnails-0123"

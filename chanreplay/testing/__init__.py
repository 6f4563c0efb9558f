"""Testing with cassettes: replay them in Django test cases and pytest."""

from chanreplay.diff.matchers import ANY, ANY_INT, ANY_NUMBER, ANY_STRING, Regex
from chanreplay.testing.channels import (
    Channel,
    ChannelTestCase,
    ChannelTestMixin,
    ChannelTransactionTestCase,
    Group,
    Message,
)
from chanreplay.testing.clients import Client
from chanreplay.testing.connections import HttpClient, HttpResponse, WSClient
from chanreplay.testing.live import ChannelLiveServerTestCase
from chanreplay.testing.replay import (
    ReplayMixin,
    ReplayTestCase,
    ReplayTransactionTestCase,
    areplay_cassette,
    replay_cassette,
)
from chanreplay.testing.routes import apply_routes

__all__ = [
    "ANY",
    "ANY_INT",
    "ANY_NUMBER",
    "ANY_STRING",
    "Channel",
    "ChannelLiveServerTestCase",
    "ChannelTestCase",
    "ChannelTestMixin",
    "ChannelTransactionTestCase",
    "Client",
    "Group",
    "HttpClient",
    "HttpResponse",
    "Message",
    "Regex",
    "ReplayMixin",
    "ReplayTestCase",
    "ReplayTransactionTestCase",
    "WSClient",
    "apply_routes",
    "areplay_cassette",
    "replay_cassette",
]

"""The hosts a session was recorded with are allowed for a replay, and only for it."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.http import HttpRequest
from django.test import override_settings

from chanreplay.replay.hosts import recorded_hosts, recorded_hosts_allowed


def test_the_recorded_hosts_in_order_without_repeats() -> None:
    scopes = [
        {"headers": ["host: 127.0.0.1", "origin: http://127.0.0.1"]},
        {"headers": ["accept: */*"]},
        {"headers": ["Host: LOCALHOST"]},
        {"headers": ["host: 127.0.0.1"]},
        {"headers": ["host: [::1]"]},
    ]
    assert recorded_hosts(scopes) == ["127.0.0.1", "localhost", "[::1]"]


def _request(host: str) -> HttpRequest:
    request = HttpRequest()
    request.META = {"HTTP_HOST": host, "SERVER_NAME": host, "SERVER_PORT": "80"}
    return request


@override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"])
def test_django_and_origin_validators_accept_the_recorded_hosts_for_the_replay() -> None:
    from django.core.exceptions import DisallowedHost

    validator = OriginValidator(None, settings.ALLOWED_HOSTS)  # built before the replay
    with pytest.raises(DisallowedHost):
        _request("127.0.0.1").get_host()
    with recorded_hosts_allowed(["127.0.0.1", "[::1]"]) as refusals:
        assert _request("127.0.0.1").get_host() == "127.0.0.1"
        assert validator.valid_origin(urlparse("http://127.0.0.1"))
        assert validator.valid_origin(urlparse("http://[::1]:8000"))
        assert not validator.valid_origin(urlparse("http://evil.test"))
        assert not validator.valid_origin(None)
    assert refusals.notes == [
        "a websocket's Origin 'http://evil.test' was refused by OriginValidator "
        "(allowed: testserver)",
        "a websocket's Origin 'none' was refused by OriginValidator (allowed: testserver)",
    ]
    assert settings.ALLOWED_HOSTS == ["testserver"]
    assert not validator.valid_origin(urlparse("http://127.0.0.1"))  # put back after


@override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"])
def test_a_host_django_refuses_is_noted() -> None:
    from django.core.exceptions import DisallowedHost
    from django.core.handlers.exception import response_for_exception

    with recorded_hosts_allowed(["127.0.0.1"]) as refusals:
        request = _request("elsewhere.test")
        try:
            request.get_host()
        except DisallowedHost as error:
            response_for_exception(request, error)  # Django logs it, as its handler does
    assert refusals.notes == [
        "Django refused a Host header: Invalid HTTP_HOST header: 'elsewhere.test'. "
        "You may need to add 'elsewhere.test' to ALLOWED_HOSTS."
    ]

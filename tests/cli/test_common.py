"""What the commands share: secrets given on the command line."""

from __future__ import annotations

import click
import pytest

from chanreplay.cli.common import pairs_of


def test_secrets_for_everyone_and_for_one_user() -> None:
    assert pairs_of(("password=shared",)) == {"password": "shared"}
    assert pairs_of(("password@alice=wonderland", "password@bob=builder")) == {
        "password": {"alice": "wonderland", "bob": "builder"}
    }
    assert pairs_of(("password=shared", "password@alice=wonderland", "token=t=1")) == {
        "password": {"*": "shared", "alice": "wonderland"},
        "token": "t=1",  # the value ends the option, whatever it holds
    }
    # A username may hold '@': the name ends at the first one.
    assert pairs_of(("password@alice@example.com=x",)) == {"password": {"alice@example.com": "x"}}


@pytest.mark.parametrize("given", ["password", "=x", "password@=x", "@alice=x"])
def test_a_malformed_secret_says_how_to_write_it(given: str) -> None:
    with pytest.raises(click.BadParameter, match="give NAME=VALUE, or NAME@USER=VALUE"):
        pairs_of((given,))

"""Tests of chanreplay.replay.speedups: what a replay changes in the process, and puts back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from unittest import mock

import channels.consumer
import channels.db
import channels.generic.http
import channels.generic.websocket
import pytest
from asgiref.sync import SyncToAsync

from chanreplay.replay.speedups import connections_kept, no_full_collections, no_idle_hop

HOLDERS = (channels.db, channels.consumer, channels.generic.websocket, channels.generic.http)


@pytest.fixture
def close_old_connections() -> Iterator[mock.Mock]:
    """``channels.db.close_old_connections`` replaced by a mock that notes its thread."""
    threads: list[threading.Thread] = []
    stand_in = mock.Mock(side_effect=lambda **kwargs: threads.append(threading.current_thread()))
    stand_in.threads = threads
    with mock.patch.object(channels.db, "close_old_connections", stand_in):
        yield stand_in


async def test_a_consumer_skips_the_hop_while_close_old_connections_does_nothing() -> None:
    """With the kept-open no-op installed, the dispatch makes no thread hop at all."""
    with (
        mock.patch.object(channels.db, "close_old_connections", connections_kept),
        mock.patch.object(SyncToAsync, "__call__", autospec=True) as hop,
        no_idle_hop(),
    ):
        await channels.consumer.aclose_old_connections()
        await channels.generic.websocket.aclose_old_connections()
    hop.assert_not_called()


async def test_a_real_close_old_connections_is_still_called_in_its_thread(
    close_old_connections: mock.Mock,
) -> None:
    """Any other close_old_connections (Django's own) is called as before, off the loop."""
    with no_idle_hop():
        await channels.consumer.aclose_old_connections()
    assert close_old_connections.call_count == 1
    assert close_old_connections.threads != [threading.current_thread()]


def test_the_consumers_get_their_function_back() -> None:
    """After the block, and after nested blocks, every module holds Channels' own function."""
    originals = [holder.aclose_old_connections for holder in HOLDERS]
    with no_idle_hop():
        with no_idle_hop():
            assert channels.consumer.aclose_old_connections is not originals[1]
        assert channels.consumer.aclose_old_connections is not originals[1]
    assert [holder.aclose_old_connections for holder in HOLDERS] == originals


def test_a_patch_made_over_the_replays_own_is_left_to_its_owner() -> None:
    """Something that patched the function during the block restores it itself."""
    original = channels.consumer.aclose_old_connections
    mine = mock.AsyncMock()
    with no_idle_hop():
        channels.consumer.aclose_old_connections = mine
    try:
        assert channels.consumer.aclose_old_connections is mine
    finally:
        channels.consumer.aclose_old_connections = original


def test_no_full_collection_during_the_block_and_the_thresholds_back_after() -> None:
    """Young collections keep their thresholds; the oldest one's is out of reach, then back."""
    before = gc.get_threshold()
    with no_full_collections():
        with no_full_collections():
            during = gc.get_threshold()
        assert gc.get_threshold() == during
    assert during[:2] == before[:2]
    assert during[2] >= 1_000_000
    assert gc.get_threshold() == before


def test_thresholds_changed_during_the_block_are_left_alone() -> None:
    """Thresholds someone else set meanwhile are theirs: the block does not undo them."""
    before = gc.get_threshold()
    try:
        with no_full_collections():
            gc.set_threshold(500, 5, 5)
        assert gc.get_threshold() == (500, 5, 5)
    finally:
        gc.set_threshold(*before)

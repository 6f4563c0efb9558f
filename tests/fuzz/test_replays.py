"""Mutated cassettes replayed against the real consumers: a result or a diagnosis, no hang.

What ``chanreplay verify``, ``ReplayTestCase`` and the pytest plugin do with a
cassette, on mutations of the example session (the application the test
settings serve), half of them kept loadable (see :mod:`tests.fuzz.test_edge`).
A replay must end in one of three ways: it passes, it reports a mismatch
(``ReplayMismatch``, an ``AssertionError``, with the report), or it raises a
:class:`ChanreplayError` that names what is wrong. Anything else (a
``KeyError`` out of the driver, an error of the consumers that the report
does not explain) is a failure, and so is a replay that does not end: a
watchdog dumps every thread and fails the run after :data:`BOUND` seconds.
Bounded here (``FUZZ_REPLAY_EXAMPLES``, 40 by default); a long run:
``FUZZ_REPLAY_EXAMPLES=1000 .venv/bin/python -m pytest tests/fuzz/test_replays.py -p no:xdist``.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from chanreplay.exceptions import ChanreplayError
from chanreplay.testing.replay import ReplayMismatch, replay_cassette
from tests.fuzz.test_edge import loadable
from tests.fuzz.test_readers import REGRESSIONS, SEEDS, bounded, keep_failure, mutated

# Reset sequences: the session's rows get the ids the cassette recorded, example after example.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)

EXAMPLES = int(os.environ.get("FUZZ_REPLAY_EXAMPLES", "40"))
EXAMPLE = [SEEDS[0]]
"""The example session: its consumers are the ones the test settings serve."""
PASSWORD = "wonderland-secret-1"
"""Alice's password in the example session (tests/example_project/drive_session.py)."""
TIMEOUT = 0.3
"""Seconds a replay waits for each expected event (a mutated cassette stalls often)."""
BOUND = 120
"""Seconds one replay may take before the watchdog calls it a hang."""


def _replay(data: bytes) -> None:
    """Replay ``data``; return on a pass, a mismatch or a diagnosis."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.json"
        path.write_bytes(data)
        faulthandler.dump_traceback_later(BOUND, exit=True, file=sys.stderr)
        try:
            replay_cassette(path, secrets={"password": PASSWORD}, timeout=TIMEOUT)
        except (ReplayMismatch, ChanreplayError):
            pass
        finally:
            faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def alice() -> None:
    """The user the example session logs in as."""
    get_user_model().objects.create_user(username="alice", password=PASSWORD)


# alice, the function-scoped fixture: one user for every example is right.
@bounded(EXAMPLES, HealthCheck.function_scoped_fixture)
@given(data=st.one_of(mutated(EXAMPLE), loadable(EXAMPLE)))
# A request whose view a mutated session leaves running past the replay's end is
# cancelled after its grace; Django, cancelled there, leaves the request body's
# temporary file to the garbage collector (a ResourceWarning that pytest reports as
# unraisable, at some later test). It is Django's, and says nothing of the replay.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_mutated_cassette_replays_or_is_diagnosed(alice: None, data: bytes) -> None:
    try:
        _replay(data)
    except BaseException:
        keep_failure(data, "replay-failure")
        raise


@pytest.mark.parametrize(
    "regression", sorted(REGRESSIONS.glob("replay-*.json")), ids=lambda p: p.name
)
def test_replay_inputs_that_once_failed_are_diagnosed(alice: None, regression: Path) -> None:
    _replay(regression.read_bytes())


def test_the_unmutated_seed_replays(alice: None) -> None:
    """The fuzz starts from a session that passes: what fails is what the mutation did."""
    assert replay_cassette(EXAMPLE[0], secrets={"password": PASSWORD}).passed

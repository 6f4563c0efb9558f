"""on_commit callbacks during a replay run as the application's transactions commit."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase

from chanreplay.replay.transactions import emulated_commits


class InsideATestCase(TestCase):
    """The test's own transaction stands for autocommit, as the dev server's connection had."""

    def test_a_callback_outside_any_transaction_of_the_application_runs_at_once(self) -> None:
        ran: list[str] = []
        with emulated_commits():
            transaction.on_commit(lambda: ran.append("now"))
            assert ran == ["now"]
        assert ran == ["now"]

    def test_a_callback_inside_a_transaction_runs_when_the_outermost_block_commits(self) -> None:
        ran: list[str] = []
        with emulated_commits():
            with transaction.atomic():
                transaction.on_commit(lambda: ran.append("outer"))
                with transaction.atomic():
                    transaction.on_commit(lambda: ran.append("inner"))
                assert ran == []  # the inner block is a savepoint: nothing commits yet
            assert ran == ["outer", "inner"]

    def test_a_rolled_back_transaction_drops_its_callbacks(self) -> None:
        ran: list[str] = []

        def failing(name: str) -> None:
            with transaction.atomic():
                transaction.on_commit(lambda: ran.append(name))
                raise LookupError(name)

        with emulated_commits():
            with pytest.raises(LookupError, match="lost"):
                failing("lost")
            with transaction.atomic():
                with pytest.raises(LookupError, match="lost too"):
                    failing("lost too")  # a savepoint rolled back
                transaction.on_commit(lambda: ran.append("kept"))
            assert ran == ["kept"]

    def test_callbacks_may_register_more_and_the_tests_own_are_left_alone(self) -> None:
        ran: list[str] = []
        transaction.on_commit(lambda: ran.append("the test's"))  # never runs in a TestCase
        with emulated_commits():
            transaction.on_commit(
                lambda: (ran.append("first"), transaction.on_commit(lambda: ran.append("second")))
            )
        assert ran == ["first", "second"]
        next(func for _, func, _ in connection.run_on_commit)()
        assert ran == ["first", "second", "the test's"]

    def test_a_robust_callback_that_raises_is_logged(self) -> None:
        def fails() -> None:
            raise RuntimeError("observer broke")

        with self.assertLogs("chanreplay", logging.ERROR) as logged, emulated_commits():
            transaction.on_commit(fails, robust=True)
        assert "observer broke" in logged.output[0]

    def test_a_signal_handler_broadcasting_on_commit_sees_the_row(self) -> None:
        """The common case: post_save schedules on_commit; the callback reads the row."""
        seen: list[str] = []

        def saved(sender: object, instance: object, **kwargs: object) -> None:
            name = instance.username  # type: ignore[attr-defined]
            transaction.on_commit(
                lambda: seen.append(get_user_model().objects.get(username=name).username)
            )

        from django.db.models.signals import post_save

        post_save.connect(saved, sender=get_user_model())
        try:
            with emulated_commits():
                get_user_model().objects.create_user("observed")
        finally:
            post_save.disconnect(saved, sender=get_user_model())
        assert seen == ["observed"]

    def test_pending_names_callbacks_an_open_transaction_holds(self) -> None:
        def broadcast() -> None:
            return None

        with emulated_commits() as emulation, transaction.atomic():
            transaction.on_commit(broadcast)
            (pending,) = emulation.pending()
        assert pending.startswith("InsideATestCase.test_pending_names_callbacks_an_open_")
        assert pending.endswith("broadcast (default)")


class InAutocommit(TransactionTestCase):
    def test_nothing_is_emulated_where_transactions_commit_for_real(self) -> None:
        ran: list[str] = []
        with emulated_commits() as emulation:
            assert emulation.levels == {}
            with transaction.atomic():
                transaction.on_commit(lambda: ran.append("committed"))
                assert ran == []
            assert ran == ["committed"]

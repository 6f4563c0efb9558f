"""Primary-key sequences set back before a replay, so the ids a session creates come out again.

The ids a recorded session created (a chat message's, a new room's) are in
its frames and group names. The recording started from a database holding
what the session assumed; the ids came next. In a test the same rows exist,
but PostgreSQL's sequences do not roll back with the test's transaction: the
second replay in a process would hand out later ids. Before each replay every
sequence is set to follow the rows the table holds at that moment (what
``manage.py sqlsequencereset`` does), inside the test's transaction.

SQLite needs nothing (its counters roll back with the transaction); MySQL
and MariaDB cannot set theirs without ending the transaction, and are left
as they are.
"""

from __future__ import annotations

import logging

__all__ = ["reset_sequences"]

logger = logging.getLogger("chanreplay")


def reset_sequences() -> list[str]:
    """Point every table's id sequence past its rows, on each database the test may use.

    Returns the aliases reset. A database the test may not query (a
    ``TestCase`` whose ``databases`` leave it out) is skipped.
    """
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connections, router, transaction
    from django.db.backends.base.operations import BaseDatabaseOperations
    from django.test.testcases import DatabaseOperationForbidden  # type: ignore[attr-defined]

    done = []
    for alias in connections:
        connection = connections[alias]
        if type(connection.ops).sequence_reset_sql is BaseDatabaseOperations.sequence_reset_sql:
            continue  # a backend with no sequences to set (SQLite, MySQL)
        try:
            tables = set(connection.introspection.table_names())
        except DatabaseOperationForbidden:
            continue
        models = [
            model
            for model in apps.get_models(include_auto_created=True)
            if model._meta.db_table in tables
            and model._meta.managed
            and not model._meta.proxy
            and router.allow_migrate_model(alias, model)
        ]
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        if not statements:
            continue
        # In a savepoint: a statement that fails must not abort the test's transaction.
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        done.append(alias)
    return done

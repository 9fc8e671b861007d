"""``reports.sql.sent``: the report's statements sent together, each one's rows read when the
caller asks. On PostgreSQL all but the last go in one pipeline and their results are in before
the last is sent, so the caller works on them while the server runs the last (issue 16's
speed): shown here by a last statement that cannot finish until the caller has read the
others — it waits for an advisory lock another connection releases only then."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.reports import sql

LOCK = 716_016


def test_each_statement_gives_its_own_rows_in_the_order_sent(ctx):
    queries = [
        (sa.select(sa.literal(n, sa.Integer()) * sa.bindparam("k")), {"k": 10}) for n in (1, 2, 3)
    ]
    with sql.sent(*queries) as results:
        assert [read() for read in results] == [[(10,)], [(20,)], [(30,)]]
    assert sql.fetch(queries[0]) == [[(10,)]]  # one statement alone


@pytest.mark.pg_only
def test_the_first_results_are_read_while_the_last_statement_still_runs(ctx, database_url):
    url = sa.make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK,))
        # Were the last statement sent with the others, reading the first would wait for it,
        # and it for the lock: the statement fails after the lock timeout instead of hanging.
        db.session.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
        waits = sa.select(sa.literal(1)).select_from(
            sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("lock"))).subquery()
        )
        queries = [
            (sa.select(sa.literal("first")), {}),
            (sa.select(sa.literal("second")), {}),
            (waits, {"lock": LOCK}),
        ]
        with sql.sent(*queries) as results:
            assert results[0]() == [("first",)]
            assert results[1]() == [("second",)]
            held = other.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            ).fetchone()
            assert held == (1,)  # the last statement is running, waiting for the lock
            other.execute("SELECT pg_advisory_unlock(%s)", (LOCK,))
            assert results[2]() == [(1,)]
    db.session.rollback()

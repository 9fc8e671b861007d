"""``reports.sql.sent``: the report's statements sent together, each one's rows read when the
caller asks. On PostgreSQL they go in waves in one pipeline: a wave's results are in before
the next wave is sent, so the caller works on them while the server runs the next (issue 16's
speed): shown here by statements that cannot finish until the caller has read the wave
before theirs — each waits for an advisory lock another connection releases only then."""

from __future__ import annotations

import time

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
    with sql.sent(queries) as results:
        assert [read() for read in results] == [[(10,)], [(20,)], [(30,)]]
    with sql.sent(queries[:1], [], queries[1:]) as results:  # in waves, read out of order
        assert [results[2](), results[0](), results[1]()] == [[(30,)], [(10,)], [(20,)]]
    assert sql.fetch(queries[0]) == [[(10,)]]  # one statement alone


def _waiting(other: psycopg.Connection, *, at_least: int = 1, seconds: float = 5.0) -> int:
    """How many statements wait for an advisory lock, once at least ``at_least`` do (a wave
    just sent reaches the server a moment later; on a loaded machine, after the first look)."""
    deadline = time.monotonic() + seconds
    while True:
        row = other.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()
        count = int(row[0]) if row else 0
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.01)


@pytest.mark.pg_only
def test_a_wave_is_read_while_the_server_runs_the_next(ctx, database_url):
    url = sa.make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s), pg_advisory_lock(%s)", (LOCK, LOCK + 1))
        # Were a wave sent with the one before, reading that one would wait for it, and it for
        # its lock: the statement fails after the lock timeout instead of hanging.
        db.session.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
        waits = sa.select(sa.literal(1)).select_from(
            sa.select(sa.func.pg_advisory_xact_lock(sa.bindparam("lock"))).subquery()
        )
        first = [(sa.select(sa.literal("first")), {}), (sa.select(sa.literal("second")), {})]
        with sql.sent(first, [(waits, {"lock": LOCK})], [(waits, {"lock": LOCK + 1})]) as results:
            assert results[0]() == [("first",)]
            assert results[1]() == [("second",)]
            # The second wave runs, waiting for its lock; the third is not sent yet.
            assert _waiting(other) == 1
            other.execute("SELECT pg_advisory_unlock(%s)", (LOCK,))
            assert results[2]() == [(1,)]
            assert _waiting(other) == 1  # now the third wave runs
            other.execute("SELECT pg_advisory_unlock(%s)", (LOCK + 1,))
            assert results[3]() == [(1,)]
    db.session.rollback()

"""A request's transaction that only read ends with COMMIT, not ROLLBACK, keeping PostgreSQL's
prepared statements.

psycopg 3 prepares a statement once it has run five times on one connection, and forgets every
prepared statement of a connection whenever that connection rolls back (a rolled-back
transaction may have dropped what they refer to). SQLAlchemy's session ends every transaction
it did not commit with a rollback, and a page's reads are never committed: no statement ever
reached the threshold, and PostgreSQL planned every statement of every page afresh. For the
home page's lists of claims planning took about 4 of each statement's 5 ms.

For a transaction that changed nothing, COMMIT and ROLLBACK leave the database the same. So a
transaction is committed at the end of the request when every statement it ran was a SELECT
(tracked per connection from its BEGIN, ``install``) and the session holds no unflushed
change; anything else — a write, a statement not known to be a read (``SET``, raw SQL that is
not a SELECT), pending objects, an error — still rolls back.
"""

from __future__ import annotations

import contextlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, ExecutionContext
from sqlalchemy.orm import scoped_session

_WROTE = "comarketing.wrote"


def install(engine: sa.Engine) -> None:
    """Track, on each of ``engine``'s connections, whether its transaction ran anything but
    SELECT statements."""

    @sa.event.listens_for(engine, "begin")
    def began(connection: Connection) -> None:
        connection.info[_WROTE] = False

    @sa.event.listens_for(engine, "before_cursor_execute")
    def executing(
        connection: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        executemany: bool,
    ) -> None:
        if not connection.info.get(_WROTE, True) and not _reads(statement, context):
            connection.info[_WROTE] = True


def _reads(statement: str, context: ExecutionContext | None) -> bool:
    # DefaultExecutionContext's flags (the base class does not declare isdelete).
    if context is not None and any(
        getattr(context, flag, False) for flag in ("isinsert", "isupdate", "isdelete")
    ):
        return False
    # A compiled SELECT, or plain SQL text that is one (CTEs and everything else: not known).
    return statement.lstrip()[:7].upper() in ("SELECT ", "SELECT\n")


def only_read(session: scoped_session[Any]) -> bool:
    """True when the session's transaction ran only SELECT statements and nothing waits to be
    flushed (False with no transaction: nothing to end)."""
    if not session.registry.has():
        return False
    current = session()
    if not current.in_transaction() or current.new or current.dirty or current.deleted:
        return False
    transaction = current.get_transaction()
    # Each bind's connection in this transaction (SQLAlchemy 2's SessionTransaction keeps them
    # as (connection, transaction, ...) by bind; nothing public lists them).
    held = getattr(transaction, "_connections", None)
    if not held:
        return False
    return all(not entry[0].info.get(_WROTE, True) for entry in held.values())


def end(session: scoped_session[Any]) -> None:
    """End the request's session: commit a transaction that only read, then remove it."""
    if only_read(session):
        # A transaction SQLAlchemy holds failed (a flush that raised): rolled back below.
        with contextlib.suppress(sa.exc.InvalidRequestError):
            session.commit()
    session.remove()

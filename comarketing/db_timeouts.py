"""Room for long work inside one transaction, on PostgreSQL's request-sized timeouts.

Every connection starts with the server-side timeouts of the configuration (DB_STATEMENT_TIMEOUT,
DB_IDLE_IN_TRANSACTION_TIMEOUT, ...), sized for requests: a session left idle inside a
transaction by a client cut off is ended within seconds, releasing its locks. Work that
legitimately spends long between two statements of one transaction (reading and checking a
large import file, sketching an audience file) lifts them for its own transaction only.
"""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.extensions import db

LONG_WORK_SECONDS = 3600


def long_transaction(seconds: int = LONG_WORK_SECONDS) -> None:
    """Lift the statement and idle-in-transaction timeouts for the current transaction (no-op
    on SQLite). Call it at the start of the transaction's work: ``SET LOCAL`` ends with it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    milliseconds = int(seconds * 1000)
    for setting in ("statement_timeout", "idle_in_transaction_session_timeout"):
        db.session.execute(sa.text(f"SET LOCAL {setting} = {milliseconds}"))

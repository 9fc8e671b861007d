"""How the reports' statements find their rows where a planner would choose badly by itself."""

from __future__ import annotations

from datetime import date

from comarketing.extensions import db
from comarketing.reports import queries
from comarketing.reports.scope import Scope


def test_the_flight_reaches_are_read_from_their_partial_index(ctx):
    """SQLite takes the partial index while it is still empty (no statistics) for a large one
    and reads every placement of the company's campaigns instead (as the bench's database
    showed): the statement names the index there — SQLite refuses to prepare it were the
    index unusable. PostgreSQL picks it by itself: the statement is the plain one. (That the
    flight reaches read are the right ones: ``test_people_reached``.)"""
    statement, values = queries._flights_query(Scope(1, date(2026, 1, 1), date(2026, 12, 31)))
    connection = db.session.connection()
    sql_text = str(statement.compile(dialect=connection.dialect))
    named = "FROM placements INDEXED BY ix_placements_flight_reach" in sql_text
    assert named == (connection.dialect.name == "sqlite"), sql_text
    assert connection.execute(statement, values).all() == []

"""What only PostgreSQL can show about the ledger: the over-spend guard under real concurrent
connections (SQLite ignores ``SELECT ... FOR UPDATE``), and the append-only trigger of
migration 0003 refusing UPDATE and DELETE from raw SQL and from every ORM path."""

from __future__ import annotations

import threading

import psycopg
import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.budgets import balances, reversals
from comarketing.budgets.models import AppendOnlyViolation, LedgerEntry
from comarketing.budgets.posting import OverBudget
from comarketing.extensions import db
from tests.campaign_helpers import (
    PM,
    assert_ledger_consistent,
    joint_campaign,
    ledger_rows,
    spend,
)
from tests.offer_helpers import actor, notified

pytestmark = pytest.mark.pg_only

POSTERS = 10
EXPENSE = 15_000  # EUR 150.00 each, against EUR 1,000.00 committed: 6 fit, 4 do not


@freeze_time("2027-03-15 12:00:00")  # expenses are booked once spent, within the campaign
def test_concurrent_expense_posts_never_take_spend_past_the_commitments(app, world):
    with app.app_context():
        campaign = joint_campaign(world)  # EUR 1,000.00 committed
    barrier = threading.Barrier(POSTERS)
    outcomes: list[object] = [None] * POSTERS

    def post(index: int) -> None:
        # Each thread: its own app context, so its own session and connection.
        with app.app_context():
            try:
                company = world.a if index % 2 else world.b
                placement = campaign.a_placement if index % 2 else campaign.b_placement
                barrier.wait(timeout=30)  # everyone claims at the same moment
                spend(company.email(PM), campaign.id, placement, EXPENSE)
                outcomes[index] = "posted"
            except Exception as exc:  # recorded, and checked below
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(POSTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    refused = [o for o in outcomes if o != "posted"]
    assert outcomes.count("posted") == 6, outcomes
    assert all(isinstance(o, OverBudget) and o.field == "amount" for o in refused), refused
    with app.app_context():
        totals = balances.campaign_totals(campaign.id)
        assert (totals.committed_minor, totals.spent_minor) == (100_000, 6 * EXPENSE)
        # 90 % spent: the 80 % alert went out once, to the 4 admins and partner managers.
        assert len(notified("budget_alert")) == 4
    assert_ledger_consistent(app)


@pytest.fixture
def posted(app, world):
    """A campaign with commitments, an expense and a reversal; returns the ledger rows."""
    with app.app_context():
        campaign = joint_campaign(world)
        expense = spend(world.a.email(PM), campaign.id, campaign.a_placement, 12_000)
        reversals.reverse_entry(
            actor(world.a.email(PM)), campaign.id, expense.id, reason="Wrong invoice"
        )
        return ledger_rows()


def plain_connection(app) -> psycopg.Connection:
    """psycopg alone: no SQLAlchemy, no ORM events, autocommit."""
    with app.app_context():
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(url, autocommit=True)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount_minor = amount_minor + 1",
        "UPDATE ledger_entries SET note = 'edited' WHERE kind = 'expense'",
        "DELETE FROM ledger_entries WHERE kind = 'reversal'",
        "DELETE FROM ledger_entries",
    ],
)
def test_raw_sql_cannot_update_or_delete_ledger_rows(app, posted, statement):
    with plain_connection(app) as conn:
        with pytest.raises(psycopg.errors.RestrictViolation) as refused:
            conn.execute(statement)
        assert "ledger_entries is append-only" in str(refused.value)
        # Reading still works on the same connection, and every row is still there.
        count = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()
        assert count == (len(posted),)
    with app.app_context():
        assert ledger_rows() == posted


def test_every_orm_path_to_change_or_delete_ledger_rows_fails(app, posted):
    with app.app_context():
        entry = db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.id)).first()
        # The unit of work: refused by the mapper guard before any SQL is sent.
        entry.note = "edited"
        with pytest.raises(AppendOnlyViolation):
            db.session.commit()
        db.session.rollback()
        db.session.delete(entry)
        with pytest.raises(AppendOnlyViolation):
            db.session.commit()
        db.session.rollback()
        # Bulk statements skip mapper events: the database trigger refuses them.
        for statement in (
            sa.update(LedgerEntry).values(amount_minor=1),
            sa.update(LedgerEntry).where(LedgerEntry.id == entry.id).values(note="edited"),
            sa.delete(LedgerEntry).where(LedgerEntry.kind == "expense"),
            sa.text("DELETE FROM ledger_entries"),
        ):
            with pytest.raises(sa.exc.DBAPIError) as refused:
                db.session.execute(statement)
                db.session.commit()
            assert "ledger_entries is append-only" in str(refused.value.orig)
            db.session.rollback()
        assert ledger_rows() == posted

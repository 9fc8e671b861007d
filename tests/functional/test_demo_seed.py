"""`flask seed-demo` gives the dashboard a year to tell: solo and joint campaigns of the three
baking brands with daily results and a ledger, seeded once however often the command runs."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from comarketing.accounts.models import User
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.demo import inbox
from comarketing.demo.companies import DEMO_PASSWORD
from comarketing.demo.history import HISTORY
from comarketing.extensions import db
from comarketing.metrics.models import VALUE_FIELDS, DailyMetric, MetricRollup
from comarketing.notifications import Notification
from comarketing.outbox import OutboxMessage
from comarketing.reports import services as reports

ANALYST = "insights@millstone.example"


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables
        }


def seed(runner) -> str:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_demo_twice_gives_the_same_rows_in_every_table(app, runner):
    first = seed(runner)
    after_first = row_counts(app)
    second = seed(runner)

    assert row_counts(app) == after_first
    assert "created: a year of results: 14 past and running campaigns" in first
    assert "created:" not in second
    # A year of it, not a token: every planned campaign, its days and its monthly invoices.
    assert after_first["campaigns"] == len(HISTORY) + 2
    assert after_first["daily_metrics"] > 1_500
    assert after_first["metric_rollups"] > 80


def test_the_seeded_year_is_consistent_with_itself(app, runner):
    seed(runner)
    today = utcnow().date()
    with app.app_context():
        first_day, last_day = db.session.execute(
            sa.select(sa.func.min(DailyMetric.day), sa.func.max(DailyMetric.day))
        ).one()
        assert first_day <= today - timedelta(days=300)
        assert last_day == today - timedelta(days=1)  # results up to yesterday, none ahead
        statuses = dict(
            db.session.execute(
                sa.select(Campaign.status, sa.func.count()).group_by(Campaign.status)
            ).all()
        )
        assert statuses["completed"] >= 10 and statuses["active"] >= 2
        assert db.session.scalar(sa.select(sa.func.count()).where(Campaign.currency == "USD")) == 1
        # Written through the one write path, so the rollup equals the daily rows.
        raw = db.session.execute(
            sa.select(*(sa.func.sum(getattr(DailyMetric, f)) for f in VALUE_FIELDS))
        ).one()
        rolled = db.session.execute(
            sa.select(*(sa.func.sum(getattr(MetricRollup, f)) for f in VALUE_FIELDS))
        ).one()
        assert tuple(rolled) == tuple(raw)
        # Each historic placement's invoices add up to the costs of its days.
        history = [plan.name for plan in HISTORY]
        invoiced = dict(
            db.session.execute(
                sa.select(LedgerEntry.placement_id, sa.func.sum(LedgerEntry.amount_minor))
                .join(Campaign, Campaign.id == LedgerEntry.campaign_id)
                .where(Campaign.name.in_(history), LedgerEntry.kind == EntryKind.EXPENSE.value)
                .group_by(LedgerEntry.placement_id)
            ).all()
        )
        costs = dict(
            db.session.execute(
                sa.select(DailyMetric.placement_id, sa.func.sum(DailyMetric.cost_minor))
                .join(Placement, Placement.id == DailyMetric.placement_id)
                .join(Campaign, Campaign.id == Placement.campaign_id)
                .where(Campaign.name.in_(history))
                .group_by(DailyMetric.placement_id)
            ).all()
        )
        assert len(invoiced) == sum(len(plan.placements) for plan in HISTORY)
        assert invoiced == costs


def test_the_flour_company_sees_joint_and_solo_in_euros_and_a_dollar_section(app, runner, login_as):
    seed(runner)
    client = login_as(ANALYST, DEMO_PASSWORD)

    page = client.get("/reports")

    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:2000]
    assert 'data-testid="comparison-EUR"' in html and 'data-testid="comparison-USD"' in html
    assert "Money is never added across currencies" in html
    reading = re.search(
        r"Per euro of your own spend joint campaigns reached (\d+\.\d)x as many as solo "
        r"campaigns \(daily reach, summed\); on the campaigns&#39; whole spend (\d+\.\d)x",
        html,
    )
    assert reading is not None, "no joint vs solo reading in euros"
    assert float(reading.group(1)) >= 2.0 and float(reading.group(2)) >= 1.0
    # The dollar campaign ran alone: the page says the joint side is missing, not a ratio.
    usd = html[html.index('data-testid="comparison-USD"') :]
    assert "No joint campaign has results or spend in this period" in usd[:2000]

    with app.app_context():
        actor = Actor(db.session.scalar(sa.select(User).where(User.email == ANALYST)))
        board = reports.dashboard(actor, reports.period_for(reports.DEFAULT_PRESET))
    eur, usd_comparison = board.comparisons
    assert (eur.currency, usd_comparison.currency) == ("EUR", "USD")
    assert eur.joint.campaigns >= 4 and eur.solo.campaigns >= 5
    assert eur.joint.spend_minor > 0 and eur.solo.spend_minor > 0
    assert eur.joint.reach > 0 and eur.solo.reach > 0
    assert eur.reach_multiplier is not None and eur.reach_multiplier >= 2
    assert (usd_comparison.joint.campaigns, usd_comparison.solo.campaigns) == (0, 1)
    assert usd_comparison.solo.spend_minor > 0
    # Variation to show: two partners, several channels, both kinds month after month.
    assert set(board.by_partner["partner"]) == {"Goldcrest Shortening", "ChipCraft Chocolate"}
    eur_channels = board.by_channel[board.by_channel["currency"] == "EUR"]
    assert eur_channels["channel"].nunique() >= 6
    assert set(eur_channels["kind"]) == {"joint", "solo"}
    assert board.by_month["month"].nunique() >= 10


def test_the_demo_inbox_is_a_handful_per_person_and_queues_no_mail(app, runner):
    """Issue 18: no flood of history (31 unread alerts sent to all 12 users before), approvers
    do not get budget alarms, and no demo mail waits in front of a newcomer's invitation."""
    seed(runner)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
        unread = dict(
            db.session.execute(
                sa.select(User.email, sa.func.count(Notification.id))
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.read_at.is_(None))
                .group_by(User.email)
            ).all()
        )
        assert unread and max(unread.values()) <= inbox.UNREAD_PER_PERSON
        assert unread["approvals@goldcrest.example"] >= 1  # the offer awaiting its decision
        kinds_by_role = db.session.execute(
            sa.select(User.role, Notification.kind)
            .join(Notification, Notification.user_id == User.id)
            .distinct()
        ).all()
        assert ("approver", "budget_alert") not in kinds_by_role
        assert {kind for role, kind in kinds_by_role if role == "analyst"} <= {"goal_reached"}
        # Everything is grouped under the offer or campaign it is about.
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(Notification.subject_type == ""))
            == 0
        )

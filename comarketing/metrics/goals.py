"""Celebrate the win: tell every party when a write of daily metrics takes a campaign to one
of its goals (reach, leads or revenue totals at or past the target). Of each party's people,
those who run campaigns and the analysts hear of it, and whoever else opted in
(``policy.NOTIFICATION_AUDIENCE``).

Runs inside the writer's transaction, after its days and the monthly rollup are written: the
totals come from one aggregate over the rollup, and each goal is recorded in
``campaign_goal_events`` with an insert that skips goals already there. Only the goals this
insert really added are announced, so loading the same days again (or two imports racing on
PostgreSQL, where the second waits on the first one's row) never tells anyone twice.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from comarketing import events, notifications
from comarketing.accounts.models import User
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.db import upsert_insert, utcnow
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.metrics.models import CampaignGoalEvent, GoalKind, MetricRollup
from comarketing.money import format_money
from comarketing.notifications import About, Recipient

# goal -> (the campaign's target column, the summed figure)
TARGETS = {
    GoalKind.REACH: ("target_reach", "reach"),
    GoalKind.LEADS: ("target_leads", "leads"),
    GoalKind.REVENUE: ("target_revenue_minor", "revenue_minor"),
}
LABELS = {GoalKind.REACH: "reach", GoalKind.LEADS: "leads", GoalKind.REVENUE: "revenue"}


def _insert_new(events: list[dict[str, Any]]) -> set[tuple[int, str]]:
    """Insert the events, skipping those already recorded; returns the ones inserted."""
    statement: Any = upsert_insert(db.session, CampaignGoalEvent).values(events)
    statement = statement.on_conflict_do_nothing(index_elements=["campaign_id", "goal"])
    rows = db.session.execute(
        statement.returning(CampaignGoalEvent.campaign_id, CampaignGoalEvent.goal)
    ).all()
    return {(int(campaign_id), str(goal)) for campaign_id, goal in rows}


def announce_reached_goals(campaign_ids: set[int]) -> None:
    """Record and announce the goals of these campaigns that their totals now reach."""
    if not campaign_ids:
        return
    ids = sorted(campaign_ids)
    sums = (
        sa.select(
            MetricRollup.campaign_id.label("campaign_id"),
            *(sa.func.sum(getattr(MetricRollup, f)).label(f) for _, f in TARGETS.values()),
        )
        .where(MetricRollup.campaign_id.in_(ids))
        .group_by(MetricRollup.campaign_id)
        .subquery()
    )
    recorded = sa.select(CampaignGoalEvent.campaign_id, CampaignGoalEvent.goal).where(
        CampaignGoalEvent.campaign_id.in_(ids)
    )
    already = {(int(c), str(g)) for c, g in db.session.execute(recorded).all()}
    rows = db.session.execute(
        sa.select(
            Campaign.id,
            Campaign.name,
            Campaign.currency,
            *(getattr(Campaign, target) for target, _ in TARGETS.values()),
            *(sums.c[f] for _, f in TARGETS.values()),
        ).join(sums, sums.c.campaign_id == Campaign.id)
    ).all()
    now = utcnow()
    reached: dict[tuple[int, str], tuple[str, str, int]] = {}
    for row in rows:
        campaign_id, name, currency = int(row[0]), str(row[1]), str(row[2])
        targets = row[3 : 3 + len(TARGETS)]
        totals = row[3 + len(TARGETS) :]
        for goal, target, total in zip(TARGETS, targets, totals, strict=True):
            if target is None or target <= 0 or (campaign_id, goal.value) in already:
                continue
            if int(total or 0) >= int(target):
                reached[(campaign_id, goal.value)] = (name, currency, int(target))
    if not reached:
        return
    inserted = _insert_new(
        [{"campaign_id": c, "goal": g, "reached_at": now} for c, g in sorted(reached)]
    )
    if not inserted:
        return
    people: dict[int, list[Recipient]] = {}
    for campaign_id, user_id, email in db.session.execute(
        sa.select(CampaignParty.campaign_id, User.id, User.email)
        .join(User, User.organization_id == CampaignParty.organization_id)
        .where(
            CampaignParty.campaign_id.in_(sorted({c for c, _ in inserted})),
            User.active,
        )
        .order_by(CampaignParty.campaign_id, User.id)
    ).all():
        people.setdefault(int(campaign_id), []).append(Recipient(int(user_id), str(email)))
    for campaign_id, kind in sorted(inserted):
        name, currency, target = reached[(campaign_id, kind)]
        _announce(campaign_id, GoalKind(kind), name, currency, target, people.get(campaign_id, []))


def _announce(
    campaign_id: int,
    goal: GoalKind,
    name: str,
    currency: str,
    target: int,
    recipients: list[Recipient],
) -> None:
    events.raise_(
        "goal.reached",
        events.campaign_parties(campaign_id),
        campaign_id=campaign_id,
        goal=goal.value,
        target=target,
    )
    label = LABELS[goal]
    goal_text = format_money(target, currency) if goal is GoalKind.REVENUE else f"{target:,}"
    notifications.notify(
        recipients,
        kind="goal_reached",
        title=f"Goal reached: {name} hit its {label} goal of {goal_text}",
        body=(
            f"Hello,\n\nCongratulations: {name} has reached its {label} goal of {goal_text}.\n\n"
            "See how the campaign is pacing on its report:\n"
            f"{absolute_url('reports.campaign_report', campaign_id=campaign_id)}\n"
        ),
        link=f"/campaigns/{campaign_id}/report",
        about=About("campaign", campaign_id, name),
    )

"""The campaign calendar: the month grid of campaigns and milestones, and channel clashes
(two of the organization's campaigns using its own channel over the same days)."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.campaigns.access import visible_campaigns
from comarketing.campaigns.models import Campaign, CampaignStatus, Milestone, Placement
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.policy import Action, authorize


@dataclass(frozen=True)
class Clash:
    channel: str
    first: tuple[int, str]  # campaign id, name
    second: tuple[int, str]
    start: date
    end: date


def clashes(organization_id: int, start: date, end: date) -> list[Clash]:
    """Two campaigns of this organization using its own channel over the same days.

    Compares the organization's own placements (not partners'), in campaigns that are not
    cancelled, pairwise in SQL. One clash per distinct overlap: two placement pairs of the same
    campaigns can overlap on separate days, and one (start, end) cannot describe both.
    """
    p1, p2 = aliased(Placement), aliased(Placement)
    c1, c2 = aliased(Campaign), aliased(Campaign)
    mine = (
        visible_campaigns(organization_id)
        .where(Campaign.status != CampaignStatus.CANCELLED.value)
        .with_only_columns(Campaign.id)
    )
    overlap_start = sa.case((p1.start_date > p2.start_date, p1.start_date), else_=p2.start_date)
    overlap_end = sa.case((p1.end_date < p2.end_date, p1.end_date), else_=p2.end_date)
    rows = db.session.execute(
        sa.select(
            p1.channel,
            c1.id,
            c1.name,
            c2.id,
            c2.name,
            overlap_start,
            overlap_end,
        )
        .distinct()
        .join(
            p2,
            sa.and_(
                p2.channel == p1.channel,
                p2.campaign_id > p1.campaign_id,
                p2.owner_organization_id == organization_id,
                p2.start_date <= p1.end_date,
                p2.end_date >= p1.start_date,
            ),
        )
        .join(c1, c1.id == p1.campaign_id)
        .join(c2, c2.id == p2.campaign_id)
        .where(
            p1.owner_organization_id == organization_id,
            p1.campaign_id.in_(mine),
            p2.campaign_id.in_(mine),
            p1.start_date <= end,
            p1.end_date >= start,
            p2.start_date <= end,
            p2.end_date >= start,
        )
        .order_by(c1.id, c2.id, p1.channel, overlap_start, overlap_end)
    ).all()
    return [Clash(ch, (a, an), (b, bn), s, e) for ch, a, an, b, bn, s, e in rows]


@dataclass
class DayCell:
    day: date
    in_month: bool
    campaigns: list[Campaign]
    milestones: list[tuple[Milestone, str]]  # milestone and its campaign's name
    clash: bool


@dataclass
class MonthView:
    year: int
    month: int
    weeks: list[list[DayCell]]
    clashes: list[Clash]
    previous: date
    next: date


def month_view(actor: Actor, year: int, month: int) -> MonthView:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    grid = month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = grid[0][0], grid[-1][-1]
    me = actor.organization_id
    campaigns = list(
        db.session.scalars(
            visible_campaigns(me)
            .where(
                Campaign.start_date <= last,
                Campaign.end_date >= first,
                Campaign.status != CampaignStatus.CANCELLED.value,
            )
            .order_by(Campaign.start_date, Campaign.id)
        )
    )
    milestones = db.session.execute(
        sa.select(Milestone, Campaign.name)
        .join(Campaign, Campaign.id == Milestone.campaign_id)
        .where(
            Milestone.campaign_id.in_(visible_campaigns(me).with_only_columns(Campaign.id)),
            Milestone.due_on.between(first, last),
        )
        .order_by(Milestone.due_on)
    ).all()
    found = clashes(me, first, last)
    clash_days = {d for c in found for d in _days(max(c.start, first), min(c.end, last))}
    weeks = [
        [
            DayCell(
                day,
                day.month == month,
                [c for c in campaigns if c.start_date <= day <= c.end_date],
                [(m, name) for m, name in milestones if m.due_on == day],
                day in clash_days,
            )
            for day in week
        ]
        for week in grid
    ]
    previous = (date(year, month, 1) - timedelta(days=1)).replace(day=1)
    following = (date(year, month, 28) + timedelta(days=4)).replace(day=1)
    return MonthView(year, month, weeks, found, previous, following)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]

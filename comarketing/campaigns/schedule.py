"""The planning calendar: a month or a week of campaigns (as bands), placements (as bands,
coloured by channel) and milestones, filtered, with clashes flagged on both items.

Everything shown comes from campaigns the organization is a party to (``access``), so a
partner's solo campaigns and their placements never appear. A page runs the same handful of
queries whatever the number of campaigns, placements or milestones: campaigns, placements,
milestones, the two clash queries and the filter choices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from comarketing import timezones
from comarketing.accounts.models import Organization
from comarketing.campaigns import cache, calendar_filters, calendar_grid, clashes
from comarketing.campaigns.calendar_filters import CalendarFilters, FilterChoices
from comarketing.campaigns.clashes import Clash
from comarketing.campaigns.models import (
    Campaign,
    CampaignParty,
    Milestone,
    MilestoneKind,
    Placement,
)
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.policy import Action, authorize
from comarketing.timezones import Reader

MONTH = "month"
WEEK = "week"
# A month shows this many bands per week; the rest are counted per day and the week view
# (no cap) shows them.
MONTH_LANES = 8


@dataclass(frozen=True)
class Item:
    """One thing on the calendar: a campaign band, a placement band or a milestone (one day)."""

    kind: str  # "campaign", "placement" or "milestone"
    id: int
    title: str
    start: date
    end: date
    campaign_id: int
    campaign_name: str
    campaign_kind: str  # joint or solo
    channel: str = ""  # placements
    owner_name: str = ""  # placements and milestones: the owning company
    mine: bool = True  # owned by the reader's company (campaign bands: always True)
    milestone_kind: str = ""
    done: bool = False
    clashes: tuple[Clash, ...] = ()

    @property
    def blackout(self) -> bool:
        return self.milestone_kind == MilestoneKind.BLACKOUT.value


@dataclass
class CalendarView:
    mode: str  # MONTH or WEEK
    anchor: date  # the month's first day, or the week's Monday
    weeks: list[calendar_grid.Week[Item]]
    clashes: list[Clash]  # those touching an item shown
    clash_days: set[date]
    previous: date
    next: date
    today: date
    filters: CalendarFilters
    choices: FilterChoices
    errors: dict[str, str] = field(default_factory=dict)  # filter field -> message
    counts: dict[str, int] = field(default_factory=dict)  # items shown, by kind
    # Every item shown, in order (campaigns, placements, milestones), before the layout caps a
    # month's bands: what the API answers.
    items: list[Item] = field(default_factory=list)

    @property
    def first(self) -> date:
        return self.weeks[0].days[0]

    @property
    def last(self) -> date:
        return self.weeks[-1].days[-1]

    def in_period(self, day: date) -> bool:
        return self.mode == WEEK or day.month == self.anchor.month


def reader_today(user: Reader) -> date:
    """The day it is now where the reader is (their zone, else their company's)."""
    return timezones.local(utcnow(), timezones.reader_zone(user)).date()


def _filtered_campaigns(me: int, filters: CalendarFilters, first: date, last: date) -> sa.Select:
    query = sa.select(Campaign).where(
        Campaign.id.in_(clashes.running_campaign_ids(me)),
        Campaign.start_date <= last,
        Campaign.end_date >= first,
    )
    if filters.campaign_id is not None:
        query = query.where(Campaign.id == filters.campaign_id)
    if filters.partner_id is not None:
        query = query.where(
            Campaign.id.in_(
                sa.select(CampaignParty.campaign_id).where(
                    CampaignParty.organization_id == filters.partner_id
                )
            )
        )
    if filters.channel is not None:
        query = query.where(
            Campaign.id.in_(
                sa.select(Placement.campaign_id).where(
                    Placement.channel == filters.channel,
                    Placement.start_date <= last,
                    Placement.end_date >= first,
                )
            )
        )
    if filters.owner == "partners":
        query = query.where(Campaign.kind == "joint")
    return query


def _owned(
    column: InstrumentedAttribute[int], me: int, owner: str | None
) -> list[sa.ColumnElement[bool]]:
    if owner == "mine":
        return [column == me]
    if owner == "partners":
        return [column != me]
    return []


def build(
    actor: Actor,
    mode: str,
    anchor: date,
    raw_filters: Mapping[str, str],
    today: date,
    errors: dict[str, str] | None = None,
) -> CalendarView:
    """The calendar of ``mode`` (a month or a week) around ``anchor``, filtered by the query
    parameters in ``raw_filters`` (see :mod:`calendar_filters`); ``errors`` carries messages
    the caller already has (an unreadable month, say).

    Kept for the company at its data version (``campaigns.cache``): what it shows (campaigns,
    placements, milestones, the parties' names) raises the version of every party when it
    changes; the reader's day and the filters asked for are part of the key."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    wanted = tuple((name, raw_filters.get(name) or "") for name in calendar_filters.FIELDS)
    arguments = (mode, anchor, wanted, today, tuple(sorted((errors or {}).items())))
    return cache.figures(
        actor.organization_id,
        "campaigns.calendar",
        arguments,
        lambda: _build(actor, mode, anchor, dict(wanted), today, errors),
    )


def _build(
    actor: Actor,
    mode: str,
    anchor: date,
    raw_filters: Mapping[str, str],
    today: date,
    errors: dict[str, str] | None,
) -> CalendarView:
    me = actor.organization_id
    if mode == WEEK:
        weeks = [calendar_grid.week_of(anchor)]
        anchor = weeks[0][0]
        previous, following = anchor - timedelta(days=7), anchor + timedelta(days=7)
    else:
        anchor = anchor.replace(day=1)
        weeks = calendar_grid.month_weeks(anchor.year, anchor.month)
        previous = (anchor - timedelta(days=1)).replace(day=1)
        following = (anchor + timedelta(days=32)).replace(day=1)
    first, last = weeks[0][0], weeks[-1][-1]
    filters, choices, filter_errors = calendar_filters.read(actor, raw_filters, first, last)

    campaigns_query = _filtered_campaigns(me, filters, first, last)
    campaign_ids = campaigns_query.with_only_columns(Campaign.id)
    campaigns = list(db.session.scalars(campaigns_query.order_by(Campaign.start_date, Campaign.id)))
    placements = db.session.execute(
        sa.select(Placement, Campaign.name, Campaign.kind, Organization.name)
        .join(Campaign, Campaign.id == Placement.campaign_id)
        .join(Organization, Organization.id == Placement.owner_organization_id)
        .where(
            Placement.campaign_id.in_(campaign_ids),
            Placement.start_date <= last,
            Placement.end_date >= first,
            *([Placement.channel == filters.channel] if filters.channel else []),
            *_owned(Placement.owner_organization_id, me, filters.owner),
        )
        .order_by(Campaign.start_date, Campaign.id, Placement.start_date, Placement.id)
    ).all()
    milestones = db.session.execute(
        sa.select(Milestone, Campaign.name, Campaign.kind, Organization.name)
        .join(Campaign, Campaign.id == Milestone.campaign_id)
        .join(Organization, Organization.id == Milestone.owner_organization_id)
        .where(
            Milestone.campaign_id.in_(campaign_ids),
            Milestone.due_on.between(first, last),
            *_owned(Milestone.owner_organization_id, me, filters.owner),
        )
        .order_by(Milestone.due_on, Milestone.id)
    ).all()

    # Clashes touching an item shown (the other side may be filtered out: it is still named).
    shown = {("placement", p.id) for p, *_ in placements} | {
        ("milestone", m.id) for m, *_ in milestones
    }
    kept: list[Clash] = []
    by_item: dict[tuple[str, int], list[Clash]] = defaultdict(list)
    for clash in clashes.find(me, first, last):
        refs = [(r.kind, r.id) for r in clash.refs]
        if any(ref in shown for ref in refs):
            kept.append(clash)
            for ref in refs:
                by_item[ref].append(clash)
    items: list[tuple[Item, date, date]] = []
    for c in campaigns:
        band = Item("campaign", c.id, c.name, c.start_date, c.end_date, c.id, c.name, c.kind)
        items.append((band, c.start_date, c.end_date))
    for p, campaign_name, campaign_kind, owner_name in placements:
        item = Item(
            "placement", p.id, p.name, p.start_date, p.end_date, p.campaign_id, campaign_name,
            campaign_kind, channel=p.channel, owner_name=owner_name,
            mine=p.owner_organization_id == me,
            clashes=tuple(by_item[("placement", p.id)]),
        )  # fmt: skip
        items.append((item, p.start_date, p.end_date))
    for m, campaign_name, campaign_kind, owner_name in milestones:
        item = Item(
            "milestone", m.id, m.title, m.due_on, m.due_on, m.campaign_id, campaign_name,
            campaign_kind, owner_name=owner_name, mine=m.owner_organization_id == me,
            milestone_kind=m.kind, done=m.done_at is not None,
            clashes=tuple(by_item[("milestone", m.id)]),
        )  # fmt: skip
        items.append((item, m.due_on, m.due_on))

    laid = calendar_grid.lay_out(weeks, items, max_lanes=MONTH_LANES if mode == MONTH else None)
    clash_days = {
        max(c.start, first) + timedelta(days=n)
        for c in kept
        for n in range((min(c.end, last) - max(c.start, first)).days + 1)
    }
    return CalendarView(
        mode=mode,
        anchor=anchor,
        weeks=laid,
        clashes=kept,
        clash_days=clash_days,
        previous=previous,
        next=following,
        today=today,
        filters=filters,
        choices=choices,
        errors={**(errors or {}), **filter_errors},
        counts={
            "campaign": len(campaigns),
            "placement": len(placements),
            "milestone": len(milestones),
        },
        items=[item for item, _, _ in items],
    )

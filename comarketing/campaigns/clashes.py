"""Clashes between placements, found in SQL for one organization and a period.

Two kinds, both at placement level:

- **channel**: two of the organization's own placements (it is their owner) on the same
  channel over overlapping days, in two different campaigns that are not cancelled. Two
  placements of one campaign on one channel were planned together, on purpose, so they are not
  a clash. A partner's placements never take part: whether a partner double-books its own
  channel is the partner's business, and comparing would reveal its solo campaigns.
- **blocked**: a placement running on a day that a *blackout* milestone of another party of the
  same campaign blocks (:attr:`MilestoneKind.BLACKOUT`: "no placements of this campaign on this
  day", e.g. a press embargo or a recall). A blackout marked done is lifted and blocks nothing.
  Only clashes the organization takes part in are returned: its placement on a partner's
  blackout, or a partner's placement on its own blackout — both parties see the same clash.

Each clash names both items, so the calendar and the placement page can flag both.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.campaigns.access import visible_campaigns
from comarketing.campaigns.models import (
    Campaign,
    CampaignStatus,
    Milestone,
    MilestoneKind,
    Placement,
)
from comarketing.extensions import db

CHANNEL = "channel"
BLOCKED = "blocked"


@dataclass(frozen=True)
class Ref:
    """One side of a clash: a placement or a milestone, with its campaign."""

    kind: str  # "placement" or "milestone"
    id: int
    name: str
    campaign_id: int
    campaign_name: str


@dataclass(frozen=True)
class Clash:
    kind: str  # CHANNEL or BLOCKED
    channel: str  # the placement's channel (the first placement's, for a blackout)
    first: Ref  # always a placement
    second: Ref  # a placement (CHANNEL) or a blackout milestone (BLOCKED)
    start: date  # the days the two overlap
    end: date

    @property
    def refs(self) -> tuple[Ref, Ref]:
        return self.first, self.second


def running_campaign_ids(
    organization_id: int | sa.BindParameter[int],
) -> sa.Select[tuple[int]]:
    return (
        visible_campaigns(organization_id)
        .where(Campaign.status != CampaignStatus.CANCELLED.value)
        .with_only_columns(Campaign.id)
    )


# Both statements are built once per process with bind parameters (``org``, ``start``,
# ``end``): four aliased tables and their conditions cost more to build than to run.
_ORG: sa.BindParameter[int] = sa.bindparam("org")
_START: sa.BindParameter[date] = sa.bindparam("start")
_END: sa.BindParameter[date] = sa.bindparam("end")


@functools.cache
def _channel_statement() -> sa.Select[Any]:
    p1, p2 = aliased(Placement), aliased(Placement)
    c1, c2 = aliased(Campaign), aliased(Campaign)
    running = running_campaign_ids(_ORG)
    overlap_start = sa.case((p1.start_date > p2.start_date, p1.start_date), else_=p2.start_date)
    overlap_end = sa.case((p1.end_date < p2.end_date, p1.end_date), else_=p2.end_date)
    return (
        sa.select(p1.id, p1.name, c1.id, c1.name, p2.id, p2.name, c2.id, c2.name)
        .add_columns(p1.channel, overlap_start, overlap_end)
        .join(
            p2,
            sa.and_(
                p2.channel == p1.channel,
                p2.id > p1.id,
                p2.campaign_id != p1.campaign_id,
                p2.owner_organization_id == _ORG,
                p2.start_date <= p1.end_date,
                p2.end_date >= p1.start_date,
            ),
        )
        .join(c1, c1.id == p1.campaign_id)
        .join(c2, c2.id == p2.campaign_id)
        .where(
            p1.owner_organization_id == _ORG,
            p1.campaign_id.in_(running),
            p2.campaign_id.in_(running),
            overlap_start <= _END,
            overlap_end >= _START,
        )
        .order_by(overlap_start, p1.id, p2.id)
    )


def channel_clashes(organization_id: int, start: date, end: date) -> list[Clash]:
    """Pairs of the organization's own placements on one channel over the same days, in
    different campaigns, overlapping within ``start`` .. ``end``. One query."""
    rows = db.session.execute(
        _channel_statement(), {"org": organization_id, "start": start, "end": end}
    ).all()
    return [
        Clash(
            CHANNEL,
            row[8],
            Ref("placement", *row[0:4]),
            Ref("placement", *row[4:8]),
            row[9],
            row[10],
        )
        for row in rows
    ]


@functools.cache
def _blocked_statement() -> sa.Select[int, str, str, int, str, date, int, str]:
    return (
        sa.select(
            Placement.id,
            Placement.name,
            Placement.channel,
            Milestone.id,
            Milestone.title,
            Milestone.due_on,
            Campaign.id,
            Campaign.name,
        )
        .join(Milestone, Milestone.campaign_id == Placement.campaign_id)
        .join(Campaign, Campaign.id == Placement.campaign_id)
        .where(
            Placement.campaign_id.in_(running_campaign_ids(_ORG)),
            Milestone.kind == MilestoneKind.BLACKOUT.value,
            Milestone.done_at.is_(None),
            Milestone.owner_organization_id != Placement.owner_organization_id,
            sa.or_(
                Placement.owner_organization_id == _ORG,
                Milestone.owner_organization_id == _ORG,
            ),
            Milestone.due_on.between(Placement.start_date, Placement.end_date),
            Milestone.due_on.between(_START, _END),
        )
        .order_by(Milestone.due_on, Placement.id, Milestone.id)
    )


def blocked_clashes(organization_id: int, start: date, end: date) -> list[Clash]:
    """Placements on a day another party's open blackout milestone of the same campaign
    blocks, where the organization owns one of the two, due within ``start`` .. ``end``."""
    rows = db.session.execute(
        _blocked_statement(), {"org": organization_id, "start": start, "end": end}
    ).all()
    return [
        Clash(
            BLOCKED,
            channel,
            Ref("placement", p_id, p_name, campaign_id, campaign_name),
            Ref("milestone", m_id, m_title, campaign_id, campaign_name),
            day,
            day,
        )
        for p_id, p_name, channel, m_id, m_title, day, campaign_id, campaign_name in rows
    ]


def find(organization_id: int, start: date, end: date) -> list[Clash]:
    """Every clash the organization takes part in, overlapping ``start`` .. ``end``, by day.
    Two queries whatever the number of placements."""
    found = channel_clashes(organization_id, start, end) + blocked_clashes(
        organization_id, start, end
    )
    return sorted(found, key=lambda c: (c.start, c.kind, c.first.id, c.second.id))


def involving(found: list[Clash], kind: str, item_id: int) -> list[Clash]:
    """The clashes one placement or milestone takes part in."""
    return [c for c in found if any(r.kind == kind and r.id == item_id for r in c.refs)]


def of_placement(organization_id: int, placement: Placement) -> list[Clash]:
    """The clashes one placement takes part in, as the organization sees them (two queries)."""
    found = find(organization_id, placement.start_date, placement.end_date)
    return involving(found, "placement", placement.id)

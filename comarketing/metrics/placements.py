"""Placements as the metrics pages see them: which ones a company may write, one placement
with its campaign and owner, its stored days and its totals.

Every query is built from the actor's company (campaigns it is party to), so a placement of
someone else's campaign is NotFound, never Forbidden.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from comarketing.budgets.models import CountedSpend
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.metrics.cells import PlacementInfo
from comarketing.metrics.models import VALUE_FIELDS, DailyMetric
from comarketing.money import exponent as currency_exponent
from comarketing.policy import Action, authorize


def _exponent(currency: str) -> int:
    return currency_exponent(currency)


def _party_campaigns(organization_id: int | sa.BindParameter[int]) -> sa.Select[int]:
    return sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )


def writable_placements(actor: Actor, ids: Iterable[int] | None = None) -> dict[int, PlacementInfo]:
    """The placements the actor's company owns, in campaigns it is party to."""
    authorize(actor.user, Action.WRITE_METRICS)
    return owned_placements(actor.organization_id, ids)


def owned_placements(
    organization_id: int, ids: Iterable[int] | None = None, *, campaign_id: int | None = None
) -> dict[int, PlacementInfo]:
    """The company's placements in campaigns it is party to (of one campaign when given)."""
    query = (
        sa.select(Placement, Campaign.currency)
        .join(Campaign, Campaign.id == Placement.campaign_id)
        .where(
            Placement.owner_organization_id == organization_id,
            Placement.campaign_id.in_(_party_campaigns(organization_id)),
        )
        .order_by(Placement.id)
    )
    if ids is not None:
        query = query.where(Placement.id.in_(list(ids)))
    if campaign_id is not None:
        query = query.where(Placement.campaign_id == campaign_id)
    return {
        placement.id: PlacementInfo(
            id=placement.id,
            campaign_id=placement.campaign_id,
            name=placement.name,
            start_date=placement.start_date,
            end_date=placement.end_date,
            currency=currency,
            exponent=_exponent(currency),
        )
        for placement, currency in db.session.execute(query).all()
    }


def upload_campaigns(actor: Actor) -> list[Campaign]:
    """The campaigns a results file can be uploaded for: those the actor's company is party to
    and owns a placement in, the latest first."""
    authorize(actor.user, Action.WRITE_METRICS)
    owned = sa.select(Placement.campaign_id).where(
        Placement.owner_organization_id == actor.organization_id
    )
    return list(
        db.session.scalars(
            sa.select(Campaign)
            .where(
                Campaign.id.in_(_party_campaigns(actor.organization_id)),
                Campaign.id.in_(owned),
            )
            .order_by(Campaign.start_date.desc(), Campaign.id.desc())
        )
    )


@dataclass
class PlacementView:
    placement: Placement
    campaign: Campaign
    owner_name: str
    can_write: bool


@functools.cache
def _visible_placement() -> sa.Select[Placement, Campaign, str]:
    # Every placement page and API call reads it: built once per process.
    from comarketing.accounts.models import Organization

    return (
        sa.select(Placement, Campaign, Organization.name)
        .join(Campaign, Campaign.id == Placement.campaign_id)
        .join(Organization, Organization.id == Placement.owner_organization_id)
        .where(
            Placement.id == sa.bindparam("placement"),
            Placement.campaign_id.in_(_party_campaigns(sa.bindparam("org"))),
        )
    )


def get_placement(actor: Actor, placement_id: int) -> PlacementView:
    """A placement of a campaign the actor's company is party to (others: NotFound)."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    row = db.session.execute(
        _visible_placement(), {"placement": placement_id, "org": actor.organization_id}
    ).one_or_none()
    if row is None:
        raise NotFound()
    placement, campaign, owner = row
    from comarketing.policy import can

    can_write = (
        can(actor.user, Action.WRITE_METRICS)
        and placement.owner_organization_id == actor.organization_id
    )
    return PlacementView(placement, campaign, owner, can_write)


def placement_days(
    actor: Actor, placement_id: int, start: date | None = None, end: date | None = None
) -> list[DailyMetric]:
    return days_of(get_placement(actor, placement_id), start, end)


def days_of(
    view: PlacementView, start: date | None = None, end: date | None = None
) -> list[DailyMetric]:
    """``placement_days`` of a placement already read for the actor (``get_placement``)."""
    query = _days(sa.select(DailyMetric), view.placement.id, start, end)
    return list(db.session.scalars(query))


DAY_COLUMNS = ("day", *VALUE_FIELDS)


def day_rows(
    view: PlacementView, start: date | None = None, end: date | None = None
) -> list[sa.Row[Any]]:
    """The days' figures (``DAY_COLUMNS``) of a placement already read for the actor
    (``get_placement``) as plain rows, oldest first: for answers that only read them (no
    objects built for every day)."""
    columns = [getattr(DailyMetric, name) for name in DAY_COLUMNS]
    return list(db.session.execute(_days(sa.select(*columns), view.placement.id, start, end)))


def _days(
    query: sa.Select[Any], placement_id: int, start: date | None, end: date | None
) -> sa.Select[Any]:
    query = query.where(DailyMetric.placement_id == placement_id)
    if start:
        query = query.where(DailyMetric.day >= start)
    if end:
        query = query.where(DailyMetric.day <= end)
    return query.order_by(DailyMetric.day)


@dataclass(frozen=True)
class Totals:
    days: int
    impressions: int
    reach: int
    clicks: int
    leads: int
    conversions_hundredths: int
    revenue_minor: int
    cost_minor: int


def placement_spend(placement_id: int) -> int:
    """The placement's spend: its confirmed and pending claims (each claim's live version,
    unless disputed), over every service period -- what spend means everywhere (budgets.spend)."""
    return int(
        db.session.scalar(
            # The versions counting now (``counted_spend``, kept equal to counts_as_spend).
            sa.select(sa.func.coalesce(sa.func.sum(CountedSpend.amount_minor), 0)).where(
                CountedSpend.placement_id == placement_id
            )
        )
        or 0
    )


def placement_totals(placement_id: int) -> Totals:
    sums = [sa.func.coalesce(sa.func.sum(getattr(DailyMetric, f)), 0) for f in VALUE_FIELDS]
    row = db.session.execute(
        sa.select(sa.func.count(), *sums).where(DailyMetric.placement_id == placement_id)
    ).one()
    return Totals(*(int(v) for v in row))

"""Campaigns: joint ones come from approved offers, solo ones belong to one organization.

Every query is built from the actor's organization through the campaign's parties, so another
organization's campaign — solo or joint — is "not found", exactly like a missing one.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing import audit
from comarketing.accounts.models import Organization, User
from comarketing.campaigns import ical
from comarketing.campaigns.models import (
    CalendarFeed,
    Campaign,
    CampaignKind,
    CampaignParty,
    CampaignStatus,
    Channel,
    Milestone,
    MilestoneKind,
    Placement,
)
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.money import MAX_MINOR, check_currency
from comarketing.policy import Action, authorize, can
from comarketing.tokens import hash_token, new_token
from comarketing.unit_of_work import transactional

S = CampaignStatus

# The campaign lifecycle in one place: (state, step) -> new state.
TRANSITIONS: dict[tuple[CampaignStatus, str], CampaignStatus] = {
    (S.PLANNED, "activate"): S.ACTIVE,
    (S.PLANNED, "cancel"): S.CANCELLED,
    (S.ACTIVE, "complete"): S.COMPLETED,
    (S.ACTIVE, "cancel"): S.CANCELLED,
}
STEP_WORDS = {"activate": "started", "complete": "completed", "cancel": "cancelled"}


# ---------------------------------------------------------------------------------------------
# Creating (joint campaigns come from offers)


@dataclass(frozen=True)
class PartyShare:
    organization_id: int
    budget_share_bp: int
    revenue_share_bp: int


@dataclass(frozen=True)
class PlannedPlacement:
    channel: str
    owner_organization_id: int
    name: str
    planned_cost_minor: int


def create_joint_campaign(
    *,
    offer_id: int | None,
    proposer_organization_id: int,
    created_by_id: int | None,
    name: str,
    description: str,
    start_date: date,
    end_date: date,
    currency: str,
    total_budget_minor: int,
    target_reach: int | None,
    target_leads: int | None,
    target_revenue_minor: int | None,
    parties: list[PartyShare],
    placements: list[PlannedPlacement],
) -> Campaign:
    """Create the campaign of an approved offer in the caller's transaction."""
    campaign = Campaign(
        kind=CampaignKind.JOINT.value,
        organization_id=proposer_organization_id,
        offer_id=offer_id,
        name=name,
        description=description,
        status=CampaignStatus.PLANNED.value,
        start_date=start_date,
        end_date=end_date,
        currency=currency,
        total_budget_minor=total_budget_minor,
        target_reach=target_reach,
        target_leads=target_leads,
        target_revenue_minor=target_revenue_minor,
        created_by_id=created_by_id,
    )
    db.session.add(campaign)
    db.session.flush()
    for party in parties:
        db.session.add(CampaignParty(campaign_id=campaign.id, **party.__dict__))
    for planned in placements:
        db.session.add(
            Placement(
                campaign_id=campaign.id,
                start_date=start_date,
                end_date=end_date,
                **planned.__dict__,
            )
        )
    db.session.flush()
    return campaign


@dataclass
class CampaignInput:
    name: str
    description: str
    start_date: date | None
    end_date: date | None
    currency: str
    total_budget_minor: int = 0
    target_reach: int | None = None
    target_leads: int | None = None
    target_revenue_minor: int | None = None


def _clean_campaign(data: CampaignInput) -> dict[str, object]:
    name = " ".join((data.name or "").split())
    if not name:
        raise ValidationFailed("Name the campaign.", field="name")
    if len(name) > 200:
        raise ValidationFailed("Keep the name under 200 characters.", field="name")
    if data.start_date is None:
        raise ValidationFailed("Start date is required.", field="start_date")
    if data.end_date is None:
        raise ValidationFailed("End date is required.", field="end_date")
    if data.end_date < data.start_date:
        raise ValidationFailed("The end date must be on or after the start date.", field="end_date")
    for name_, value in (
        ("target_reach", data.target_reach),
        ("target_leads", data.target_leads),
        ("target_revenue", data.target_revenue_minor),
        ("total_budget", data.total_budget_minor),
    ):
        if value is not None and not 0 <= value <= MAX_MINOR:
            raise ValidationFailed("Enter a number of zero or more.", field=name_)
    return {
        "name": name,
        "description": (data.description or "").strip()[:5000],
        "start_date": data.start_date,
        "end_date": data.end_date,
        "currency": check_currency(data.currency),
        "total_budget_minor": data.total_budget_minor or 0,
        "target_reach": data.target_reach,
        "target_leads": data.target_leads,
        "target_revenue_minor": data.target_revenue_minor,
    }


@transactional
def create_solo_campaign(actor: Actor, data: CampaignInput) -> Campaign:
    """A campaign of the actor's organization alone; no partner ever sees it."""
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    values = _clean_campaign(data)
    campaign = Campaign(
        kind=CampaignKind.SOLO.value,
        organization_id=actor.organization_id,
        status=CampaignStatus.PLANNED.value,
        created_by_id=actor.user_id,
        **values,
    )
    db.session.add(campaign)
    db.session.flush()
    db.session.add(
        CampaignParty(
            campaign_id=campaign.id,
            organization_id=actor.organization_id,
            budget_share_bp=10_000,
            revenue_share_bp=10_000,
        )
    )
    audit.record("campaign.created", actor=actor, target=campaign, kind="solo")
    db.session.commit()
    return campaign


@transactional
def update_campaign(actor: Actor, campaign_id: int, data: CampaignInput) -> Campaign:
    """Edit a solo campaign's details. Joint campaigns keep the agreed terms of their offer."""
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    if campaign.kind != CampaignKind.SOLO.value:
        raise Forbidden("A joint campaign keeps the terms its parties approved.")
    values = _clean_campaign(data)
    if values["currency"] != campaign.currency and _has_ledger(campaign.id):
        raise ValidationFailed(
            "The currency cannot change once money was posted.", field="currency"
        )
    _check_placements_fit(campaign.id, values["start_date"], values["end_date"])  # type: ignore[arg-type]
    for key, value in values.items():
        setattr(campaign, key, value)
    audit.record("campaign.updated", actor=actor, target=campaign)
    db.session.commit()
    return campaign


def _has_ledger(campaign_id: int) -> bool:
    from comarketing.budgets.models import LedgerEntry

    return (
        db.session.scalar(sa.select(sa.exists().where(LedgerEntry.campaign_id == campaign_id)))
        or False
    )


def _check_placements_fit(campaign_id: int, start: date, end: date) -> None:
    outside = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Placement)
        .where(
            Placement.campaign_id == campaign_id,
            sa.or_(Placement.start_date < start, Placement.end_date > end),
        )
    )
    if outside:
        raise ValidationFailed(
            "Some placements run outside these dates; change them first.", field="start_date"
        )


# ---------------------------------------------------------------------------------------------
# Reading


def visible_campaigns(organization_id: int) -> sa.Select[Campaign]:
    """Campaigns the organization is a party to (its solo campaigns have it as only party)."""
    party = sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )
    return sa.select(Campaign).where(Campaign.id.in_(party))


def get_visible_campaign(actor: Actor, campaign_id: int, *, lock: bool = False) -> Campaign:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    query = visible_campaigns(actor.organization_id).where(Campaign.id == campaign_id)
    if lock:
        query = query.with_for_update()
    campaign = db.session.scalar(query)
    if campaign is None:
        raise NotFound()
    return campaign


@dataclass
class CampaignView:
    campaign: Campaign
    parties: list[tuple[Organization, CampaignParty]]
    placements: list[Placement]
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def party_names(self) -> dict[int, str]:
        return {org.id: org.name for org, _ in self.parties}

    def is_party(self, organization_id: int) -> bool:
        return any(org.id == organization_id for org, _ in self.parties)


def get_campaign(actor: Actor, campaign_id: int) -> CampaignView:
    campaign = get_visible_campaign(actor, campaign_id)
    parties = [
        (organization, party)
        for organization, party in db.session.execute(
            sa.select(Organization, CampaignParty)
            .join(CampaignParty, CampaignParty.organization_id == Organization.id)
            .where(CampaignParty.campaign_id == campaign.id)
            .order_by(Organization.name)
        )
    ]
    placements = list(
        db.session.scalars(
            sa.select(Placement)
            .where(Placement.campaign_id == campaign.id)
            .order_by(Placement.start_date, Placement.id)
        )
    )
    milestones = list(
        db.session.scalars(
            sa.select(Milestone)
            .where(Milestone.campaign_id == campaign.id)
            .order_by(Milestone.due_on, Milestone.id)
        )
    )
    return CampaignView(campaign, parties, placements, milestones)


@dataclass
class CampaignFilters:
    kind: str | None = None
    status: str | None = None
    partner_id: int | None = None
    starts_after: date | None = None  # the campaign runs on or after this day
    ends_before: date | None = None  # the campaign runs on or before this day


@dataclass
class CampaignPage:
    campaigns: list[Campaign]
    partners: dict[int, list[str]]  # campaign id -> the other parties' names
    page: int
    has_more: bool
    total: int


def list_campaigns(
    actor: Actor, filters: CampaignFilters | None = None, *, page: int = 1, per_page: int = 25
) -> CampaignPage:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    filters = filters or CampaignFilters()
    me = actor.organization_id
    query = visible_campaigns(me)
    if filters.kind in {k.value for k in CampaignKind}:
        query = query.where(Campaign.kind == filters.kind)
    if filters.status in {s.value for s in CampaignStatus}:
        query = query.where(Campaign.status == filters.status)
    if filters.partner_id:
        # Only joint campaigns with that partner: the partner's own solo campaigns are never
        # reachable, because the base query only holds campaigns this organization is part of.
        query = query.where(
            Campaign.id.in_(
                sa.select(CampaignParty.campaign_id).where(
                    CampaignParty.organization_id == filters.partner_id
                )
            )
        )
    if filters.starts_after:
        query = query.where(Campaign.end_date >= filters.starts_after)
    if filters.ends_before:
        query = query.where(Campaign.start_date <= filters.ends_before)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    rows = list(
        db.session.scalars(
            query.order_by(Campaign.start_date.desc(), Campaign.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    ids = [c.id for c in rows]
    names: dict[int, list[str]] = {}
    if ids:
        for campaign_id, name in db.session.execute(
            sa.select(CampaignParty.campaign_id, Organization.name)
            .join(Organization, Organization.id == CampaignParty.organization_id)
            .where(CampaignParty.campaign_id.in_(ids), CampaignParty.organization_id != me)
            .order_by(Organization.name)
        ):
            names.setdefault(campaign_id, []).append(name)
    return CampaignPage(rows, names, page, page * per_page < total, total)


def partner_choices(actor: Actor) -> list[Organization]:
    """Partners the organization has joint campaigns with (for the list filter)."""
    me = actor.organization_id
    mine = sa.select(CampaignParty.campaign_id).where(CampaignParty.organization_id == me)
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(
                Organization.id.in_(
                    sa.select(CampaignParty.organization_id).where(
                        CampaignParty.campaign_id.in_(mine), CampaignParty.organization_id != me
                    )
                )
            )
            .order_by(Organization.name)
        )
    )


# ---------------------------------------------------------------------------------------------
# Status


@transactional
def change_status(actor: Actor, campaign_id: int, step: str) -> Campaign:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    target = TRANSITIONS.get((S(campaign.status), step))
    if target is None:
        raise InvalidTransition(
            f"This campaign is {campaign.status}; it cannot be {STEP_WORDS.get(step, step)} now."
        )
    old = campaign.status
    campaign.status = target.value
    audit.record(
        "campaign.status_changed",
        actor=actor,
        target=campaign,
        organization_ids=_party_ids(campaign.id),
        old=old,
        new=target.value,
    )
    db.session.commit()
    return campaign


def _audit_for_parties(action: str, actor: Actor, campaign_id: int, target: object) -> None:
    """A change to a campaign's records shows in the audit log of every party."""
    audit.record(
        action,
        actor=actor,
        target=target,
        organization_ids=_party_ids(campaign_id),
        campaign_id=campaign_id,
    )


def _party_ids(campaign_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(CampaignParty.organization_id).where(CampaignParty.campaign_id == campaign_id)
        )
    )


# ---------------------------------------------------------------------------------------------
# Placements


@dataclass
class PlacementInput:
    channel: str
    owner_organization_id: int
    name: str
    url: str
    start_date: date | None
    end_date: date | None
    planned_cost_minor: int
    audience_size: int | None = None


def _clean_placement(
    campaign: Campaign, data: PlacementInput, party_ids: Sequence[int]
) -> dict[str, object]:
    if data.channel not in {c.value for c in Channel}:
        raise ValidationFailed("Choose a channel from the list.", field="channel")
    if data.owner_organization_id not in party_ids:
        raise ValidationFailed(
            "The owner must be a party of the campaign.", field="owner_organization_id"
        )
    name = " ".join((data.name or "").split())
    if not name or len(name) > 200:
        raise ValidationFailed("Name the placement (at most 200 characters).", field="name")
    url = (data.url or "").strip()
    if url and not (url.startswith("https://") or url.startswith("http://")):
        raise ValidationFailed("Give a web address starting with https:// or http://.", field="url")
    if len(url) > 500:
        raise ValidationFailed("Keep the address under 500 characters.", field="url")
    start = data.start_date or campaign.start_date
    end = data.end_date or campaign.end_date
    if end < start:
        raise ValidationFailed("The end date must be on or after the start date.", field="end_date")
    if start < campaign.start_date or end > campaign.end_date:
        raise ValidationFailed(
            f"Placements run within the campaign's dates ({campaign.start_date} to "
            f"{campaign.end_date}).",
            field="start_date" if start < campaign.start_date else "end_date",
        )
    if not 0 <= data.planned_cost_minor <= MAX_MINOR:
        raise ValidationFailed("Enter a planned cost of zero or more.", field="planned_cost")
    if data.audience_size is not None and data.audience_size < 0:
        raise ValidationFailed("The audience size cannot be negative.", field="audience_size")
    return {
        "channel": data.channel,
        "owner_organization_id": data.owner_organization_id,
        "name": name,
        "url": url,
        "start_date": start,
        "end_date": end,
        "planned_cost_minor": data.planned_cost_minor,
        "audience_size": data.audience_size,
    }


def _check_own_party(actor: Actor, owner_id: int) -> None:
    # Partner managers manage their own company's placements; admins act for their company too.
    if owner_id != actor.organization_id:
        raise Forbidden("You can only manage your own company's placements.")


@transactional
def add_placement(actor: Actor, campaign_id: int, data: PlacementInput) -> Placement:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    values = _clean_placement(campaign, data, _party_ids(campaign.id))
    _check_own_party(actor, data.owner_organization_id)
    placement = Placement(campaign_id=campaign.id, **values)
    db.session.add(placement)
    db.session.flush()
    _audit_for_parties("placement.created", actor, campaign.id, placement)
    db.session.commit()
    return placement


def get_placement(actor: Actor, campaign_id: int, placement_id: int) -> Placement:
    campaign = get_visible_campaign(actor, campaign_id)
    placement = db.session.scalar(
        sa.select(Placement).where(
            Placement.id == placement_id, Placement.campaign_id == campaign.id
        )
    )
    if placement is None:
        raise NotFound()
    return placement


@transactional
def update_placement(
    actor: Actor, campaign_id: int, placement_id: int, data: PlacementInput
) -> Placement:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    placement = get_placement(actor, campaign.id, placement_id)
    _check_own_party(actor, placement.owner_organization_id)
    values = _clean_placement(campaign, data, _party_ids(campaign.id))
    _check_own_party(actor, data.owner_organization_id)
    for key, value in values.items():
        setattr(placement, key, value)
    _audit_for_parties("placement.updated", actor, campaign.id, placement)
    db.session.commit()
    return placement


# ---------------------------------------------------------------------------------------------
# Milestones


@transactional
def add_milestone(
    actor: Actor,
    campaign_id: int,
    *,
    kind: str,
    title: str,
    owner_organization_id: int,
    due_on: date | None,
) -> Milestone:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    if kind not in {k.value for k in MilestoneKind}:
        raise ValidationFailed("Choose a kind from the list.", field="kind")
    title = " ".join((title or "").split()) or MilestoneKind(kind).label
    if len(title) > 200:
        raise ValidationFailed("Keep the title under 200 characters.", field="title")
    if owner_organization_id not in _party_ids(campaign.id):
        raise ValidationFailed(
            "The owner must be a party of the campaign.", field="owner_organization_id"
        )
    if due_on is None:
        raise ValidationFailed("Give a due date.", field="due_on")
    milestone = Milestone(
        campaign_id=campaign.id,
        kind=kind,
        title=title,
        owner_organization_id=owner_organization_id,
        due_on=due_on,
    )
    db.session.add(milestone)
    db.session.flush()
    _audit_for_parties("milestone.created", actor, campaign.id, milestone)
    db.session.commit()
    return milestone


@transactional
def complete_milestone(actor: Actor, campaign_id: int, milestone_id: int) -> Milestone:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    milestone = db.session.scalar(
        sa.select(Milestone).where(
            Milestone.id == milestone_id, Milestone.campaign_id == campaign.id
        )
    )
    if milestone is None:
        raise NotFound()
    if milestone.done_at is None:
        milestone.done_at = utcnow()
        milestone.done_by_id = actor.user_id
        _audit_for_parties("milestone.done", actor, campaign.id, milestone)
    db.session.commit()
    return milestone


def is_overdue(milestone: Milestone, today: date | None = None) -> bool:
    return milestone.done_at is None and milestone.due_on < (today or utcnow().date())


# ---------------------------------------------------------------------------------------------
# Calendar: month view, clashes, iCalendar feed


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


@transactional
def create_calendar_feed(actor: Actor) -> str:
    """A new private feed URL token for the user; any earlier one stops working."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    now = utcnow()
    db.session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.user_id == actor.user_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token, token_hash = new_token()
    db.session.add(CalendarFeed(user_id=actor.user_id, token_hash=token_hash))
    audit.record("calendar_feed.created", actor=actor, target=actor.user)
    db.session.commit()
    return token


@transactional
def revoke_calendar_feed(actor: Actor) -> None:
    db.session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.user_id == actor.user_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    audit.record("calendar_feed.revoked", actor=actor, target=actor.user)
    db.session.commit()


def has_calendar_feed(actor: Actor) -> bool:
    return (
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    CalendarFeed.user_id == actor.user_id, CalendarFeed.revoked_at.is_(None)
                )
            )
        )
        or False
    )


def calendar_feed(token: str) -> str:
    """The iCalendar text for the feed's user, or NotFound for an unknown or revoked token."""
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.token_hash == hash_token(token or ""), CalendarFeed.revoked_at.is_(None)
        )
    )
    user = db.session.get(User, feed.user_id) if feed else None
    if user is None or not user.active or not can(user, Action.VIEW_CAMPAIGNS):
        raise NotFound()
    me = user.organization_id
    horizon = utcnow().date() - timedelta(days=365)
    campaigns = list(
        db.session.scalars(
            visible_campaigns(me).where(
                Campaign.end_date >= horizon, Campaign.status != CampaignStatus.CANCELLED.value
            )
        )
    )
    milestones = db.session.execute(
        sa.select(Milestone, Campaign.name)
        .join(Campaign, Campaign.id == Milestone.campaign_id)
        .where(Milestone.campaign_id.in_([c.id for c in campaigns]))
    ).all()
    return ical.render(campaigns, [(m, name) for m, name in milestones])

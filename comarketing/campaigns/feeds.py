"""The private calendar feed: one secret URL token per user (only its hash is stored), and
the feed's content — the campaigns the user's organization is a party to, with their placements
(a partner's solo ones never: they sit in campaigns the reader is no party to) and milestones,
clashes noted, rendered by :mod:`comarketing.campaigns.ical` in the reader's zone."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from comarketing import audit, dates_allowed, timezones
from comarketing.accounts.models import Organization, User
from comarketing.campaigns import clashes, ical
from comarketing.campaigns.models import (
    CalendarFeed,
    Campaign,
    CampaignParty,
    Milestone,
    Placement,
)
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.policy import Action, authorize, can
from comarketing.tokens import hash_token, new_token
from comarketing.unit_of_work import transactional


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
    zone = timezones.reader_zone(user)
    # A year back from the reader's today, and everything ahead.
    horizon = timezones.local(utcnow(), zone).date() - timedelta(days=365)
    running = clashes.running_campaign_ids(me)
    campaigns = list(
        db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.id.in_(running), Campaign.end_date >= horizon)
            .order_by(Campaign.start_date, Campaign.id)
        )
    )
    ids = [c.id for c in campaigns]
    names = {c.id: c.name for c in campaigns}
    owner_names = _party_names(ids)
    found = clashes.find(me, horizon, dates_allowed.LATEST)
    placements = [
        ical.PlacementEntry(
            p,
            names[p.campaign_id],
            owner_names.get(p.owner_organization_id, ""),
            [_clash_line(c) for c in clashes.involving(found, "placement", p.id)],
        )
        for p in db.session.scalars(
            sa.select(Placement)
            .where(Placement.campaign_id.in_(ids), Placement.end_date >= horizon)
            .order_by(Placement.start_date, Placement.id)
        )
    ]
    milestones = [
        ical.MilestoneEntry(
            m,
            names[m.campaign_id],
            owner_names.get(m.owner_organization_id, ""),
            [_clash_line(c) for c in clashes.involving(found, "milestone", m.id)],
        )
        for m in db.session.scalars(
            sa.select(Milestone)
            .where(Milestone.campaign_id.in_(ids))
            .order_by(Milestone.due_on, Milestone.id)
        )
    ]
    return ical.render(campaigns, milestones, placements, zone)


def _party_names(campaign_ids: list[int]) -> dict[int, str]:
    """Organization id -> name, for the parties of these campaigns (owners of their items)."""
    rows = db.session.execute(
        sa.select(Organization.id, Organization.name).where(
            Organization.id.in_(
                sa.select(CampaignParty.organization_id).where(
                    CampaignParty.campaign_id.in_(campaign_ids)
                )
            )
        )
    )
    return {org_id: name for org_id, name in rows}


def _clash_line(clash: clashes.Clash) -> str:
    if clash.kind == clashes.CHANNEL:
        return (
            f"{ical.channel_label(clash.channel)}: {clash.first.name} "
            f"({clash.first.campaign_name}) and {clash.second.name} "
            f"({clash.second.campaign_name}), {clash.start.isoformat()} to {clash.end.isoformat()}"
        )
    return (
        f"{clash.first.name} ({clash.first.campaign_name}) runs on the blackout "
        f"{clash.second.name}, {clash.start.isoformat()}"
    )

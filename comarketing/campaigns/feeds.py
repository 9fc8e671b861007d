"""The private calendar feed: one secret URL token per user (only its hash is stored), and
the feed's content — the user's organization's campaigns and milestones, rendered by
:mod:`comarketing.campaigns.ical`."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from comarketing import audit
from comarketing.accounts.models import User
from comarketing.campaigns import ical
from comarketing.campaigns.access import visible_campaigns
from comarketing.campaigns.models import CalendarFeed, Campaign, CampaignStatus, Milestone
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

"""Lists of offers: the offers page, the inbox of reviews waiting for my company, and the
offers a partner asked my company to change (the dashboard shows the last two).

One row per offer with its current title, parties and due date, in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.campaigns import cache
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.offers.access import visible
from comarketing.offers.approvals import party_approvals, waiting_for
from comarketing.offers.models import (
    Decision,
    Offer,
    OfferDecision,
    OfferParty,
    OfferRevision,
    OfferStatus,
)
from comarketing.offers.status_words import StatusWords, status_words
from comarketing.policy import Action, authorize


@dataclass
class OfferLine:
    """An offers list's row as shown: plain values (the offers page keeps them)."""

    offer_id: int
    status: str
    title: str
    parties: list[str]
    review_due_at: datetime | None
    awaiting_me: bool
    overdue: bool
    words: StatusWords


@dataclass
class OfferRow(OfferLine):
    offer: Offer
    # The parties by id (names as in ``parties``) and the joint campaign once approved.
    party_names: dict[int, str] = field(default_factory=dict)
    campaign_id: int | None = None


def _row_reads() -> tuple[
    sa.Select[OfferRevision],
    sa.Select[int, int, str],
    sa.Select[OfferDecision],
    sa.Select[int | None, int],
]:
    """What a list's offers need besides themselves, built once per process (SQLAlchemy builds
    a statement and its cache key anew each time the code writing it runs)."""
    ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
    is_current = sa.and_(
        Offer.id == OfferRevision.offer_id,
        Offer.current_revision_number == OfferRevision.number,
    )
    return (
        sa.select(OfferRevision).join(Offer, is_current).where(Offer.id.in_(ids)),
        sa.select(OfferParty.offer_id, Organization.id, Organization.name)
        .join(Organization, Organization.id == OfferParty.organization_id)
        .where(OfferParty.offer_id.in_(ids))
        .order_by(Organization.name),
        # Every party's decisions on the current revisions: the status in words needs them all.
        sa.select(OfferDecision)
        .join(OfferRevision, OfferRevision.id == OfferDecision.revision_id)
        .join(Offer, is_current)
        .where(OfferDecision.offer_id.in_(ids)),
        sa.select(Campaign.offer_id, Campaign.id).where(Campaign.offer_id.in_(ids)),
    )


def _rows(actor: Actor, query: sa.Select[Offer]) -> list[OfferRow]:
    offers = list(db.session.scalars(query))
    if not offers:
        return []
    these = {"ids": [o.id for o in offers]}
    revisions_of, parties_of, decisions_of, campaigns_of = _row_reads()
    current = {r.offer_id: r for r in db.session.scalars(revisions_of, these)}
    names: dict[int, dict[int, str]] = {}
    for offer_id, org_id, name in db.session.execute(parties_of, these):
        names.setdefault(offer_id, {})[org_id] = name
    decided = list(db.session.scalars(decisions_of, these))
    campaigns = dict(db.session.execute(campaigns_of, these).all())
    now = utcnow()
    rows = []
    for offer in offers:
        revision = current[offer.id]
        parties = names.get(offer.id, {})
        states = party_approvals(revision, [*parties, actor.organization_id], decided)
        pending = (
            offer.status == OfferStatus.SENT.value and states[actor.organization_id].outcome is None
        )
        rows.append(
            OfferRow(
                offer.id,
                offer.status,
                revision.title,
                list(parties.values()),
                revision.review_due_at,
                pending,
                bool(
                    offer.status == OfferStatus.SENT.value
                    and revision.review_due_at
                    and revision.review_due_at < now
                ),
                status_words(offer.status, parties, states, campaigns.get(offer.id)),
                offer,
                dict(parties),
                campaigns.get(offer.id),
            )
        )
    return rows


def _filtered(
    actor: Actor, status: str | None, partner_id: int | None, waiting_for_me: bool = False
) -> sa.Select[Offer]:
    me = actor.organization_id
    query = visible(me)
    if status:
        query = query.where(Offer.status == status)
    if partner_id:
        query = query.where(
            Offer.id.in_(
                sa.select(OfferParty.offer_id).where(OfferParty.organization_id == partner_id)
            )
        )
    if waiting_for_me:
        # The inbox's rule: sent, and the current revision still waits for my company.
        current = sa.select(OfferRevision.offer_id).where(
            OfferRevision.offer_id == Offer.id,
            OfferRevision.number == Offer.current_revision_number,
            waiting_for(me),
        )
        query = query.where(Offer.status == OfferStatus.SENT.value, current.exists())
    return query


def list_offers(
    actor: Actor, *, status: str | None = None, partner_id: int | None = None
) -> list[OfferRow]:
    authorize(actor.user, Action.VIEW_OFFERS)
    query = _filtered(actor, status, partner_id)
    return _rows(actor, query.order_by(Offer.updated_at.desc()).limit(200))


def offers_shown(
    actor: Actor, *, status: str | None = None, partner_id: int | None = None
) -> cache.Until[list[OfferLine]]:
    """``list_offers`` as the page shows it: kept per company, filters and data version
    (every write to an offer raises its parties' versions) until a shown offer falls due."""
    authorize(actor.user, Action.VIEW_OFFERS)
    now = utcnow()

    def read() -> cache.Until[list[OfferLine]]:
        # Read from ``now`` on: a review falling due in between only makes it held shorter.
        rows = list_offers(actor, status=status, partner_id=partner_id)
        lines = [OfferLine(**{f.name: getattr(r, f.name) for f in fields(OfferLine)}) for r in rows]
        dues = [r.review_due_at for r in rows if r.status == OfferStatus.SENT.value]
        return cache.Until(lines, cache.first_from(now, *dues))

    return cache.until(actor.organization_id, "offers-list", (status, partner_id), read, now)


@dataclass
class OfferPage:
    rows: list[OfferRow]
    page: int
    total: int
    has_more: bool


def offers_page(
    actor: Actor,
    *,
    status: str | None = None,
    partner_id: int | None = None,
    waiting_for_me: bool = False,
    page: int = 1,
    per_page: int = 25,
) -> OfferPage:
    """The offers list a page at a time (the API), with the inbox as a filter: sent offers
    whose current revision waits for my company's answer. Latest change first."""
    authorize(actor.user, Action.VIEW_OFFERS)
    query = _filtered(actor, status, partner_id, waiting_for_me)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(Offer.updated_at.desc(), Offer.id.desc())
    rows = _rows(actor, ordered.limit(per_page).offset((page - 1) * per_page))
    return OfferPage(rows, page, total, page * per_page < total)


def inbox(actor: Actor) -> list[OfferRow]:
    """Sent offers whose current revision still waits for my company's answer (my own
    company's proposals included, when they need its approvers), soonest due first."""
    authorize(actor.user, Action.VIEW_OFFERS)
    me = actor.organization_id
    query = (
        visible(me)
        .join(
            OfferRevision,
            sa.and_(
                OfferRevision.offer_id == Offer.id,
                OfferRevision.number == Offer.current_revision_number,
            ),
        )
        .where(Offer.status == OfferStatus.SENT.value, waiting_for(me))
    )
    rows = _rows(actor, query)
    return sorted(rows, key=lambda r: (r.review_due_at is None, r.review_due_at, r.offer.id))


def changes_requested_of_me(actor: Actor) -> list[OfferRow]:
    """Sent offers whose current revision my company wrote and a partner asked to change:
    the next move (a new revision, or withdrawing) is ours."""
    authorize(actor.user, Action.VIEW_OFFERS)
    me = actor.organization_id
    asked = (
        sa.select(OfferRevision.offer_id)
        .join(
            Offer,
            sa.and_(
                Offer.id == OfferRevision.offer_id,
                Offer.current_revision_number == OfferRevision.number,
            ),
        )
        .join(OfferDecision, OfferDecision.revision_id == OfferRevision.id)
        .where(
            OfferRevision.author_organization_id == me,
            OfferDecision.decision == Decision.CHANGES_REQUESTED.value,
        )
    )
    query = visible(me).where(Offer.status == OfferStatus.SENT.value, Offer.id.in_(asked))
    return _rows(actor, query.order_by(Offer.updated_at.desc()))

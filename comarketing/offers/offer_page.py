"""The offer page: everything it shows about one offer, read in a fixed number of queries.

Its parties, every revision with what changed since the one before and each party's decision,
and one timeline of events and comments. Read-only; loaded through the parties like every
offer (``access.load``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from comarketing.accounts.models import Organization, User
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.offers.access import load, offer_party_ids
from comarketing.offers.diff import Change, diff, terms_snapshot
from comarketing.offers.models import (
    Decision,
    Offer,
    OfferComment,
    OfferDecision,
    OfferEvent,
    OfferParty,
    OfferRevision,
    OfferStatus,
)
from comarketing.partners.models import Product
from comarketing.policy import Action, authorize


@dataclass
class RevisionView:
    revision: OfferRevision
    snapshot: dict[str, str]
    changes: list[Change]
    decisions: dict[int, OfferDecision]


@dataclass
class TimelineItem:
    at: datetime
    kind: str  # "event" or "comment"
    organization: str
    author: str
    text: str


@dataclass
class OfferView:
    offer: Offer
    parties: dict[int, Organization]
    current: RevisionView
    revisions: list[RevisionView]
    timeline: list[TimelineItem]
    products: dict[int, str]
    campaign_id: int | None
    my_organization_id: int
    overdue: bool

    @property
    def title(self) -> str:
        return self.current.revision.title

    @property
    def awaiting(self) -> list[Organization]:
        """Parties that have not approved the current revision."""
        decided = self.current.decisions
        return [
            org
            for oid, org in sorted(self.parties.items(), key=lambda kv: kv[1].name)
            if oid not in decided or decided[oid].decision != Decision.APPROVED.value
        ]

    @property
    def my_decision(self) -> OfferDecision | None:
        return self.current.decisions.get(self.my_organization_id)


def offer_status(actor: Actor, offer_id: int) -> str:
    authorize(actor.user, Action.VIEW_OFFERS)
    return load(actor, offer_id).status


def offer_view(actor: Actor, offer_id: int) -> OfferView:
    """Everything the offer page shows, in a fixed number of queries."""
    authorize(actor.user, Action.VIEW_OFFERS)
    offer = load(actor, offer_id)
    party_ids = offer_party_ids(offer.id)
    parties = {
        o.id: o
        for o in db.session.scalars(sa.select(Organization).where(Organization.id.in_(party_ids)))
    }
    names = {oid: org.name for oid, org in parties.items()}
    views, products = _revision_views(offer, names)
    timeline = _timeline(offer, names)
    campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.offer_id == offer.id))
    current = (
        views[-1]
        if offer.status == OfferStatus.DRAFT.value
        else next(v for v in views if v.revision.number == offer.current_revision_number)
    )
    due = current.revision.review_due_at
    overdue = bool(offer.status == OfferStatus.SENT.value and due and due < utcnow())
    return OfferView(
        offer,
        parties,
        current,
        views,
        timeline,
        products,
        campaign_id,
        actor.organization_id,
        overdue,
    )


def _revision_views(
    offer: Offer, names: dict[int, str]
) -> tuple[list[RevisionView], dict[int, str]]:
    """Every revision, oldest first, with its changes and decisions; and the products' names."""
    revisions = list(
        db.session.scalars(
            sa.select(OfferRevision)
            .where(OfferRevision.offer_id == offer.id)
            .order_by(OfferRevision.number)
        )
    )
    decisions = list(
        db.session.scalars(sa.select(OfferDecision).where(OfferDecision.offer_id == offer.id))
    )
    product_ids = {pid for r in revisions for t in r.party_terms for pid in t["product_ids"]}
    products = dict(
        db.session.execute(
            sa.select(Product.id, Product.name).where(Product.id.in_(product_ids))
        ).all()
    )
    views: list[RevisionView] = []
    previous: dict[str, str] = {}
    for revision in revisions:
        snapshot = terms_snapshot(revision, names, products)
        by_party = {d.organization_id: d for d in decisions if d.revision_id == revision.id}
        views.append(
            RevisionView(revision, snapshot, diff(previous, snapshot) if previous else [], by_party)
        )
        previous = snapshot
    return views, products


def _timeline(offer: Offer, names: dict[int, str]) -> list[TimelineItem]:
    """The offer's events and comments together, oldest first."""
    users = dict(
        db.session.execute(
            sa.select(User.id, User.name)
            .join(OfferParty, OfferParty.organization_id == User.organization_id)
            .where(OfferParty.offer_id == offer.id)
        ).all()
    )
    timeline = [
        TimelineItem(
            e.created_at,
            "event",
            names.get(e.organization_id or 0, ""),
            users.get(e.user_id or 0, ""),
            e.summary,
        )
        for e in db.session.scalars(sa.select(OfferEvent).where(OfferEvent.offer_id == offer.id))
    ] + [
        TimelineItem(
            c.created_at,
            "comment",
            names.get(c.organization_id, ""),
            users.get(c.author_id or 0, ""),
            c.body,
        )
        for c in db.session.scalars(
            sa.select(OfferComment).where(OfferComment.offer_id == offer.id)
        )
    ]
    timeline.sort(key=lambda item: item.at)
    return timeline

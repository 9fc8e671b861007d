"""The offer page: everything it shows about one offer, read in a fixed number of queries.

Its parties, every revision with its money (shares in money, planned placements against the
budget, ``plan.py``), what changed since the one before (``diff.py``) and, per party, who
approved it in what role (``approvals.py``); its status in words (``status_words.py``); and one
timeline of events and comments. Read-only; loaded
through the parties like every offer (``access.load``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from comarketing.accounts.models import Organization, User
from comarketing.campaigns import cache
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import DomainError
from comarketing.extensions import db
from comarketing.offers.access import load, offer_party_ids
from comarketing.offers.approvals import PartyApproval, check_may_decide, party_approvals
from comarketing.offers.diff import Change, diff, diff_placements, terms_snapshot
from comarketing.offers.models import (
    Offer,
    OfferComment,
    OfferDecision,
    OfferEvent,
    OfferParty,
    OfferRevision,
    OfferStatus,
)
from comarketing.offers.plan import (
    PlannedRow,
    PlanSummary,
    ShareLine,
    placement_rows,
    plan_summary,
    share_lines,
)
from comarketing.offers.status_words import StatusWords, status_words
from comarketing.partners.models import Product
from comarketing.policy import Action, authorize, can


@dataclass
class RevisionView:
    revision: OfferRevision
    snapshot: dict[str, str]
    # The plain terms' changes, then the placements' (matched by identity, ``diff.py``).
    changes: list[Change]
    # Per party: who approved (implicitly by proposing, or explicitly) and what it amounts to.
    decisions: dict[int, PartyApproval]
    placements: list[PlannedRow]
    shares: list[ShareLine]
    plan: PlanSummary


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
    # user id -> name, for "approved by ... (role)"; users of the parties only.
    people: dict[int, str]
    # The acting user may record their company's decision on the current revision now.
    can_decide: bool
    words: StatusWords

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
            if oid not in decided or not decided[oid].approved
        ]

    @property
    def my_decision(self) -> PartyApproval | None:
        return self.current.decisions.get(self.my_organization_id)

    @property
    def awaiting_me(self) -> bool:
        """Sent, and my company has not answered the current revision (the lists' rule)."""
        mine = self.my_decision
        sent = self.offer.status == OfferStatus.SENT.value
        return sent and (mine is None or mine.outcome is None)


@dataclass(frozen=True)
class OfferHead:
    """What the offer page needs before its kept block: the current revision's title and
    review due time (kept per offer under the parties' data version)."""

    title: str
    review_due_at: datetime | None
    current_revision_number: int  # the offer's: what a decision answers


def offer_head(actor: Actor, offer_id: int, now: datetime) -> tuple[OfferHead, datetime | None]:
    """The offer's head, once the actor may see the offer, and the first instant from ``now``
    the clock alone changes the page (a sent offer's review falls due; None: never)."""
    authorize(actor.user, Action.VIEW_OFFERS)
    offer = load(actor, offer_id)
    number = offer.current_revision_number
    draft = offer.status == OfferStatus.DRAFT.value

    def read() -> OfferHead:
        # A draft shows its last revision (``offer_view``), a sent offer its current one.
        current = sa.select(OfferRevision).where(OfferRevision.offer_id == offer.id)
        if draft:
            current = current.order_by(OfferRevision.number.desc()).limit(1)
        else:
            current = current.where(OfferRevision.number == number)
        revision = db.session.scalars(current).one()
        return OfferHead(revision.title, revision.review_due_at, number)

    head = cache.figures(actor.organization_id, "offer-head", (offer.id, draft, number), read)
    due = head.review_due_at
    sent = offer.status == OfferStatus.SENT.value
    return head, due if sent and due is not None and due >= now else None


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
    views, products = _revision_views(offer, names, party_ids)
    people = _people(offer)
    timeline = _timeline(offer, names, people)
    campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.offer_id == offer.id))
    current = (
        views[-1]
        if offer.status == OfferStatus.DRAFT.value
        else next(v for v in views if v.revision.number == offer.current_revision_number)
    )
    due = current.revision.review_due_at
    overdue = bool(offer.status == OfferStatus.SENT.value and due and due < utcnow())
    can_decide = _can_decide(actor, offer, current)
    words = status_words(offer.status, names, current.decisions, campaign_id)
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
        people,
        can_decide,
        words,
    )


def _can_decide(actor: Actor, offer: Offer, current: RevisionView) -> bool:
    """Whether the decision form is for this user: the same checks ``reviews.decide`` makes."""
    if offer.status != OfferStatus.SENT.value or not can(actor.user, Action.DECIDE_OFFER):
        return False
    try:
        check_may_decide(actor, current.revision, current.decisions[actor.organization_id])
    except DomainError:
        return False
    return True


def _revision_views(
    offer: Offer, names: dict[int, str], party_ids: list[int]
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
    for revision in revisions:
        snapshot = terms_snapshot(revision, names, products)
        rows = placement_rows(revision, names)
        changes = (
            diff(views[-1].snapshot, snapshot) + diff_placements(views[-1].placements, rows)
            if views
            else []
        )
        views.append(
            RevisionView(
                revision,
                snapshot,
                changes,
                party_approvals(revision, party_ids, decisions),
                rows,
                share_lines(revision, names),
                plan_summary(revision),
            )
        )
    return views, products


def _people(offer: Offer) -> dict[int, str]:
    """The names of the parties' users (authors and deciders), by id."""
    return dict(
        db.session.execute(
            sa.select(User.id, User.name)
            .join(OfferParty, OfferParty.organization_id == User.organization_id)
            .where(OfferParty.offer_id == offer.id)
        ).all()
    )


def _timeline(offer: Offer, names: dict[int, str], users: dict[int, str]) -> list[TimelineItem]:
    """The offer's events and comments together, oldest first."""
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

"""Proposing an offer: drafting, sending, counter-proposals, withdrawing and cloning.

A draft is private to its proposer until sent; sending starts the review of revision 1. An
approver or admin who sends approves for their company by proposing; a partner manager's
proposal goes to their own company's approvers too (``approvals.py``). Any party may propose
changed terms (the next revision); the proposer may withdraw an open offer, and anyone may
start a new draft from a closed one. Every public function takes the acting user, checks the
policy and the lifecycle table (``workflow.py``), owns its transaction, and raises domain
errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from comarketing import audit, events, signals
from comarketing.campaigns import data_version
from comarketing.context import Actor
from comarketing.dates_format import format_deadline
from comarketing.db import utcnow
from comarketing.errors import Conflict, Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.money import SHARE_TOTAL
from comarketing.offers import approvals, workflow
from comarketing.offers.access import current_revision, load, offer_party_ids
from comarketing.offers.deadlines import review_due
from comarketing.offers.models import (
    Offer,
    OfferParty,
    OfferRevision,
    OfferStatus,
    role_label,
)
from comarketing.offers.placement_terms import same_terms
from comarketing.offers.records import (
    DECIDERS,
    EVERYONE,
    add_event,
    check_version,
    committing,
    notify,
    touch,
)
from comarketing.offers.terms import TermsInput, clean_text, validated_terms
from comarketing.partners import services as partners
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

MAX_PARTIES = 6

# ---------------------------------------------------------------------------------------------
# Drafts


@transactional
def create_draft(
    actor: Actor,
    *,
    partner_ids: Sequence[int],
    terms: TermsInput,
    expires_at: datetime | None = None,
) -> Offer:
    authorize(actor.user, Action.PROPOSE_OFFER)
    me = actor.organization_id
    partner_set = sorted(set(partner_ids) - {me})
    if not partner_set:
        raise ValidationFailed("Choose at least one partner.", field="partners")
    if len(partner_set) + 1 > MAX_PARTIES:
        raise ValidationFailed(f"At most {MAX_PARTIES} parties in one offer.", field="partners")
    partners.require_active_partners(me, partner_set)
    parties = sorted([me, *partner_set])
    values = validated_terms(terms, parties)
    _check_expiry(expires_at)
    offer = Offer(
        proposer_organization_id=me,
        status=OfferStatus.DRAFT.value,
        created_by_id=actor.user_id,
        expires_at=expires_at,
    )
    db.session.add(offer)
    db.session.flush()
    db.session.add_all(OfferParty(offer_id=offer.id, organization_id=o) for o in parties)
    db.session.add(
        OfferRevision(
            offer_id=offer.id,
            number=1,
            author_id=actor.user_id,
            author_organization_id=me,
            **values,
        )
    )
    add_event(offer, actor, "created", "Draft created", 1)
    audit.record("offer.created", actor=actor, target=offer)
    with committing():
        pass
    return offer


def _check_expiry(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed("The expiry must be in the future.", field="expires_on")


@transactional
def update_draft(
    actor: Actor,
    offer_id: int,
    *,
    partner_ids: Sequence[int],
    terms: TermsInput,
    expires_at: datetime | None = None,
    expected_version: int | None = None,
) -> Offer:
    """A draft is still private to its proposer: its single revision may change in place."""
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = load(actor, offer_id, lock=True)
    check_version(offer, expected_version)
    if offer.proposer_organization_id != actor.organization_id:
        raise NotFound()
    touch(offer, "edit")
    me = actor.organization_id
    partner_set = sorted(set(partner_ids) - {me})
    if not partner_set:
        raise ValidationFailed("Choose at least one partner.", field="partners")
    partners.require_active_partners(me, partner_set)
    parties = sorted([me, *partner_set])
    values = validated_terms(terms, parties)
    _check_expiry(expires_at)
    offer.expires_at = expires_at
    # Replaced by a statement: the companies it drops see the offer no more.
    data_version.touch_organizations(offer_party_ids(offer.id))
    db.session.execute(sa.delete(OfferParty).where(OfferParty.offer_id == offer.id))
    db.session.add_all(OfferParty(offer_id=offer.id, organization_id=o) for o in parties)
    revision = current_revision(offer)
    for key, value in values.items():
        setattr(revision, key, value)
    revision.author_id = actor.user_id
    audit.record("offer.draft_edited", actor=actor, target=offer)
    with committing():
        pass
    return offer


def _ask_own_approvers(offer: Offer, revision: OfferRevision, actor: Actor, kind: str) -> None:
    """A proposal that carries no complete approval of the author's company goes to that
    company's own approvers and admins, like every other party's."""
    me = actor.user.organization.name
    second = " as the second approver (four eyes)" if revision.four_eyes else ""
    notify(
        offer,
        kind=kind,
        title=f"{me}'s approval needed: {revision.title}",
        text=lambda tz: (
            f"{actor.user.name} proposed revision {revision.number} of "
            f"\u201c{revision.title}\u201d on behalf of {me}. It counts as {me}'s approval only "
            f"once an approver of {me} approves it{second}; please review by "
            f"{format_deadline(revision.review_due_at, tz)}."
        ),
        organization_ids=[actor.organization_id],
        roles=DECIDERS,
        exclude_user_id=actor.user_id,
    )


@transactional
def send(actor: Actor, offer_id: int, *, expected_version: int | None = None) -> Offer:
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = load(actor, offer_id, lock=True)
    check_version(offer, expected_version)
    if offer.proposer_organization_id != actor.organization_id:
        raise NotFound()
    touch(offer, "send")
    parties = offer_party_ids(offer.id)
    # Partnerships can end while a draft waits: check again at the moment of sending.
    partners.require_active_partners(actor.organization_id, parties)
    now = utcnow()
    revision = current_revision(offer)
    others = [p for p in parties if p != actor.organization_id]
    author_approved = approvals.approve_by_proposing(actor, offer.id, revision)
    revision.sent_at = now
    revision.review_due_at = review_due(
        now, approvals.deciding_parties(actor, parties, author_approved)
    )
    offer.sent_at = now
    add_event(
        offer,
        actor,
        "sent",
        "Offer sent to all parties" + _approval_note(actor, revision, author_approved),
        revision.number,
    )
    audit.record(
        "offer.sent", actor=actor, organization_ids=parties, target=offer, revision=revision.number
    )
    events.raise_(
        "offer.sent",
        parties,
        offer_id=offer.id,
        revision=revision.number,
        title=revision.title,
        proposer_organization_id=offer.proposer_organization_id,
        party_organization_ids=parties,
        review_due_at=revision.review_due_at,
    )
    proposer = actor.user.organization.name
    notify(
        offer,
        kind="offer_received",
        title=f"{proposer} proposes: {revision.title}",
        text=lambda tz: (
            f"{actor.user.name} of {proposer} sent a joint offer, "
            f"\u201c{revision.title}\u201d, for your review by "
            f"{format_deadline(revision.review_due_at, tz)}."
        ),
        organization_ids=others,
        roles=EVERYONE,
        exclude_user_id=actor.user_id,
    )
    if not author_approved:
        _ask_own_approvers(offer, revision, actor, "offer_received")
    # In this transaction: what waited for the offer to be sent (draft materials) goes out now.
    signals.offer_sent.send(actor, offer_id=offer.id, sent_at=now)
    with committing():
        pass
    return offer


@transactional
def discard_draft(actor: Actor, offer_id: int) -> Offer:
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = load(actor, offer_id, lock=True)
    if offer.proposer_organization_id != actor.organization_id:
        raise NotFound()
    touch(offer, "discard")
    offer.closed_at = utcnow()
    add_event(offer, actor, "discarded", "Draft discarded")
    audit.record("offer.discarded", actor=actor, target=offer)
    with committing():
        pass
    return offer


# ---------------------------------------------------------------------------------------------
# Counter-proposals


@transactional
def revise(
    actor: Actor, offer_id: int, *, terms: TermsInput, expected_version: int | None = None
) -> OfferRevision:
    """Any party's partner manager (or admin) proposes changed terms: the next revision.
    Earlier decisions stay on their revision; the new one starts with at most its author's
    approval by proposing (``approvals.approve_by_proposing``)."""
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = load(actor, offer_id, lock=True)
    check_version(offer, expected_version)
    touch(offer, "revise")
    parties = offer_party_ids(offer.id)
    values = validated_terms(terms, parties)
    _refuse_unshared_products(actor, offer, terms)
    previous = current_revision(offer)
    if same_terms({k: getattr(previous, k) for k in values}, values):
        raise ValidationFailed("These terms are the same as the current revision.", field="title")
    now = utcnow()
    others = [p for p in parties if p != actor.organization_id]
    revision = OfferRevision(
        offer_id=offer.id,
        number=previous.number + 1,
        author_id=actor.user_id,
        author_organization_id=actor.organization_id,
        sent_at=now,
        **values,
    )
    db.session.add(revision)
    offer.current_revision_number = revision.number
    db.session.flush()
    author_approved = approvals.approve_by_proposing(actor, offer.id, revision)
    revision.review_due_at = review_due(
        now, approvals.deciding_parties(actor, parties, author_approved)
    )
    add_event(
        offer,
        actor,
        "revised",
        f"Revision {revision.number} proposed"
        + (f": {revision.change_note}" if revision.change_note else "")
        + _approval_note(actor, revision, author_approved),
        revision.number,
    )
    audit.record(
        "offer.revised",
        actor=actor,
        organization_ids=parties,
        target=offer,
        revision=revision.number,
    )
    events.raise_(
        "offer.revised",
        parties,
        offer_id=offer.id,
        revision=revision.number,
        title=revision.title,
        author_organization_id=actor.organization_id,
        review_due_at=revision.review_due_at,
    )
    author = actor.user.organization.name
    notify(
        offer,
        kind="offer_revised",
        title=f"Revision {revision.number} of \u201c{revision.title}\u201d",
        text=lambda tz: (
            f"{actor.user.name} of {author} proposed revision {revision.number} of "
            f"\u201c{revision.title}\u201d. Earlier decisions no longer count; please review "
            f"by {format_deadline(revision.review_due_at, tz)}."
        ),
        organization_ids=others,
        roles=EVERYONE,
        exclude_user_id=actor.user_id,
    )
    if not author_approved:
        _ask_own_approvers(offer, revision, actor, "offer_revised")
    with committing():
        pass
    return revision


def _approval_note(actor: Actor, revision: OfferRevision, author_approved: bool) -> str:
    """What proposing meant for the author company's approval, for the timeline."""
    me = actor.user.organization.name
    if author_approved:
        role = role_label(actor.user.role)
        return f"; approved for {me} by proposing ({actor.user.name}, {role})"
    if revision.four_eyes:
        return f"; {me} asks for four eyes: a second approver of {me} decides"
    return f"; awaiting the approval of {me}'s approvers"


def _refuse_unshared_products(actor: Actor, offer: Offer, terms: TermsInput) -> None:
    """A co-party that is not the author's partner shared only the products it named in this
    offer: naming another of its products (by id) would show that product's name to the
    author. Refused with the same message as a product of the wrong company."""
    own_and_partners = partners.active_partner_ids(actor.organization_id) | {actor.organization_id}
    shared = {
        product_id
        for party_terms in db.session.scalars(
            sa.select(OfferRevision.party_terms).where(OfferRevision.offer_id == offer.id)
        )
        for t in party_terms
        for product_id in t["product_ids"]
    }
    for party in terms.parties:
        if party.organization_id not in own_and_partners and not set(party.product_ids) <= shared:
            raise ValidationFailed(
                "Each party can only offer its own, current products.", field="products"
            )


# ---------------------------------------------------------------------------------------------
# Withdraw and clone


@transactional
def withdraw(actor: Actor, offer_id: int, *, reason: str = "") -> Offer:
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = load(actor, offer_id, lock=True)
    if offer.proposer_organization_id != actor.organization_id:
        raise Forbidden("Only the company that proposed the offer can withdraw it.")
    touch(offer, "withdraw")
    offer.closed_at = utcnow()
    reason = clean_text(reason, field_name="reason", label="Reason", max_length=2000)
    parties = offer_party_ids(offer.id)
    revision = current_revision(offer)
    add_event(
        offer,
        actor,
        "withdrawn",
        "Withdrawn by the proposer" + (f": {reason}" if reason else ""),
        revision.number,
    )
    audit.record("offer.withdrawn", actor=actor, organization_ids=parties, target=offer)
    notify(
        offer,
        kind="offer_closed",
        title=f"Withdrawn: {revision.title}",
        text=f"{actor.user.organization.name} withdrew \u201c{revision.title}\u201d."
        + (f"\n\nReason:\n{reason}" if reason else ""),
        organization_ids=[p for p in parties if p != actor.organization_id],
        roles=EVERYONE,
        exclude_user_id=actor.user_id,
    )
    with committing():
        pass
    return offer


@transactional
def clone(actor: Actor, offer_id: int) -> Offer:
    """Start a new draft from a closed offer's last terms (the old offer stays as it was)."""
    authorize(actor.user, Action.PROPOSE_OFFER)
    source = load(actor, offer_id)
    workflow.next_status(source.status, "clone")
    revision = current_revision(source)
    me = actor.organization_id
    parties = offer_party_ids(source.id)
    active = partners.active_partner_ids(me)
    partner_ids = [p for p in parties if p != me and p in active]
    if not partner_ids:
        raise Conflict("None of this offer's other parties is an active partner any more.")
    kept = set(partner_ids) | {me}
    offer = Offer(
        proposer_organization_id=me,
        status=OfferStatus.DRAFT.value,
        created_by_id=actor.user_id,
        cloned_from_id=source.id,
    )
    db.session.add(offer)
    db.session.flush()
    db.session.add_all(OfferParty(offer_id=offer.id, organization_id=o) for o in sorted(kept))
    party_terms = [t for t in revision.party_terms if t["organization_id"] in kept]
    if len(party_terms) != len(revision.party_terms):
        # A party dropped out: its shares go to the proposer, to be re-split in the draft.
        lost_budget = SHARE_TOTAL - sum(t["budget_share_bp"] for t in party_terms)
        lost_revenue = SHARE_TOTAL - sum(t["revenue_share_bp"] for t in party_terms)
        party_terms = [dict(t) for t in party_terms]
        for t in party_terms:
            if t["organization_id"] == me:
                t["budget_share_bp"] += lost_budget
                t["revenue_share_bp"] += lost_revenue
    db.session.add(
        OfferRevision(
            offer_id=offer.id,
            number=1,
            author_id=actor.user_id,
            author_organization_id=me,
            title=revision.title,
            value_proposition=revision.value_proposition,
            audience=revision.audience,
            start_date=revision.start_date,
            end_date=revision.end_date,
            currency=revision.currency,
            total_budget_minor=revision.total_budget_minor,
            target_reach=revision.target_reach,
            target_leads=revision.target_leads,
            target_revenue_minor=revision.target_revenue_minor,
            party_terms=party_terms,
            placements=[p for p in revision.placements if p["owner_organization_id"] in kept],
            change_note=f"Cloned from offer #{source.id}",
        )
    )
    add_event(offer, actor, "created", f"Draft cloned from offer #{source.id}", 1)
    audit.record("offer.cloned", actor=actor, target=offer, source_offer_id=source.id)
    with committing():
        pass
    return offer

"""Joint offers: drafts, sending, counter-proposals, decisions, comments, deadlines.

Every public function takes the acting user, checks the policy and the lifecycle table
(``workflow.py``), owns its transaction, and raises domain errors. An offer is only ever
loaded through its parties, so a non-party gets NotFound — the same as a missing offer.
Concurrent writers are serialised by a row lock on the offer (PostgreSQL) and, on every
backend, by its version counter: a writer that lost the race gets Conflict (409).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from comarketing import audit, notifications, signals
from comarketing.accounts.models import Organization, User
from comarketing.budgets.commitments import record_commitments
from comarketing.business_days import add_business_days
from comarketing.campaigns.lifecycle import PartyShare, PlannedPlacement, create_joint_campaign
from comarketing.campaigns.models import Campaign, Channel
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Conflict, Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.money import SHARE_TOTAL, check_currency, format_money, split_by_shares
from comarketing.notifications import Recipient
from comarketing.offers import workflow
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
from comarketing.partners import services as partners
from comarketing.partners.models import Product
from comarketing.policy import Action, Role, authorize
from comarketing.unit_of_work import transactional

MAX_PARTIES = 6
MAX_PLACEMENTS = 30
MAX_COMMENT = 5000

# ---------------------------------------------------------------------------------------------
# Input


@dataclass
class PartyTermsInput:
    organization_id: int
    product_ids: list[int]
    budget_share_bp: int
    revenue_share_bp: int


@dataclass
class PlacementInput:
    channel: str
    owner_organization_id: int
    name: str
    planned_cost_minor: int


@dataclass
class TermsInput:
    title: str
    value_proposition: str
    audience: str
    start_date: date | None
    end_date: date | None
    currency: str
    total_budget_minor: int
    target_reach: int | None = None
    target_leads: int | None = None
    target_revenue_minor: int | None = None
    parties: list[PartyTermsInput] = field(default_factory=list)
    placements: list[PlacementInput] = field(default_factory=list)
    change_note: str = ""


def _text(
    value: str, *, field_name: str, label: str, max_length: int, required: bool = False
) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationFailed(f"{label} is required.", field=field_name)
    if len(cleaned) > max_length:
        raise ValidationFailed(
            f"{label} must be at most {max_length:,} characters.", field=field_name
        )
    return cleaned


def _validated_terms(terms: TermsInput, party_ids: Sequence[int]) -> dict[str, object]:
    """Check the terms against the offer's parties; return the revision's column values."""
    title = _text(terms.title, field_name="title", label="Title", max_length=200, required=True)
    value_proposition = _text(
        terms.value_proposition,
        field_name="value_proposition",
        label="Value proposition",
        max_length=5000,
    )
    audience = _text(
        terms.audience, field_name="audience", label="Target audience", max_length=2000
    )
    change_note = _text(terms.change_note, field_name="change_note", label="Note", max_length=2000)
    if terms.start_date is None:
        raise ValidationFailed("Start date is required.", field="start_date")
    if terms.end_date is None:
        raise ValidationFailed("End date is required.", field="end_date")
    if terms.end_date < terms.start_date:
        raise ValidationFailed("The end date must be on or after the start date.", field="end_date")
    currency = check_currency(terms.currency)
    if terms.total_budget_minor <= 0:
        raise ValidationFailed("The total budget must be greater than zero.", field="total_budget")
    for name, value in (
        ("target_reach", terms.target_reach),
        ("target_leads", terms.target_leads),
        ("target_revenue", terms.target_revenue_minor),
    ):
        if value is not None and value < 0:
            raise ValidationFailed("Goals cannot be negative.", field=name)

    by_party = {p.organization_id: p for p in terms.parties}
    if set(by_party) != set(party_ids) or len(terms.parties) != len(party_ids):
        raise ValidationFailed("Give the terms of every party, once each.", field="parties")
    for points_name, label in (("budget_share_bp", "Budget"), ("revenue_share_bp", "Revenue")):
        points = [getattr(p, points_name) for p in terms.parties]
        if any(p < 0 or p > SHARE_TOTAL for p in points):
            raise ValidationFailed(
                f"{label} shares must be between 0% and 100%.",
                field=points_name.replace("_bp", "s"),
            )
        if sum(points) != SHARE_TOTAL:
            total = sum(points)
            raise ValidationFailed(
                f"{label} shares add up to {total // 100}.{total % 100:02d}%; they must add up "
                "to exactly 100%.",
                field=points_name.replace("_bp", "s"),
            )

    wanted_products = {pid for p in terms.parties for pid in p.product_ids}
    owners = (
        dict(
            db.session.execute(
                sa.select(Product.id, Product.organization_id).where(
                    Product.id.in_(wanted_products), Product.archived_at.is_(None)
                )
            ).all()
        )
        if wanted_products
        else {}
    )
    for party in terms.parties:
        for product_id in party.product_ids:
            if owners.get(product_id) != party.organization_id:
                raise ValidationFailed(
                    "Each party can only offer its own, current products.", field="products"
                )

    if len(terms.placements) > MAX_PLACEMENTS:
        raise ValidationFailed(f"At most {MAX_PLACEMENTS} planned placements.", field="placements")
    placements: list[dict[str, object]] = []
    for placement in terms.placements:
        if placement.channel not in {c.value for c in Channel}:
            raise ValidationFailed("Choose a channel from the list.", field="placements")
        if placement.owner_organization_id not in by_party:
            raise ValidationFailed(
                "A placement must belong to one of the parties.", field="placements"
            )
        name = _text(
            placement.name,
            field_name="placements",
            label="Placement name",
            max_length=200,
            required=True,
        )
        if placement.planned_cost_minor < 0:
            raise ValidationFailed("Planned costs cannot be negative.", field="placements")
        placements.append(
            {
                "channel": placement.channel,
                "owner_organization_id": placement.owner_organization_id,
                "name": name,
                "planned_cost_minor": placement.planned_cost_minor,
            }
        )
    if sum(p.planned_cost_minor for p in terms.placements) > terms.total_budget_minor:
        raise ValidationFailed(
            "The planned placements cost more than the total budget.", field="placements"
        )
    return {
        "title": title,
        "value_proposition": value_proposition,
        "audience": audience,
        "change_note": change_note,
        "start_date": terms.start_date,
        "end_date": terms.end_date,
        "currency": currency,
        "total_budget_minor": terms.total_budget_minor,
        "target_reach": terms.target_reach,
        "target_leads": terms.target_leads,
        "target_revenue_minor": terms.target_revenue_minor,
        "party_terms": [
            {
                "organization_id": p.organization_id,
                "product_ids": sorted(set(p.product_ids)),
                "budget_share_bp": p.budget_share_bp,
                "revenue_share_bp": p.revenue_share_bp,
            }
            for p in sorted(terms.parties, key=lambda p: p.organization_id)
        ],
        "placements": placements,
    }


# ---------------------------------------------------------------------------------------------
# Loading, always through the parties


def _visible_to(organization_id: int) -> sa.ColumnElement[bool]:
    mine = sa.select(OfferParty.offer_id).where(OfferParty.organization_id == organization_id)
    # Drafts are the proposer's alone until sent — and stay so when discarded unsent (status
    # "withdrawn"): the partners never received them.
    return sa.and_(
        Offer.id.in_(mine),
        sa.or_(
            Offer.sent_at.is_not(None),
            Offer.proposer_organization_id == organization_id,
        ),
    )


def _visible(organization_id: int) -> sa.Select[Offer]:
    return sa.select(Offer).where(_visible_to(organization_id))


def visible_offer_ids(organization_id: int) -> sa.Select[int]:
    """The ids of the offers this organization may see, as a subquery for ``IN``: the packages
    to the right (collateral drafts) follow exactly the offers' own visibility."""
    return sa.select(Offer.id).where(_visible_to(organization_id))


def _load(actor: Actor, offer_id: int, *, lock: bool = False) -> Offer:
    query = _visible(actor.organization_id).where(Offer.id == offer_id)
    if lock:
        # populate_existing: the offer may already sit in this session (the edit page loads it
        # first); the values read under the lock must replace those stale ones, or a version
        # check passes on old data and the write fails later as an unhandled StaleDataError.
        query = query.with_for_update().execution_options(populate_existing=True)
    offer = db.session.scalar(query)
    if offer is None:
        raise NotFound()
    return offer


def offer_party_ids(offer_id: int) -> list[int]:
    """The organizations taking part in an offer, by id (collateral drafts use it too)."""
    return sorted(
        db.session.scalars(
            sa.select(OfferParty.organization_id).where(OfferParty.offer_id == offer_id)
        )
    )


def _revision(offer: Offer, number: int | None = None) -> OfferRevision:
    revision = db.session.scalar(
        sa.select(OfferRevision).where(
            OfferRevision.offer_id == offer.id,
            OfferRevision.number == (number or offer.current_revision_number),
        )
    )
    if revision is None:
        raise NotFound()
    return revision


@contextmanager
def _committing() -> Iterator[None]:
    """Commit at the end; a concurrent writer that got there first turns into Conflict."""
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(
            "Someone else changed this offer at the same moment. "
            "Reload the page to see the current state."
        ) from exc
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Conflict("This was already recorded by someone else. Reload the page.") from exc


def _touch(offer: Offer, step: str) -> None:
    offer.status = workflow.next_status(offer.status, step).value
    offer.updated_at = utcnow()  # an UPDATE of the row bumps the version counter


def _event(
    offer: Offer,
    actor: Actor | None,
    action: str,
    summary: str = "",
    revision_number: int | None = None,
) -> None:
    db.session.add(
        OfferEvent(
            offer_id=offer.id,
            organization_id=actor.organization_id if actor else None,
            user_id=actor.user_id if actor else None,
            action=action,
            summary=summary[:300],
            revision_number=revision_number,
        )
    )


def _people(
    organization_ids: Sequence[int], roles: Sequence[Role], exclude_user_id: int | None = None
) -> list[Recipient]:
    rows = db.session.execute(
        sa.select(User.id, User.email).where(
            User.organization_id.in_(organization_ids),
            User.active,
            User.role.in_([r.value for r in roles]),
        )
    )
    return [Recipient(uid, email) for uid, email in rows if uid != exclude_user_id]


DECIDERS = (Role.ADMIN, Role.APPROVER)
WRITERS = (Role.ADMIN, Role.PARTNER_MANAGER, Role.APPROVER)


def _org_names(ids: Sequence[int]) -> dict[int, str]:
    return dict(
        db.session.execute(
            sa.select(Organization.id, Organization.name).where(Organization.id.in_(ids))
        ).all()
    )


def _notify(
    offer: Offer,
    *,
    kind: str,
    title: str,
    text: str,
    organization_ids: Sequence[int],
    roles: Sequence[Role],
    exclude_user_id: int | None,
) -> None:
    link = absolute_url("offers.detail", offer_id=offer.id)
    notifications.notify(
        _people(organization_ids, roles, exclude_user_id),
        kind=kind,
        title=title,
        body=f"Hello,\n\n{text}\n\n{link}\n",
        link=f"/offers/{offer.id}",
    )


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
    values = _validated_terms(terms, parties)
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
    _event(offer, actor, "created", "Draft created", 1)
    audit.record("offer.created", actor=actor, target=offer)
    with _committing():
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
    offer = _load(actor, offer_id, lock=True)
    _check_version(offer, expected_version)
    if offer.proposer_organization_id != actor.organization_id:
        raise NotFound()
    _touch(offer, "edit")
    me = actor.organization_id
    partner_set = sorted(set(partner_ids) - {me})
    if not partner_set:
        raise ValidationFailed("Choose at least one partner.", field="partners")
    partners.require_active_partners(me, partner_set)
    parties = sorted([me, *partner_set])
    values = _validated_terms(terms, parties)
    _check_expiry(expires_at)
    offer.expires_at = expires_at
    db.session.execute(sa.delete(OfferParty).where(OfferParty.offer_id == offer.id))
    db.session.add_all(OfferParty(offer_id=offer.id, organization_id=o) for o in parties)
    revision = _revision(offer)
    for key, value in values.items():
        setattr(revision, key, value)
    revision.author_id = actor.user_id
    audit.record("offer.draft_edited", actor=actor, target=offer)
    with _committing():
        pass
    return offer


def _check_version(offer: Offer, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != offer.version:
        raise Conflict(
            "This offer changed since you opened it. Reload to see the current "
            "terms, then make your change again."
        )


def _review_due(sent_at: datetime, deciding_org_ids: Sequence[int]) -> datetime:
    # One due date per revision: the longest review window among the parties that decide,
    # so no company gets less time than it configured.
    days = (
        db.session.scalar(
            sa.select(sa.func.max(Organization.review_business_days)).where(
                Organization.id.in_(deciding_org_ids)
            )
        )
        or 2
    )
    return add_business_days(sent_at, int(days))


def _author_approves(offer: Offer, revision: OfferRevision, actor: Actor) -> None:
    db.session.add(
        OfferDecision(
            offer_id=offer.id,
            revision_id=revision.id,
            organization_id=actor.organization_id,
            user_id=actor.user_id,
            decision=Decision.APPROVED.value,
            implicit=True,
        )
    )


@transactional
def send(actor: Actor, offer_id: int, *, expected_version: int | None = None) -> Offer:
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = _load(actor, offer_id, lock=True)
    _check_version(offer, expected_version)
    if offer.proposer_organization_id != actor.organization_id:
        raise NotFound()
    _touch(offer, "send")
    parties = offer_party_ids(offer.id)
    # Partnerships can end while a draft waits: check again at the moment of sending.
    partners.require_active_partners(actor.organization_id, parties)
    now = utcnow()
    revision = _revision(offer)
    others = [p for p in parties if p != actor.organization_id]
    revision.sent_at = now
    revision.review_due_at = _review_due(now, others)
    offer.sent_at = now
    _author_approves(offer, revision, actor)
    _event(offer, actor, "sent", "Offer sent to all parties", revision.number)
    audit.record(
        "offer.sent", actor=actor, organization_ids=parties, target=offer, revision=revision.number
    )
    proposer = actor.user.organization.name
    _notify(
        offer,
        kind="offer_received",
        title=f"{proposer} proposes: {revision.title}",
        text=f"{actor.user.name} of {proposer} sent a joint offer, \u201c{revision.title}\u201d, "
        f"for your review by {revision.review_due_at:%A %d %B %Y, %H:%M} UTC.",
        organization_ids=others,
        roles=WRITERS,
        exclude_user_id=actor.user_id,
    )
    # In this transaction: what waited for the offer to be sent (draft materials) goes out now.
    signals.offer_sent.send(actor, offer_id=offer.id, sent_at=now)
    with _committing():
        pass
    return offer


@transactional
def discard_draft(actor: Actor, offer_id: int) -> Offer:
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = _load(actor, offer_id, lock=True)
    if offer.proposer_organization_id != actor.organization_id:
        raise NotFound()
    _touch(offer, "discard")
    offer.closed_at = utcnow()
    _event(offer, actor, "discarded", "Draft discarded")
    audit.record("offer.discarded", actor=actor, target=offer)
    with _committing():
        pass
    return offer


# ---------------------------------------------------------------------------------------------
# Counter-proposals


@transactional
def revise(
    actor: Actor, offer_id: int, *, terms: TermsInput, expected_version: int | None = None
) -> OfferRevision:
    """Any party's partner manager proposes changed terms: the next revision. Earlier decisions
    stay on their revision; the new one starts with only its author's approval."""
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = _load(actor, offer_id, lock=True)
    _check_version(offer, expected_version)
    _touch(offer, "revise")
    parties = offer_party_ids(offer.id)
    values = _validated_terms(terms, parties)
    _refuse_unshared_products(actor, offer, terms)
    previous = _revision(offer)
    unchanged = all(getattr(previous, k) == v for k, v in values.items() if k != "change_note")
    if unchanged:
        raise ValidationFailed("These terms are the same as the current revision.", field="title")
    now = utcnow()
    others = [p for p in parties if p != actor.organization_id]
    revision = OfferRevision(
        offer_id=offer.id,
        number=previous.number + 1,
        author_id=actor.user_id,
        author_organization_id=actor.organization_id,
        sent_at=now,
        review_due_at=_review_due(now, others),
        **values,
    )
    db.session.add(revision)
    offer.current_revision_number = revision.number
    db.session.flush()
    _author_approves(offer, revision, actor)
    _event(
        offer,
        actor,
        "revised",
        f"Revision {revision.number} proposed"
        + (f": {revision.change_note}" if revision.change_note else ""),
        revision.number,
    )
    audit.record(
        "offer.revised",
        actor=actor,
        organization_ids=parties,
        target=offer,
        revision=revision.number,
    )
    author = actor.user.organization.name
    _notify(
        offer,
        kind="offer_revised",
        title=f"Revision {revision.number} of \u201c{revision.title}\u201d",
        text=f"{actor.user.name} of {author} proposed revision {revision.number} of "
        f"\u201c{revision.title}\u201d. Earlier decisions no longer count; please review "
        f"by {revision.review_due_at:%A %d %B %Y, %H:%M} UTC.",
        organization_ids=others,
        roles=WRITERS,
        exclude_user_id=actor.user_id,
    )
    with _committing():
        pass
    return revision


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
# Decisions


STEP_FOR = {
    Decision.APPROVED: "approve",
    Decision.CHANGES_REQUESTED: "request_changes",
    Decision.REJECTED: "reject",
}


@transactional
def decide(
    actor: Actor, offer_id: int, *, revision_number: int, decision: str, comment: str = ""
) -> OfferDecision:
    authorize(actor.user, Action.DECIDE_OFFER)
    offer = _load(actor, offer_id, lock=True)
    try:
        choice = Decision(decision)
    except ValueError as exc:
        raise ValidationFailed(
            "Choose approve, request changes or reject.", field="decision"
        ) from exc
    comment = _text(comment, field_name="comment", label="Comment", max_length=MAX_COMMENT)
    if choice != Decision.APPROVED and not comment:
        raise ValidationFailed(
            "Say what should change."
            if choice == Decision.CHANGES_REQUESTED
            else "Give a reason for rejecting.",
            field="comment",
        )
    workflow.next_status(offer.status, STEP_FOR[choice])
    if revision_number != offer.current_revision_number:
        raise Conflict(
            f"Revision {revision_number} is no longer current; revision "
            f"{offer.current_revision_number} replaced it. Review that one."
        )
    revision = _revision(offer)
    if revision.author_organization_id == actor.organization_id:
        raise Forbidden("Your company proposed this revision; its approval is already counted.")
    already = db.session.scalar(
        sa.select(OfferDecision.id).where(
            OfferDecision.revision_id == revision.id,
            OfferDecision.organization_id == actor.organization_id,
        )
    )
    if already is not None:
        raise Conflict("Your company has already decided on this revision.")
    _touch(offer, STEP_FOR[choice])
    record = OfferDecision(
        offer_id=offer.id,
        revision_id=revision.id,
        organization_id=actor.organization_id,
        user_id=actor.user_id,
        decision=choice.value,
        comment=comment,
    )
    db.session.add(record)
    db.session.flush()
    parties = offer_party_ids(offer.id)
    me = actor.user.organization.name
    _event(
        offer,
        actor,
        choice.value,
        f"{me}: {choice.label}" + (f" \u2014 {comment}" if comment else ""),
        revision.number,
    )
    audit.record(
        f"offer.{choice.value}",
        actor=actor,
        organization_ids=parties,
        target=offer,
        revision=revision.number,
    )
    others = [p for p in parties if p != actor.organization_id]
    _notify(
        offer,
        kind="offer_decision",
        title=f"{me}: {choice.label.lower()} \u2014 {revision.title}",
        text=f"{actor.user.name} of {me} decided on revision {revision.number} of "
        f"\u201c{revision.title}\u201d: {choice.label.lower()}."
        + (f"\n\nComment:\n{comment}" if comment else ""),
        organization_ids=others,
        roles=WRITERS,
        exclude_user_id=actor.user_id,
    )
    if choice == Decision.REJECTED:
        offer.closed_at = utcnow()
    elif choice == Decision.APPROVED and _everyone_approved(revision, parties):
        _approve(offer, revision, parties, actor)
    with _committing():
        pass
    return record


def _everyone_approved(revision: OfferRevision, parties: Sequence[int]) -> bool:
    approved = set(
        db.session.scalars(
            sa.select(OfferDecision.organization_id).where(
                OfferDecision.revision_id == revision.id,
                OfferDecision.decision == Decision.APPROVED.value,
            )
        )
    )
    return approved >= set(parties)


def _approve(offer: Offer, revision: OfferRevision, parties: Sequence[int], actor: Actor) -> None:
    offer.status = OfferStatus.APPROVED.value
    offer.closed_at = utcnow()
    campaign = create_joint_campaign(
        offer_id=offer.id,
        proposer_organization_id=offer.proposer_organization_id,
        created_by_id=actor.user_id,
        name=revision.title,
        description=revision.value_proposition,
        start_date=revision.start_date,
        end_date=revision.end_date,
        currency=revision.currency,
        total_budget_minor=revision.total_budget_minor,
        target_reach=revision.target_reach,
        target_leads=revision.target_leads,
        target_revenue_minor=revision.target_revenue_minor,
        parties=[
            PartyShare(t["organization_id"], t["budget_share_bp"], t["revenue_share_bp"])
            for t in revision.party_terms
        ],
        placements=[
            PlannedPlacement(
                p["channel"], p["owner_organization_id"], p["name"], p["planned_cost_minor"]
            )
            for p in revision.placements
        ],
    )
    # In this transaction: what was prepared on the offer (draft materials) joins the campaign.
    signals.joint_campaign_created.send(actor, offer_id=offer.id, campaign_id=campaign.id)
    commitments = split_by_shares(
        revision.total_budget_minor,
        {t["organization_id"]: t["budget_share_bp"] for t in revision.party_terms},
    )
    record_commitments(
        campaign_id=campaign.id,
        currency=revision.currency,
        amounts=commitments,
        # Agreed by every party, not posted by the last approver: no single author.
        created_by_id=None,
        note=f"Agreed share of offer #{offer.id}, revision {revision.number}",
    )
    _event(
        offer,
        actor,
        "approved_by_all",
        f"Approved by every party; campaign \u201c{campaign.name}\u201d created",
        revision.number,
    )
    audit.record(
        "offer.approved_by_all",
        actor=actor,
        organization_ids=parties,
        target=offer,
        campaign_id=campaign.id,
    )
    _notify(
        offer,
        kind="offer_approved",
        title=f"Approved by all: {revision.title}",
        text=f"Every party approved \u201c{revision.title}\u201d (revision {revision.number})."
        f" The joint campaign is ready: {absolute_url('campaigns.detail', campaign_id=campaign.id)}"
        f"\nBudget commitments: "
        + ", ".join(
            format_money(amount, revision.currency) for _, amount in sorted(commitments.items())
        ),
        organization_ids=parties,
        roles=WRITERS,
        exclude_user_id=None,
    )


# ---------------------------------------------------------------------------------------------
# Withdraw, clone, comments


@transactional
def withdraw(actor: Actor, offer_id: int, *, reason: str = "") -> Offer:
    authorize(actor.user, Action.PROPOSE_OFFER)
    offer = _load(actor, offer_id, lock=True)
    if offer.proposer_organization_id != actor.organization_id:
        raise Forbidden("Only the company that proposed the offer can withdraw it.")
    _touch(offer, "withdraw")
    offer.closed_at = utcnow()
    reason = _text(reason, field_name="reason", label="Reason", max_length=2000)
    parties = offer_party_ids(offer.id)
    revision = _revision(offer)
    _event(
        offer,
        actor,
        "withdrawn",
        "Withdrawn by the proposer" + (f": {reason}" if reason else ""),
        revision.number,
    )
    audit.record("offer.withdrawn", actor=actor, organization_ids=parties, target=offer)
    _notify(
        offer,
        kind="offer_closed",
        title=f"Withdrawn: {revision.title}",
        text=f"{actor.user.organization.name} withdrew \u201c{revision.title}\u201d."
        + (f"\n\nReason:\n{reason}" if reason else ""),
        organization_ids=[p for p in parties if p != actor.organization_id],
        roles=WRITERS,
        exclude_user_id=actor.user_id,
    )
    with _committing():
        pass
    return offer


@transactional
def clone(actor: Actor, offer_id: int) -> Offer:
    """Start a new draft from a closed offer's last terms (the old offer stays as it was)."""
    authorize(actor.user, Action.PROPOSE_OFFER)
    source = _load(actor, offer_id)
    workflow.next_status(source.status, "clone")
    revision = _revision(source)
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
    _event(offer, actor, "created", f"Draft cloned from offer #{source.id}", 1)
    audit.record("offer.cloned", actor=actor, target=offer, source_offer_id=source.id)
    with _committing():
        pass
    return offer


@transactional
def add_comment(actor: Actor, offer_id: int, body: str) -> OfferComment:
    authorize(actor.user, Action.COMMENT_ON_OFFER)
    offer = _load(actor, offer_id, lock=True)
    workflow.next_status(offer.status, "comment")
    body = _text(body, field_name="body", label="Comment", max_length=MAX_COMMENT, required=True)
    comment = OfferComment(
        offer_id=offer.id, organization_id=actor.organization_id, author_id=actor.user_id, body=body
    )
    db.session.add(comment)
    offer.updated_at = utcnow()
    parties = offer_party_ids(offer.id)
    revision = _revision(offer)
    audit.record("offer.commented", actor=actor, target=offer)
    if offer.status != OfferStatus.DRAFT.value:
        _notify(
            offer,
            kind="offer_comment",
            title=f"New comment on \u201c{revision.title}\u201d",
            text=f"{actor.user.name} of {actor.user.organization.name} wrote:\n\n{body}",
            organization_ids=parties,
            roles=WRITERS,
            exclude_user_id=actor.user_id,
        )
    with _committing():
        pass
    return comment


# ---------------------------------------------------------------------------------------------
# Reading: the offer page, lists, the inbox


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
    return _load(actor, offer_id).status


def offer_view(actor: Actor, offer_id: int) -> OfferView:
    """Everything the offer page shows, in a fixed number of queries."""
    authorize(actor.user, Action.VIEW_OFFERS)
    offer = _load(actor, offer_id)
    party_ids = offer_party_ids(offer.id)
    parties = {
        o.id: o
        for o in db.session.scalars(sa.select(Organization).where(Organization.id.in_(party_ids)))
    }
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
    names = {oid: org.name for oid, org in parties.items()}
    views: list[RevisionView] = []
    previous: dict[str, str] = {}
    for revision in revisions:
        snapshot = terms_snapshot(revision, names, products)
        by_party = {d.organization_id: d for d in decisions if d.revision_id == revision.id}
        views.append(
            RevisionView(revision, snapshot, diff(previous, snapshot) if previous else [], by_party)
        )
        previous = snapshot
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


@dataclass
class OfferRow:
    offer: Offer
    title: str
    parties: list[str]
    review_due_at: datetime | None
    awaiting_me: bool
    overdue: bool


def _rows(actor: Actor, query: sa.Select[Offer]) -> list[OfferRow]:
    offers = list(db.session.scalars(query))
    if not offers:
        return []
    ids = [o.id for o in offers]
    current = {
        (r.offer_id): r
        for r in db.session.scalars(
            sa.select(OfferRevision)
            .join(
                Offer,
                sa.and_(
                    Offer.id == OfferRevision.offer_id,
                    Offer.current_revision_number == OfferRevision.number,
                ),
            )
            .where(Offer.id.in_(ids))
        )
    }
    names: dict[int, list[str]] = {}
    for offer_id, name in db.session.execute(
        sa.select(OfferParty.offer_id, Organization.name)
        .join(Organization, Organization.id == OfferParty.organization_id)
        .where(OfferParty.offer_id.in_(ids))
        .order_by(Organization.name)
    ):
        names.setdefault(offer_id, []).append(name)
    decided = set(
        db.session.scalars(
            sa.select(OfferDecision.revision_id).where(
                OfferDecision.offer_id.in_(ids),
                OfferDecision.organization_id == actor.organization_id,
            )
        )
    )
    now = utcnow()
    rows = []
    for offer in offers:
        revision = current[offer.id]
        pending = offer.status == OfferStatus.SENT.value and revision.id not in decided
        rows.append(
            OfferRow(
                offer,
                revision.title,
                names.get(offer.id, []),
                revision.review_due_at,
                pending,
                bool(
                    offer.status == OfferStatus.SENT.value
                    and revision.review_due_at
                    and revision.review_due_at < now
                ),
            )
        )
    return rows


def list_offers(
    actor: Actor, *, status: str | None = None, partner_id: int | None = None
) -> list[OfferRow]:
    authorize(actor.user, Action.VIEW_OFFERS)
    query = _visible(actor.organization_id)
    if status:
        query = query.where(Offer.status == status)
    if partner_id:
        query = query.where(
            Offer.id.in_(
                sa.select(OfferParty.offer_id).where(OfferParty.organization_id == partner_id)
            )
        )
    return _rows(actor, query.order_by(Offer.updated_at.desc()).limit(200))


def inbox(actor: Actor) -> list[OfferRow]:
    """Sent offers whose current revision my company has not decided yet, soonest due first."""
    authorize(actor.user, Action.VIEW_OFFERS)
    me = actor.organization_id
    decided_current = (
        sa.select(OfferDecision.offer_id)
        .join(OfferRevision, OfferRevision.id == OfferDecision.revision_id)
        .join(
            Offer,
            sa.and_(
                Offer.id == OfferRevision.offer_id,
                Offer.current_revision_number == OfferRevision.number,
            ),
        )
        .where(OfferDecision.organization_id == me)
    )
    query = _visible(me).where(
        Offer.status == OfferStatus.SENT.value, Offer.id.not_in(decided_current)
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
    query = _visible(me).where(Offer.status == OfferStatus.SENT.value, Offer.id.in_(asked))
    return _rows(actor, query.order_by(Offer.updated_at.desc()))


# ---------------------------------------------------------------------------------------------
# Deadlines (cron): reminders, overdue notices, expiry


@dataclass
class ReminderRun:
    reminded: int = 0
    overdue: int = 0
    expired: int = 0


@transactional
def run_deadlines(now: datetime | None = None) -> ReminderRun:
    """Remind one business day before a review is due, flag it once it is overdue, and close
    offers past their expiry. Each mail goes once: the revision remembers it was sent."""
    now = now or utcnow()
    result = ReminderRun()
    sent = db.session.execute(
        sa.select(Offer, OfferRevision)
        .join(
            OfferRevision,
            sa.and_(
                OfferRevision.offer_id == Offer.id,
                OfferRevision.number == Offer.current_revision_number,
            ),
        )
        .where(Offer.status == OfferStatus.SENT.value)
        .with_for_update(of=OfferRevision, skip_locked=True)
    ).all()
    for offer, revision in sent:
        parties = offer_party_ids(offer.id)
        decided = set(
            db.session.scalars(
                sa.select(OfferDecision.organization_id).where(
                    OfferDecision.revision_id == revision.id
                )
            )
        )
        waiting = [p for p in parties if p not in decided]
        if offer.expires_at is not None and offer.expires_at <= now:
            offer.status = workflow.next_status(offer.status, "expire").value
            offer.closed_at = now
            offer.updated_at = now
            _event(
                offer,
                None,
                "expired",
                "Expired without a decision from every party",
                revision.number,
            )
            audit.record(
                "offer.expired", organization_ids=parties, target=offer, actor_email="system"
            )
            _notify(
                offer,
                kind="offer_closed",
                title=f"Expired: {revision.title}",
                text=f"\u201c{revision.title}\u201d expired before every party decided.",
                organization_ids=parties,
                roles=WRITERS,
                exclude_user_id=None,
            )
            result.expired += 1
            continue
        due = revision.review_due_at
        if due is None or not waiting:
            continue
        if now >= due and revision.overdue_notice_sent_at is None:
            revision.overdue_notice_sent_at = now
            revision.reminder_sent_at = revision.reminder_sent_at or now
            _event(offer, None, "overdue", "Review overdue", revision.number)
            _notify(
                offer,
                kind="review_overdue",
                title=f"Overdue: {revision.title}",
                text=f"The review of \u201c{revision.title}\u201d (revision "
                f"{revision.number}) was due {due:%A %d %B %Y, %H:%M} UTC and is "
                "now overdue.",
                organization_ids=parties,
                roles=WRITERS,
                exclude_user_id=None,
            )
            result.overdue += 1
        elif now < due and revision.reminder_sent_at is None and add_business_days(now, 1) >= due:
            revision.reminder_sent_at = now
            _notify(
                offer,
                kind="review_reminder",
                title=f"Due soon: {revision.title}",
                text=f"Your decision on \u201c{revision.title}\u201d (revision "
                f"{revision.number}) is due {due:%A %d %B %Y, %H:%M} UTC.",
                organization_ids=waiting,
                roles=DECIDERS,
                exclude_user_id=None,
            )
            result.reminded += 1
    db.session.commit()
    return result


# ---------------------------------------------------------------------------------------------
# What the offer form offers to choose from


@dataclass
class FormChoices:
    partners: list[Organization]
    products: dict[int, list[Product]]  # organization id -> its current products


def form_choices(
    actor: Actor, extra_party_ids: Sequence[int] = (), shared_product_ids: Sequence[int] = ()
) -> FormChoices:
    """Partners and products to choose from. A co-party of an offer that is not our partner
    (``extra_party_ids``) shared only the products it named in that offer
    (``shared_product_ids``), not its catalogue."""
    authorize(actor.user, Action.VIEW_OFFERS)
    me = actor.organization_id
    own_and_partners = partners.active_partner_ids(me) | {me}
    ids = own_and_partners | set(extra_party_ids)
    organizations = list(
        db.session.scalars(
            sa.select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)
        )
    )
    products: dict[int, list[Product]] = {}
    for product in db.session.scalars(
        sa.select(Product)
        .where(
            sa.or_(
                Product.organization_id.in_(own_and_partners),
                sa.and_(Product.organization_id.in_(ids), Product.id.in_(shared_product_ids)),
            ),
            Product.archived_at.is_(None),
        )
        .order_by(Product.name)
    ):
        products.setdefault(product.organization_id, []).append(product)
    return FormChoices([o for o in organizations if o.id != me], products)


@transactional
def set_review_days(actor: Actor, days: int) -> Organization:
    authorize(actor.user, Action.MANAGE_ORGANIZATION)
    if not 1 <= days <= 20:
        raise ValidationFailed("Choose between 1 and 20 business days.", field="review_days")
    organization = db.session.get(Organization, actor.organization_id)
    assert organization is not None
    organization.review_business_days = days
    audit.record("organization.review_days_changed", actor=actor, target=organization, days=days)
    db.session.commit()
    return organization

"""Offers that wait on someone, for the home page: the decisions this person may give for their
company, the revisions partners asked their company to change, and the revisions their company
sent that partners have not answered yet.

One query each, whatever the number of offers. A list of what a person can act on follows the
policy: a role that may not decide (or propose) gets an empty list, never an item it could only
look at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.offers.access import visible_offer_ids
from comarketing.offers.approvals import waiting_for
from comarketing.offers.models import Decision, Offer, OfferDecision, OfferParty, OfferRevision
from comarketing.offers.models import OfferStatus as S
from comarketing.policy import Action, can

IS_CURRENT = sa.and_(
    OfferRevision.offer_id == Offer.id, OfferRevision.number == Offer.current_revision_number
)


@dataclass(frozen=True)
class OfferWait:
    offer_id: int
    title: str
    due_at: datetime | None  # the current revision's review due time
    since: datetime | None  # when it started waiting (sent, or asked to change)
    companies: tuple[str, ...] = ()  # who it waits on, or who asked for changes


def _sent_current(organization_id: int, *columns: Any) -> sa.Select[Any]:
    """Sent offers the organization sees, joined to their current revision."""
    return (
        sa.select(*columns)
        .select_from(Offer)
        .join(OfferRevision, IS_CURRENT)
        .where(Offer.id.in_(visible_offer_ids(organization_id)), Offer.status == S.SENT.value)
    )


def _grouped(rows: Iterable[Any]) -> list[OfferWait]:
    """One item per offer with the companies of its rows, in the rows' order."""
    found: dict[int, OfferWait] = {}
    for offer_id, title, due_at, since, company in rows:
        known = found.get(offer_id)
        companies = (*known.companies, company) if known else (company,)
        found[offer_id] = OfferWait(offer_id, title, due_at, since, companies)
    return list(found.values())


def to_decide(actor: Actor) -> list[OfferWait]:
    """Revisions waiting for the actor's company that the actor may decide: not one they
    proposed (four eyes asks another approver of the company for those)."""
    if not can(actor.user, Action.DECIDE_OFFER):
        return []
    by_me = sa.exists().where(
        OfferDecision.revision_id == OfferRevision.id, OfferDecision.user_id == actor.user_id
    )
    rows = db.session.execute(
        _sent_current(
            actor.organization_id,
            Offer.id,
            OfferRevision.title,
            OfferRevision.review_due_at,
            OfferRevision.sent_at,
        ).where(
            waiting_for(actor.organization_id),
            sa.or_(OfferRevision.author_id.is_(None), OfferRevision.author_id != actor.user_id),
            ~by_me,
        )
    ).all()
    return [OfferWait(int(i), title, due, sent) for i, title, due, sent in rows]


def to_revise(actor: Actor) -> list[OfferWait]:
    """Revisions the actor's company wrote that a partner asked to change: a new revision (or
    withdrawing) is the company's next move, made by those who may propose."""
    if not can(actor.user, Action.PROPOSE_OFFER):
        return []
    rows = db.session.execute(
        _sent_current(
            actor.organization_id,
            Offer.id,
            OfferRevision.title,
            OfferRevision.review_due_at,
            OfferDecision.created_at,
            Organization.name,
        )
        .join(OfferDecision, OfferDecision.revision_id == OfferRevision.id)
        .join(Organization, Organization.id == OfferDecision.organization_id)
        .where(
            OfferRevision.author_organization_id == actor.organization_id,
            OfferDecision.decision == Decision.CHANGES_REQUESTED.value,
        )
        .order_by(Offer.id, Organization.name)
    ).all()
    return _grouped(rows)


def awaiting_partners(actor: Actor) -> list[OfferWait]:
    """Revisions the actor's company sent that other parties have not answered yet, with the
    parties it waits on. The company's own approvers count as others for whoever is not asked
    to decide it (a partner manager's proposal, or four eyes after a decider's own)."""
    me = actor.organization_id
    others = OfferParty.organization_id != me
    if can(actor.user, Action.DECIDE_OFFER):
        by_me = sa.exists().where(
            OfferDecision.revision_id == OfferRevision.id, OfferDecision.user_id == actor.user_id
        )
        others = sa.or_(others, OfferRevision.author_id == actor.user_id, by_me)
    else:
        others = sa.true()
    rows = db.session.execute(
        _sent_current(
            me,
            Offer.id,
            OfferRevision.title,
            OfferRevision.review_due_at,
            OfferRevision.sent_at,
            Organization.name,
            Organization.id == me,
        )
        .join(OfferParty, OfferParty.offer_id == Offer.id)
        .join(Organization, Organization.id == OfferParty.organization_id)
        .where(
            OfferRevision.author_organization_id == me,
            waiting_for(OfferParty.organization_id),
            others,
        )
        .order_by(Offer.id, Organization.id != me, Organization.name)
    ).all()
    return _grouped(
        (i, title, due, sent, f"{name}'s approvers" if own else name)
        for i, title, due, sent, name, own in rows
    )

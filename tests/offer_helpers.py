"""Builders shared by the offer tests: terms with sensible defaults, actors, row counts.

Everything here runs inside an app context (the ``ctx`` fixture or ``with app.app_context()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from comarketing.accounts.models import User
from comarketing.audit import AuditEvent
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.notifications import Notification
from comarketing.offers import proposals
from comarketing.offers.models import (
    Offer,
    OfferComment,
    OfferDecision,
    OfferEvent,
    OfferParty,
    OfferRevision,
)
from comarketing.offers.terms import PartyTermsInput, PlacementInput, TermsInput
from comarketing.outbox import OutboxMessage

START = date(2027, 3, 1)
END = date(2027, 4, 30)
BUDGET = 100_000  # EUR 1,000.00

# Every table an offer operation writes to: a refused operation must leave all of them alone.
OFFER_TABLES = (
    Offer,
    OfferParty,
    OfferRevision,
    OfferDecision,
    OfferComment,
    OfferEvent,
    AuditEvent,
    Notification,
    OutboxMessage,
)


def user(email: str) -> User:
    found = db.session.scalar(sa.select(User).where(User.email == email))
    assert found is not None, email
    return found


def actor(email: str) -> Actor:
    return Actor(user(email))


def even_shares(party_ids: Sequence[int]) -> dict[int, int]:
    """Equal basis-point shares; the last party (by id) takes the rounding rest."""
    ids = sorted(party_ids)
    each = 10_000 // len(ids)
    shares = dict.fromkeys(ids, each)
    shares[ids[-1]] += 10_000 - each * len(ids)
    return shares


def placement(
    owner: int, cost: int = 10_000, *, channel: str = "email", name: str = "Newsletter"
) -> PlacementInput:
    return PlacementInput(
        channel=channel, owner_organization_id=owner, name=name, planned_cost_minor=cost
    )


def make_terms(
    party_ids: Sequence[int],
    *,
    budget_shares: Mapping[int, int] | None = None,
    revenue_shares: Mapping[int, int] | None = None,
    products: Mapping[int, Sequence[int]] | None = None,
    placements: Iterable[PlacementInput] | None = None,
    **overrides: Any,
) -> TermsInput:
    """Valid terms for these parties unless told otherwise: even shares, one placement."""
    budget = dict(budget_shares or even_shares(party_ids))
    revenue = dict(revenue_shares or budget)
    chosen = products or {}
    values: dict[str, Any] = {
        "title": "Spring baking week",
        "value_proposition": "Flour and shortening, one recipe card.",
        "audience": "Home bakers",
        "start_date": START,
        "end_date": END,
        "currency": "EUR",
        "total_budget_minor": BUDGET,
        "target_reach": 50_000,
        "target_leads": 800,
        "target_revenue_minor": 2_500_000,
    }
    values.update(overrides)
    return TermsInput(
        **values,
        parties=[
            PartyTermsInput(
                organization_id=org_id,
                product_ids=list(chosen.get(org_id, [])),
                budget_share_bp=budget[org_id],
                revenue_share_bp=revenue[org_id],
            )
            for org_id in sorted(party_ids)
        ],
        placements=list(
            placements if placements is not None else [placement(sorted(party_ids)[0])]
        ),
    )


def count_rows(*models: type) -> dict[str, int]:
    models = models or OFFER_TABLES
    return {
        m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) or 0
        for m in models
    }


def propose(proposer_email: str, party_ids: Sequence[int], terms: TermsInput | None = None) -> int:
    """A draft by ``proposer_email`` with the other ``party_ids``; returns the offer id."""
    proposer = actor(proposer_email)
    partners = [p for p in party_ids if p != proposer.organization_id]
    offer = proposals.create_draft(
        proposer, partner_ids=partners, terms=terms or make_terms(party_ids)
    )
    return offer.id


def propose_and_send(
    proposer_email: str, party_ids: Sequence[int], terms: TermsInput | None = None
) -> int:
    offer_id = propose(proposer_email, party_ids, terms)
    proposals.send(actor(proposer_email), offer_id)
    return offer_id


def decisions(offer_id: int) -> set[tuple[int, int, str]]:
    """(revision number, organization id, decision) for every decision on the offer."""
    rows = db.session.execute(
        sa.select(OfferRevision.number, OfferDecision.organization_id, OfferDecision.decision)
        .join(OfferRevision, OfferRevision.id == OfferDecision.revision_id)
        .where(OfferDecision.offer_id == offer_id)
    )
    return {(n, o, d) for n, o, d in rows}


def mail_to(kind: str | None = None) -> list[str]:
    query = sa.select(OutboxMessage.recipient).order_by(OutboxMessage.recipient)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def notified(kind: str | None = None) -> list[str]:
    query = (
        sa.select(User.email)
        .join(Notification, Notification.user_id == User.id)
        .order_by(User.email)
    )
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def terms_form_data(party_ids: Sequence[int], **overrides: Any) -> dict[str, Any]:
    """What the terms form posts for valid two-party terms (one row per party, by id)."""
    ids = sorted(party_ids)
    shares = even_shares(ids)
    data: dict[str, Any] = {
        "title": "Spring baking week",
        "value_proposition": "Flour and shortening, one recipe card.",
        "audience": "Home bakers",
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "currency": "EUR",
        "total_budget": "1,000.00",
        "target_reach": "50000",
        "target_leads": "800",
        "target_revenue": "25000",
        "placements-0-channel": "email",
        "placements-0-owner": str(ids[0]),
        "placements-0-name": "Newsletter",
        "placements-0-planned_cost": "100",
    }
    for index, org_id in enumerate(ids):
        share = f"{shares[org_id] // 100}.{shares[org_id] % 100:02d}"
        data[f"parties-{index}-organization_id"] = str(org_id)
        data[f"parties-{index}-budget_share"] = share
        data[f"parties-{index}-revenue_share"] = share
    data.update(overrides)
    return data

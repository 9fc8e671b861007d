"""The demo's offers between the flour and shortening companies: one sent and approved, which
becomes the running joint campaign (see ``campaigns``), and one awaiting both companies'
approvers (Millstone's partner manager sent it: it counts as Millstone's approval only once a
Millstone approver approves it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.demo.campaigns import run_campaigns
from comarketing.demo.companies import user_by_email
from comarketing.extensions import db
from comarketing.offers import proposals, reviews
from comarketing.offers.models import Offer
from comarketing.offers.terms import PartyTermsInput, PlacementInput, TermsInput
from comarketing.partners.models import Product


def _products(organization: Organization) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Product.id)
            .where(Product.organization_id == organization.id)
            .order_by(Product.id)
            .limit(1)
        )
    )


def ensure_offers(flour: Organization, shortening: Organization) -> Iterator[str]:
    """One joint offer approved into a campaign by both companies' approvers, one awaiting
    them."""
    if db.session.scalar(
        sa.select(Offer.id).where(Offer.proposer_organization_id == flour.id).limit(1)
    ):
        return
    flour_manager = Actor(user_by_email("partners@millstone.example"))
    flour_approver = Actor(user_by_email("approvals@millstone.example"))
    shortening_approver = Actor(user_by_email("approvals@goldcrest.example"))
    today = utcnow().date()

    def terms(title: str, budget: int, start_in: int, days: int) -> TermsInput:
        return TermsInput(
            title=title,
            value_proposition="One cookie recipe printed on both packages: each brand reaches "
            "the other's buyers.",
            audience="Home bakers, 25-55, baking at least monthly",
            start_date=today + timedelta(days=start_in),
            end_date=today + timedelta(days=start_in + days),
            currency="EUR",
            total_budget_minor=budget,
            target_reach=400_000,
            target_leads=6_000,
            parties=[
                PartyTermsInput(flour.id, _products(flour), 5000, 5000),
                PartyTermsInput(shortening.id, _products(shortening), 5000, 5000),
            ],
            placements=[
                PlacementInput("packaging", flour.id, "Recipe on the 2 kg flour bag", budget // 4),
                PlacementInput(
                    "packaging", shortening.id, "Recipe on the shortening tub", budget // 4
                ),
                PlacementInput(
                    "social", flour.id, "Recipe video, Instagram and TikTok", budget // 5
                ),
                PlacementInput("email", shortening.id, "Goldcrest baking newsletter", budget // 10),
            ],
        )

    approved = proposals.create_draft(
        flour_manager,
        partner_ids=[shortening.id],
        terms=terms("Holiday cookie recipe swap", 2_400_000, -10, 45),
    )
    proposals.send(flour_manager, approved.id)
    reviews.decide(
        flour_approver,
        approved.id,
        revision_number=1,
        decision="approved",
        comment="Budget checked with finance.",
    )
    reviews.decide(
        shortening_approver,
        approved.id,
        revision_number=1,
        decision="approved",
        comment="Looks great — let's bake.",
    )
    yield "created: approved offer 'Holiday cookie recipe swap' and its joint campaign"
    yield from run_campaigns(approved.id, flour, shortening)
    pending = proposals.create_draft(
        flour_manager,
        partner_ids=[shortening.id],
        terms=terms("Spring baking challenge", 1_500_000, 90, 30),
    )
    proposals.send(flour_manager, pending.id)
    yield "created: offer 'Spring baking challenge' awaiting Millstone's and Goldcrest's approvers"

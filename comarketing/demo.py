"""Demo data: three baking brands that market together. Idempotent: safe to run twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from comarketing.accounts import services as accounts
from comarketing.accounts.models import Organization, User
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.partners.models import Partnership, PartnershipStatus, Product
from comarketing.policy import Role

DEMO_PASSWORD = "bake-together-2026"  # noqa: S105 (published demo sign-in)

COMPANIES: list[dict[str, Any]] = [
    {
        "name": "Millstone Flour Co.",
        "domain": "millstone.example",
        "products": [
            ("Millstone All-Purpose Flour", "Flour", "Unbleached all-purpose wheat flour, 2 kg."),
            ("Millstone Bread Flour", "Flour", "High-protein flour for crusty loaves, 1.5 kg."),
            ("Millstone Whole Wheat Flour", "Flour", "Stone-ground whole wheat, 1 kg."),
        ],
    },
    {
        "name": "Goldcrest Shortening",
        "domain": "goldcrest.example",
        "products": [
            ("Goldcrest Baking Shortening", "Fats & oils", "All-vegetable shortening, 1 kg tub."),
            ("Goldcrest Butter-Flavor Sticks", "Fats & oils", "Pre-measured shortening sticks."),
        ],
    },
    {
        "name": "ChipCraft Chocolate",
        "domain": "chipcraft.example",
        "products": [
            ("ChipCraft Semi-Sweet Chips", "Chocolate", "Classic 45% cacao baking chips, 350 g."),
            ("ChipCraft Dark Chunks", "Chocolate", "70% cacao chunks for cookies, 300 g."),
        ],
    },
]

PEOPLE = [
    ("admin", "Alex Admin", Role.ADMIN),
    ("partners", "Pat Partner-Manager", Role.PARTNER_MANAGER),
    ("approvals", "Avery Approver", Role.APPROVER),
    ("insights", "Ana Analyst", Role.ANALYST),
]


def _email(local: str, domain: str) -> str:
    return f"{local}@{domain}"


def _ensure_company(spec: dict[str, Any]) -> tuple[Organization, bool]:
    admin_email = _email("admin", spec["domain"])
    existing = db.session.scalar(sa.select(User).where(User.email == admin_email))
    if existing is not None:
        return existing.organization, False
    admin = accounts.create_organization_with_admin(
        organization_name=spec["name"],
        name=f"{PEOPLE[0][1]} ({spec['name'].split()[0]})",
        email=admin_email,
        password=DEMO_PASSWORD,
    )
    organization = admin.organization
    from comarketing.accounts.passwords import hash_password

    password_hash = hash_password(DEMO_PASSWORD)
    for local, name, role in PEOPLE[1:]:
        db.session.add(
            User(
                organization_id=organization.id,
                email=_email(local, spec["domain"]),
                name=f"{name} ({spec['name'].split()[0]})",
                password_hash=password_hash,
                role=role.value,
                password_changed_at=utcnow(),
            )
        )
    for name, category, description in spec["products"]:
        db.session.add(
            Product(
                organization_id=organization.id,
                name=name,
                category=category,
                description=description,
            )
        )
    db.session.flush()
    return organization, True


def _ensure_partnership(
    inviter: Organization,
    invitee: Organization,
    invitee_domain: str,
    status: PartnershipStatus,
    message: str,
) -> bool:
    exists = db.session.scalar(
        sa.select(Partnership.id).where(
            sa.or_(
                sa.and_(
                    Partnership.inviter_organization_id == inviter.id,
                    Partnership.invitee_organization_id == invitee.id,
                ),
                sa.and_(
                    Partnership.inviter_organization_id == invitee.id,
                    Partnership.invitee_organization_id == inviter.id,
                ),
            )
        )
    )
    if exists:
        return False
    now = utcnow()
    db.session.add(
        Partnership(
            inviter_organization_id=inviter.id,
            invitee_organization_id=invitee.id,
            invitee_email=_email("partners", invitee_domain),
            status=status.value,
            message=message,
            created_at=now - timedelta(days=30 if status == PartnershipStatus.ACTIVE else 1),
            expires_at=now + timedelta(days=13),
            responded_at=now - timedelta(days=29) if status == PartnershipStatus.ACTIVE else None,
        )
    )
    return True


def seed() -> Iterator[str]:
    organizations = []
    for spec in COMPANIES:
        organization, created = _ensure_company(spec)
        organizations.append(organization)
        yield f"{'created' if created else 'kept'}: {organization.name}"
    flour, shortening, chips = organizations
    if _ensure_partnership(
        flour,
        shortening,
        COMPANIES[1]["domain"],
        PartnershipStatus.ACTIVE,
        "Cookie season is coming: one recipe, both packages?",
    ):
        yield f"created: active partnership {flour.name} <-> {shortening.name}"
    if _ensure_partnership(
        chips,
        flour,
        COMPANIES[0]["domain"],
        PartnershipStatus.PENDING,
        "Our chips and your flour belong in the same cookie.",
    ):
        yield f"created: pending invitation {chips.name} -> {flour.name}"
    db.session.commit()
    yield from _ensure_offers(flour, shortening)
    yield f"Demo sign-ins (password '{DEMO_PASSWORD}'):"
    for spec in COMPANIES:
        for local, _, role in PEOPLE:
            yield f"  {_email(local, spec['domain']):28} {role.label:16} {spec['name']}"


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return user


def _products(organization: Organization) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Product.id)
            .where(Product.organization_id == organization.id)
            .order_by(Product.id)
            .limit(1)
        )
    )


def _ensure_offers(flour: Organization, shortening: Organization) -> Iterator[str]:
    """One joint offer approved into a campaign, one awaiting the shortening company."""
    from comarketing.context import Actor
    from comarketing.offers import services as offers
    from comarketing.offers.models import Offer
    from comarketing.offers.services import PartyTermsInput, PlacementInput, TermsInput

    if db.session.scalar(
        sa.select(Offer.id).where(Offer.proposer_organization_id == flour.id).limit(1)
    ):
        return
    flour_manager = Actor(_user("partners@millstone.example"))
    shortening_approver = Actor(_user("approvals@goldcrest.example"))
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

    approved = offers.create_draft(
        flour_manager,
        partner_ids=[shortening.id],
        terms=terms("Holiday cookie recipe swap", 2_400_000, -10, 45),
    )
    offers.send(flour_manager, approved.id)
    offers.decide(
        shortening_approver,
        approved.id,
        revision_number=1,
        decision="approved",
        comment="Looks great — let's bake.",
    )
    yield "created: approved offer 'Holiday cookie recipe swap' and its joint campaign"
    yield from _run_campaigns(approved.id, flour, shortening)
    pending = offers.create_draft(
        flour_manager,
        partner_ids=[shortening.id],
        terms=terms("Spring baking challenge", 1_500_000, 90, 30),
    )
    offers.send(flour_manager, pending.id)
    yield "created: offer 'Spring baking challenge' awaiting Goldcrest's decision"


def _results(campaign_id: int, managers: dict[int, Any]) -> Iterator[str]:
    """Daily results of every placement from its start to yesterday, entered by its owner."""
    import random

    from comarketing.campaigns.models import Placement
    from comarketing.metrics import services as metrics
    from comarketing.money import to_decimal_string

    rng = random.Random(2026)  # the same demo every time
    yesterday = utcnow().date() - timedelta(days=1)
    placements = db.session.scalars(
        sa.select(Placement).where(Placement.campaign_id == campaign_id).order_by(Placement.id)
    ).all()
    for placement in placements:
        days = []
        day = placement.start_date
        while day <= min(placement.end_date, yesterday):
            impressions = rng.randint(4_000, 12_000)
            clicks = int(impressions * rng.uniform(0.01, 0.03))
            conversions = clicks // 25
            days.append(
                {
                    "day": day.isoformat(),
                    "impressions": str(impressions),
                    "reach": str(int(impressions * rng.uniform(0.55, 0.8))),
                    "clicks": str(clicks),
                    "leads": str(clicks // 8),
                    "conversions": str(conversions),
                    "revenue": to_decimal_string(conversions * rng.randint(1_500, 4_500), "EUR"),
                    "cost": to_decimal_string(rng.randint(5_000, 15_000), "EUR"),
                }
            )
            day += timedelta(days=1)
        if days:
            owner = managers[placement.owner_organization_id]
            metrics.upsert_days(owner, placement.id, days, source=metrics.ImportSource.FORM)
    yield f"created: daily results for the {len(placements)} placements of the joint campaign"


def _run_campaigns(offer_id: int, flour: Organization, shortening: Organization) -> Iterator[str]:
    """Spend on the joint campaign by both parties, a milestone, and a solo campaign of the
    flour company that clashes with the joint one on its social channel."""
    from comarketing.budgets import services as budgets
    from comarketing.campaigns import services as campaigns
    from comarketing.campaigns.models import Campaign, Placement
    from comarketing.context import Actor

    flour_manager = Actor(_user("partners@millstone.example"))
    shortening_manager = Actor(_user("partners@goldcrest.example"))
    joint = db.session.scalar(sa.select(Campaign).where(Campaign.offer_id == offer_id))
    assert joint is not None
    campaigns.change_status(flour_manager, joint.id, "activate")
    placements = {
        p.owner_organization_id: p
        for p in db.session.scalars(
            sa.select(Placement).where(Placement.campaign_id == joint.id).order_by(Placement.id)
        )
    }
    today = utcnow().date()
    budgets.post_expense(
        flour_manager,
        joint.id,
        organization_id=flour.id,
        placement_id=placements[flour.id].id,
        amount_minor=820_000,
        occurred_on=today - timedelta(days=6),
        note="Bag print run",
    )
    budgets.post_expense(
        shortening_manager,
        joint.id,
        organization_id=shortening.id,
        placement_id=placements[shortening.id].id,
        amount_minor=310_000,
        occurred_on=today - timedelta(days=3),
        note="Tub labels",
    )
    yield from _results(joint.id, {flour.id: flour_manager, shortening.id: shortening_manager})
    campaigns.add_milestone(
        flour_manager,
        joint.id,
        kind="wrap_up",
        title="Results review",
        owner_organization_id=flour.id,
        due_on=joint.end_date,
    )
    solo = campaigns.create_solo_campaign(
        flour_manager,
        campaigns.CampaignInput(
            name="Bread flour spring push",
            description="Our own social push for bread flour.",
            start_date=today - timedelta(days=5),
            end_date=today + timedelta(days=25),
            currency="EUR",
            total_budget_minor=600_000,
            target_reach=150_000,
        ),
    )
    campaigns.add_placement(
        flour_manager,
        solo.id,
        campaigns.PlacementInput(
            channel="social",
            owner_organization_id=flour.id,
            name="Bread flour reels",
            url="",
            start_date=None,
            end_date=None,
            planned_cost_minor=300_000,
        ),
    )
    budgets.commit_budget(
        flour_manager,
        solo.id,
        organization_id=flour.id,
        amount_minor=600_000,
        note="Spring marketing budget",
    )
    yield "created: spend on the joint campaign, and a solo campaign that clashes on social"

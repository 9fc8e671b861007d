"""The demo's three baking brands: their organizations (in Berlin, London and New York), people
and products, the partnerships between them, and the published sign-ins. Also how the other
demo modules find a brand's users."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from comarketing.accounts import registration
from comarketing.accounts.models import Organization, User
from comarketing.accounts.passwords import hash_password
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.partners.models import Partnership, PartnershipStatus, Product
from comarketing.policy import Role

DEMO_PASSWORD = "bake-together-2026"  # noqa: S105 (published demo sign-in)
ACTIVE_PARTNERSHIP_AGE_DAYS = 420

COMPANIES: list[dict[str, Any]] = [
    {
        "name": "Millstone Flour Co.",
        "domain": "millstone.example",
        # Where it works: its deadlines end at midnight there, skipping that country's holidays.
        "time_zone": "Europe/Berlin",
        "country": "DE",
        "products": [
            ("Millstone All-Purpose Flour", "Flour", "Unbleached all-purpose wheat flour, 2 kg."),
            ("Millstone Bread Flour", "Flour", "High-protein flour for crusty loaves, 1.5 kg."),
            ("Millstone Whole Wheat Flour", "Flour", "Stone-ground whole wheat, 1 kg."),
        ],
    },
    {
        "name": "Goldcrest Shortening",
        "domain": "goldcrest.example",
        # Where it works: its deadlines end at midnight there, skipping that country's holidays.
        "time_zone": "Europe/London",
        "country": "GB",
        "products": [
            ("Goldcrest Baking Shortening", "Fats & oils", "All-vegetable shortening, 1 kg tub."),
            ("Goldcrest Butter-Flavor Sticks", "Fats & oils", "Pre-measured shortening sticks."),
        ],
    },
    {
        "name": "ChipCraft Chocolate",
        "domain": "chipcraft.example",
        # Where it works: its deadlines end at midnight there, skipping that country's holidays.
        "time_zone": "America/New_York",
        "country": "US",
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


def email_address(local: str, domain: str) -> str:
    return f"{local}@{domain}"


def user_by_email(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return user


def manager_of(company: Organization) -> Actor:
    """The company's partner manager, who runs its campaigns in the demo."""
    domain = next(c["domain"] for c in COMPANIES if c["name"] == company.name)
    return Actor(user_by_email(email_address("partners", domain)))


def approver_of(company: Organization) -> Actor:
    """The company's approver, who confirms its partners' expense claims in the demo."""
    domain = next(c["domain"] for c in COMPANIES if c["name"] == company.name)
    return Actor(user_by_email(email_address("approvals", domain)))


def ensure_company(spec: dict[str, Any]) -> tuple[Organization, bool]:
    admin_email = email_address("admin", spec["domain"])
    existing = db.session.scalar(sa.select(User).where(User.email == admin_email))
    if existing is not None:
        return existing.organization, False
    admin = registration.create_organization_with_admin(
        organization_name=spec["name"],
        name=f"{PEOPLE[0][1]} ({spec['name'].split()[0]})",
        email=admin_email,
        password=DEMO_PASSWORD,
    )
    organization = admin.organization
    organization.time_zone, organization.country = spec["time_zone"], spec["country"]
    password_hash = hash_password(DEMO_PASSWORD)
    for local, name, role in PEOPLE[1:]:
        db.session.add(
            User(
                organization_id=organization.id,
                email=email_address(local, spec["domain"]),
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


def ensure_partnerships(
    flour: Organization, shortening: Organization, chips: Organization
) -> Iterator[str]:
    """Flour and shortening, and shortening and chips, are partners; chips has invited flour."""
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
    if _ensure_partnership(
        shortening,
        chips,
        COMPANIES[2]["domain"],
        PartnershipStatus.ACTIVE,
        "Shortening and chocolate chips: the two halves of a good cookie.",
    ):
        yield f"created: active partnership {shortening.name} <-> {chips.name}"


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
    active = status == PartnershipStatus.ACTIVE
    # Active partners have worked together for over a year (the demo's joint history).
    invited = now - timedelta(days=ACTIVE_PARTNERSHIP_AGE_DAYS if active else 1)
    db.session.add(
        Partnership(
            inviter_organization_id=inviter.id,
            invitee_organization_id=invitee.id,
            invitee_email=email_address("partners", invitee_domain),
            status=status.value,
            message=message,
            created_at=invited,
            expires_at=invited + timedelta(days=14),
            responded_at=invited + timedelta(days=1) if active else None,
        )
    )
    return True


def sign_ins() -> Iterator[str]:
    """The published demo sign-ins, one line per person."""
    yield f"Demo sign-ins (password '{DEMO_PASSWORD}'):"
    for spec in COMPANIES:
        for local, _, role in PEOPLE:
            yield f"  {email_address(local, spec['domain']):28} {role.label:16} {spec['name']}"

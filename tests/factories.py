"""factory_boy factories for the domain objects, and the A/B/C world used across tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from comarketing.accounts.models import Organization, User
from comarketing.accounts.passwords import hash_password
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.partners.models import Partnership, PartnershipStatus, Product
from comarketing.policy import Role

TEST_PASSWORD = "correct horse battery staple"
CANARY = "CANARY-7f3a91"
ROLES = [r.value for r in Role]


@cache
def _hash_for(password: str, memory_cost: int) -> str:
    return hash_password(password)


def test_password_hash() -> str:
    from flask import current_app

    return _hash_for(TEST_PASSWORD, current_app.config["PASSWORD_HASH_MEMORY_COST"])


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class OrganizationFactory(BaseFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class UserFactory(BaseFactory):
    class Meta:
        model = User

    organization = factory.SubFactory(OrganizationFactory)
    organization_id = factory.SelfAttribute("organization.id")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.PARTNER_MANAGER.value
    password_hash = factory.LazyFunction(test_password_hash)
    password_changed_at = factory.LazyFunction(utcnow)


class ProductFactory(BaseFactory):
    class Meta:
        model = Product

    organization_id = None
    name = factory.Sequence(lambda n: f"Product {n}")
    category = "Baking"
    description = ""


class PartnershipFactory(BaseFactory):
    class Meta:
        model = Partnership

    inviter_organization_id = None
    invitee_organization_id = None
    invitee_email = factory.Sequence(lambda n: f"contact{n}@example.com")
    status = PartnershipStatus.ACTIVE.value
    message = ""
    expires_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=14))


@dataclass
class Company:
    key: str
    id: int
    name: str
    users: dict[str, str] = field(default_factory=dict)  # role -> email
    user_ids: dict[str, int] = field(default_factory=dict)
    product_ids: list[int] = field(default_factory=list)

    def email(self, role: str) -> str:
        return self.users[role]


@dataclass
class World:
    a: Company
    b: Company
    c: Company
    partnership_ab: int
    partnership_bc: int
    canary: str = CANARY

    @property
    def companies(self) -> list[Company]:
        return [self.a, self.b, self.c]


def make_company(key: str, name: str, *, canary: bool = False) -> Company:
    marker = f" {CANARY}" if canary else ""
    org = OrganizationFactory(name=f"{name}{marker}", slug=f"{key.lower()}-{name.lower()}")
    company = Company(key=key, id=org.id, name=org.name)
    for role in ROLES:
        user = UserFactory(
            organization=org,
            email=f"{role}@{key.lower()}.example",
            name=f"{role.replace('_', ' ').title()} {key}{marker}",
            role=role,
        )
        company.users[role] = user.email
        company.user_ids[role] = user.id
    product = ProductFactory(organization_id=org.id, name=f"{name} Classic{marker}")
    company.product_ids.append(product.id)
    return company


def build_world() -> World:
    a = make_company("A", "Alpha Flour")
    b = make_company("B", "Beta Shortening")
    c = make_company("C", "Gamma Chips", canary=True)
    # B's private data that A must not see even though they are partners.
    ProductFactory(organization_id=b.id, name=f"Beta secret {CANARY}", archived_at=utcnow())
    ab = PartnershipFactory(
        inviter_organization_id=a.id,
        invitee_organization_id=b.id,
        invitee_email=b.email("partner_manager"),
        message="Let's bake.",
    )
    bc = PartnershipFactory(
        inviter_organization_id=b.id,
        invitee_organization_id=c.id,
        invitee_email=c.email("partner_manager"),
        message=f"B and C private note {CANARY}",
    )
    db.session.commit()
    return World(a=a, b=b, c=c, partnership_ab=ab.id, partnership_bc=bc.id)

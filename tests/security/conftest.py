"""Shared pieces of the tenancy/authorization suite: the route matrix, the actors, a scene of
records for every URL placeholder, signed-in clients, and a hash of every table's rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from flask import Flask
from flask.testing import FlaskClient

from comarketing.accounts.models import Organization, PasswordReset, User, UserInvitation
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.partners.models import PartnershipStatus, Product
from comarketing.tokens import new_token
from tests import factories

MATRIX_PATH = Path(__file__).with_name("route_matrix.yaml")

# The four roles of company A, plus a signed-out visitor and C's admin. C's admin holds every
# permission, so when it gets 404 on A's record that can only be tenancy, never the role.
A_ROLES = ["admin", "partner_manager", "approver", "analyst"]
ACTORS = ["anonymous", *A_ROLES, "outsider"]
REQUIRED_ACTORS = ["anonymous", *A_ROLES]
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def load_matrix() -> dict[str, Any]:
    return yaml.safe_load(MATRIX_PATH.read_text())


@dataclass
class Scene:
    """The ``world`` plus the extra records that give every matrix row a meaningful target."""

    world: factories.World
    placeholders: dict[str, Any]

    def actor_email(self, actor: str) -> str | None:
        if actor == "anonymous":
            return None
        if actor == "outsider":
            return self.world.c.email("admin")
        return self.world.a.email(actor)

    def fill(self, template: str) -> str:
        return template.format_map(self.placeholders)


def _open_token_for_partnership(inviter_id: int, email: str) -> tuple[int, str]:
    token, token_hash = new_token()
    partnership = factories.PartnershipFactory(
        inviter_organization_id=inviter_id,
        invitee_organization_id=None,
        invitee_email=email,
        status=PartnershipStatus.PENDING.value,
        join_token_hash=token_hash,
    )
    return partnership.id, token


def _user_invitation(organization_id: int, email: str) -> tuple[int, str]:
    token, token_hash = new_token()
    invitation = UserInvitation(
        organization_id=organization_id,
        email=email,
        role="analyst",
        token_hash=token_hash,
        expires_at=utcnow() + timedelta(hours=24),
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation.id, token


def build_scene() -> Scene:
    world = factories.build_world()
    a, b, c = world.a, world.b, world.c
    canary = factories.CANARY

    # D (no canary: A legitimately sees its name) has invited A and waits for an answer.
    d = factories.OrganizationFactory(name="Delta Sugar", slug="d-delta-sugar")
    factories.UserFactory(organization=d, email="admin@d.example", name="Admin D", role="admin")
    da_pending = factories.PartnershipFactory(
        inviter_organization_id=d.id,
        invitee_organization_id=a.id,
        invitee_email=a.email("partner_manager"),
        status=PartnershipStatus.PENDING.value,
        message="Sugar and flour?",
    )
    a_sent_pending, a_partner_join_token = _open_token_for_partnership(a.id, "owner@new.example")
    c_sent_pending, _ = _open_token_for_partnership(c.id, f"{canary}@new.example")

    a_archived = factories.ProductFactory(
        organization_id=a.id, name="Alpha Old Recipe", archived_at=utcnow()
    )
    c_archived = factories.ProductFactory(
        organization_id=c.id, name=f"Gamma Old {canary}", archived_at=utcnow()
    )
    b_archived_id = db.session.scalar(
        sa.select(Product.id).where(
            Product.organization_id == b.id, Product.archived_at.is_not(None)
        )
    )
    a_inactive = factories.UserFactory(
        organization=db.session.get(Organization, a.id),
        email="former@a.example",
        name="Former A",
        role="analyst",
        active=False,
    )
    a_invitation, a_invitation_token = _user_invitation(a.id, "newcomer@a.example")
    b_invitation, _ = _user_invitation(b.id, "newcomer@b.example")
    c_invitation, _ = _user_invitation(c.id, f"{canary}@c.example")

    reset_token, reset_hash = new_token()
    db.session.add(
        PasswordReset(
            user_id=a.user_ids["analyst"],
            token_hash=reset_hash,
            expires_at=utcnow() + timedelta(minutes=30),
        )
    )
    db.session.commit()

    placeholders: dict[str, Any] = {
        "password": factories.TEST_PASSWORD,
        "ab_partnership": world.partnership_ab,
        "bc_partnership": world.partnership_bc,
        "da_pending": da_pending.id,
        "a_sent_pending": a_sent_pending,
        "c_sent_pending": c_sent_pending,
        "a_partner_join_token": a_partner_join_token,
        "a_invitation_token": a_invitation_token,
        "reset_token": reset_token,
        "a_product": a.product_ids[0],
        "b_product": b.product_ids[0],
        "c_product": c.product_ids[0],
        "a_archived_product": a_archived.id,
        "b_archived_product": b_archived_id,
        "c_archived_product": c_archived.id,
        "a_invitation": a_invitation,
        "b_invitation": b_invitation,
        "c_invitation": c_invitation,
        "a_inactive_user_id": a_inactive.id,
        "missing_id": 10_000_000,
    }
    for company in world.companies:
        key = company.key.lower()
        for role, user_id in company.user_ids.items():
            placeholders[f"{key}_{role}_user_id"] = user_id
    return Scene(world=world, placeholders=placeholders)


@pytest.fixture
def scene(app: Flask) -> Scene:
    with app.app_context():
        return build_scene()


def session_token_for(app: Flask, email: str) -> str:
    with app.app_context():
        token = db.session.scalar(sa.select(User.session_token).where(User.email == email))
        db.session.remove()
    assert token, f"no user {email}"
    return token


def client_as(
    app: Flask, email: str | None, session_values: dict[str, Any] | None = None
) -> FlaskClient:
    """A new client signed in as ``email`` (None: signed out).

    The session is written the way Flask-Login's own sign-in writes it, without POST /login:
    signing in updates ``last_sign_in_at`` and the audit log, and the GET-safety test must
    see a database that only the requests under test could have changed. The matrix covers
    POST /login itself.
    """
    client = app.test_client()
    token = session_token_for(app, email) if email else None
    if token or session_values:
        with client.session_transaction() as session:
            if token:
                session["_user_id"] = token
                session["_fresh"] = True
            session.update(session_values or {})
    return client


def table_digests(app: Flask) -> dict[str, str]:
    """SHA-256 of every table's rows in primary-key order, per table (names a changed table)."""
    digests = {}
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests

"""New organizations and accounts: self sign-up (an organization and its first admin), and
accounts that an operator creates from the command line."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from flask import current_app

from comarketing import audit
from comarketing.accounts import passwords
from comarketing.accounts.models import Organization, User
from comarketing.accounts.names import fold_name
from comarketing.accounts.validation import (
    check_password,
    clean_name,
    email_taken,
    normalise_email,
    parse_role,
)
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Role


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "org"


def _unique_slug(name: str) -> str:
    base = _slugify(name)[:120]
    taken = set(
        db.session.scalars(
            sa.select(Organization.slug).where(
                sa.or_(Organization.slug == base, Organization.slug.like(f"{base}-%"))
            )
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


NAME_TAKEN = "A company with this name, or one that looks the same, is already on Comarketing."


def require_company_name_free(organization_name: str, field: str = "organization_name") -> None:
    """Refuse a company name that folds (NFKC, case, invisible characters) like a taken one.

    Company names are shown to partners as who they deal with, so a look-alike must not be
    registered; that a name is taken is no secret (it is what uniqueness means)."""
    taken = db.session.scalar(
        sa.select(sa.exists().where(Organization.name_folded == fold_name(organization_name)))
    )
    if taken:
        raise ValidationFailed(NAME_TAKEN, field=field)


def create_organization_with_admin(
    *, organization_name: str, name: str, email: str, password: str, role: Role = Role.ADMIN
) -> User:
    """Create an organization and its first user in the caller's transaction."""
    organization_name = clean_name(
        organization_name, field="organization_name", label="Company name"
    )
    name = clean_name(name, field="name", label="Your name")
    email = normalise_email(email)
    check_password(password, email)
    if email_taken(email):
        raise ValidationFailed("An account with this email already exists.", field="email")
    require_company_name_free(organization_name)
    organization = Organization(name=organization_name, slug=_unique_slug(organization_name))
    try:
        with db.session.begin_nested():  # a concurrent sign-up took the name meanwhile
            db.session.add(organization)
    except sa.exc.IntegrityError as exc:
        raise ValidationFailed(NAME_TAKEN, field="organization_name") from exc
    user = User(
        organization_id=organization.id,
        email=email,
        name=name,
        password_hash=passwords.hash_password(password),
        role=role.value,
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(
    *, organization_name: str, name: str, email: str, password: str, origin: Origin
) -> User:
    if not current_app.config["SIGNUP_ENABLED"]:
        raise NotFound()
    user = create_organization_with_admin(
        organization_name=organization_name, name=name, email=email, password=password
    )
    audit.record(
        "organization.created",
        actor=Actor(user, origin),
        target=user.organization,
        name=user.organization.name,
    )
    db.session.commit()
    return user


# ---------------------------------------------------------------------------------------------
# Operators (CLI)


def create_user_as_operator(
    *, email: str, organization_name: str, role: str, name: str, password: str
) -> User:
    """Create a user in an existing organization (by name or slug), or a new organization."""
    chosen_role = parse_role(role)
    organization = db.session.scalar(
        sa.select(Organization).where(
            sa.or_(
                Organization.name_folded == fold_name(organization_name),
                Organization.slug == organization_name,
            )
        )
    )
    if organization is None:
        user = create_organization_with_admin(
            organization_name=organization_name,
            name=name,
            email=email,
            password=password,
            role=chosen_role,
        )
    else:
        email = normalise_email(email)
        check_password(password, email)
        if email_taken(email):
            raise ValidationFailed("An account with this email already exists.", field="email")
        user = User(
            organization_id=organization.id,
            email=email,
            name=clean_name(name, field="name", label="Name"),
            password_hash=passwords.hash_password(password),
            role=chosen_role.value,
            password_changed_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
    audit.record(
        "user.created_by_operator",
        organization_ids=[user.organization_id],
        target=user,
        actor_email="operator",
        role=user.role,
    )
    db.session.commit()
    return user


def all_users_for_operator() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.organization_id, User.email)))

"""Accounts: sign-up, sign-in, sessions, passwords, colleagues and roles.

Every public function takes plain arguments and the acting user (or the request origin before
sign-in), checks the policy, owns its transaction and raises domain errors.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from comarketing import audit, outbox
from comarketing.accounts import passwords
from comarketing.accounts.models import Organization, PasswordReset, User, UserInvitation
from comarketing.audit import AuditEvent
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.errors import Conflict, InvalidCredentials, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.policy import Action, Role, authorize
from comarketing.tokens import hash_token, new_token

# ---------------------------------------------------------------------------------------------
# Small shared pieces


def normalise_email(email: str, *, field: str = "email") -> str:
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(str(exc), field=field) from exc
    return result.normalized.lower()


def _clean_name(value: str, *, field: str, label: str, max_length: int = 120) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise ValidationFailed(f"{label} is required.", field=field)
    if len(cleaned) > max_length:
        raise ValidationFailed(f"{label} must be at most {max_length} characters.", field=field)
    return cleaned


def _check_password(password: str, email: str, field: str = "password") -> None:
    problem = passwords.password_problem(password, email=email)
    if problem:
        raise ValidationFailed(problem, field=field)


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


def _email_taken(email: str) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(User.email == email))) or False


def create_organization_with_admin(
    *, organization_name: str, name: str, email: str, password: str, role: Role = Role.ADMIN
) -> User:
    """Create an organization and its first user in the caller's transaction."""
    organization_name = _clean_name(
        organization_name, field="organization_name", label="Company name"
    )
    name = _clean_name(name, field="name", label="Your name")
    email = normalise_email(email)
    _check_password(password, email)
    if _email_taken(email):
        raise ValidationFailed("An account with this email already exists.", field="email")
    organization = Organization(name=organization_name, slug=_unique_slug(organization_name))
    db.session.add(organization)
    db.session.flush()
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


# ---------------------------------------------------------------------------------------------
# Sign-up, sign-in, sign-out


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


def authenticate(*, email: str, password: str, origin: Origin) -> User:
    """Return the user for these credentials or raise InvalidCredentials.

    Unknown email, wrong password and deactivated account all raise the same error after
    the same amount of hashing work.
    """
    try:
        normalised = normalise_email(email)
    except ValidationFailed:
        normalised = (email or "").strip().lower()[:254]
    user = db.session.scalar(sa.select(User).where(User.email == normalised))
    if user is None:
        passwords.verify_against_dummy(password)
        ok = False
    else:
        ok = passwords.verify_password(user.password_hash, password)
    if not ok or user is None or not user.active:
        audit.record(
            "auth.sign_in_failed",
            origin=origin,
            organization_ids=[user.organization_id] if user else [None],
            actor_email=normalised,
            reason="inactive" if (ok and user and not user.active) else "bad_credentials",
        )
        db.session.commit()
        raise InvalidCredentials("Email or password is incorrect.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_sign_in_at = utcnow()
    audit.record("auth.signed_in", actor=Actor(user, origin), target=user)
    db.session.commit()
    return user


def sign_out(actor: Actor) -> None:
    # A new token invalidates every copy of the old session and remember-me cookies.
    actor.user.rotate_session_token()
    audit.record("auth.signed_out", actor=actor, target=actor.user)
    db.session.commit()


def load_session_user(session_token: str) -> User | None:
    if not session_token:
        return None
    user = db.session.scalar(sa.select(User).where(User.session_token == session_token))
    if user is None or not user.active:
        return None
    return user


# ---------------------------------------------------------------------------------------------
# Passwords


def change_password(actor: Actor, *, current_password: str, new_password: str) -> User:
    user = actor.user
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationFailed("Your current password is not correct.", field="current_password")
    _check_password(new_password, user.email, field="new_password")
    _set_password(user, new_password)
    audit.record("auth.password_changed", actor=actor, target=user)
    outbox.enqueue(
        user.email,
        "Your Comarketing password was changed",
        f"Hello {user.name},\n\nThe password of your Comarketing account was just changed, "
        "and every other session was signed out.\nIf this was not you, reset your password "
        f"at once: {absolute_url('accounts.forgot_password')}\n",
        kind="password_changed",
    )
    db.session.commit()
    return user


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    user.rotate_session_token()


def request_password_reset(email: str, origin: Origin) -> None:
    """Mail a reset link if the account exists; say nothing either way."""
    try:
        normalised = normalise_email(email)
    except ValidationFailed:
        return
    user = db.session.scalar(sa.select(User).where(User.email == normalised, User.active))
    if user is None:
        audit.record("auth.reset_requested_unknown", origin=origin, actor_email=normalised)
        db.session.commit()
        return
    token, token_hash = new_token()
    ttl = timedelta(minutes=int(current_app.config["PASSWORD_RESET_TTL_MINUTES"]))
    db.session.add(PasswordReset(user_id=user.id, token_hash=token_hash, expires_at=utcnow() + ttl))
    audit.record("auth.reset_requested", actor=Actor(user, origin), target=user)
    outbox.enqueue(
        user.email,
        "Reset your Comarketing password",
        f"Hello {user.name},\n\nSomeone asked to reset the password of your Comarketing account."
        f"\nTo choose a new password, open this link within {ttl.seconds // 60} minutes:\n\n"
        f"{absolute_url('accounts.reset_password_link', token=token)}\n\n"
        "If you did not ask for this, ignore this mail; your password stays as it is.\n",
        kind="password_reset",
    )
    db.session.commit()


def _open_reset(token: str) -> PasswordReset:
    reset = db.session.scalar(
        sa.select(PasswordReset).where(PasswordReset.token_hash == hash_token(token or ""))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise NotFound("This reset link is invalid or has expired. Ask for a new one.")
    return reset


def check_reset_token(token: str) -> None:
    _open_reset(token)


def reset_password(token: str, new_password: str, origin: Origin) -> User:
    reset = _open_reset(token)
    user = db.session.get(User, reset.user_id)
    if user is None or not user.active:
        raise NotFound("This reset link is invalid or has expired. Ask for a new one.")
    _check_password(new_password, user.email, field="password")
    _set_password(user, new_password)
    # Every outstanding link for this user dies with the one used.
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    audit.record("auth.password_reset", actor=Actor(user, origin), target=user)
    db.session.commit()
    return user


# ---------------------------------------------------------------------------------------------
# Colleagues: invitations, roles, deactivation


def list_users(actor: Actor) -> list[User]:
    authorize(actor.user, Action.MANAGE_USERS)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.organization_id == actor.organization_id)
            .order_by(User.active.desc(), User.name)
        )
    )


def list_open_invitations(actor: Actor) -> list[UserInvitation]:
    authorize(actor.user, Action.MANAGE_USERS)
    return list(
        db.session.scalars(
            sa.select(UserInvitation)
            .where(
                UserInvitation.organization_id == actor.organization_id,
                UserInvitation.accepted_at.is_(None),
                UserInvitation.revoked_at.is_(None),
                UserInvitation.expires_at > utcnow(),
            )
            .order_by(UserInvitation.created_at.desc())
        )
    )


def _role(value: str, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise ValidationFailed("Choose one of the listed roles.", field=field) from exc


def invite_user(actor: Actor, *, email: str, role: str) -> UserInvitation:
    authorize(actor.user, Action.MANAGE_USERS)
    email = normalise_email(email)
    chosen_role = _role(role)
    if _email_taken(email):
        raise ValidationFailed("This person already has a Comarketing account.", field="email")
    token, token_hash = new_token()
    ttl = timedelta(hours=int(current_app.config["INVITATION_TTL_HOURS"]))
    invitation = UserInvitation(
        organization_id=actor.organization_id,
        email=email,
        role=chosen_role.value,
        token_hash=token_hash,
        invited_by_id=actor.user_id,
        expires_at=utcnow() + ttl,
    )
    db.session.add(invitation)
    db.session.flush()
    organization_name = actor.user.organization.name
    outbox.enqueue(
        email,
        f"{actor.user.name} invited you to {organization_name} on Comarketing",
        f"Hello,\n\n{actor.user.name} invited you to join {organization_name} on Comarketing "
        f"as {chosen_role.label.lower()}.\n\nCreate your account within "
        f"{int(ttl.total_seconds() // 3600)} hours:\n\n"
        f"{absolute_url('accounts.join_link', token=token)}\n",
        kind="user_invitation",
    )
    audit.record("user.invited", actor=actor, target=invitation, email=email, role=chosen_role)
    db.session.commit()
    return invitation


def open_user_invitation(token: str) -> UserInvitation:
    invitation = db.session.scalar(
        sa.select(UserInvitation).where(UserInvitation.token_hash == hash_token(token or ""))
    )
    if invitation is None or not invitation.is_open:
        raise NotFound("This invitation is invalid, used or expired. Ask for a new one.")
    return invitation


def accept_user_invitation(token: str, *, name: str, password: str, origin: Origin) -> User:
    invitation = open_user_invitation(token)
    name = _clean_name(name, field="name", label="Your name")
    _check_password(password, invitation.email)
    if _email_taken(invitation.email):
        raise Conflict("This person already has a Comarketing account.")
    user = User(
        organization_id=invitation.organization_id,
        email=invitation.email,
        name=name,
        password_hash=passwords.hash_password(password),
        role=invitation.role,
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    invitation.accepted_at = utcnow()
    db.session.flush()
    audit.record("user.joined", actor=Actor(user, origin), target=user, role=user.role)
    db.session.commit()
    return user


def revoke_invitation(actor: Actor, invitation_id: int) -> None:
    authorize(actor.user, Action.MANAGE_USERS)
    invitation = db.session.scalar(
        sa.select(UserInvitation).where(
            UserInvitation.id == invitation_id,
            UserInvitation.organization_id == actor.organization_id,
        )
    )
    if invitation is None or not invitation.is_open:
        raise NotFound()
    invitation.revoked_at = utcnow()
    audit.record("user.invitation_revoked", actor=actor, target=invitation)
    db.session.commit()


def _colleague(actor: Actor, user_id: int) -> User:
    """A user of the actor's organization, or NotFound.

    The organization row is locked first: role changes and deactivations within one
    organization then run one at a time, so two admins demoting each other at the same moment
    cannot both pass the last-admin check."""
    db.session.execute(
        sa.select(Organization.id).where(Organization.id == actor.organization_id).with_for_update()
    )
    user = db.session.scalar(
        sa.select(User)
        .where(User.id == user_id, User.organization_id == actor.organization_id)
        # OF users: the eagerly joined organization sits on the nullable side of an outer
        # join, which PostgreSQL refuses to lock.
        .with_for_update(of=User)
    )
    if user is None:
        raise NotFound()
    return user


def _other_active_admins(organization_id: int, excluding_user_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(
                User.organization_id == organization_id,
                User.role == Role.ADMIN.value,
                User.active,
                User.id != excluding_user_id,
            )
        )
        or 0
    )


def change_role(actor: Actor, user_id: int, role: str) -> User:
    authorize(actor.user, Action.MANAGE_USERS)
    user = _colleague(actor, user_id)
    new_role = _role(role)
    if user.role == new_role.value:
        return user
    if user.role == Role.ADMIN.value and _other_active_admins(user.organization_id, user.id) == 0:
        raise Conflict("An organization needs at least one active admin.")
    old_role = user.role
    user.role = new_role.value
    audit.record("user.role_changed", actor=actor, target=user, old=old_role, new=new_role.value)
    db.session.commit()
    return user


def set_active(actor: Actor, user_id: int, *, active: bool) -> User:
    authorize(actor.user, Action.MANAGE_USERS)
    user = _colleague(actor, user_id)
    if user.active == active:
        return user
    if (
        not active
        and user.role == Role.ADMIN.value
        and _other_active_admins(user.organization_id, user.id) == 0
    ):
        raise Conflict("An organization needs at least one active admin.")
    user.active = active
    if not active:
        user.rotate_session_token()
    audit.record("user.reactivated" if active else "user.deactivated", actor=actor, target=user)
    db.session.commit()
    return user


def audit_log(actor: Actor, *, page: int, per_page: int) -> tuple[list[AuditEvent], bool]:
    """One page of the organization's audit log, newest first, and whether there is more."""
    authorize(actor.user, Action.VIEW_AUDIT_LOG)
    rows = list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.organization_id == actor.organization_id)
            .order_by(AuditEvent.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


# ---------------------------------------------------------------------------------------------
# Operators (CLI)


def create_user_as_operator(
    *, email: str, organization_name: str, role: str, name: str, password: str
) -> User:
    """Create a user in an existing organization (by name or slug), or a new organization."""
    chosen_role = _role(role)
    organization = db.session.scalar(
        sa.select(Organization).where(
            sa.or_(Organization.name == organization_name, Organization.slug == organization_name)
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
        _check_password(password, email)
        if _email_taken(email):
            raise ValidationFailed("An account with this email already exists.", field="email")
        user = User(
            organization_id=organization.id,
            email=email,
            name=_clean_name(name, field="name", label="Name"),
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

"""Invitations: an admin invites a colleague by email with a role; the single-use link,
valid for a limited time, creates their account in the admin's organization.

Whether the address has an account with another company is nobody's business but its
owner's: the admin's answer and list are the same either way, and the owner is told by mail
that the invitation cannot be used with that address."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from comarketing import audit, outbox
from comarketing.accounts import passwords
from comarketing.accounts.models import User, UserInvitation
from comarketing.accounts.validation import (
    check_password,
    clean_name,
    email_taken,
    normalise_email,
    parse_role,
)
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.errors import Conflict, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.policy import Action, authorize
from comarketing.tokens import hash_token, new_token


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


def invite_user(actor: Actor, *, email: str, role: str) -> UserInvitation:
    authorize(actor.user, Action.MANAGE_USERS)
    email = normalise_email(email)
    chosen_role = parse_role(role)
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None and existing.organization_id == actor.organization_id:
        raise ValidationFailed("This person is already your colleague.", field="email")
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
    inviter = f"{actor.user.name} ({actor.user.email}) of {organization_name}"
    if existing is not None:
        # No link: an address belongs to one company. Its owner learns why, the admin nothing.
        outbox.enqueue(
            email,
            f"{actor.user.name} invited you to {organization_name} on Comarketing",
            f"Hello,\n\n{inviter} invited this address to join their company on Comarketing. "
            "Your address already has an account with another company, and an address "
            "belongs to one company only, so the invitation cannot be used with it. If you "
            "want to join them, ask them to invite another address of yours.\n",
            kind="user_invitation_existing",
        )
    else:
        outbox.enqueue(
            email,
            f"{actor.user.name} invited you to {organization_name} on Comarketing",
            f"Hello,\n\n{inviter} invited you to join {organization_name} on Comarketing "
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
    name = clean_name(name, field="name", label="Your name")
    check_password(password, invitation.email)
    if email_taken(invitation.email):
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

"""Passwords: changing one's own, and the emailed reset link (single use, short-lived; asking
for one says nothing about whether the account exists). A new password signs every other
session out."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from comarketing import audit, outbox
from comarketing.accounts import passwords
from comarketing.accounts.models import PasswordReset, User
from comarketing.accounts.validation import check_password, normalise_email
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.tokens import hash_token, new_token


def change_password(actor: Actor, *, current_password: str, new_password: str) -> User:
    user = actor.user
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationFailed("Your current password is not correct.", field="current_password")
    check_password(new_password, user.email, field="new_password")
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
    check_password(new_password, user.email, field="password")
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

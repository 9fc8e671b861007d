"""Personal access tokens: create, list, revoke, and authenticate an API request by one.

A token is ``cmk_`` plus 256 random bits, shown once; only its SHA-256 is stored (like the
mailed tokens in :mod:`comarketing.tokens`). A token acts as its user: the user's organization
and role decide what it may see and do, its scope only narrows that to reading.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from comarketing import audit
from comarketing.accounts.models import User
from comarketing.accounts.validation import clean_name
from comarketing.api.models import ApiToken, TokenScope
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.unit_of_work import transactional

TOKEN_PREFIX = "cmk_"  # noqa: S105 - a public marker, not a secret
# What the list shows of a token: the prefix and a few characters, never enough to use it.
DISPLAY_CHARS = len(TOKEN_PREFIX) + 6
# Longer than any token we issue (4 + 43 characters); anything longer is refused unhashed.
MAX_TOKEN_LENGTH = 100
MIN_DAYS, MAX_DAYS = 1, 366
EXPIRY_CHOICES = (30, 90, 180, 365)
# last_used_at is for people ("used 5 minutes ago"): writing it once a minute is enough, and
# keeps a busy client from turning every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_api_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _clean_name(name: str) -> str:
    if not (name or "").strip():
        raise ValidationFailed("Name the token (what will use it?).", field="name")
    return clean_name(name, field="name", label="The token's name", max_length=100)


def _clean_scope(scope: str) -> str:
    if scope not in {s.value for s in TokenScope}:
        raise ValidationFailed("Choose read or write.", field="scope")
    return scope


def _expiry(days: int | None, expires_on: date | None, now: datetime) -> datetime:
    """The moment the token stops working: ``days`` from now, or the end of ``expires_on``
    (UTC). Exactly one of the two; 1 to 366 days ahead."""
    if (days is None) == (expires_on is None):
        raise ValidationFailed("Choose when the token expires.", field="expires")
    if expires_on is not None:
        expires_at = datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=UTC)
        days = (expires_on - now.date()).days
    else:
        assert days is not None
        expires_at = now + timedelta(days=days)
    if isinstance(days, bool) or not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationFailed(
            f"A token expires after {MIN_DAYS} to {MAX_DAYS} days.", field="expires"
        )
    return expires_at


def _active_name_taken(user_id: int, name: str, now: datetime) -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    ApiToken.user_id == user_id,
                    sa.func.lower(ApiToken.name) == name.lower(),
                    ApiToken.revoked_at.is_(None),
                    ApiToken.expires_at > now,
                )
            )
        )
    )


def _issue(
    user: User, *, name: str, scope: str, days: int | None, expires_on: date | None
) -> tuple[ApiToken, str]:
    if not user.active:
        raise Forbidden("A deactivated account cannot have API tokens.")
    now = utcnow()
    name = _clean_name(name)
    scope = _clean_scope(scope)
    expires_at = _expiry(days, expires_on, now)
    if _active_name_taken(user.id, name, now):
        raise ValidationFailed("You already have an active token with this name.", field="name")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_prefix=plaintext[:DISPLAY_CHARS],
        token_hash=hash_api_token(plaintext),
        scope=scope,
        expires_at=expires_at,
        created_at=now,
    )
    db.session.add(token)
    db.session.flush()
    return token, plaintext


@transactional
def create_token(
    actor: Actor,
    *,
    name: str,
    scope: str,
    days: int | None = None,
    expires_on: date | None = None,
) -> tuple[ApiToken, str]:
    """A new token of the actor's own; returns it with the plaintext, which is never stored
    and cannot be shown again."""
    token, plaintext = _issue(actor.user, name=name, scope=scope, days=days, expires_on=expires_on)
    audit.record(
        "api_token.created",
        actor=actor,
        target=token,
        name=token.name,
        scope=token.scope,
        expires_at=token.expires_at.isoformat(),
    )
    db.session.commit()
    return token, plaintext


def list_tokens(actor: Actor) -> list[ApiToken]:
    """The actor's own tokens, newest first (revoked and expired ones too, marked as such)."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == actor.user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


@transactional
def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens at once. Anyone else's token, a colleague's
    included, is "not found". Revoking twice changes nothing."""
    token = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == actor.user_id)
        .with_for_update()
    )
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("api_token.revoked", actor=actor, target=token, name=token.name)
    db.session.commit()
    return token


@transactional
@functools.cache
def _token_and_user() -> sa.Select[ApiToken, User]:
    # Built once (its cache key with it), not on every API request.
    return (
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == sa.bindparam("hash"))
    )


def authenticate(plaintext: str) -> tuple[User, str] | None:
    """The user and scope of a valid token; None for an unknown, revoked or expired token or a
    deactivated user (the caller cannot tell which)."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > MAX_TOKEN_LENGTH:
        return None
    now = utcnow()
    # The token and its user in one statement: every API request begins here.
    found = db.session.execute(_token_and_user(), {"hash": hash_api_token(plaintext)}).first()
    if found is None:
        return None
    token, user = found
    if token.status(now) != "active" or not user.active:
        return None
    scope = token.scope
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        # Conditional, so concurrent requests of one client write it once, not once each.
        db.session.execute(
            sa.update(ApiToken)
            .where(
                ApiToken.id == token.id,
                sa.or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at <= now - LAST_USED_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return user, scope


# ---------------------------------------------------------------------------------------------
# Operators (flask tokens ...)


@transactional
def create_token_as_operator(
    *, email: str, name: str, scope: str, days: int
) -> tuple[ApiToken, str]:
    user = db.session.scalar(sa.select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise NotFound("No user with this email.", field="email")
    token, plaintext = _issue(user, name=name, scope=scope, days=days, expires_on=None)
    audit.record(
        "api_token.created",
        organization_ids=[user.organization_id],
        actor_email="operator",
        target=token,
        name=token.name,
        scope=token.scope,
        expires_at=token.expires_at.isoformat(),
    )
    db.session.commit()
    return token, plaintext


@transactional
def revoke_token_as_operator(token_id: int) -> ApiToken:
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id).with_for_update())
    if token is None:
        raise NotFound("No token with this id.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        user = db.session.get(User, token.user_id)
        audit.record(
            "api_token.revoked",
            organization_ids=[user.organization_id if user else None],
            actor_email="operator",
            target=token,
            name=token.name,
        )
    db.session.commit()
    return token

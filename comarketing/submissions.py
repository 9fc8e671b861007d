"""One-time submission tokens for HTML forms that create something (issue 19): a person who
posts the same form again (a double click, a retry after a timeout) gets the first result,
not a second record.

A form built on :class:`CreateForm` carries a hidden ``submission_token``, a fresh random value
each time the form is rendered. The view asks :func:`earlier` first: when this user's token
already created something, the answer is a redirect to that first result. Otherwise, just
before calling the service, :func:`record` adds the token's row to the request's session, so
the service's own commit stores it **in the same transaction** as the record it creates: a
failure leaves neither, a refusal (the service rolls back) leaves the token free to post again.
A concurrent second post with the same token waits on the unique index until the first
commits, then hits the constraint and answers the first result (:class:`AlreadySubmitted`).

Only the token's SHA-256 is stored, bound to the user and the endpoint: another user's token
counts as a new submission. A post without a token (a page rendered before this existed) works
as before. Rows older than :data:`LIFETIME` are purged whenever the same user records a new one.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import flash, redirect, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import HiddenField

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model, db
from comarketing.form_base import AppForm

LIFETIME = timedelta(days=7)
FIELD = "submission_token"
ALREADY_SAVED = "This form was already sent; here is what it saved."


class FormSubmission(Model):
    """A form post that created something, by its one-time token: a repeat gets this result."""

    __tablename__ = "form_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(sa.String(200))
    result_url: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    # By endpoint (and the ids in its URL) too: a page re-rendered after a refused post binds
    # every form on it to the posted data, so its other forms carry the same token; each
    # endpoint counts it apart.
    __table_args__ = (sa.UniqueConstraint("user_id", "endpoint", "token_hash"),)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class CreateForm(AppForm):
    """A form whose post creates a row: it carries a one-time submission token."""

    submission_token = HiddenField(default=new_token)


class AlreadySubmitted(Exception):
    """A concurrent post with the same token committed first; answer its result."""

    def __init__(self, result_url: str) -> None:
        super().__init__(result_url)
        self.result_url = result_url


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token(form: AppForm) -> str | None:
    field = getattr(form, FIELD, None)
    value = field.data if field is not None else None
    # A token is ours only if it looks like one; anything else is a post without one.
    if isinstance(value, str) and 16 <= len(value) <= 100 and "\x00" not in value:
        return value
    return None


def _endpoint() -> str:
    """The endpoint with the record its URL names: a page that lists one form per row (reverse
    this entry, replace that list) renders them all with one token, and each row's post is a
    submission of its own."""
    args = ",".join(f"{k}={v}" for k, v in sorted((request.view_args or {}).items()))
    return f"{request.endpoint or ''}:{args}"[:200] if args else (request.endpoint or "")[:200]


def _find(user_id: int, token_hash: str) -> FormSubmission | None:
    return db.session.scalar(
        sa.select(FormSubmission).where(
            FormSubmission.user_id == user_id,
            FormSubmission.endpoint == _endpoint(),
            FormSubmission.token_hash == token_hash,
            FormSubmission.created_at >= utcnow() - LIFETIME,
        )
    )


def replay(result_url: str) -> ResponseReturnValue:
    flash(ALREADY_SAVED, "info")
    return redirect(result_url, 303)


def earlier(form: AppForm, user_id: int) -> ResponseReturnValue | None:
    """The first result, when this user's token already created something; else None."""
    token = _token(form) if request.method == "POST" else None
    if token is None:
        return None
    found = _find(user_id, _hash(token))
    return None if found is None else replay(found.result_url)


def record(form: AppForm, user_id: int, result_url: str) -> None:
    """Add the token's row to the session and flush it (taking the unique index), so the
    service's commit stores it with the record; raises :class:`AlreadySubmitted` when a
    concurrent post with the same token got there first. Call just before the service."""
    token = _token(form)
    if token is None:
        return
    token_hash = _hash(token)
    db.session.execute(
        sa.delete(FormSubmission).where(
            FormSubmission.user_id == user_id,
            FormSubmission.created_at < utcnow() - LIFETIME,
        )
    )
    row = FormSubmission(
        token_hash=token_hash,
        user_id=user_id,
        endpoint=_endpoint(),
        result_url=result_url[:500],
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        found = _find(user_id, token_hash)
        if found is None:
            raise
        raise AlreadySubmitted(found.result_url) from None


def forget(form: AppForm, user_id: int) -> None:
    """Free the token again after a refusal a service recorded and committed (an audience file
    refused is kept in the history): the corrected form may be sent with it."""
    token = _token(form)
    if token is None:
        return
    db.session.rollback()
    db.session.execute(
        sa.delete(FormSubmission).where(
            FormSubmission.user_id == user_id,
            FormSubmission.endpoint == _endpoint(),
            FormSubmission.token_hash == _hash(token),
        )
    )
    db.session.commit()


def set_result(form: AppForm, user_id: int, result_url: str) -> None:
    """For a result only known once the record exists (a new offer's page): point the token's
    row at it. Until then a repeat is sent to the URL given to :func:`record`."""
    token = _token(form)
    if token is None:
        return
    db.session.execute(
        sa.update(FormSubmission)
        .where(
            FormSubmission.user_id == user_id,
            FormSubmission.endpoint == _endpoint(),
            FormSubmission.token_hash == _hash(token),
        )
        .values(result_url=result_url[:500])
    )
    db.session.commit()

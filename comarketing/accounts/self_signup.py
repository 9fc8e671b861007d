"""Self sign-up that tells nobody whether an email address has an account.

Two steps. The form (company, name, email) always answers "check your mail": a new address
gets a signed link to finish, an address that has an account gets a note for its owner
instead (through the outbox), so the answer on the page is the same either way. The link
(valid ``SIGNUP_CONFIRM_TTL_HOURS``) carries what was typed, signed with the app's secret
key; following it, the person chooses a password and the company is created. Nothing is
stored before that, and a link is spent once its address has an account.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from comarketing import audit, outbox
from comarketing.accounts import registration
from comarketing.accounts.models import User
from comarketing.accounts.validation import clean_name, email_taken, normalise_email
from comarketing.context import Origin
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.links import absolute_url

_SALT = "comarketing.sign-up"
INVALID_LINK = "This sign-up link is invalid, used or expired. Sign up again."


class SignUpRequest(NamedTuple):
    organization_name: str
    name: str
    email: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def _require_enabled() -> None:
    if not current_app.config["SIGNUP_ENABLED"]:
        raise NotFound()


def request_sign_up(*, organization_name: str, name: str, email: str, origin: Origin) -> None:
    """Check what was typed, then mail the address: a link to finish, or, when the address
    already has an account, a note to its owner. The caller's answer is the same for both."""
    _require_enabled()
    wanted = SignUpRequest(
        clean_name(organization_name, field="organization_name", label="Company name"),
        clean_name(name, field="name", label="Your name"),
        normalise_email(email),
    )
    registration.require_company_name_free(wanted.organization_name)
    owner = db.session.scalar(sa.select(User).where(User.email == wanted.email))
    if owner is not None:
        outbox.enqueue(
            owner.email,
            "Someone tried to sign up with your address",
            "Hello,\n\nSomeone, perhaps you, tried to create a new company account on "
            f"Comarketing with this address ({owner.email}). You already have an account; "
            "nothing was changed.\n\n"
            f"Sign in here:\n{absolute_url('accounts.login')}\n\n"
            f"Forgot your password? Reset it here:\n{absolute_url('accounts.forgot_password')}"
            "\n\nIf it was not you, you can ignore this message.\n",
            kind="sign_up_existing",
        )
        audit.record(
            "auth.sign_up_attempted",
            origin=origin,
            organization_ids=[owner.organization_id],
            actor_email=owner.email,
        )
    else:
        token = link_token(wanted)
        hours = int(current_app.config["SIGNUP_CONFIRM_TTL_HOURS"])
        outbox.enqueue(
            wanted.email,
            f"Finish creating {wanted.organization_name} on Comarketing",
            f"Hello {wanted.name},\n\nTo create {wanted.organization_name}'s account on "
            f"Comarketing, choose your password here within {hours} hours:\n\n"
            f"{absolute_url('accounts.signup_confirm_link', token=token)}\n\n"
            "If you did not ask for this, ignore this message: nothing is created without it.\n",
            kind="sign_up_confirm",
        )
    db.session.commit()


def link_token(wanted: SignUpRequest) -> str:
    """The secret part of the link that finishes ``wanted`` (signed, not stored)."""
    return str(_serializer().dumps(list(wanted)))


def confirmed_request(token: str) -> SignUpRequest:
    """What the link carries, if it is genuine, recent and its address still has no account."""
    _require_enabled()
    max_age = int(current_app.config["SIGNUP_CONFIRM_TTL_HOURS"]) * 3600
    try:
        fields = _serializer().loads(token or "", max_age=max_age)
        wanted = SignUpRequest(*(str(value) for value in fields))
    except (BadSignature, TypeError, ValueError) as exc:
        raise NotFound(INVALID_LINK) from exc
    if email_taken(wanted.email):
        raise NotFound(INVALID_LINK)
    return wanted


def complete_sign_up(token: str, *, password: str, origin: Origin) -> User:
    """Create the company and its admin from a sign-up link and the password chosen now."""
    wanted = confirmed_request(token)
    return registration.sign_up(
        organization_name=wanted.organization_name,
        name=wanted.name,
        email=wanted.email,
        password=password,
        origin=origin,
    )

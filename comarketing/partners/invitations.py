"""Inviting a partner company by the email of a person there, and joining by the mailed link.

What the inviter learns is only what they typed: the answer, the list of sent invitations and
the mail to themselves are the same whether the address is unknown, belongs to a company on
the platform, to a company that is already a partner, or to one with an open invitation
between the two. The invited company's name reaches the inviter's pages only once it accepts.

- An unknown address gets a single-use link to create its company's account.
- An address of a company with no current partnership (active, or an open invitation either
  way) makes the invitation that company's to answer; its responders and the person are told.
- Otherwise nothing new is offered to anyone: the invitation is recorded as sent (it shows the
  typed address and expires like any other), and only the person is told why by mail.
- The same address typed again while its invitation is open gives that invitation back.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from comarketing import audit, events, outbox
from comarketing.accounts import registration, validation
from comarketing.accounts.models import Organization, User
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.partners.models import Partnership, PartnershipStatus
from comarketing.partners.services import between, responders
from comarketing.policy import Action, authorize
from comarketing.tokens import hash_token, new_token

S = PartnershipStatus


def signed_by(user: User, organization: Organization) -> str:
    """Who an invitation is from, as mails and pages show it: the company's name with the
    inviter's address and its domain, so a look-alike company is told apart."""
    return f"{organization.name} ({user.email}, domain {email_domain(user.email)})"


def email_domain(email: str) -> str:
    return email.rpartition("@")[2]


def _open_to_address(me: int, email: str) -> Partnership | None:
    return db.session.scalar(
        sa.select(Partnership).where(
            Partnership.inviter_organization_id == me,
            Partnership.invitee_email == email,
            Partnership.status == S.PENDING,
            Partnership.expires_at > utcnow(),
        )
    )


def _current_between(me: int, other: int) -> Partnership | None:
    """An active partnership of the two companies, or an open invitation either way."""
    return db.session.scalar(
        sa.select(Partnership)
        .where(
            between(me, other),
            sa.or_(
                Partnership.status == S.ACTIVE,
                sa.and_(Partnership.status == S.PENDING, Partnership.expires_at > utcnow()),
            ),
        )
        .limit(1)
    )


def invite_partner(actor: Actor, *, email: str, message: str = "") -> Partnership:
    """Invite a company by the email of a person there (see the module's docstring)."""
    authorize(actor.user, Action.INVITE_PARTNER)
    email = validation.normalise_email(email)
    message = (message or "").strip()
    if len(message) > 2000:
        raise ValidationFailed("Keep the message under 2,000 characters.", field="message")
    me = actor.organization_id
    # Serialise invitations from one organization so two clicks cannot create two rows.
    db.session.execute(sa.select(Organization.id).where(Organization.id == me).with_for_update())
    again = _open_to_address(me, email)
    if again is not None:
        return again
    person = db.session.scalar(sa.select(User).where(User.email == email))
    if person is not None and person.organization_id == me:
        raise ValidationFailed("That person works at your own company.", field="email")
    ttl = timedelta(days=int(current_app.config["PARTNER_INVITATION_TTL_DAYS"]))
    partnership = Partnership(
        inviter_organization_id=me,
        invitee_email=email,
        message=message,
        invited_by_id=actor.user_id,
        expires_at=utcnow() + ttl,
    )
    sender = signed_by(actor.user, actor.user.organization)
    said = f"\n\nTheir message:\n{message}" if message else ""
    parties = [me]
    if person is None:
        token, partnership.join_token_hash = new_token()
        outbox.enqueue(
            email,
            f"{actor.user.organization.name} invites your company to co-market on Comarketing",
            f"Hello,\n\n{actor.user.name} of {sender} would like to market together with "
            "your company on Comarketing: joint offers, a shared budget, and honest numbers on "
            f"what the partnership brings.{said}\n\nCreate your company's account (free) and "
            f"answer the invitation here, within {ttl.days} days:\n"
            f"{absolute_url('partners.join_link', token=token)}\n",
            kind="partner_invitation",
        )
    elif _current_between(me, person.organization_id) is None:
        other = person.organization_id
        partnership.invitee_organization_id = other
        parties.append(other)
        for recipient in sorted(responders(other) | {person.email}):
            outbox.enqueue(
                recipient,
                f"{actor.user.organization.name} invites {person.organization.name} to co-market",
                f"Hello,\n\n{actor.user.name} of {sender} invites "
                f"{person.organization.name} to become partners on Comarketing.{said}\n\n"
                f"Accept or decline here:\n{absolute_url('partners.directory')}\n",
                kind="partner_invitation",
            )
    else:
        outbox.enqueue(
            person.email,
            f"{actor.user.organization.name} invites {person.organization.name} to co-market",
            f"Hello,\n\n{actor.user.name} of {sender} invited you to co-market on "
            f"Comarketing. {person.organization.name} is already their partner, or an "
            "invitation between the two companies is open: see it here, nothing else to do."
            f"{said}\n\n{absolute_url('partners.directory')}\n",
            kind="partner_invitation",
        )
    db.session.add(partnership)
    db.session.flush()
    audit.record(
        "partnership.invited",
        actor=actor,
        organization_ids=parties,
        target=partnership,
        email=email,
    )
    events.raise_each("partnership.invited", events.payloads.partnership_invited(partnership))
    db.session.commit()
    return partnership


# ---------------------------------------------------------------------------------------------
# Joining by the mailed link


def _open_join_invitation(token: str) -> Partnership:
    partnership = db.session.scalar(
        sa.select(Partnership).where(Partnership.join_token_hash == hash_token(token or ""))
    )
    if (
        partnership is None
        or partnership.status != S.PENDING
        or partnership.invitee_organization_id is not None
        or partnership.is_expired
    ):
        raise NotFound(
            "This invitation is invalid, used or expired. Ask your partner for a new one."
        )
    return partnership


def join_invitation_details(token: str) -> tuple[Partnership, Organization, str | None]:
    """The open invitation behind a join link, its inviting company and the inviter's email
    (None if that account was removed since)."""
    partnership = _open_join_invitation(token)
    inviter = db.session.get(Organization, partnership.inviter_organization_id)
    assert inviter is not None
    user = db.session.get(User, partnership.invited_by_id) if partnership.invited_by_id else None
    return partnership, inviter, user.email if user else None


def join_as_new_company(
    token: str, *, organization_name: str, name: str, password: str, origin: Origin
) -> User:
    """The invited person creates their company's account; the invitation then awaits them."""
    partnership = _open_join_invitation(token)
    db.session.execute(
        sa.select(Partnership.id).where(Partnership.id == partnership.id).with_for_update()
    )
    user = registration.create_organization_with_admin(
        organization_name=organization_name,
        name=name,
        email=partnership.invitee_email,
        password=password,
    )
    partnership.invitee_organization_id = user.organization_id
    partnership.join_token_hash = None  # single use
    new_actor = Actor(user, origin)
    audit.record(
        "organization.created",
        actor=new_actor,
        target=user.organization,
        name=user.organization.name,
        via="partner_invitation",
    )
    # In the new company's log only: the inviter learns of it when (if) it accepts.
    audit.record("partnership.invitation_claimed", actor=new_actor, target=partnership)
    db.session.commit()
    return user

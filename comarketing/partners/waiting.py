"""Invitations that wait on someone, for the home page: those this person may answer for their
company, and those their company sent that the invited company has not answered yet (shown by
the typed address: who is behind it stays unknown until acceptance).

One query each, whatever the number of invitations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.partners.models import Partnership, PartnershipStatus
from comarketing.partners.services import PartnerView, pending_received
from comarketing.policy import Action, can


def to_answer(actor: Actor) -> list[PartnerView]:
    """Invitations to the actor's company, for those who may accept or decline them."""
    if not can(actor.user, Action.RESPOND_TO_PARTNERSHIP):
        return []
    return pending_received(actor)


@dataclass(frozen=True)
class SentInvitation:
    partnership_id: int
    email: str
    sent_at: datetime
    expires_at: datetime


def awaiting_answer(actor: Actor) -> list[SentInvitation]:
    """Invitations the company sent that are still open, oldest first."""
    rows = db.session.execute(
        sa.select(
            Partnership.id,
            Partnership.invitee_email,
            Partnership.created_at,
            Partnership.expires_at,
        )
        .where(
            Partnership.inviter_organization_id == actor.organization_id,
            Partnership.status == PartnershipStatus.PENDING.value,
            Partnership.expires_at > utcnow(),
        )
        .order_by(Partnership.created_at, Partnership.id)
    ).all()
    return [SentInvitation(int(i), email, at, until) for i, email, at, until in rows]

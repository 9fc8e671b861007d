"""Company settings an admin changes for the whole organization: the business-day windows its
people get (to review an offer, to answer a partner's expense claim)."""

from __future__ import annotations

from comarketing import audit
from comarketing.accounts.models import Organization
from comarketing.context import Actor
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, authorize

MIN_DAYS, MAX_DAYS = 1, 20


def set_business_days(
    actor: Actor, column: str, days: int, *, field: str, event: str
) -> Organization:
    """Set one business-day window of the actor's company (``column`` of organizations),
    refusing values outside 1-20 next to ``field``; audited as ``event``. Commits."""
    authorize(actor.user, Action.MANAGE_ORGANIZATION)
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationFailed(
            f"Choose between {MIN_DAYS} and {MAX_DAYS} business days.", field=field
        )
    organization = db.session.get(Organization, actor.organization_id)
    assert organization is not None
    setattr(organization, column, days)
    audit.record(event, actor=actor, target=organization, days=days)
    db.session.commit()
    return organization

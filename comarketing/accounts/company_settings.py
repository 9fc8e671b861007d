"""Company settings an admin changes for the whole organization: the business-day windows its
people get (to review an offer, to answer a partner's expense claim), and the minimum audience
count of figures about its audiences that other companies see (``audiences.disclosure``)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

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


MIN_AUDIENCE, MAX_AUDIENCE = 50, 1_000_000


def set_audience_minimum(actor: Actor, count: int) -> Organization:
    """Set the company's minimum audience count (50 to 1,000,000 people). Commits."""
    authorize(actor.user, Action.MANAGE_ORGANIZATION)
    if not MIN_AUDIENCE <= count <= MAX_AUDIENCE:
        raise ValidationFailed(
            f"Choose between {MIN_AUDIENCE} and {MAX_AUDIENCE:,} people: fewer than "
            f"{MIN_AUDIENCE} would let a partner single people out.",
            field="audience_minimum",
        )
    organization = db.session.get(Organization, actor.organization_id)
    assert organization is not None
    if organization.audience_minimum != count:
        organization.audience_minimum = count
        audit.record(
            "organization.audience_minimum_changed", actor=actor, target=organization, count=count
        )
    db.session.commit()
    return organization


def audience_minimums(organization_ids: Iterable[int]) -> dict[int, int]:
    """Each organization's minimum audience count."""
    ids = sorted(set(organization_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Organization.id, Organization.audience_minimum).where(Organization.id.in_(ids))
    )
    return {int(i): int(m) for i, m in rows}

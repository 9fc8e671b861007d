"""Partnerships and invitations one page at a time, by the directory's groups (for the API).

The same rules as the partner directory (``services.directory``): every query is built from
the acting user's organization, the inviting side sees only the address it typed until the
invitation is accepted, and products are listed for active partners only. The groups are the
directory's sections: ``active``; ``received`` and ``sent`` (open invitations, not expired);
``past`` (declined, cancelled, ended or expired).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.context import Actor
from comarketing.db import page_and_total, utcnow
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.partners.models import Partnership, PartnershipStatus, Product
from comarketing.partners.services import (
    PartnerView,
    _get_partnership,
    _inviter_emails,
    _partner_known,
    _visible_partnerships,
)
from comarketing.policy import Action, authorize

S = PartnershipStatus
GROUPS = ("active", "received", "sent", "past")


def group_of(partnership: Partnership, organization_id: int) -> str:
    """The directory section a partnership shows in, for this organization."""
    if partnership.status == S.ACTIVE:
        return "active"
    if partnership.status == S.PENDING and not partnership.is_expired:
        return "sent" if partnership.inviter_organization_id == organization_id else "received"
    return "past"


def _in_group(group: str, me: int) -> sa.ColumnElement[bool]:
    open_invitation = sa.and_(Partnership.status == S.PENDING, Partnership.expires_at > utcnow())
    if group == "active":
        return Partnership.status == S.ACTIVE
    if group == "sent":
        return sa.and_(open_invitation, Partnership.inviter_organization_id == me)
    if group == "received":
        return sa.and_(open_invitation, Partnership.invitee_organization_id == me)
    return sa.and_(Partnership.status != S.ACTIVE, sa.not_(open_invitation))


@dataclass
class PartnershipPage:
    items: list[PartnerView]
    page: int
    total: int
    has_more: bool


def _views(actor: Actor, partnerships: list[Partnership]) -> list[PartnerView]:
    """The directory's view of each partnership: the partner where this side may know it, its
    current products when active, and who invited us on the invited side."""
    me = actor.organization_id
    known = {p.id: p.other_party_id(me) for p in partnerships if _partner_known(p, me)}
    other_ids = {o for o in known.values() if o is not None}
    organizations = {
        o.id: o
        for o in db.session.scalars(sa.select(Organization).where(Organization.id.in_(other_ids)))
    }
    active_ids = [known.get(p.id) for p in partnerships if p.status == S.ACTIVE]
    products: dict[int, list[Product]] = {}
    for product in db.session.scalars(
        sa.select(Product)
        .where(Product.organization_id.in_(active_ids), Product.archived_at.is_(None))
        .order_by(Product.name)
    ):
        products.setdefault(product.organization_id, []).append(product)
    inviter_emails = _inviter_emails(p for p in partnerships if p.invitee_organization_id == me)
    views = []
    for p in partnerships:
        other = known.get(p.id)
        views.append(
            PartnerView(
                p,
                organizations.get(other) if other else None,
                products.get(other, []) if other and p.status == S.ACTIVE else [],
                inviter_emails.get(p.invited_by_id or 0),
            )
        )
    return views


def partnerships_page(
    actor: Actor, *, group: str | None = None, page: int = 1, per_page: int = 25
) -> PartnershipPage:
    """The organization's partnerships and invitations, newest first, optionally one group."""
    authorize(actor.user, Action.VIEW_PARTNERSHIPS)
    if group is not None and group not in GROUPS:
        raise ValidationFailed("Choose active, received, sent or past.", field="group")
    me = actor.organization_id
    query = _visible_partnerships(me)
    if group is not None:
        query = query.where(_in_group(group, me))
    rows, total = page_and_total(
        db.session,
        query,
        (Partnership.created_at.desc(), Partnership.id.desc()),
        page=page,
        per_page=per_page,
    )
    return PartnershipPage(_views(actor, rows), page, total, page * per_page < total)


def partnership_view(actor: Actor, partnership_id: int) -> PartnerView:
    """One partnership as the directory shows it; another organization's answers NotFound."""
    authorize(actor.user, Action.VIEW_PARTNERSHIPS)
    return _views(actor, [_get_partnership(actor, partnership_id)])[0]

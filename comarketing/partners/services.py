"""Partnerships (invite -> accept) and products.

Every query is built from the acting user's organization: another organization's partnership
or product is "not found", exactly like one that does not exist. An invitation shows its
inviter the address they typed, never the invited company, until that company accepts
(invitations themselves: partners/invitations.py).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from comarketing import audit, events, outbox
from comarketing.accounts.models import Organization, User
from comarketing.accounts.validation import clean_name
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.partners.models import Partnership, PartnershipStatus, Product
from comarketing.policy import Action, Role, authorize

S = PartnershipStatus

# The partnership lifecycle, in one place: (state, step) -> (new state, which side may take it).
TRANSITIONS: dict[tuple[PartnershipStatus, str], tuple[PartnershipStatus, str]] = {
    (S.PENDING, "accept"): (S.ACTIVE, "invitee"),
    (S.PENDING, "decline"): (S.DECLINED, "invitee"),
    (S.PENDING, "cancel"): (S.CANCELLED, "inviter"),
    (S.ACTIVE, "end"): (S.ENDED, "either"),
}
STEP_ACTIONS = {
    "accept": Action.RESPOND_TO_PARTNERSHIP,
    "decline": Action.RESPOND_TO_PARTNERSHIP,
    "cancel": Action.INVITE_PARTNER,
    "end": Action.END_PARTNERSHIP,
}
STEP_PAST = {"accept": "accepted", "decline": "declined", "cancel": "cancelled", "end": "ended"}

# ---------------------------------------------------------------------------------------------
# Reading


def _visible_partnerships(organization_id: int | sa.BindParameter[int]) -> sa.Select[Partnership]:
    return sa.select(Partnership).where(
        sa.or_(
            Partnership.inviter_organization_id == organization_id,
            Partnership.invitee_organization_id == organization_id,
        )
    )


def _get_partnership(actor: Actor, partnership_id: int, *, lock: bool = False) -> Partnership:
    query = _visible_partnerships(actor.organization_id).where(Partnership.id == partnership_id)
    if lock:
        query = query.with_for_update()
    partnership = db.session.scalar(query)
    if partnership is None:
        raise NotFound()
    return partnership


@dataclass
class PartnerView:
    partnership: Partnership
    # The other company, where this side may know it: None on the inviter's side until the
    # invitation is accepted (the page shows the typed address instead).
    partner: Organization | None
    products: list[Product] = field(default_factory=list)
    # On the invited side: who sent the invitation, shown beside the company's name.
    inviter_email: str | None = None


def _partner_known(partnership: Partnership, me: int) -> bool:
    """Whether ``me`` may see who the other party is: the invited side always (the inviter
    made itself known), the inviting side once the invitation was accepted."""
    accepted = partnership.status in (S.ACTIVE, S.ENDED)
    return accepted or partnership.invitee_organization_id == me


def _inviter_emails(partnerships: Iterable[Partnership]) -> dict[int, str]:
    ids = {p.invited_by_id for p in partnerships if p.invited_by_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids))).all())


@dataclass
class Directory:
    active: list[PartnerView]
    received: list[PartnerView]
    sent: list[PartnerView]
    past: list[PartnerView]


@functools.cache
def _directory_reads() -> tuple[
    sa.Select[Partnership], sa.Select[Organization], sa.Select[Product]
]:
    """The directory's statements, built once: SQLAlchemy builds a statement and its cache key
    anew each time the code writing it runs (≈ 0.2 ms each per request)."""
    ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
    return (
        _visible_partnerships(sa.bindparam("me")).order_by(Partnership.created_at.desc()),
        sa.select(Organization).where(Organization.id.in_(ids)),
        sa.select(Product)
        .where(Product.organization_id.in_(ids), Product.archived_at.is_(None))
        .order_by(Product.name),
    )


def directory(actor: Actor) -> Directory:
    """Everything the partner directory page shows, in a fixed number of queries."""
    authorize(actor.user, Action.VIEW_PARTNERSHIPS)
    me = actor.organization_id
    partnerships_of, organizations_in, products_of = _directory_reads()
    partnerships = list(db.session.scalars(partnerships_of, {"me": me}))
    other_ids = {p.other_party_id(me) for p in partnerships if _partner_known(p, me)} - {None}
    organizations = {
        o.id: o for o in db.session.scalars(organizations_in, {"ids": list(other_ids)})
    }
    active_ids = [p.other_party_id(me) for p in partnerships if p.status == S.ACTIVE]
    products_by_org: dict[int, list[Product]] = {}
    for product in db.session.scalars(products_of, {"ids": active_ids}):
        products_by_org.setdefault(product.organization_id, []).append(product)

    inviter_emails = _inviter_emails(p for p in partnerships if p.invitee_organization_id == me)
    result = Directory(active=[], received=[], sent=[], past=[])
    for p in partnerships:
        other = p.other_party_id(me) if _partner_known(p, me) else None
        view = PartnerView(
            p,
            organizations.get(other) if other else None,
            products_by_org.get(other, []) if other else [],
            inviter_emails.get(p.invited_by_id or 0),
        )
        if p.status == S.ACTIVE:
            result.active.append(view)
        elif p.status == S.PENDING and not p.is_expired:
            (result.sent if p.inviter_organization_id == me else result.received).append(view)
        else:
            result.past.append(view)
    result.active.sort(key=lambda v: v.partner.name if v.partner else "")
    return result


def pending_received(actor: Actor) -> list[PartnerView]:
    """Invitations waiting for this organization's answer (for the dashboard)."""
    me = actor.organization_id
    rows = db.session.execute(
        sa.select(Partnership, Organization)
        .join(Organization, Organization.id == Partnership.inviter_organization_id)
        .where(
            Partnership.invitee_organization_id == me,
            Partnership.status == S.PENDING,
            Partnership.expires_at > utcnow(),
        )
        .order_by(Partnership.created_at)
    ).all()
    inviter_emails = _inviter_emails(p for p, _ in rows)
    return [
        PartnerView(p, o, inviter_email=inviter_emails.get(p.invited_by_id or 0)) for p, o in rows
    ]


def _active_of(organization_id: int | sa.BindParameter[int]) -> sa.ColumnElement[bool]:
    """The organization's active partnerships, either side."""
    return sa.and_(
        Partnership.status == S.ACTIVE,
        sa.or_(
            Partnership.inviter_organization_id == organization_id,
            Partnership.invitee_organization_id == organization_id,
        ),
    )


def active_partner_ids(organization_id: int) -> set[int]:
    rows = db.session.execute(
        sa.select(Partnership.inviter_organization_id, Partnership.invitee_organization_id).where(
            _active_of(organization_id)
        )
    ).all()
    return {a if b == organization_id else b for a, b in rows if a is not None and b is not None}


@functools.cache
def _active_partners() -> sa.Select[Organization]:
    # Built once per process (the offers list's partner filter runs it on every view).
    me: sa.BindParameter[int] = sa.bindparam("me")
    other = sa.case(
        (Partnership.inviter_organization_id == me, Partnership.invitee_organization_id),
        else_=Partnership.inviter_organization_id,
    )
    partner_ids = sa.select(other).where(_active_of(me))
    return (
        sa.select(Organization)
        .where(Organization.id.in_(partner_ids), Organization.id != me)
        .order_by(Organization.name)
    )


def active_partners(organization_id: int) -> list[Organization]:
    """The organization's active partners by name, in one statement."""
    return list(db.session.scalars(_active_partners(), {"me": organization_id}))


def require_active_partners(
    organization_id: int, partner_ids: Iterable[int], *, field_name: str = "partners"
) -> None:
    """Raise unless every given organization is an active partner (used by offers)."""
    missing = set(partner_ids) - active_partner_ids(organization_id) - {organization_id}
    if missing:
        raise ValidationFailed("Offers can only be made with active partners.", field=field_name)


# ---------------------------------------------------------------------------------------------
# Who answers for an organization (inviting itself is in partners/invitations.py)


def between(a: int, b: int) -> sa.ColumnElement[bool]:
    """Partnerships of the two organizations, whichever invited the other."""
    return sa.or_(
        sa.and_(Partnership.inviter_organization_id == a, Partnership.invitee_organization_id == b),
        sa.and_(Partnership.inviter_organization_id == b, Partnership.invitee_organization_id == a),
    )


def responders(organization_id: int) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(User.email).where(
                User.organization_id == organization_id,
                User.active,
                User.role.in_([Role.ADMIN.value, Role.PARTNER_MANAGER.value]),
            )
        )
    )


# ---------------------------------------------------------------------------------------------
# Answering and ending


def transition(actor: Actor, partnership_id: int, step: str) -> Partnership:
    """Take one step of the lifecycle (accept, decline, cancel, end) if this side may."""
    if step not in STEP_ACTIONS:
        raise NotFound()
    partnership = _get_partnership(actor, partnership_id, lock=True)
    authorize(actor.user, STEP_ACTIONS[step])
    me = actor.organization_id
    rule = TRANSITIONS.get((S(partnership.status), step))
    if rule is None or partnership.is_expired:
        raise InvalidTransition(
            f"This partnership is {partnership.status}"
            + (" (expired)" if partnership.is_expired else "")
            + f"; it cannot be {STEP_PAST[step]} now."
        )
    new_status, side = rule
    my_side = "inviter" if partnership.inviter_organization_id == me else "invitee"
    if side != "either" and side != my_side:
        raise Forbidden(f"Only the {side} can {step} this invitation.")
    other = partnership.other_party_id(me)
    if step == "accept" and other and active_partner_ids(me) & {other}:
        # Two invitations crossed (each company invited the other at the same moment).
        raise InvalidTransition("You are already partners with this company.")
    partnership.status = new_status.value
    now = utcnow()
    if step in ("accept", "decline"):
        partnership.responded_at = now
        partnership.responded_by_id = actor.user_id
    if step == "end":
        partnership.ended_at = now
        partnership.ended_by_organization_id = me
    # A decline or a cancel tells the other side nothing about who: the inviter never
    # learned the company behind the address, the invitee needs no record of a withdrawal.
    known_to_other = step in ("accept", "end")
    audit.record(
        f"partnership.{STEP_PAST[step]}",
        actor=actor,
        organization_ids=[me, other] if other and known_to_other else [me],
        target=partnership,
    )
    if other and known_to_other:
        events.raise_each(
            f"partnership.{STEP_PAST[step]}",
            events.payloads.partnership_between(partnership, ended=step == "end"),
        )
        organization_name = actor.user.organization.name
        for recipient in sorted(responders(other)):
            outbox.enqueue(
                recipient,
                f"{organization_name} {STEP_PAST[step]} the partnership",
                f"Hello,\n\n{actor.user.name} of {organization_name} {STEP_PAST[step]} the "
                f"partnership with your company.\n\n{absolute_url('partners.directory')}\n",
                kind="partnership_changed",
            )
    elif other and step == "decline":
        for recipient in sorted(responders(other)):
            outbox.enqueue(
                recipient,
                f"Your invitation to {partnership.invitee_email} was declined",
                f"Hello,\n\nYour invitation to co-market, sent to "
                f"{partnership.invitee_email}, was declined.\n\n"
                f"{absolute_url('partners.directory')}\n",
                kind="partnership_changed",
            )
    db.session.commit()
    return partnership


# ---------------------------------------------------------------------------------------------
# Products


def _clean_product_fields(name: str, category: str, description: str) -> tuple[str, str, str]:
    name = clean_name(name, field="name", label="Name")
    category = clean_name(
        category, field="category", label="Category", max_length=80, required=False
    )
    description = (description or "").strip()
    if len(description) > 5000:
        raise ValidationFailed("Description must be at most 5,000 characters.", field="description")
    return name, category, description


def _refuse_duplicate_product(organization_id: int, name: str, except_id: int | None) -> None:
    query = sa.select(Product.id).where(
        Product.organization_id == organization_id,
        sa.func.lower(Product.name) == name.lower(),
        Product.archived_at.is_(None),
    )
    if except_id is not None:
        query = query.where(Product.id != except_id)
    if db.session.scalar(query) is not None:
        raise ValidationFailed("You already have a product with this name.", field="name")


def list_products(actor: Actor, *, include_archived: bool = False) -> list[Product]:
    authorize(actor.user, Action.VIEW_PRODUCTS)
    query = sa.select(Product).where(Product.organization_id == actor.organization_id)
    if not include_archived:
        query = query.where(Product.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(Product.archived_at.is_not(None), Product.name)))


def get_own_product(actor: Actor, product_id: int) -> Product:
    authorize(actor.user, Action.VIEW_PRODUCTS)
    product = db.session.scalar(
        sa.select(Product).where(
            Product.id == product_id, Product.organization_id == actor.organization_id
        )
    )
    if product is None:
        raise NotFound()
    return product


def create_product(
    actor: Actor, *, name: str, category: str = "", description: str = ""
) -> Product:
    authorize(actor.user, Action.MANAGE_PRODUCTS)
    name, category, description = _clean_product_fields(name, category, description)
    _refuse_duplicate_product(actor.organization_id, name, None)
    product = Product(
        organization_id=actor.organization_id, name=name, category=category, description=description
    )
    db.session.add(product)
    db.session.flush()
    audit.record("product.created", actor=actor, target=product, name=name)
    db.session.commit()
    return product


def update_product(
    actor: Actor,
    product_id: int,
    *,
    name: str | None = None,
    category: str | None = None,
    description: str | None = None,
) -> Product:
    """Change a product's fields; a field given as None keeps its value (the API's PATCH)."""
    product = get_own_product(actor, product_id)
    authorize(actor.user, Action.MANAGE_PRODUCTS)
    name, category, description = _clean_product_fields(
        product.name if name is None else name,
        product.category if category is None else category,
        product.description if description is None else description,
    )
    _refuse_duplicate_product(actor.organization_id, name, product.id)
    product.name, product.category, product.description = name, category, description
    audit.record("product.updated", actor=actor, target=product)
    db.session.commit()
    return product


def set_product_archived(actor: Actor, product_id: int, *, archived: bool) -> Product:
    product = get_own_product(actor, product_id)
    authorize(actor.user, Action.MANAGE_PRODUCTS)
    if archived == product.is_archived:
        return product
    if not archived:
        _refuse_duplicate_product(actor.organization_id, product.name, product.id)
    product.archived_at = utcnow() if archived else None
    audit.record(
        "product.archived" if archived else "product.restored", actor=actor, target=product
    )
    db.session.commit()
    return product

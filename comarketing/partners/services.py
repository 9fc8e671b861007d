"""Partnerships (invite -> accept) and products.

Every query is built from the acting user's organization: another organization's partnership
or product is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from comarketing import audit, outbox
from comarketing.accounts import registration, validation
from comarketing.accounts.models import Organization, User
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.partners.models import Partnership, PartnershipStatus, Product
from comarketing.policy import Action, Role, authorize
from comarketing.tokens import hash_token, new_token

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


def _visible_partnerships(organization_id: int) -> sa.Select[Partnership]:
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
    partner: Organization | None
    products: list[Product] = field(default_factory=list)


@dataclass
class Directory:
    active: list[PartnerView]
    received: list[PartnerView]
    sent: list[PartnerView]
    past: list[PartnerView]


def directory(actor: Actor) -> Directory:
    """Everything the partner directory page shows, in a fixed number of queries."""
    authorize(actor.user, Action.VIEW_PARTNERSHIPS)
    me = actor.organization_id
    partnerships = list(
        db.session.scalars(_visible_partnerships(me).order_by(Partnership.created_at.desc()))
    )
    other_ids = {p.other_party_id(me) for p in partnerships} - {None}
    organizations = {
        o.id: o
        for o in db.session.scalars(sa.select(Organization).where(Organization.id.in_(other_ids)))
    }
    active_ids = [p.other_party_id(me) for p in partnerships if p.status == S.ACTIVE]
    products_by_org: dict[int, list[Product]] = {}
    for product in db.session.scalars(
        sa.select(Product)
        .where(Product.organization_id.in_(active_ids), Product.archived_at.is_(None))
        .order_by(Product.name)
    ):
        products_by_org.setdefault(product.organization_id, []).append(product)

    result = Directory(active=[], received=[], sent=[], past=[])
    for p in partnerships:
        other = p.other_party_id(me)
        view = PartnerView(
            p,
            organizations.get(other) if other else None,
            products_by_org.get(other, []) if other else [],
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
    return [PartnerView(p, o) for p, o in rows]


def active_partner_ids(organization_id: int) -> set[int]:
    rows = db.session.execute(
        sa.select(Partnership.inviter_organization_id, Partnership.invitee_organization_id).where(
            Partnership.status == S.ACTIVE,
            sa.or_(
                Partnership.inviter_organization_id == organization_id,
                Partnership.invitee_organization_id == organization_id,
            ),
        )
    ).all()
    return {a if b == organization_id else b for a, b in rows if a is not None and b is not None}


def require_active_partners(
    organization_id: int, partner_ids: Iterable[int], *, field_name: str = "partners"
) -> None:
    """Raise unless every given organization is an active partner (used by offers)."""
    missing = set(partner_ids) - active_partner_ids(organization_id) - {organization_id}
    if missing:
        raise ValidationFailed("Offers can only be made with active partners.", field=field_name)


# ---------------------------------------------------------------------------------------------
# Inviting


def _between(a: int, b: int) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(Partnership.inviter_organization_id == a, Partnership.invitee_organization_id == b),
        sa.and_(Partnership.inviter_organization_id == b, Partnership.invitee_organization_id == a),
    )


def invite_partner(actor: Actor, *, email: str, message: str = "") -> Partnership:
    """Invite a company by the email of a person there.

    If that person already has an account, the invitation goes to their organization, whose
    admins and partner managers accept or decline it. Otherwise the mail carries a link to
    create the company's account, which then lands on the pending invitation.
    """
    authorize(actor.user, Action.INVITE_PARTNER)
    email = validation.normalise_email(email)
    message = (message or "").strip()
    if len(message) > 2000:
        raise ValidationFailed("Keep the message under 2,000 characters.", field="message")
    me = actor.organization_id
    # Serialise invitations from one organization so two clicks cannot create two rows.
    db.session.execute(sa.select(Organization.id).where(Organization.id == me).with_for_update())
    existing_user = db.session.scalar(sa.select(User).where(User.email == email))
    ttl = timedelta(days=int(current_app.config["PARTNER_INVITATION_TTL_DAYS"]))
    inviter = actor.user.organization
    partnership = Partnership(
        inviter_organization_id=me,
        invitee_email=email,
        message=message,
        invited_by_id=actor.user_id,
        expires_at=utcnow() + ttl,
    )
    if existing_user is not None:
        other = existing_user.organization_id
        if other == me:
            raise ValidationFailed("That person works at your own company.", field="email")
        _refuse_duplicate(me, other)
        partnership.invitee_organization_id = other
        db.session.add(partnership)
        db.session.flush()
        recipients = _people_who_respond(other) | {existing_user.email}
        for recipient in sorted(recipients):
            outbox.enqueue(
                recipient,
                f"{inviter.name} invites {existing_user.organization.name} to co-market",
                f"Hello,\n\n{actor.user.name} of {inviter.name} invites "
                f"{existing_user.organization.name} to become partners on Comarketing."
                + (f"\n\nTheir message:\n{message}" if message else "")
                + f"\n\nAccept or decline here:\n{absolute_url('partners.directory')}\n",
                kind="partner_invitation",
            )
        parties = [me, other]
    else:
        _refuse_duplicate_email(me, email)
        token, partnership.join_token_hash = new_token()
        db.session.add(partnership)
        db.session.flush()
        outbox.enqueue(
            email,
            f"{inviter.name} invites your company to co-market on Comarketing",
            f"Hello,\n\n{actor.user.name} of {inviter.name} would like to market together with "
            "your company on Comarketing: joint offers, a shared budget, and honest numbers on "
            "what the partnership brings."
            + (f"\n\nTheir message:\n{message}" if message else "")
            + "\n\nCreate your company's account (free) and answer the invitation here, within "
            f"{ttl.days} days:\n{absolute_url('partners.join_link', token=token)}\n",
            kind="partner_invitation",
        )
        parties = [me]
    audit.record(
        "partnership.invited",
        actor=actor,
        organization_ids=parties,
        target=partnership,
        email=email,
    )
    db.session.commit()
    return partnership


def _refuse_duplicate(me: int, other: int) -> None:
    current = db.session.scalar(
        _visible_partnerships(me).where(
            _between(me, other), Partnership.status.in_([S.PENDING, S.ACTIVE])
        )
    )
    if current is None or current.is_expired:
        return
    if current.status == S.ACTIVE:
        raise ValidationFailed("You are already partners with this company.", field="email")
    if current.inviter_organization_id == other:
        raise ValidationFailed(
            "This company has already invited you: accept their invitation below.", field="email"
        )
    raise ValidationFailed("An invitation to this company is already pending.", field="email")


def _refuse_duplicate_email(me: int, email: str) -> None:
    pending = db.session.scalar(
        sa.select(Partnership).where(
            Partnership.inviter_organization_id == me,
            Partnership.invitee_email == email,
            Partnership.status == S.PENDING,
            Partnership.expires_at > utcnow(),
        )
    )
    if pending is not None:
        raise ValidationFailed("An invitation to this address is already pending.", field="email")


def _people_who_respond(organization_id: int) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(User.email).where(
                User.organization_id == organization_id,
                User.active,
                User.role.in_([Role.ADMIN.value, Role.PARTNER_MANAGER.value]),
            )
        )
    )


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


def join_invitation_details(token: str) -> tuple[Partnership, Organization]:
    partnership = _open_join_invitation(token)
    inviter = db.session.get(Organization, partnership.inviter_organization_id)
    assert inviter is not None
    return partnership, inviter


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
    audit.record(
        "partnership.invitation_claimed",
        actor=new_actor,
        organization_ids=[partnership.inviter_organization_id, user.organization_id],
        target=partnership,
    )
    db.session.commit()
    return user


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
    partnership.status = new_status.value
    now = utcnow()
    if step in ("accept", "decline"):
        partnership.responded_at = now
        partnership.responded_by_id = actor.user_id
    if step == "end":
        partnership.ended_at = now
        partnership.ended_by_organization_id = me
    other = partnership.other_party_id(me)
    audit.record(
        f"partnership.{STEP_PAST[step]}",
        actor=actor,
        organization_ids=[me, other] if other else [me],
        target=partnership,
    )
    if other and step in ("accept", "decline", "end"):
        organization_name = actor.user.organization.name
        for recipient in sorted(_people_who_respond(other)):
            outbox.enqueue(
                recipient,
                f"{organization_name} {STEP_PAST[step]} the partnership",
                f"Hello,\n\n{actor.user.name} of {organization_name} {STEP_PAST[step]} the "
                f"partnership with your company.\n\n{absolute_url('partners.directory')}\n",
                kind="partnership_changed",
            )
    db.session.commit()
    return partnership


# ---------------------------------------------------------------------------------------------
# Products


def _clean_product_fields(name: str, category: str, description: str) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("Name is required.", field="name")
    if len(name) > 120:
        raise ValidationFailed("Name must be at most 120 characters.", field="name")
    category = " ".join((category or "").split())
    if len(category) > 80:
        raise ValidationFailed("Category must be at most 80 characters.", field="category")
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
    actor: Actor, product_id: int, *, name: str, category: str, description: str
) -> Product:
    product = get_own_product(actor, product_id)
    authorize(actor.user, Action.MANAGE_PRODUCTS)
    name, category, description = _clean_product_fields(name, category, description)
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

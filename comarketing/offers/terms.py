"""The terms of an offer as a proposer types them: what to choose from, and their checks.

Plain input dataclasses (what forms, the demo and tests hand the services); ``form_choices``,
the partners and products the offer form offers (a co-party of an offer that is not our
partner shows only the products it named in that offer, never its catalogue); and
``validated_terms``, which checks the terms against the offer's parties and returns the column
values of a revision (its placements checked by ``placement_terms``). Also the text limits the
other offer modules share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from comarketing import dates_allowed
from comarketing.accounts.models import Organization
from comarketing.accounts.validation import clean_name
from comarketing.context import Actor
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.money import SHARE_TOTAL, check_currency
from comarketing.offers.placement_terms import validated_placements
from comarketing.partners import services as partners
from comarketing.partners.models import Product
from comarketing.policy import Action, authorize

MAX_COMMENT = 5000


@dataclass
class PartyTermsInput:
    organization_id: int
    product_ids: list[int]
    budget_share_bp: int
    revenue_share_bp: int


@dataclass
class PlacementInput:
    channel: str
    owner_organization_id: int
    name: str
    planned_cost_minor: int
    # Optional dates within the offer's; none means the placement runs for the offer's dates.
    start_date: date | None = None
    end_date: date | None = None
    # The placement's identity across revisions (kept by the edit form in a hidden field);
    # empty or unusable for a new placement, which then gets a fresh key.
    key: str = ""


@dataclass
class TermsInput:
    title: str
    value_proposition: str
    audience: str
    start_date: date | None
    end_date: date | None
    currency: str
    total_budget_minor: int
    target_reach: int | None = None
    target_leads: int | None = None
    target_revenue_minor: int | None = None
    parties: list[PartyTermsInput] = field(default_factory=list)
    placements: list[PlacementInput] = field(default_factory=list)
    change_note: str = ""


@dataclass
class FormChoices:
    partners: list[Organization]
    products: dict[int, list[Product]]  # organization id -> its current products


def form_choices(
    actor: Actor, extra_party_ids: Sequence[int] = (), shared_product_ids: Sequence[int] = ()
) -> FormChoices:
    """Partners and products to choose from. A co-party of an offer that is not our partner
    (``extra_party_ids``) shared only the products it named in that offer
    (``shared_product_ids``), not its catalogue."""
    authorize(actor.user, Action.VIEW_OFFERS)
    me = actor.organization_id
    own_and_partners = partners.active_partner_ids(me) | {me}
    ids = own_and_partners | set(extra_party_ids)
    organizations = list(
        db.session.scalars(
            sa.select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)
        )
    )
    products: dict[int, list[Product]] = {}
    for product in db.session.scalars(
        sa.select(Product)
        .where(
            sa.or_(
                Product.organization_id.in_(own_and_partners),
                sa.and_(Product.organization_id.in_(ids), Product.id.in_(shared_product_ids)),
            ),
            Product.archived_at.is_(None),
        )
        .order_by(Product.name)
    ):
        products.setdefault(product.organization_id, []).append(product)
    return FormChoices([o for o in organizations if o.id != me], products)


def partner_choices(actor: Actor) -> list[Organization]:
    """The partners an offers list can be narrowed to: the company's active partners."""
    authorize(actor.user, Action.VIEW_OFFERS)
    return partners.active_partners(actor.organization_id)


def expiry_at(day: date) -> datetime:
    """An offer's expiry from the day chosen: the end of that day (23:59:59 UTC)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def clean_text(
    value: str, *, field_name: str, label: str, max_length: int, required: bool = False
) -> str:
    """Stripped text within its length, or ValidationFailed on the named field."""
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ValidationFailed(f"{label} is required.", field=field_name)
    if len(cleaned) > max_length:
        raise ValidationFailed(
            f"{label} must be at most {max_length:,} characters.", field=field_name
        )
    return cleaned


def validated_terms(terms: TermsInput, party_ids: Sequence[int]) -> dict[str, object]:
    """Check the terms against the offer's parties; return the revision's column values."""
    title = clean_name(terms.title, field="title", label="Title", max_length=200)
    value_proposition = clean_text(
        terms.value_proposition,
        field_name="value_proposition",
        label="Value proposition",
        max_length=5000,
    )
    audience = clean_text(
        terms.audience, field_name="audience", label="Target audience", max_length=2000
    )
    change_note = clean_text(
        terms.change_note, field_name="change_note", label="Note", max_length=2000
    )
    currency = _checked_dates_budget_and_goals(terms)
    _check_parties_and_shares(terms, party_ids)
    _check_products(terms)
    placements = validated_placements(terms)
    return {
        "title": title,
        "value_proposition": value_proposition,
        "audience": audience,
        "change_note": change_note,
        "start_date": terms.start_date,
        "end_date": terms.end_date,
        "currency": currency,
        "total_budget_minor": terms.total_budget_minor,
        "target_reach": terms.target_reach,
        "target_leads": terms.target_leads,
        "target_revenue_minor": terms.target_revenue_minor,
        "party_terms": [
            {
                "organization_id": p.organization_id,
                "product_ids": sorted(set(p.product_ids)),
                "budget_share_bp": p.budget_share_bp,
                "revenue_share_bp": p.revenue_share_bp,
            }
            for p in sorted(terms.parties, key=lambda p: p.organization_id)
        ],
        "placements": placements,
    }


def _checked_dates_budget_and_goals(terms: TermsInput) -> str:
    """Check the schedule, the budget and the goals; return the checked currency code."""
    if terms.start_date is None:
        raise ValidationFailed("Start date is required.", field="start_date")
    if terms.end_date is None:
        raise ValidationFailed("End date is required.", field="end_date")
    if terms.end_date < terms.start_date:
        raise ValidationFailed("The end date must be on or after the start date.", field="end_date")
    dates_allowed.check_period(terms.start_date, terms.end_date)
    currency = check_currency(terms.currency)
    if terms.total_budget_minor <= 0:
        raise ValidationFailed("The total budget must be greater than zero.", field="total_budget")
    for name, value in (
        ("target_reach", terms.target_reach),
        ("target_leads", terms.target_leads),
        ("target_revenue", terms.target_revenue_minor),
    ):
        if value is not None and value < 0:
            raise ValidationFailed("Goals cannot be negative.", field=name)
    return currency


def _check_parties_and_shares(terms: TermsInput, party_ids: Sequence[int]) -> None:
    """Every party's terms exactly once; budget and revenue shares each add up to 100%."""
    given = {p.organization_id for p in terms.parties}
    if given != set(party_ids) or len(terms.parties) != len(party_ids):
        raise ValidationFailed("Give the terms of every party, once each.", field="parties")
    for points_name, label in (("budget_share_bp", "Budget"), ("revenue_share_bp", "Revenue")):
        points = [getattr(p, points_name) for p in terms.parties]
        if any(p < 0 or p > SHARE_TOTAL for p in points):
            raise ValidationFailed(
                f"{label} shares must be between 0% and 100%.",
                field=points_name.replace("_bp", "s"),
            )
        if sum(points) != SHARE_TOTAL:
            total = sum(points)
            raise ValidationFailed(
                f"{label} shares add up to {total // 100}.{total % 100:02d}%; they must add up "
                "to exactly 100%.",
                field=points_name.replace("_bp", "s"),
            )


def _check_products(terms: TermsInput) -> None:
    """Each party names only its own products that are not archived."""
    wanted_products = {pid for p in terms.parties for pid in p.product_ids}
    owners = (
        dict(
            db.session.execute(
                sa.select(Product.id, Product.organization_id).where(
                    Product.id.in_(wanted_products), Product.archived_at.is_(None)
                )
            ).all()
        )
        if wanted_products
        else {}
    )
    for party in terms.parties:
        for product_id in party.product_ids:
            if owners.get(product_id) != party.organization_id:
                raise ValidationFailed(
                    "Each party can only offer its own, current products.", field="products"
                )

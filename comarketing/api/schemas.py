"""Request and response schemas of the JSON API (marshmallow, documented through APIFlask).

Integers are strict everywhere: a JSON body's ``2.0`` or ``1e3`` is not an integer. Money is
one shape everywhere: ``{"amount": "1234.50", "currency": "EUR", "minor": 123450}``. Ratios are
decimal strings rounded half up to 4 places (money ratios in the currency's major units), or
null where the denominator is zero. Dates are ISO 8601 (``2030-03-01``), timestamps ISO 8601 in UTC.

The schemas and serialisers here are shared by the route modules; a schema used by one route
module only lives in that module.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import OneOf, Range

from comarketing.api.models import TokenScope
from comarketing.campaigns.models import CampaignKind, CampaignStatus, Channel
from comarketing.dates_allowed import Date
from comarketing.money import exponent, to_decimal_string
from comarketing.policy import Role
from comarketing.reports.services import PRESETS

# Postgres INTEGER ids; Werkzeug refuses larger path values (404) before the database sees them.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
MAX_PER_PAGE = 100
_DIGITS = re.compile(r"^[0-9]{1,10}$", re.ASCII)


class QueryInteger(Integer):
    """A strict integer that may come from the query string, where every value is text: only
    plain ASCII digits are read ("2"), never " 2", "2.0", "1e3" or "+2"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and _DIGITS.match(value):
            value = int(value)
        return super()._deserialize(value, attr, data, **kwargs)


def money(minor: int | None, currency: str) -> dict[str, Any] | None:
    if minor is None:
        return None
    return {"amount": to_decimal_string(minor, currency), "currency": currency, "minor": minor}


def ratio(value: Fraction | None, scale: int = 1) -> str | None:
    if value is None:
        return None
    exact = Decimal(value.numerator * scale) / Decimal(value.denominator)
    return str(exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def money_ratio(value: Fraction | None, currency: str) -> str | None:
    """Money per unit (CPM, CPL ...) in major units of the currency, 4 decimals."""
    if value is None:
        return None
    return ratio(value / (10 ** exponent(currency)))


# ---------------------------------------------------------------------------------------------
# Errors


class FieldError(Schema):
    location = String(
        required=True, metadata={"description": "json, query, path or header", "example": "json"}
    )
    field = String(
        required=True, allow_none=True, metadata={"description": "dotted path of the input"}
    )
    message = String(required=True)


class ErrorDetail(Schema):
    status = Integer(strict=True, required=True, metadata={"example": 422})
    message = String(required=True, metadata={"example": "The input is not valid."})
    field = String(
        required=True,
        allow_none=True,
        metadata={"description": "The offending input, where there is one.", "example": "name"},
    )
    errors = List(Nested(FieldError), required=True)


class Error(Schema):
    """Every error under /api/v1 has this shape."""

    error = Nested(ErrorDetail, required=True)


# ---------------------------------------------------------------------------------------------
# Shared pieces


def conversions_out() -> String:
    """Conversions as answered: exact to two decimals, as text ("2.47"); null: not reported."""
    return String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Conversions, exact to two decimals, as text; null: not reported",
            "example": "2.47",
        },
    )


class Money(Schema):
    amount = String(required=True, metadata={"example": "1234.50"})
    currency = String(required=True, metadata={"example": "EUR"})
    minor = Integer(strict=True, required=True, metadata={"example": 123450})


class OrganizationRef(Schema):
    id = Integer(strict=True, required=True)
    name = String(required=True)


class PageQuery(Schema):
    page = QueryInteger(
        load_default=1, validate=Range(min=1, max=MAX_PAGE), metadata={"description": "From 1."}
    )
    per_page = QueryInteger(
        load_default=25,
        validate=Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"1 to {MAX_PER_PAGE}."},
    )


class CampaignPath(Schema):
    # Documents the id's range; Werkzeug has already read the digits.
    campaign_id = QueryInteger(required=True, validate=Range(min=1, max=MAX_ID))


class PlacementPath(Schema):
    placement_id = QueryInteger(required=True, validate=Range(min=1, max=MAX_ID))


class DashboardQuery(Schema):
    """The dashboard's period and filters (the ROI figures and the deduplicated reach)."""

    preset = String(
        load_default=None,
        validate=OneOf(list(PRESETS)),
        metadata={"description": "A preset period; 'custom' needs start and end."},
    )
    start = Date(load_default=None)
    end = Date(load_default=None)
    partner = QueryInteger(load_default=None, validate=Range(min=1, max=MAX_ID))
    channel = String(load_default=None, validate=OneOf([c.value for c in Channel]))
    campaign = QueryInteger(load_default=None, validate=Range(min=1, max=MAX_ID))


# ---------------------------------------------------------------------------------------------
# /me


class MeUser(Schema):
    id = Integer(strict=True, required=True)
    email = String(required=True)
    name = String(required=True)
    role = String(required=True, validate=OneOf([r.value for r in Role]))
    time_zone = String(
        required=True,
        allow_none=True,
        metadata={"description": "The person's own IANA zone; null: the organization's."},
    )
    reads_in = String(
        required=True,
        metadata={"description": "The IANA zone this person reads times in (own, else company's)."},
    )


class MeOrganization(Schema):
    id = Integer(strict=True, required=True)
    name = String(required=True)
    time_zone = String(
        required=True, metadata={"description": "IANA zone; deadlines end at its midnights."}
    )
    country = String(
        required=True,
        metadata={"description": "ISO 3166 alpha-2 code for public holidays; empty for none."},
    )


class MeToken(Schema):
    scope = String(required=True, validate=OneOf([s.value for s in TokenScope]))


class Me(Schema):
    user = Nested(MeUser, required=True)
    organization = Nested(MeOrganization, required=True)
    token = Nested(MeToken, required=True)


# ---------------------------------------------------------------------------------------------
# Campaigns and placements


class Targets(Schema):
    reach = Integer(strict=True, required=True, allow_none=True)
    leads = Integer(strict=True, required=True, allow_none=True)
    revenue = Nested(Money, required=True, allow_none=True)


class CampaignSummary(Schema):
    id = Integer(strict=True, required=True)
    kind = String(required=True, validate=OneOf([k.value for k in CampaignKind]))
    name = String(required=True)
    status = String(required=True, validate=OneOf([s.value for s in CampaignStatus]))
    start_date = Date(required=True)
    end_date = Date(required=True)
    currency = String(required=True)
    total_budget = Nested(Money, required=True)
    partners = List(
        String(),
        required=True,
        metadata={"description": "Names of the other parties (empty for a solo campaign)."},
    )


class CampaignPage(Schema):
    items = List(Nested(CampaignSummary), required=True)
    page = Integer(strict=True, required=True)
    per_page = Integer(strict=True, required=True)
    total = Integer(strict=True, required=True)
    has_more = Boolean(required=True)


class Party(Schema):
    organization = Nested(OrganizationRef, required=True)
    budget_share_bp = Integer(
        strict=True, required=True, metadata={"description": "Basis points: 10000 = 100 %."}
    )
    revenue_share_bp = Integer(strict=True, required=True)


class CampaignDetail(Schema):
    id = Integer(strict=True, required=True)
    kind = String(required=True, validate=OneOf([k.value for k in CampaignKind]))
    name = String(required=True)
    description = String(required=True)
    status = String(required=True, validate=OneOf([s.value for s in CampaignStatus]))
    start_date = Date(required=True)
    end_date = Date(required=True)
    currency = String(required=True)
    total_budget = Nested(Money, required=True)
    targets = Nested(Targets, required=True)
    parties = List(Nested(Party), required=True)
    offer_id = Integer(strict=True, required=True, allow_none=True)
    created_at = DateTime(required=True)


class PlatformName(Schema):
    id = Integer(strict=True, required=True)
    platform = String(required=True, metadata={"description": "e.g. Meta; may be empty"})
    name = String(required=True, metadata={"description": "as the platform shows it"})


class Placement(Schema):
    id = Integer(strict=True, required=True)
    campaign_id = Integer(strict=True, required=True)
    owner = Nested(OrganizationRef, required=True)
    channel = String(required=True)
    name = String(required=True)
    url = String(required=True)
    start_date = Date(required=True)
    end_date = Date(required=True)
    planned_cost = Nested(Money, required=True)
    audience_size = Integer(strict=True, required=True, allow_none=True)
    flight_reach = Integer(
        strict=True,
        required=True,
        allow_none=True,
        metadata={
            "description": "People: the platform's own deduplicated reach over the placement's "
            "whole flight (start_date to end_date); null: not reported."
        },
    )
    platform_names = List(
        Nested(PlatformName),
        required=True,
        metadata={
            "description": "Names and ids the placement appears under on ad platforms: rows of "
            "a results file carrying one of them find this placement."
        },
    )


class PlacementList(Schema):
    items = List(Nested(Placement), required=True)

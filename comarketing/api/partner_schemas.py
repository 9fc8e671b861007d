"""Schemas of the partners API: partnerships and invitations as the partner directory shows
them, and the company's products."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Email, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from comarketing.api import schemas
from comarketing.partners import listing
from comarketing.partners.models import PartnershipStatus


class PartnershipQuery(schemas.PageQuery):
    group = String(
        load_default=None,
        validate=OneOf(list(listing.GROUPS)),
        metadata={
            "description": "active; received or sent (open invitations); past (declined, "
            "cancelled, ended or expired)."
        },
    )


class PartnershipPath(Schema):
    partnership_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class ProductPath(Schema):
    product_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class InviteIn(Schema):
    email = Email(
        required=True,
        validate=Length(max=254),
        metadata={
            "description": "A person at the company you invite.",
            "example": "jo@beta.example",
        },
    )
    message = String(load_default="", validate=Length(max=2000))


class ProductsQuery(Schema):
    archived = Boolean(load_default=False, metadata={"description": "Include archived ones."})


class ProductIn(Schema):
    name = String(required=True, validate=Length(min=1, max=120))
    category = String(load_default="", validate=Length(max=80))
    description = String(load_default="", validate=Length(max=5000))


class ProductPatch(Schema):
    name = String(load_default=None, validate=Length(min=1, max=120))
    category = String(load_default=None, validate=Length(max=80))
    description = String(load_default=None, validate=Length(max=5000))


class ProductOut(Schema):
    id = Integer(strict=True, required=True)
    name = String(required=True)
    category = String(required=True)
    description = String(required=True)
    archived = Boolean(required=True)
    created_at = DateTime(required=True)
    updated_at = DateTime(required=True)


class ProductList(Schema):
    items = List(Nested(ProductOut), required=True)


class PartnerProduct(Schema):
    id = Integer(strict=True, required=True)
    name = String(required=True)
    category = String(required=True)


class PartnershipOut(Schema):
    id = Integer(strict=True, required=True)
    group = String(required=True, validate=OneOf(list(listing.GROUPS)))
    status = String(required=True, validate=OneOf([s.value for s in PartnershipStatus]))
    expired = Boolean(required=True, metadata={"description": "An invitation nobody answered."})
    invited_by_us = Boolean(required=True)
    partner = Nested(
        schemas.OrganizationRef,
        required=True,
        allow_none=True,
        metadata={"description": "null on the inviting side until the invitation is accepted."},
    )
    invitee_email = String(
        required=True,
        allow_none=True,
        metadata={"description": "The address you typed (inviting side only)."},
    )
    inviter_email = String(
        required=True,
        allow_none=True,
        metadata={"description": "Who invited your company (invited side only)."},
    )
    message = String(required=True)
    created_at = DateTime(required=True)
    expires_at = DateTime(required=True)
    responded_at = DateTime(required=True, allow_none=True)
    ended_at = DateTime(required=True, allow_none=True)
    products = List(
        Nested(PartnerProduct),
        required=True,
        metadata={"description": "An active partner's current products."},
    )


class PartnershipPage(Schema):
    items = List(Nested(PartnershipOut), required=True)
    page = Integer(strict=True, required=True)
    per_page = Integer(strict=True, required=True)
    total = Integer(strict=True, required=True)
    has_more = Boolean(required=True)

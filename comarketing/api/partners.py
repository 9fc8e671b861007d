"""Partnerships and products over the API: the partner directory (partners and invitations),
inviting a company, answering, cancelling and ending, and the company's own products. The same
services and rules as the partner pages (``partners.services``, ``partners.invitations``,
``partners.listing``): the inviting side sees only the address it typed until the invited
company accepts, and another company's partnership or product answers 404 like a missing one.

Invitations count against the company's hourly allowance together with the page's
(``PARTNER_INVITATION_LIMIT_PER_COMPANY``): the API is no way around it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from comarketing.api import partner_schemas as ps
from comarketing.api import services
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.idempotency import idempotent
from comarketing.extensions import limiter
from comarketing.partners import invitations, listing
from comarketing.partners import services as partners
from comarketing.partners.models import Product
from comarketing.partners.services import PartnerView

# The page's bucket too (partners/views.py): one allowance per company, page or API.
INVITATION_SCOPE = "partner-invitation-company"


def _company_of_token() -> str:
    """The rate-limit key of an invitation: the token's company. The limiter runs before
    authentication, so the token is looked up here (once per request); an unknown token gets
    a key of its own and is refused by authentication right after."""
    if "invitation_company_key" not in g:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = services.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        g.invitation_company_key = f"company:{found[0].organization_id if found else 0}"
    return str(g.invitation_company_key)


def _invited(response: Response) -> bool:
    return response.status_code == 201


def _partnership(view: PartnerView) -> dict[str, Any]:
    p, me = view.partnership, current_actor().organization_id
    ours = p.inviter_organization_id == me
    return {
        "id": p.id,
        "group": listing.group_of(p, me),
        "status": p.status,
        "expired": p.is_expired,
        "invited_by_us": ours,
        "partner": {"id": view.partner.id, "name": view.partner.name} if view.partner else None,
        "invitee_email": p.invitee_email if ours else None,
        "inviter_email": None if ours else view.inviter_email,
        "message": p.message,
        "created_at": p.created_at,
        "expires_at": p.expires_at,
        "responded_at": p.responded_at,
        "ended_at": p.ended_at,
        "products": [{"id": x.id, "name": x.name, "category": x.category} for x in view.products],
    }


def _product(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "category": product.category,
        "description": product.description,
        "archived": product.is_archived,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


# ---------------------------------------------------------------------------------------------
# Partnerships (and products below): the answer of a write is defined before the list that
# nests it, so the OpenAPI document names one schema for both


@bp.post("/partnerships")
@limiter.shared_limit(
    lambda: current_app.config["PARTNER_INVITATION_LIMIT_PER_COMPANY"],
    scope=INVITATION_SCOPE,
    key_func=_company_of_token,
    deduct_when=_invited,
    override_defaults=False,
)
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.InviteIn, location="json", arg_name="body")
@bp.output(
    ps.PartnershipOut,
    status_code=201,
    links={
        "getPartnership": {
            "operationId": "getPartnership",
            "parameters": {"partnership_id": "$response.body#/id"},
        }
    },
)
@bp.doc(operation_id="invitePartner", responses=sorted({*ERRORS, 415, 429}))
def invite_partner(body: dict[str, str]) -> Any:
    """Invite a partner company

    By the email of a person there. The answer is the same whoever the address belongs to (a
    company on the platform or not, a partner already or not): the invitation as you see it,
    by the address you typed. The same address again while its invitation is open gives that
    invitation back. Partner managers and admins; at most `PARTNER_INVITATION_LIMIT_PER_COMPANY`
    a company (page and API together), then 429.
    """
    actor = current_actor()
    partnership = invitations.invite_partner(actor, email=body["email"], message=body["message"])
    return _partnership(listing.partnership_view(actor, partnership.id)), 201


@bp.get("/partnerships")
@bp.auth_required(auth)
@bp.input(ps.PartnershipQuery, location="query", arg_name="query")
@bp.output(ps.PartnershipPage)
@bp.doc(operation_id="listPartnerships", responses=ERRORS)
def list_partnerships(query: dict[str, Any]) -> dict[str, Any]:
    """List partners and invitations

    Your company's partnerships and invitations, newest first, as the partner directory shows
    them: an active partner with its current products; an invitation you sent by the address
    you typed (the company behind it is named only once it accepts).
    """
    page = listing.partnerships_page(
        current_actor(), group=query["group"], page=query["page"], per_page=query["per_page"]
    )
    return {
        "items": [_partnership(view) for view in page.items],
        "page": page.page,
        "per_page": query["per_page"],
        "total": page.total,
        "has_more": page.has_more,
    }


@bp.get("/partnerships/<int:partnership_id>")
@bp.auth_required(auth)
@bp.input(ps.PartnershipPath, location="path", arg_name="path")
@bp.output(ps.PartnershipOut)
@bp.doc(operation_id="getPartnership", responses=ERRORS)
def get_partnership(partnership_id: int, path: dict[str, int]) -> dict[str, Any]:
    """Get a partnership or invitation"""
    return _partnership(listing.partnership_view(current_actor(), partnership_id))


def _step(partnership_id: int, step: str) -> dict[str, Any]:
    actor = current_actor()
    partners.transition(actor, partnership_id, step)
    return _partnership(listing.partnership_view(actor, partnership_id))


@bp.post("/partnerships/<int:partnership_id>/accept")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.PartnershipPath, location="path", arg_name="path")
@bp.output(ps.PartnershipOut)
@bp.doc(operation_id="acceptPartnership", responses=ERRORS)
def accept_partnership(partnership_id: int, path: dict[str, int]) -> Any:
    """Accept an invitation

    An open invitation to your company (403 for the inviting side; 409 once answered or
    expired). Partner managers and admins.
    """
    return _step(partnership_id, "accept")


@bp.post("/partnerships/<int:partnership_id>/decline")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.PartnershipPath, location="path", arg_name="path")
@bp.output(ps.PartnershipOut)
@bp.doc(operation_id="declinePartnership", responses=ERRORS)
def decline_partnership(partnership_id: int, path: dict[str, int]) -> Any:
    """Decline an invitation

    An open invitation to your company; the inviter learns it was declined, not by whom.
    """
    return _step(partnership_id, "decline")


@bp.post("/partnerships/<int:partnership_id>/cancel")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.PartnershipPath, location="path", arg_name="path")
@bp.output(ps.PartnershipOut)
@bp.doc(operation_id="cancelPartnershipInvitation", responses=ERRORS)
def cancel_invitation(partnership_id: int, path: dict[str, int]) -> Any:
    """Cancel an invitation you sent

    An open invitation of your company (403 for the invited side).
    """
    return _step(partnership_id, "cancel")


@bp.post("/partnerships/<int:partnership_id>/end")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.PartnershipPath, location="path", arg_name="path")
@bp.output(ps.PartnershipOut)
@bp.doc(operation_id="endPartnership", responses=ERRORS)
def end_partnership(partnership_id: int, path: dict[str, int]) -> Any:
    """End a partnership

    An active partnership, by either side; the other is told. 409 if it is not active.
    """
    return _step(partnership_id, "end")


# ---------------------------------------------------------------------------------------------
# Products


@bp.post("/products")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.ProductIn, location="json", arg_name="body")
@bp.output(
    ps.ProductOut,
    status_code=201,
    links={
        "updateProduct": {
            "operationId": "updateProduct",
            "parameters": {"product_id": "$response.body#/id"},
        }
    },
)
@bp.doc(operation_id="createProduct", responses=sorted({*ERRORS, 415}))
def create_product(body: dict[str, str]) -> Any:
    """Add a product

    Names are unique among your current products (422, `name`). Partner managers and admins.
    """
    return _product(partners.create_product(current_actor(), **body)), 201


@bp.get("/products")
@bp.auth_required(auth)
@bp.input(ps.ProductsQuery, location="query", arg_name="query")
@bp.output(ps.ProductList)
@bp.doc(operation_id="listProducts", responses=ERRORS)
def list_products(query: dict[str, bool]) -> dict[str, Any]:
    """List your company's products

    Current ones by name (`archived=true`: the archived ones too, after them).
    """
    items = partners.list_products(current_actor(), include_archived=query["archived"])
    return {"items": [_product(p) for p in items]}


@bp.patch("/products/<int:product_id>")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.ProductPath, location="path", arg_name="path")
@bp.input(ps.ProductPatch, location="json", arg_name="body")
@bp.output(ps.ProductOut)
@bp.doc(operation_id="updateProduct", responses=sorted({*ERRORS, 415}))
def update_product(product_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Change a product

    The fields given; the others keep their values.
    """
    return _product(partners.update_product(current_actor(), product_id, **body))


@bp.post("/products/<int:product_id>/archive")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.ProductPath, location="path", arg_name="path")
@bp.output(ps.ProductOut)
@bp.doc(operation_id="archiveProduct", responses=ERRORS)
def archive_product(product_id: int, path: dict[str, int]) -> Any:
    """Archive a product

    It can no longer be named in new terms; archiving an archived product changes nothing.
    """
    return _product(partners.set_product_archived(current_actor(), product_id, archived=True))


@bp.post("/products/<int:product_id>/restore")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ps.ProductPath, location="path", arg_name="path")
@bp.output(ps.ProductOut)
@bp.doc(operation_id="restoreProduct", responses=ERRORS)
def restore_product(product_id: int, path: dict[str, int]) -> Any:
    """Restore an archived product

    Refused (422, `name`) while a current product has its name.
    """
    return _product(partners.set_product_archived(current_actor(), product_id, archived=False))

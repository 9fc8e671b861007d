"""A campaign's money over the API: its ledger, expense claims (claim with proof, confirm,
dispute, revise, withdraw), payments between the parties (record, confirm, reject) and the
settlement. The same services as the campaign page (``budgets.claims``,
``budgets.claim_responses``, ``budgets.payments``); a claim or payment named by id alone is
found through the caller's campaigns (``budgets.ledger_view``), so another company's answers
404 exactly like a missing one.

Claims, revisions and payments take a JSON body, or ``multipart/form-data`` with the proof
files (``proof``) beside the same fields. The OpenAPI document describes both (see
:func:`document_uploads`).
"""

from __future__ import annotations

import copy
from typing import Any

from apiflask import HTTPError, Schema
from apiflask.schema_adapters.marshmallow import parser
from flask import Response, request
from werkzeug.datastructures import FileStorage

from comarketing.api import ledger_schemas as out
from comarketing.api import plain_json
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.idempotency import idempotent
from comarketing.api.schemas import CampaignPath, PageQuery
from comarketing.budgets import claim_responses, claims, ledger_view, payments
from comarketing.budgets.proofs import MAX_FILES, ProofUpload
from comarketing.campaigns.access import get_visible_campaign
from comarketing.context import Actor

MULTIPART = "multipart/form-data"
# The write operations also answer 415 for a body that is neither JSON nor multipart.
WRITE_ERRORS = sorted({*ERRORS, 415})


def _body(json_schema: type[Schema], upload_schema: type[Schema]) -> dict[str, Any]:
    """The request body by its content type: JSON, or multipart with proof files."""
    if request.mimetype == MULTIPART:
        return dict(parser.parse(upload_schema(), request, location="form_and_files"))
    if request.mimetype in ("application/json", "") or request.is_json:
        return dict(parser.parse(json_schema(), request, location="json"))
    raise HTTPError(415, "Send the body as application/json or multipart/form-data.")


def _uploads(value: Any) -> list[ProofUpload]:
    files = value if isinstance(value, list) else [value] if value is not None else []
    return [
        ProofUpload(item.stream, item.filename or "proof")
        for item in files
        if isinstance(item, FileStorage)
    ]


def _claim(claim_id: int) -> dict[str, Any]:
    money, record = ledger_view.claim_record(current_actor(), claim_id)
    return out.claim(money, record)


def _payment(payment_id: int) -> dict[str, Any]:
    money, status = ledger_view.payment_record(current_actor(), payment_id)
    return out.payment(money, status)


# ---------------------------------------------------------------------------------------------
# Reads


@bp.get("/campaigns/<int:campaign_id>/ledger")
@bp.auth_required(auth)
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.output(out.CampaignLedger)
@bp.doc(operation_id="getCampaignLedger", responses=ERRORS)
def campaign_ledger(campaign_id: int, path: dict[str, int]) -> Response:
    """Get a campaign's ledger

    The totals — committed, confirmed, pending, disputed, and *spent* (confirmed + pending) —
    and the newest 100 of each list: ledger entries (commitments, expenses, reversals),
    claims (each with all its versions, answers and proof) and payments with their answers.
    `entries_truncated`, `claims_truncated` and `payments_truncated` say when a list has more:
    `listLedgerEntries`, `listClaims` and `listPayments` page through each. Every party reads
    it.
    """
    actor = current_actor()
    get_visible_campaign(actor, campaign_id)  # 404 for another company's, kept or not
    # Everything it shows (the campaign, its parties' names, placements, entries, claims and
    # payments) raises the parties' data version when it changes.
    return plain_json.kept_answer(
        actor.organization_id, "ledger", campaign_id, lambda: ledger_body(actor, campaign_id)
    )


def ledger_body(actor: Actor, campaign_id: int) -> dict[str, Any]:
    """``getCampaignLedger``'s answer, before dates become text."""
    view = ledger_view.campaign_ledger(actor, campaign_id)
    money = view.money
    currency = money.campaign.currency
    return {
        "campaign_id": money.campaign.id,
        "currency": currency,
        "totals": out.totals(money.totals, currency),
        "entries": [out.entry(money, row) for row in view.entries],
        "entries_truncated": view.entries_truncated,
        "claims": [out.claim(money, record) for record in view.claims],
        "claims_truncated": view.claims_truncated,
        "payments": [out.payment(money, status) for status in view.payments],
        "payments_truncated": view.payments_truncated,
    }


def page_body(page: ledger_view.Page[Any], query: dict[str, int], item: Any) -> dict[str, Any]:
    """A list operation's answer, before dates become text."""
    return {
        "campaign_id": page.names.campaign.id,
        "items": [item(page.names, row) for row in page.items],
        "page": query["page"],
        "per_page": query["per_page"],
        "total": page.total,
        "has_more": query["page"] * query["per_page"] < page.total,
    }


@bp.get("/campaigns/<int:campaign_id>/ledger/entries")
@bp.auth_required(auth)
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(out.EntryPage)
@bp.doc(operation_id="listLedgerEntries", responses=ERRORS)
def list_ledger_entries(campaign_id: int, path: dict[str, int], query: dict[str, int]) -> Response:
    """List a campaign's ledger entries

    Commitments, expenses and reversals, newest first, a page at a time (`page` from 1,
    `per_page` up to 100). Every party reads them.
    """
    page = ledger_view.entry_page(current_actor(), campaign_id, query["page"], query["per_page"])
    return plain_json.answer(page_body(page, query, out.entry))


@bp.get("/campaigns/<int:campaign_id>/claims")
@bp.auth_required(auth)
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(out.ClaimPage)
@bp.doc(operation_id="listClaims", responses=ERRORS)
def list_claims(campaign_id: int, path: dict[str, int], query: dict[str, int]) -> Response:
    """List a campaign's claims

    Expense claims, newest first, a page at a time (`page` from 1, `per_page` up to 100), each
    with its state and all its versions, answers and proof. Every party reads them.
    """
    page = ledger_view.claim_page(current_actor(), campaign_id, query["page"], query["per_page"])
    return plain_json.answer(page_body(page, query, out.claim))


@bp.get("/campaigns/<int:campaign_id>/payments")
@bp.auth_required(auth)
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(out.PaymentPage)
@bp.doc(operation_id="listPayments", responses=ERRORS)
def list_payments(campaign_id: int, path: dict[str, int], query: dict[str, int]) -> Response:
    """List a campaign's payments

    Payments between the parties, newest first, a page at a time (`page` from 1, `per_page`
    up to 100), each with its state and answer. Every party reads them.
    """
    page = ledger_view.payment_page(current_actor(), campaign_id, query["page"], query["per_page"])
    return plain_json.answer(page_body(page, query, out.payment))


@bp.get("/campaigns/<int:campaign_id>/settlement")
@bp.auth_required(auth)
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.output(out.CampaignSettlement)
@bp.doc(operation_id="getCampaignSettlement", responses=ERRORS)
def campaign_settlement(campaign_id: int, path: dict[str, int]) -> dict[str, Any]:
    """Get a campaign's settlement

    Who owes whom: per party its budget (committed, confirmed, pending, disputed), what it paid
    (confirmed claims only), its agreed share of that, the confirmed payments it sent and
    received, and its balance; the transfers that square the balances; `square` only when
    every balance is zero. Pending and disputed claims count for nobody's balance.
    """
    return out.settlement(ledger_view.campaign_money(current_actor(), campaign_id, newest=0))


@bp.get("/claims/<int:claim_id>")
@bp.auth_required(auth)
@bp.input(out.ClaimPath, location="path", arg_name="path")
@bp.output(out.ClaimOut)
@bp.doc(operation_id="getClaim", responses=ERRORS)
def get_claim(claim_id: int, path: dict[str, int]) -> dict[str, Any]:
    """Get a claim

    One claim with its state and every version (terms, answers, proof). Parties of its
    campaign only; any other claim answers 404 like a missing one.
    """
    return _claim(claim_id)


# ---------------------------------------------------------------------------------------------
# Claims


@bp.post("/campaigns/<int:campaign_id>/claims")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.input(out.ClaimIn, location="json", arg_name="raw", validation=False)
@bp.output(out.ClaimOut, status_code=201)
@bp.doc(operation_id="createClaim", responses=WRITE_ERRORS)
def create_claim(campaign_id: int, path: dict[str, int], raw: Any) -> Any:
    """Claim an expense

    Your company paid for a placement of the campaign: the amount, the service period it pays
    for (within the campaign's dates), the day it was paid (not in the future), a note, and —
    sent as `multipart/form-data` — proof files (`proof`, PDF or images). Pending until every
    other party confirms it or its confirmation window passes (confirmed at once on a solo
    campaign). Claimed spend may not pass the commitments (422, `amount`) unless an admin
    gives `override_reason`. Partner managers and admins, with a write token.
    """
    body = _body(out.ClaimIn, out.ClaimUploadIn)
    actor = current_actor()
    status = claims.create_claim(
        actor,
        campaign_id,
        organization_id=body["organization_id"] or actor.organization_id,
        placement_id=body["placement_id"],
        terms=claims.ClaimTerms(
            amount_minor=body["amount_minor"],
            service_from=body["service_from"],
            service_to=body["service_to"],
            paid_on=body["paid_on"],
            note=body["note"] or "",
        ),
        proofs=_uploads(body.get("proof")),
        currency=body["currency"],
        override_reason=body["override_reason"] or None,
    )
    return _claim(status.claim.id), 201


@bp.post("/claims/<int:claim_id>/confirm")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(out.ClaimPath, location="path", arg_name="path")
@bp.input(out.ConfirmIn, location="json", arg_name="body")
@bp.output(out.ClaimOut)
@bp.doc(operation_id="confirmClaim", responses=ERRORS)
def confirm_claim(claim_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Confirm a partner's claim

    Your company confirms the claim's current version (give `version` to be sure it is the one
    you looked at: 409 if it was revised). Approvers, admins and partner managers of a party
    other than the claimant; one answer per company and version (409 after that).
    """
    actor = current_actor()
    campaign_id = ledger_view.claim_campaign_id(actor, claim_id)
    claim_responses.confirm_claim(actor, campaign_id, claim_id, version_number=body["version"])
    return _claim(claim_id)


@bp.post("/claims/<int:claim_id>/dispute")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(out.ClaimPath, location="path", arg_name="path")
@bp.input(out.DisputeIn, location="json", arg_name="body")
@bp.output(out.ClaimOut)
@bp.doc(operation_id="disputeClaim", responses=ERRORS)
def dispute_claim(claim_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Dispute a partner's claim

    Your company disputes the claim's current version, with a `reason`: it counts for nobody's
    settlement until its author revises or withdraws it. Same people as confirming.
    """
    actor = current_actor()
    campaign_id = ledger_view.claim_campaign_id(actor, claim_id)
    claim_responses.dispute_claim(
        actor, campaign_id, claim_id, reason=body["reason"], version_number=body["version"]
    )
    return _claim(claim_id)


@bp.post("/claims/<int:claim_id>/revise")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(out.ClaimPath, location="path", arg_name="path")
@bp.input(out.ReviseIn, location="json", arg_name="raw", validation=False)
@bp.output(out.ClaimOut)
@bp.doc(operation_id="reviseClaim", responses=WRITE_ERRORS)
def revise_claim(claim_id: int, path: dict[str, int], raw: Any) -> Any:
    """Revise your claim

    A new version with a new amount, new proof (multipart, `proof`) or other terms; what is not
    given stays, earlier proof included. The previous version's entry is reversed, a new one
    posted, and the other parties answer again. The claimant's partner managers and admins.
    """
    body = _body(out.ReviseIn, out.ReviseUploadIn)
    actor = current_actor()
    campaign_id = ledger_view.claim_campaign_id(actor, claim_id)
    claims.revise_claim(
        actor,
        campaign_id,
        claim_id,
        amount_minor=body["amount_minor"],
        service_from=body["service_from"],
        service_to=body["service_to"],
        paid_on=body["paid_on"],
        note=body["note"],
        proofs=_uploads(body.get("proof")),
        override_reason=body["override_reason"] or None,
    )
    return _claim(claim_id)


@bp.post("/claims/<int:claim_id>/withdraw")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(out.ClaimPath, location="path", arg_name="path")
@bp.input(out.WithdrawIn, location="json", arg_name="body")
@bp.output(out.ClaimOut)
@bp.doc(operation_id="withdrawClaim", responses=ERRORS)
def withdraw_claim(claim_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Withdraw your claim

    Its current entry is reversed; it counts for nothing from then on. The claimant's partner
    managers and admins.
    """
    actor = current_actor()
    campaign_id = ledger_view.claim_campaign_id(actor, claim_id)
    claims.withdraw_claim(
        actor,
        campaign_id,
        claim_id,
        reason=body["reason"] or "",
        override_reason=body["override_reason"] or None,
    )
    return _claim(claim_id)


# ---------------------------------------------------------------------------------------------
# Payments


@bp.post("/campaigns/<int:campaign_id>/payments")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.input(out.PaymentIn, location="json", arg_name="raw", validation=False)
@bp.output(out.PaymentOut, status_code=201)
@bp.doc(operation_id="recordPayment", responses=WRITE_ERRORS)
def record_payment(campaign_id: int, path: dict[str, int], raw: Any) -> Any:
    """Record a payment to a partner

    Your company paid another party of the campaign to square it: amount, date (not in the
    future), reference and — as `multipart/form-data` — an optional proof file (`proof`).
    Pending until the receiver confirms it; only confirmed payments count in the settlement.
    Partner managers and admins.
    """
    body = _body(out.PaymentIn, out.PaymentUploadIn)
    files = _uploads(body.get("proof"))
    status = payments.record_payment(
        current_actor(),
        campaign_id,
        to_organization_id=body["to_organization_id"],
        amount_minor=body["amount_minor"],
        paid_on=body["paid_on"],
        reference=body["reference"] or "",
        currency=body["currency"],
        proof=files[0] if files else None,
    )
    return _payment(status.payment.id), 201


@bp.post("/payments/<int:payment_id>/confirm")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(out.PaymentPath, location="path", arg_name="path")
@bp.output(out.PaymentOut)
@bp.doc(operation_id="confirmPayment", responses=ERRORS)
def confirm_payment(payment_id: int, path: dict[str, int]) -> Any:
    """Confirm a payment received

    Your company received it. Approvers, admins and partner managers of the receiving company;
    answered once (409 after that).
    """
    actor = current_actor()
    campaign_id = ledger_view.payment_campaign_id(actor, payment_id)
    payments.confirm_payment(actor, campaign_id, payment_id)
    return _payment(payment_id)


@bp.post("/payments/<int:payment_id>/reject")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(out.PaymentPath, location="path", arg_name="path")
@bp.input(out.RejectIn, location="json", arg_name="body")
@bp.output(out.PaymentOut)
@bp.doc(operation_id="rejectPayment", responses=ERRORS)
def reject_payment(payment_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Reject a payment

    Your company did not receive it as recorded: say why (`reason`). The payer may record a
    new one. Same people as confirming.
    """
    actor = current_actor()
    campaign_id = ledger_view.payment_campaign_id(actor, payment_id)
    payments.reject_payment(actor, campaign_id, payment_id, reason=body["reason"])
    return _payment(payment_id)


# ---------------------------------------------------------------------------------------------
# The OpenAPI document: the multipart form of the bodies that carry proof

UPLOADS = {
    ("/api/v1/campaigns/{campaign_id}/claims", "post"): {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": MAX_FILES,
        "description": f"Proof: PDF or image files, at most {MAX_FILES}.",
    },
    ("/api/v1/claims/{claim_id}/revise", "post"): {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": MAX_FILES,
        "description": "New proof, added to the earlier version's.",
    },
    ("/api/v1/campaigns/{campaign_id}/payments", "post"): {
        "type": "string",
        "format": "binary",
        "description": "Optional proof: a PDF or an image.",
    },
}


def document_uploads(spec: dict[str, Any]) -> dict[str, Any]:
    """Add ``multipart/form-data`` beside each JSON body that may carry proof: the JSON
    schema's fields plus ``proof``."""
    components = spec.get("components", {}).get("schemas", {})
    for (path, method), proof in UPLOADS.items():
        operation = spec.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue
        content = operation["requestBody"]["content"]
        ref = content["application/json"]["schema"].get("$ref", "")
        form = copy.deepcopy(components.get(ref.rsplit("/", 1)[-1], {"type": "object"}))
        form.setdefault("properties", {})["proof"] = proof
        content[MULTIPART] = {"schema": form}
    return spec

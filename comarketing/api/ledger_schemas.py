"""Schemas and serialisers of the ledger API (claims, payments, settlement).

Amounts come in as ``amount_minor``: a strict integer in the campaign's minor units (cents
for EUR), never a float; they go out in the API's one money shape (``schemas.money``). A body
may be JSON, or ``multipart/form-data`` where proof files go with it: the multipart schemas
are the JSON ones with their integers read from text (digits only) and the files added.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, File, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp

from comarketing.api import schemas
from comarketing.budgets.balances import EntryRow
from comarketing.budgets.claim_states import PaymentStatus
from comarketing.budgets.claim_workflow import ClaimState, PaymentState
from comarketing.budgets.ledger_view import ClaimRecord, Money, Names, VersionRecord
from comarketing.budgets.models import ClaimResponse, EntryKind
from comarketing.budgets.posting import MAX_NOTE
from comarketing.budgets.proofs import MAX_FILES
from comarketing.dates_allowed import Date

# Ten thousand billion in major units: far beyond any campaign, far below BIGINT.
MAX_AMOUNT_MINOR = 10**15
CURRENCY = r"^[A-Z]{3}$"


def _amount(required: bool = True, integer: type[Integer] = Integer) -> Integer:
    extra = {"required": True} if required else {"load_default": None}
    kwargs: dict[str, Any] = {} if integer is schemas.QueryInteger else {"strict": True}
    return integer(
        validate=Range(min=1, max=MAX_AMOUNT_MINOR),
        metadata={
            "description": "Minor units of the campaign's currency (12345 = 123.45 EUR).",
            "example": 12345,
        },
        **kwargs,
        **extra,
    )


def _id(required: bool = True, integer: type[Integer] = Integer) -> Integer:
    extra = {"required": True} if required else {"load_default": None}
    kwargs: dict[str, Any] = {} if integer is schemas.QueryInteger else {"strict": True}
    return integer(validate=Range(min=1, max=schemas.MAX_ID), **kwargs, **extra)


def _text(limit: int, description: str, default: str | None = "") -> String:
    return String(
        load_default=default, validate=Length(max=limit), metadata={"description": description}
    )


def _currency() -> String:
    return String(
        load_default=None,
        validate=Regexp(CURRENCY, error="Give a three-letter currency code, like EUR."),
        metadata={"description": "Optional; must be the campaign's currency."},
    )


def _proofs() -> List:
    return List(
        File(),
        load_default=list,
        validate=Length(max=MAX_FILES),
        metadata={"description": f"PDF or image files, at most {MAX_FILES}."},
    )


# ---------------------------------------------------------------------------------------------
# Paths


class ClaimPath(Schema):
    claim_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class PaymentPath(Schema):
    payment_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


# ---------------------------------------------------------------------------------------------
# Inputs


class ClaimIn(Schema):
    organization_id = _id(required=False)
    placement_id = _id()
    amount_minor = _amount()
    currency = _currency()
    service_from = Date(required=True, metadata={"description": "Within the campaign's dates."})
    service_to = Date(required=True, metadata={"description": "Within the campaign's dates."})
    paid_on = Date(required=True, metadata={"description": "Not in the future."})
    note = _text(MAX_NOTE, "What the money paid for.")
    override_reason = _text(MAX_NOTE, "Admins: why past the commitments or for another party.")


class ClaimUploadIn(ClaimIn):
    organization_id = _id(required=False, integer=schemas.QueryInteger)
    placement_id = _id(integer=schemas.QueryInteger)
    amount_minor = _amount(integer=schemas.QueryInteger)
    proof = _proofs()


class ReviseIn(Schema):
    amount_minor = _amount(required=False)
    service_from = Date(load_default=None)
    service_to = Date(load_default=None)
    paid_on = Date(load_default=None)
    note = _text(MAX_NOTE, "A new note (absent: the note stays).", default=None)
    override_reason = _text(MAX_NOTE, "Admins: why past the commitments or for another party.")


class ReviseUploadIn(ReviseIn):
    amount_minor = _amount(required=False, integer=schemas.QueryInteger)
    proof = _proofs()


class ConfirmIn(Schema):
    version = Integer(
        strict=True,
        load_default=None,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "The version you looked at: 409 if the claim was revised."},
    )


class DisputeIn(ConfirmIn):
    reason = String(required=True, validate=Length(min=1, max=MAX_NOTE))


class WithdrawIn(Schema):
    reason = _text(MAX_NOTE, "Why the claim is withdrawn.")
    override_reason = _text(MAX_NOTE, "Admins withdrawing another party's claim: why.")


class PaymentIn(Schema):
    to_organization_id = _id()
    amount_minor = _amount()
    currency = _currency()
    paid_on = Date(required=True, metadata={"description": "Not in the future."})
    reference = _text(200, "The bank transfer's reference, say.")


class PaymentUploadIn(PaymentIn):
    to_organization_id = _id(integer=schemas.QueryInteger)
    amount_minor = _amount(integer=schemas.QueryInteger)
    proof = File(load_default=None, metadata={"description": "A PDF or an image."})


class RejectIn(Schema):
    reason = String(required=True, validate=Length(min=1, max=MAX_NOTE))


# ---------------------------------------------------------------------------------------------
# Outputs


class PlacementRef(Schema):
    id = Integer(strict=True, required=True)
    name = String(required=True)


class ClaimAnswer(Schema):
    organization = Nested(schemas.OrganizationRef, required=True)
    kind = String(required=True, validate=OneOf(["confirmed", "disputed", "auto_confirmed"]))
    reason = String(required=True)
    created_at = DateTime(required=True)


class ClaimProofOut(Schema):
    id = Integer(strict=True, required=True)
    filename = String(required=True)
    content_type = String(required=True)
    size = Integer(strict=True, required=True)
    sha256 = String(required=True)


class ClaimVersionOut(Schema):
    number = Integer(strict=True, required=True)
    amount = Nested(schemas.Money, required=True)
    service_from = Date(required=True)
    service_to = Date(required=True)
    paid_on = Date(required=True)
    note = String(required=True)
    ledger_entry_id = Integer(strict=True, required=True)
    reversed = Boolean(required=True, metadata={"description": "Revised or withdrawn since."})
    confirm_due_at = DateTime(required=True, allow_none=True)
    created_at = DateTime(required=True)
    answers = List(Nested(ClaimAnswer), required=True)
    proofs = List(Nested(ClaimProofOut), required=True)


class ClaimOut(Schema):
    id = Integer(strict=True, required=True)
    campaign_id = Integer(strict=True, required=True)
    organization = Nested(
        schemas.OrganizationRef, required=True, metadata={"description": "The claimant."}
    )
    placement = Nested(PlacementRef, required=True)
    source = String(required=True, validate=OneOf(["manual", "metrics"]))
    state = String(required=True, validate=OneOf([s.value for s in ClaimState]))
    amount = Nested(schemas.Money, required=True, metadata={"description": "Current version."})
    version = Integer(strict=True, required=True, metadata={"description": "Current version."})
    waiting_for = List(Nested(schemas.OrganizationRef), required=True)
    confirm_due_at = DateTime(required=True, allow_none=True)
    created_at = DateTime(required=True)
    versions = List(
        Nested(ClaimVersionOut), required=True, metadata={"description": "Oldest first."}
    )


class PaymentOut(Schema):
    id = Integer(strict=True, required=True)
    campaign_id = Integer(strict=True, required=True)
    from_organization = Nested(schemas.OrganizationRef, required=True)
    to_organization = Nested(schemas.OrganizationRef, required=True)
    amount = Nested(schemas.Money, required=True)
    paid_on = Date(required=True)
    reference = String(required=True)
    state = String(required=True, validate=OneOf([s.value for s in PaymentState]))
    reason = String(required=True, metadata={"description": "Why it was rejected."})
    answered_at = DateTime(required=True, allow_none=True)
    proof_filename = String(required=True, allow_none=True)
    created_at = DateTime(required=True)


class LedgerEntryOut(Schema):
    id = Integer(strict=True, required=True)
    kind = String(required=True, validate=OneOf([k.value for k in EntryKind]))
    organization = Nested(schemas.OrganizationRef, required=True)
    amount = Nested(schemas.Money, required=True)
    placement = Nested(PlacementRef, required=True, allow_none=True)
    reverses_id = Integer(strict=True, required=True, allow_none=True)
    reversed = Boolean(required=True)
    note = String(required=True)
    occurred_on = Date(required=True)
    override_reason = String(required=True, allow_none=True)
    source = String(required=True, validate=OneOf(["manual", "metrics"]))
    author = String(required=True, allow_none=True)
    created_at = DateTime(required=True)


class LedgerTotals(Schema):
    committed = Nested(schemas.Money, required=True)
    confirmed = Nested(schemas.Money, required=True)
    pending = Nested(schemas.Money, required=True)
    disputed = Nested(schemas.Money, required=True)
    spent = Nested(schemas.Money, required=True, metadata={"description": "Confirmed + pending."})


class LedgerPosition(Schema):
    organization = Nested(schemas.OrganizationRef, required=True)
    budget = Nested(LedgerTotals, required=True)
    paid = Nested(schemas.Money, required=True, metadata={"description": "Confirmed claims."})
    share = Nested(schemas.Money, required=True, metadata={"description": "Agreed share."})
    sent = Nested(schemas.Money, required=True, metadata={"description": "Confirmed payments."})
    received = Nested(schemas.Money, required=True)
    balance = Nested(
        schemas.Money,
        required=True,
        metadata={"description": "Positive: the others owe this party; negative: it owes."},
    )


class LedgerTransfer(Schema):
    from_organization = Nested(schemas.OrganizationRef, required=True)
    to_organization = Nested(schemas.OrganizationRef, required=True)
    amount = Nested(schemas.Money, required=True)


class CampaignSettlement(Schema):
    campaign_id = Integer(strict=True, required=True)
    currency = String(required=True)
    totals = Nested(LedgerTotals, required=True)
    positions = List(Nested(LedgerPosition), required=True)
    transfers = List(Nested(LedgerTransfer), required=True)
    square = Boolean(required=True, metadata={"description": "Every balance is zero."})


_LATEST = "Newest first, at most 100: "


class CampaignLedger(Schema):
    campaign_id = Integer(strict=True, required=True)
    currency = String(required=True)
    totals = Nested(LedgerTotals, required=True)
    entries = List(
        Nested(LedgerEntryOut),
        required=True,
        metadata={"description": _LATEST + "`listLedgerEntries` pages through them all."},
    )
    entries_truncated = Boolean(required=True, metadata={"description": "More entries exist."})
    claims = List(
        Nested(ClaimOut),
        required=True,
        metadata={"description": _LATEST + "`listClaims` pages through them all."},
    )
    claims_truncated = Boolean(required=True, metadata={"description": "More claims exist."})
    payments = List(
        Nested(PaymentOut),
        required=True,
        metadata={"description": _LATEST + "`listPayments` pages through them all."},
    )
    payments_truncated = Boolean(required=True, metadata={"description": "More payments exist."})


class _Page(Schema):
    page = Integer(strict=True, required=True)
    per_page = Integer(strict=True, required=True)
    total = Integer(strict=True, required=True)
    has_more = Boolean(required=True)


class EntryPage(_Page):
    campaign_id = Integer(strict=True, required=True)
    items = List(Nested(LedgerEntryOut), required=True, metadata={"description": "Newest first."})


class ClaimPage(_Page):
    campaign_id = Integer(strict=True, required=True)
    items = List(Nested(ClaimOut), required=True, metadata={"description": "Newest first."})


class PaymentPage(_Page):
    campaign_id = Integer(strict=True, required=True)
    items = List(Nested(PaymentOut), required=True, metadata={"description": "Newest first."})


# ---------------------------------------------------------------------------------------------
# Serialisers


def _ref(money: Names, organization_id: int) -> dict[str, Any]:
    return {"id": organization_id, "name": money.party_names.get(organization_id, "")}


def _placement(money: Names, placement_id: int) -> dict[str, Any]:
    return {"id": placement_id, "name": money.placement_names.get(placement_id, "")}


def _answer(money: Names, response: ClaimResponse) -> dict[str, Any]:
    return {
        "organization": _ref(money, response.organization_id),
        "kind": response.kind,
        "reason": response.reason,
        "created_at": response.created_at,
    }


def _version(money: Names, record: VersionRecord) -> dict[str, Any]:
    version = record.version
    return {
        "number": version.number,
        "amount": schemas.money(version.amount_minor, version.currency),
        "service_from": version.service_from,
        "service_to": version.service_to,
        "paid_on": version.paid_on,
        "note": version.note,
        "ledger_entry_id": version.ledger_entry_id,
        "reversed": record.reversed,
        "confirm_due_at": version.confirm_due_at,
        "created_at": version.created_at,
        "answers": [_answer(money, r) for r in record.answers],
        "proofs": [
            {
                "id": p.id,
                "filename": p.filename,
                "content_type": p.content_type,
                "size": p.size,
                "sha256": p.sha256,
            }
            for p in record.proofs
        ],
    }


def claim(money: Names, record: ClaimRecord) -> dict[str, Any]:
    status = record.status
    current = status.version
    return {
        "id": status.claim.id,
        "campaign_id": status.claim.campaign_id,
        "organization": _ref(money, status.claim.organization_id),
        "placement": _placement(money, status.claim.placement_id),
        "source": status.claim.source,
        "state": status.state.value,
        "amount": schemas.money(current.amount_minor, current.currency),
        "version": current.number,
        "waiting_for": (
            [_ref(money, org) for org in status.waiting_for]
            if status.state is ClaimState.PENDING
            else []
        ),
        "confirm_due_at": current.confirm_due_at if status.state is ClaimState.PENDING else None,
        "created_at": status.claim.created_at,
        "versions": [_version(money, v) for v in record.versions],
    }


def payment(money: Names, status: PaymentStatus) -> dict[str, Any]:
    p = status.payment
    return {
        "id": p.id,
        "campaign_id": p.campaign_id,
        "from_organization": _ref(money, p.from_organization_id),
        "to_organization": _ref(money, p.to_organization_id),
        "amount": schemas.money(p.amount_minor, p.currency),
        "paid_on": p.paid_on,
        "reference": p.reference,
        "state": status.state.value,
        "reason": status.response.reason if status.response else "",
        "answered_at": status.response.created_at if status.response else None,
        "proof_filename": p.proof_filename if p.proof_sha256 else None,
        "created_at": p.created_at,
    }


def entry(money: Names, row: EntryRow) -> dict[str, Any]:
    e = row.entry
    return {
        "id": e.id,
        "kind": e.kind,
        "organization": {"id": e.organization_id, "name": row.party},
        "amount": schemas.money(e.amount_minor, e.currency),
        "placement": (
            {"id": e.placement_id, "name": row.placement or ""} if e.placement_id else None
        ),
        "reverses_id": e.reverses_id,
        "reversed": row.reversed,
        "note": e.note,
        "occurred_on": e.occurred_on,
        "override_reason": e.override_reason,
        "source": e.source,
        "author": row.author,
        "created_at": e.created_at,
    }


def totals(values: Any, currency: str) -> dict[str, Any]:
    return {
        "committed": schemas.money(values.committed_minor, currency),
        "confirmed": schemas.money(values.confirmed_minor, currency),
        "pending": schemas.money(values.pending_minor, currency),
        "disputed": schemas.money(values.disputed_minor, currency),
        "spent": schemas.money(values.spent_minor, currency),
    }


def settlement(money: Money) -> dict[str, Any]:
    currency = money.campaign.currency
    result = money.settlement
    positions = []
    for position in result.positions:
        org = position.organization_id
        budget = money.balances.get(org)
        positions.append(
            {
                "organization": _ref(money, org),
                "budget": totals(budget, currency) if budget else _zero_totals(currency),
                "paid": schemas.money(position.paid_minor, currency),
                "share": schemas.money(position.share_minor, currency),
                "sent": schemas.money(position.sent_minor, currency),
                "received": schemas.money(position.received_minor, currency),
                "balance": schemas.money(position.balance_minor, currency),
            }
        )
    return {
        "campaign_id": money.campaign.id,
        "currency": currency,
        "totals": totals(money.totals, currency),
        "positions": positions,
        "transfers": [
            {
                "from_organization": _ref(money, t.from_organization_id),
                "to_organization": _ref(money, t.to_organization_id),
                "amount": schemas.money(t.amount_minor, currency),
            }
            for t in result.transfers
        ],
        "square": result.square,
    }


def _zero_totals(currency: str) -> dict[str, Any]:
    zero = schemas.money(0, currency)
    return dict.fromkeys(("committed", "confirmed", "pending", "disputed", "spent"), zero)

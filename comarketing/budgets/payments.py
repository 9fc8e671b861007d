"""Payments between the parties of a campaign: a party records money it paid another party to
square the campaign (amount, date, reference, optional proof); the receiver confirms receipt
or rejects it with a reason. Only confirmed payments count in the settlement.

Each write locks the campaign row first, like claims, so a payment and a claim answer given at
the same time are applied one after the other; a payment is answered once (unique response).
"""

from __future__ import annotations

from datetime import date

from comarketing import audit, events
from comarketing.budgets import claim_notices
from comarketing.budgets.claim_states import PaymentStatus, payment_statuses
from comarketing.budgets.claim_workflow import next_payment_state
from comarketing.budgets.models import Payment, PaymentResponse
from comarketing.budgets.posting import check_amount, check_currency, check_money_date, clean_note
from comarketing.budgets.proofs import ProofUpload, removed_if_refused, store_proofs
from comarketing.campaigns.access import get_visible_campaign, party_ids
from comarketing.context import Actor
from comarketing.errors import Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

MAX_REFERENCE = 200


@transactional
@removed_if_refused
def record_payment(
    actor: Actor,
    campaign_id: int,
    *,
    to_organization_id: int,
    amount_minor: int,
    paid_on: date,
    reference: str = "",
    currency: str | None = None,
    proof: ProofUpload | None = None,
) -> PaymentStatus:
    """Your company paid ``to_organization_id``; pending until the receiver confirms it."""
    authorize(actor.user, Action.POST_LEDGER_ENTRIES)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    parties = party_ids(campaign.id)
    if to_organization_id not in parties or to_organization_id == actor.organization_id:
        raise ValidationFailed(
            "Choose another party of this campaign to pay.", field="to_organization_id"
        )
    check_currency(campaign, currency)
    check_amount(amount_minor)
    check_money_date(paid_on, "paid_on", actor.user.organization)
    reference = (reference or "").strip()
    if len(reference) > MAX_REFERENCE:
        raise ValidationFailed(
            f"Keep the reference under {MAX_REFERENCE} characters.", field="reference"
        )
    stored = store_proofs([proof]) if proof is not None else []
    payment = Payment(
        campaign_id=campaign.id,
        from_organization_id=actor.organization_id,
        to_organization_id=to_organization_id,
        amount_minor=amount_minor,
        currency=campaign.currency,
        paid_on=paid_on,
        reference=reference,
        proof_sha256=stored[0].sha256 if stored else None,
        proof_filename=stored[0].filename if stored else None,
        proof_content_type=stored[0].content_type if stored else None,
        created_by_id=actor.user_id,
    )
    db.session.add(payment)
    db.session.flush()
    audit.record(
        "payment.recorded",
        actor=actor,
        organization_ids=parties,
        target=payment,
        campaign_id=campaign.id,
        amount_minor=amount_minor,
        to=to_organization_id,
    )
    events.raise_("payment.recorded", parties, **events.payloads.payment(payment))
    claim_notices.payment_to_confirm(campaign, payment)
    db.session.commit()
    return _status(campaign.id, payment.id)


@transactional
def confirm_payment(actor: Actor, campaign_id: int, payment_id: int) -> PaymentStatus:
    """Your company received the payment."""
    return _answer(actor, campaign_id, payment_id, "confirm", "")


@transactional
def reject_payment(
    actor: Actor, campaign_id: int, payment_id: int, *, reason: str
) -> PaymentStatus:
    """Your company did not receive it (as recorded): say why."""
    return _answer(actor, campaign_id, payment_id, "reject", reason)


def _answer(
    actor: Actor, campaign_id: int, payment_id: int, step: str, reason: str
) -> PaymentStatus:
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    found = payment_statuses(campaign.id, [payment_id])
    if not found:
        raise NotFound()
    authorize(actor.user, Action.CONFIRM_MONEY)
    reason = clean_note(reason)
    if step == "reject" and not reason:
        raise ValidationFailed("Say why you reject this payment.", field="reason")
    status = found[0]
    if status.payment.to_organization_id != actor.organization_id:
        raise Forbidden("Only the company that received a payment confirms or rejects it.")
    next_payment_state(status.state, step)
    kind = "confirmed" if step == "confirm" else "rejected"
    db.session.add(
        PaymentResponse(
            payment_id=status.payment.id, kind=kind, reason=reason, user_id=actor.user_id
        )
    )
    db.session.flush()
    audit.record(
        f"payment.{kind}",
        actor=actor,
        organization_ids=party_ids(campaign.id),
        target=status.payment,
        campaign_id=campaign.id,
        reason=reason or None,
    )
    if kind == "confirmed":
        events.raise_(
            "payment.confirmed",
            party_ids(campaign.id),
            payment_id=payment_id,
            campaign_id=campaign.id,
            to_organization_id=status.payment.to_organization_id,
        )
    claim_notices.payment_answered(campaign, status.payment, kind, reason)
    db.session.commit()
    return _status(campaign.id, payment_id)


def _status(campaign_id: int, payment_id: int) -> PaymentStatus:
    return payment_statuses(campaign_id, [payment_id])[0]

"""The lifecycles of expense claims and payments, each one table of allowed steps, checked in
one place. States are derived from append-only rows (see ``claim_state``), never stored.

Claims:

    (create) --> pending            (confirmed at once on a solo campaign)
    pending --confirm--> pending | confirmed    (confirmed once every other party confirmed)
    pending --auto_confirm--> confirmed         (the window passed with nobody disputing)
    pending --dispute--> disputed
    pending | confirmed | disputed --revise--> pending   (a new version; answers start over)
    pending | confirmed | disputed --withdraw--> withdrawn   (a reversal of its entry)

A disputed claim counts for nobody's settlement until its author revises or withdraws it;
a withdrawn claim is closed.

Payments:

    (record) --> pending --confirm--> confirmed
                 pending --reject--> rejected    (with a reason; record a new one to retry)
"""

from __future__ import annotations

from enum import StrEnum

from comarketing.errors import InvalidTransition


class ClaimState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    WITHDRAWN = "withdrawn"


class PaymentState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


C = ClaimState
P = PaymentState

CLAIM_STEPS: dict[tuple[ClaimState, str], ClaimState] = {
    (C.PENDING, "confirm"): C.PENDING,  # CONFIRMED when it was the last missing answer
    (C.PENDING, "auto_confirm"): C.CONFIRMED,
    (C.PENDING, "dispute"): C.DISPUTED,
    (C.PENDING, "revise"): C.PENDING,
    (C.CONFIRMED, "revise"): C.PENDING,
    (C.DISPUTED, "revise"): C.PENDING,
    (C.PENDING, "withdraw"): C.WITHDRAWN,
    (C.CONFIRMED, "withdraw"): C.WITHDRAWN,
    (C.DISPUTED, "withdraw"): C.WITHDRAWN,
}

PAYMENT_STEPS: dict[tuple[PaymentState, str], PaymentState] = {
    (P.PENDING, "confirm"): P.CONFIRMED,
    (P.PENDING, "reject"): P.REJECTED,
}

STEP_WORDS = {
    "confirm": "confirmed",
    "auto_confirm": "confirmed by the window passing",
    "dispute": "disputed",
    "revise": "revised",
    "withdraw": "withdrawn",
    "reject": "rejected",
}


def next_claim_state(current: ClaimState, step: str) -> ClaimState:
    """The state after ``step``, or InvalidTransition (409) if the step is not allowed now."""
    target = CLAIM_STEPS.get((current, step))
    if target is None:
        raise InvalidTransition(
            f"This claim is {current.value}; it cannot be {STEP_WORDS.get(step, step)} now."
        )
    return target


def next_payment_state(current: PaymentState, step: str) -> PaymentState:
    target = PAYMENT_STEPS.get((current, step))
    if target is None:
        raise InvalidTransition(
            f"This payment is {current.value}; it cannot be {STEP_WORDS.get(step, step)} now."
        )
    return target


def allowed_claim_steps(current: ClaimState) -> frozenset[str]:
    return frozenset(step for (state, step) in CLAIM_STEPS if state is current)


def claim_state(*, withdrawn: bool, others: set[int], answers: dict[int, str]) -> ClaimState:
    """The state of a claim's current version from the facts: whether its entry was reversed
    (withdrawn), the other parties (none on a solo campaign: confirmed at once), and their
    answers (organization -> kind)."""
    if withdrawn:
        return C.WITHDRAWN
    if "disputed" in answers.values():
        return C.DISPUTED
    if all(org in answers for org in others):
        return C.CONFIRMED
    return C.PENDING

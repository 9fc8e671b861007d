"""The offer lifecycle as one table of allowed steps, checked in one place.

    draft --send--> sent --(every party approved)--> approved
    draft --discard--> withdrawn
    sent --revise--> sent (a new revision; earlier decisions no longer count)
    sent --decide(approve | request changes)--> sent
    sent --decide(reject)--> rejected
    sent --withdraw--> withdrawn        (the proposer only)
    sent --expire--> expired           (the expiry date passed, from `flask send-reminders`)
    rejected | withdrawn | expired --clone--> (a new draft; this offer stays closed)

Approved offers are closed: their terms became a campaign, which is changed from then on.
"""

from __future__ import annotations

from comarketing.errors import InvalidTransition
from comarketing.offers.models import OfferStatus

S = OfferStatus

TRANSITIONS: dict[tuple[OfferStatus, str], OfferStatus] = {
    (S.DRAFT, "edit"): S.DRAFT,
    (S.DRAFT, "send"): S.SENT,
    (S.DRAFT, "discard"): S.WITHDRAWN,
    (S.SENT, "revise"): S.SENT,
    (S.SENT, "approve"): S.SENT,  # becomes APPROVED when it was the last missing approval
    (S.SENT, "request_changes"): S.SENT,
    (S.SENT, "reject"): S.REJECTED,
    (S.SENT, "withdraw"): S.WITHDRAWN,
    (S.SENT, "expire"): S.EXPIRED,
    (S.SENT, "comment"): S.SENT,
    (S.DRAFT, "comment"): S.DRAFT,
    (S.APPROVED, "comment"): S.APPROVED,
    (S.REJECTED, "clone"): S.REJECTED,
    (S.WITHDRAWN, "clone"): S.WITHDRAWN,
    (S.EXPIRED, "clone"): S.EXPIRED,
}

CLOSED = frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN, S.EXPIRED})

STEP_WORDS = {
    "edit": "edited",
    "send": "sent",
    "discard": "discarded",
    "revise": "revised",
    "approve": "approved",
    "request_changes": "answered with a change request",
    "reject": "rejected",
    "withdraw": "withdrawn",
    "expire": "expired",
    "comment": "commented on",
    "clone": "cloned",
}


def next_status(current: str, step: str) -> OfferStatus:
    """The status after ``step``, or InvalidTransition (409) if the step is not allowed now."""
    try:
        status = S(current)
    except ValueError as exc:  # pragma: no cover - the database constrains the column
        raise InvalidTransition(f"Unknown offer status {current!r}.") from exc
    target = TRANSITIONS.get((status, step))
    if target is None:
        raise InvalidTransition(
            f"This offer is {status.value}; it cannot be {STEP_WORDS.get(step, step)} now."
        )
    return target


def allowed_steps(current: str) -> frozenset[str]:
    return frozenset(step for (status, step) in TRANSITIONS if status.value == current)

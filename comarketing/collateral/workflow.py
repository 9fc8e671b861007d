"""Creative review of an asset as one table of allowed steps, checked in one place.

    in_review --approve--> in_review          (another party still has to decide)
    in_review --all_approved--> ready         (the last missing approval of the version)
    in_review --request_changes--> changes_requested
    changes_requested --approve | request_changes--> changes_requested
                                              (the other parties may still record theirs)
    in_review | changes_requested | ready --new_version--> in_review
                                              (decisions on earlier versions no longer count)

Only a ready asset is for customer use; every other status is marked "not for customer use".

Requests for new materials have their own, shorter table:

    open --take--> taken --deliver--> delivered
    open --deliver--> delivered               (an asset that already answers the request)
"""

from __future__ import annotations

from comarketing.collateral.models import RequestStatus, ReviewStatus
from comarketing.errors import InvalidTransition

S = ReviewStatus
R = RequestStatus

TRANSITIONS: dict[tuple[ReviewStatus, str], ReviewStatus] = {
    (S.IN_REVIEW, "approve"): S.IN_REVIEW,
    (S.IN_REVIEW, "all_approved"): S.READY,
    (S.IN_REVIEW, "request_changes"): S.CHANGES_REQUESTED,
    (S.CHANGES_REQUESTED, "approve"): S.CHANGES_REQUESTED,
    (S.CHANGES_REQUESTED, "request_changes"): S.CHANGES_REQUESTED,
    (S.IN_REVIEW, "new_version"): S.IN_REVIEW,
    (S.CHANGES_REQUESTED, "new_version"): S.IN_REVIEW,
    (S.READY, "new_version"): S.IN_REVIEW,
}

REQUEST_TRANSITIONS: dict[tuple[RequestStatus, str], RequestStatus] = {
    (R.OPEN, "take"): R.TAKEN,
    (R.OPEN, "deliver"): R.DELIVERED,
    (R.TAKEN, "deliver"): R.DELIVERED,
}

STEP_WORDS = {
    "approve": "approved",
    "all_approved": "approved",
    "request_changes": "answered with a change request",
    "new_version": "given a new version",
    "take": "taken",
    "deliver": "delivered",
}


def next_status(current: str, step: str) -> ReviewStatus:
    """The status after ``step``, or InvalidTransition (409) if the step is not allowed now."""
    status = S(current)
    target = TRANSITIONS.get((status, step))
    if target is None:
        raise InvalidTransition(
            f"This asset is {status.label.lower()}; it cannot be {STEP_WORDS.get(step, step)} now."
        )
    return target


def next_request_status(current: str, step: str) -> RequestStatus:
    status = R(current)
    target = REQUEST_TRANSITIONS.get((status, step))
    if target is None:
        raise InvalidTransition(
            f"This request is {status.value}; it cannot be {STEP_WORDS.get(step, step)} now."
        )
    return target


def allowed_steps(current: str) -> frozenset[str]:
    return frozenset(step for (status, step) in TRANSITIONS if status.value == current)


def for_customer_use(status: str) -> bool:
    return status == S.READY.value

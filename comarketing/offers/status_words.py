"""What an offer's status means right now, in words: "changes requested by Goldcrest",
"waiting for Millstone's approver", "approved — campaign #17".

The stored status (``workflow.py``) says where the offer is in its lifecycle; a sent offer
can be waiting for approvers or back with its proposer after a change request. These words
come from the status and each party's answer on the current revision (``approvals.py``).
A pure function: the offer page and the lists hand it what they already loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from comarketing.offers.approvals import PartyApproval
from comarketing.offers.models import Decision, OfferStatus

# Bootstrap colour per stored status; a change request shows as a warning.
TONES = {
    OfferStatus.DRAFT.value: "secondary",
    OfferStatus.SENT.value: "primary",
    OfferStatus.APPROVED.value: "success",
    OfferStatus.REJECTED.value: "danger",
    OfferStatus.WITHDRAWN.value: "dark",
    OfferStatus.EXPIRED.value: "warning",
}


@dataclass(frozen=True)
class StatusWords:
    status: str  # the stored status, for machines and filters
    text: str
    tone: str


def _names(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def status_words(
    status: str,
    parties: Mapping[int, str],
    approvals: Mapping[int, PartyApproval],
    campaign_id: int | None = None,
) -> StatusWords:
    """The status in words, from the stored status, the parties' names (id -> name) and each
    party's approval state on the current revision."""
    ordered = sorted(parties.items(), key=lambda kv: kv[1])

    def answered(decision: Decision) -> list[str]:
        return [
            name
            for oid, name in ordered
            if oid in approvals and approvals[oid].outcome == decision.value
        ]

    tone = TONES.get(status, "secondary")
    if status == OfferStatus.DRAFT.value:
        return StatusWords(status, "draft — not sent yet", tone)
    if status == OfferStatus.APPROVED.value:
        text = f"approved — campaign #{campaign_id}" if campaign_id else "approved"
        return StatusWords(status, text, tone)
    if status == OfferStatus.REJECTED.value:
        by = answered(Decision.REJECTED)
        return StatusWords(status, f"rejected by {_names(by)}" if by else "rejected", tone)
    if status != OfferStatus.SENT.value:
        return StatusWords(status, status, tone)
    asked = answered(Decision.CHANGES_REQUESTED)
    if asked:
        return StatusWords(status, f"changes requested by {_names(asked)}", "warning")
    waiting = [
        f"a second approver at {name} (four eyes)"
        if approvals[oid].waiting_for_second
        else f"{name}'s approver"
        for oid, name in ordered
        if oid in approvals and not approvals[oid].approved
    ]
    if not waiting:
        return StatusWords(status, "sent", tone)
    text = "waiting for " + _names(waiting)
    if len(waiting) > 1 and all(w.endswith("'s approver") for w in waiting):
        # "waiting for Alpha's and Beta's approvers"
        owners = [w.removesuffix(" approver") for w in waiting]
        text = f"waiting for {_names(owners)} approvers"
    return StatusWords(status, text, tone)

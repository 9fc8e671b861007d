"""What a campaign's claims and payments are now: each claim's current version, the other
parties' answers, its derived state and proof; each payment and its answer. Read-only; a few
queries per campaign, whatever the number of claims."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from comarketing.budgets.claim_workflow import ClaimState, PaymentState, claim_state
from comarketing.budgets.models import (
    Claim,
    ClaimProof,
    ClaimResponse,
    ClaimVersion,
    LedgerEntry,
    Payment,
    PaymentResponse,
)
from comarketing.campaigns.access import party_ids
from comarketing.extensions import db


@dataclass
class ClaimStatus:
    claim: Claim
    version: ClaimVersion  # the current (latest) version
    state: ClaimState
    others: list[int]  # the parties asked to confirm
    answers: dict[int, ClaimResponse] = field(default_factory=dict)
    proofs: list[ClaimProof] = field(default_factory=list)

    @property
    def waiting_for(self) -> list[int]:
        return [org for org in self.others if org not in self.answers]

    @property
    def dispute(self) -> ClaimResponse | None:
        return next((r for r in self.answers.values() if r.kind == "disputed"), None)

    @property
    def counts_as_spend(self) -> bool:
        """Pending and confirmed claims count against the commitments; disputed and withdrawn
        ones do not."""
        return self.state in (ClaimState.PENDING, ClaimState.CONFIRMED)


def claim_statuses(campaign_id: int, claim_ids: Iterable[int] | None = None) -> list[ClaimStatus]:
    """Every claim of the campaign (or the given ones) with its current version and state,
    newest first."""
    latest = (
        sa.select(ClaimVersion.claim_id, sa.func.max(ClaimVersion.number).label("number"))
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .where(Claim.campaign_id == campaign_id)
        .group_by(ClaimVersion.claim_id)
        .subquery()
    )
    reversed_entry = sa.exists().where(LedgerEntry.reverses_id == ClaimVersion.ledger_entry_id)
    query = (
        sa.select(Claim, ClaimVersion, reversed_entry)
        .join(latest, latest.c.claim_id == Claim.id)
        .join(
            ClaimVersion,
            sa.and_(ClaimVersion.claim_id == Claim.id, ClaimVersion.number == latest.c.number),
        )
        .where(Claim.campaign_id == campaign_id)
        .order_by(Claim.id.desc())
    )
    if claim_ids is not None:
        query = query.where(Claim.id.in_(list(claim_ids)))
    rows = db.session.execute(query).all()
    if not rows:
        return []
    claims = [claim for claim, _, _ in rows]
    versions = {claim.id: version for claim, version, _ in rows}
    reversed_entries = {version.ledger_entry_id for _, version, gone in rows if gone}
    version_ids = [v.id for v in versions.values()]
    answers: dict[int, dict[int, ClaimResponse]] = defaultdict(dict)
    for response in db.session.scalars(
        sa.select(ClaimResponse).where(ClaimResponse.claim_version_id.in_(version_ids))
    ):
        answers[response.claim_version_id][response.organization_id] = response
    proofs = proofs_by_version(version_ids)
    parties = party_ids(campaign_id)
    result = []
    for claim in claims:
        version = versions[claim.id]
        others = [p for p in parties if p != claim.organization_id]
        kinds = {org: r.kind for org, r in answers[version.id].items()}
        state = claim_state(
            withdrawn=version.ledger_entry_id in reversed_entries,
            others=set(others),
            answers=kinds,
        )
        result.append(
            ClaimStatus(claim, version, state, others, answers[version.id], proofs[version.id])
        )
    return result


def proofs_by_version(version_ids: list[int]) -> dict[int, list[ClaimProof]]:
    """The proof files of these claim versions, in the order they were added (one query)."""
    proofs: dict[int, list[ClaimProof]] = defaultdict(list)
    for proof in db.session.scalars(
        sa.select(ClaimProof)
        .where(ClaimProof.claim_version_id.in_(version_ids))
        .order_by(ClaimProof.id)
    ):
        proofs[proof.claim_version_id].append(proof)
    return proofs


def claim_status(campaign_id: int, claim_id: int) -> ClaimStatus | None:
    found = claim_statuses(campaign_id, [claim_id])
    return found[0] if found else None


@dataclass(frozen=True)
class ClaimSums:
    """Minor units per state, one party's or a campaign's."""

    confirmed_minor: int = 0
    disputed_minor: int = 0


def claim_sums(statuses: Iterable[ClaimStatus]) -> dict[int, ClaimSums]:
    """Confirmed and disputed amounts per claimant (pending is what the ledger's live expenses
    hold beyond them: see ``balances``)."""
    confirmed: dict[int, int] = defaultdict(int)
    disputed: dict[int, int] = defaultdict(int)
    for status in statuses:
        org = status.claim.organization_id
        if status.state is ClaimState.CONFIRMED:
            confirmed[org] += status.version.amount_minor
        elif status.state is ClaimState.DISPUTED:
            disputed[org] += status.version.amount_minor
    return {org: ClaimSums(confirmed[org], disputed[org]) for org in set(confirmed) | set(disputed)}


@dataclass
class PaymentStatus:
    payment: Payment
    state: PaymentState
    response: PaymentResponse | None


def payment_statuses(
    campaign_id: int, payment_ids: Iterable[int] | None = None
) -> list[PaymentStatus]:
    query = (
        sa.select(Payment, PaymentResponse)
        .outerjoin(PaymentResponse, PaymentResponse.payment_id == Payment.id)
        .where(Payment.campaign_id == campaign_id)
        .order_by(Payment.id.desc())
    )
    if payment_ids is not None:
        query = query.where(Payment.id.in_(list(payment_ids)))
    return [
        PaymentStatus(
            payment,
            PaymentState(response.kind) if response is not None else PaymentState.PENDING,
            response,
        )
        for payment, response in db.session.execute(query).all()
    ]


def confirmed_payments(campaign_id: int) -> list[tuple[int, int, int]]:
    """(from, to, amount) of every payment its receiver confirmed."""
    rows = db.session.execute(
        sa.select(Payment.from_organization_id, Payment.to_organization_id, Payment.amount_minor)
        .join(PaymentResponse, PaymentResponse.payment_id == Payment.id)
        .where(Payment.campaign_id == campaign_id, PaymentResponse.kind == "confirmed")
        .order_by(Payment.id)
    ).all()
    return [(int(a), int(b), int(c)) for a, b, c in rows]

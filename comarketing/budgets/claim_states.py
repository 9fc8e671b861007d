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
from comarketing.campaigns.models import CampaignParty
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


def claim_statuses(
    campaign_id: int,
    claim_ids: Iterable[int] | None = None,
    *,
    parties: Iterable[int] | None = None,
) -> list[ClaimStatus]:
    """Every claim of the campaign (or the given ones) with its current version and state,
    newest first. ``parties``: the campaign's parties, when the caller has read them."""
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
    parties = sorted(parties) if parties is not None else party_ids(campaign_id)
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
    campaign_id: int,
    payment_ids: Iterable[int] | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[PaymentStatus]:
    """The campaign's payments (or the given ones) with their states, newest first."""
    query = (
        sa.select(Payment, PaymentResponse)
        .outerjoin(PaymentResponse, PaymentResponse.payment_id == Payment.id)
        .where(Payment.campaign_id == campaign_id)
        .order_by(Payment.id.desc())
        .offset(offset)
        .limit(limit)
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


def claim_sums_in_sql(campaign_id: int) -> dict[int, ClaimSums]:
    """:func:`claim_sums` of every claim of the campaign in one aggregate, without loading the
    claims: what a page shows beside one page of claims (issue 21). The same rule as
    ``claim_workflow.claim_state``: a reversed current version is withdrawn; a dispute by any
    party makes it disputed; an answer from every other party, confirmed."""
    latest = (
        sa.select(ClaimVersion.claim_id, sa.func.max(ClaimVersion.number).label("number"))
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .where(Claim.campaign_id == campaign_id)
        .group_by(ClaimVersion.claim_id)
        .subquery()
    )
    others = (
        sa.select(sa.func.count())
        .select_from(CampaignParty)
        .where(
            CampaignParty.campaign_id == campaign_id,
            CampaignParty.organization_id != Claim.organization_id,
        )
        .scalar_subquery()
    )
    answered = (
        sa.select(sa.func.count(sa.distinct(ClaimResponse.organization_id)))
        .join(
            CampaignParty,
            sa.and_(
                CampaignParty.campaign_id == campaign_id,
                CampaignParty.organization_id == ClaimResponse.organization_id,
            ),
        )
        .where(
            ClaimResponse.claim_version_id == ClaimVersion.id,
            ClaimResponse.organization_id != Claim.organization_id,
        )
        .scalar_subquery()
    )
    disputed = sa.exists().where(
        ClaimResponse.claim_version_id == ClaimVersion.id, ClaimResponse.kind == "disputed"
    )
    withdrawn = sa.exists().where(LedgerEntry.reverses_id == ClaimVersion.ledger_entry_id)
    live = ~withdrawn
    confirmed_minor = sa.func.coalesce(
        sa.func.sum(
            sa.case((sa.and_(live, ~disputed, answered >= others), ClaimVersion.amount_minor))
        ),
        0,
    )
    disputed_minor = sa.func.coalesce(
        sa.func.sum(sa.case((sa.and_(live, disputed), ClaimVersion.amount_minor))), 0
    )
    rows = db.session.execute(
        sa.select(Claim.organization_id, confirmed_minor, disputed_minor)
        .join(latest, latest.c.claim_id == Claim.id)
        .join(
            ClaimVersion,
            sa.and_(ClaimVersion.claim_id == Claim.id, ClaimVersion.number == latest.c.number),
        )
        .where(Claim.campaign_id == campaign_id)
        .group_by(Claim.organization_id)
    ).all()
    return {
        int(org): ClaimSums(int(confirmed), int(disputed))
        for org, confirmed, disputed in rows
        if confirmed or disputed
    }


def claim_page(
    campaign_id: int, offset: int, limit: int, *, parties: Iterable[int] | None = None
) -> list[ClaimStatus]:
    """One page of the campaign's claims, newest first, with their states (``parties`` as
    for ``claim_statuses``)."""
    ids = db.session.scalars(
        sa.select(Claim.id)
        .where(Claim.campaign_id == campaign_id)
        .order_by(Claim.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return claim_statuses(campaign_id, ids, parties=parties) if ids else []


def claim_count(campaign_id: int, newer_than: int | None = None) -> int:
    """How many claims the campaign has (newer than claim ``newer_than``, when given)."""
    query = sa.select(sa.func.count(Claim.id)).where(Claim.campaign_id == campaign_id)
    if newer_than is not None:
        query = query.where(Claim.id > newer_than)
    return int(db.session.scalar(query) or 0)


def claimed_entries(entry_ids: Iterable[int]) -> set[int]:
    """Which of these ledger entries a claim version posted (reversed by revising or
    withdrawing the claim, never on their own)."""
    ids = list(entry_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(ClaimVersion.ledger_entry_id).where(ClaimVersion.ledger_entry_id.in_(ids))
        )
    )

"""Spend by service period (issue 14), recomputed plainly from the raw claims: the recomputation
tests' one definition of it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa

from comarketing.budgets.models import Claim, ClaimResponse, ClaimVersion, LedgerEntry
from comarketing.extensions import db


def spend_by_cell(mine: set[int], start: date, end: date) -> dict[tuple[int, int, str], int]:
    """Per (campaign, placement, month) of ``mine``, the spend in [start, end]: a claim counts
    through its live version (entry not reversed: a revised claim's new version only, a
    withdrawn claim nothing) unless a party disputed that version; its amount is spread over
    its service days, a day each of amount // days, one more on the first amount % days days."""
    reversed_ids = set(
        db.session.scalars(sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id > 0))
    )
    disputed = set(
        db.session.scalars(
            sa.select(ClaimResponse.claim_version_id).where(ClaimResponse.kind == "disputed")
        )
    )
    out: dict[tuple[int, int, str], int] = defaultdict(int)
    for claim, version in db.session.execute(
        sa.select(Claim, ClaimVersion).join(ClaimVersion, ClaimVersion.claim_id == Claim.id)
    ):
        if claim.campaign_id not in mine or version.ledger_entry_id in reversed_ids:
            continue
        if version.id in disputed:
            continue
        days = (version.service_to - version.service_from).days + 1
        for i in range(days):
            day = version.service_from + timedelta(days=i)
            share = version.amount_minor // days + (1 if i < version.amount_minor % days else 0)
            if start <= day <= end:
                out[(claim.campaign_id, claim.placement_id, day.strftime("%Y-%m"))] += share
    return out

"""The over-budget check of an import, run on the preview before anything is written.

At Import the writer posts the costs and then refuses the whole file when a campaign's spend
passes its commitments (``imported_costs.check_within_commitments``). The preview runs the
same arithmetic on the rows it checked: the campaign's spend now, plus what re-posting the
days posted before would change (that happens whether or not "post costs" is ticked), plus
what ticking "post costs" would add. So the user sees, before Import, whether the import
would go over with the box ticked, unticked, or either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from comarketing.budgets import imported_costs
from comarketing.budgets.balances import balances, totals_of
from comarketing.budgets.claim_states import ClaimStatus, claim_statuses
from comarketing.budgets.claim_workflow import ClaimState
from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from comarketing.money import format_money


@dataclass(frozen=True)
class BudgetCheck:
    """One campaign's spend against its commitments, as the import would leave it."""

    campaign_id: int
    campaign_name: str
    currency: str
    committed_minor: int
    spent_minor: int  # now: confirmed + pending claims
    reposted_delta_minor: int  # days posted before, whose cost changes (posted either way)
    new_minor: int  # days never posted, added only when "post costs" is ticked

    @property
    def spent_unticked_minor(self) -> int:
        return self.spent_minor + self.reposted_delta_minor

    @property
    def spent_ticked_minor(self) -> int:
        return self.spent_unticked_minor + self.new_minor

    @property
    def over_unticked(self) -> bool:
        return self.spent_unticked_minor > self.committed_minor

    @property
    def over_ticked(self) -> bool:
        return self.spent_ticked_minor > self.committed_minor

    def over(self, post_costs: bool) -> bool:
        return self.over_ticked if post_costs else self.over_unticked

    def message(self, post_costs: bool) -> str:
        """Why the import would be refused with this choice of "post costs"."""
        spent = self.spent_ticked_minor if post_costs else self.spent_unticked_minor
        advice = (
            "Commit more budget first, or import without posting costs to the ledger."
            if post_costs and not self.over_unticked
            else "Commit more budget first: days whose costs were posted before are "
            "re-posted whatever you choose."
        )
        return (
            f"Posting these costs would take the spend of {self.campaign_name} to "
            f"{format_money(spent, self.currency)}, above the "
            f"{format_money(self.committed_minor, self.currency)} committed. {advice}"
        )


def budget_checks(costs: list[imported_costs.DailyCost]) -> list[BudgetCheck]:
    """Per campaign the rows touch, its spend against its commitments after the import, with
    "post costs" ticked and unticked (nothing is written)."""
    checks = []
    for campaign_id in sorted({c.campaign_id for c in costs}):
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:  # pragma: no cover - the rows name placements of live campaigns
            continue
        ours = [c for c in costs if c.campaign_id == campaign_id]
        reposted = new = 0
        for effect in imported_costs.ledger_effect(ours):
            reposted += effect.reposted_delta_minor
            new += effect.new_minor
        statuses = claim_statuses(campaign_id)
        reposted += _disputed_correction(ours, statuses)
        totals = totals_of(balances(campaign_id, statuses))
        checks.append(
            BudgetCheck(
                campaign_id=campaign_id,
                campaign_name=campaign.name,
                currency=campaign.currency,
                committed_minor=totals.committed_minor,
                spent_minor=totals.spent_minor,
                reposted_delta_minor=reposted,
                new_minor=new,
            )
        )
    return checks


def _disputed_correction(costs: list[imported_costs.DailyCost], statuses: list[ClaimStatus]) -> int:
    """A disputed day's cost does not count as spent, yet the ledger effect subtracts it when
    the day is re-posted (its new version is pending, so all of it counts): add it back."""
    disputed = {
        (s.claim.placement_id, s.version.service_from): s.version.amount_minor
        for s in statuses
        if s.claim.source == "metrics" and s.state == ClaimState.DISPUTED
    }
    return sum(
        disputed[(c.placement_id, c.day)]
        for c in costs
        if (c.placement_id, c.day) in disputed and disputed[(c.placement_id, c.day)] != c.cost_minor
    )

"""The offer's money as the payer reads it: shares in money and the plan against the budget.
Pure functions over a revision's values; no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from comarketing.offers.plan import plan_summary, share_lines

NAMES = {1: "Millstone Flour", 2: "Goldcrest Shortening"}


@dataclass
class Rev:
    currency: str = "EUR"
    total_budget_minor: int = 3_200_000
    target_revenue_minor: int | None = 10_000_000
    party_terms: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"organization_id": 1, "budget_share_bp": 4500, "revenue_share_bp": 4000},
            {"organization_id": 2, "budget_share_bp": 5500, "revenue_share_bp": 6000},
        ]
    )
    placements: list[dict[str, Any]] = field(default_factory=list)


def cost(minor: int) -> dict[str, Any]:
    return {"planned_cost_minor": minor}


def test_each_party_reads_its_shares_in_percent_and_money():
    lines = share_lines(Rev(), NAMES)
    assert [(x.name, x.budget_share, x.budget, x.revenue_share, x.revenue) for x in lines] == [
        ("Goldcrest Shortening", "55%", "€17,600.00", "60%", "€60,000.00"),
        ("Millstone Flour", "45%", "€14,400.00", "40%", "€40,000.00"),
    ]


def test_without_a_revenue_target_revenue_shares_have_no_money():
    lines = share_lines(Rev(target_revenue_minor=None), NAMES)
    assert [x.revenue for x in lines] == [None, None]


def test_the_plan_says_plainly_how_it_meets_the_budget():
    short = plan_summary(Rev(placements=[cost(1_000_000), cost(1_200_000)]))
    assert (short.planned, short.budget) == ("€22,000.00", "€32,000.00")
    assert (
        short.verdict
        == "The planned placements fall short of the budget: €10,000.00 is not yet planned."
    )
    exact = plan_summary(Rev(placements=[cost(3_200_000)]))
    assert (
        exact.balanced and exact.verdict == "The planned placements use exactly the whole budget."
    )
    over = plan_summary(Rev(placements=[cost(3_200_001)]))
    assert over.verdict == "The planned placements cost €0.01 more than the budget."
    nothing = plan_summary(Rev())
    assert nothing.planned == "€0.00" and not nothing.balanced

"""The offer's money as the person who pays reads it: each party's shares in money, and the
planned placements with their dates and costs summed against the budget. Pure functions over
a revision's values (an ``OfferRevision`` or anything with its attributes).

Shares in money use the exact split approval uses for the budget commitments
(``money.split_by_shares``, largest remainder to the minor unit), so the page shows what each
party will commit, and the parts always add up to the total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from comarketing.money import format_money, format_share, split_by_shares


@dataclass(frozen=True)
class PlannedRow:
    """One planned placement as people read it, with what identifies it across revisions."""

    key: str | None
    name: str
    channel: str
    owner: str
    start_date: date | None
    end_date: date | None
    cost_minor: int
    cost: str

    @property
    def dates(self) -> str:
        if self.start_date is None or self.end_date is None:
            return "the offer's dates"
        return f"{self.start_date.isoformat()} \u2013 {self.end_date.isoformat()}"

    def fields(self) -> dict[str, str]:
        return {
            "channel": self.channel,
            "owner": self.owner,
            "dates": self.dates,
            "planned cost": self.cost,
        }

    @property
    def summary(self) -> str:
        return " · ".join(self.fields().values())

    @property
    def content(self) -> tuple[str, ...]:
        return (self.name, *self.fields().values())


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def share_amounts(revision: Any) -> tuple[dict[int, int], dict[int, int] | None]:
    """Each party's budget share and revenue-target share in minor units: split exactly by the
    largest-remainder rule that approval uses for the budget commitments (``split_by_shares``).
    The revenue split is None when the revision sets no revenue target."""
    terms = revision.party_terms
    budget = split_by_shares(
        revision.total_budget_minor, {t["organization_id"]: t["budget_share_bp"] for t in terms}
    )
    target = revision.target_revenue_minor
    revenue = (
        None
        if target is None
        else split_by_shares(target, {t["organization_id"]: t["revenue_share_bp"] for t in terms})
    )
    return budget, revenue


def placement_rows(revision: Any, org_names: Mapping[int, str]) -> list[PlannedRow]:
    """The revision's planned placements as people read them, earliest first."""
    currency = revision.currency
    rows = [
        PlannedRow(
            p.get("key"),
            p["name"],
            p["channel"].replace("_", " "),
            org_names.get(p["owner_organization_id"], "?"),
            _day(p.get("start_date")),
            _day(p.get("end_date")),
            p["planned_cost_minor"],
            format_money(p["planned_cost_minor"], currency),
        )
        for p in revision.placements
    ]
    return sorted(rows, key=lambda r: (r.start_date or revision.start_date, r.name, r.owner))


@dataclass(frozen=True)
class ShareLine:
    organization_id: int
    name: str
    budget_share: str  # "55%"
    budget: str  # "€17,600.00"
    revenue_share: str
    revenue: str | None  # of the revenue target; None without a target


def share_lines(revision: Any, org_names: Mapping[int, str]) -> list[ShareLine]:
    """One line per party, by name: its budget and revenue shares in percent and in money."""
    currency = revision.currency
    budget, revenue = share_amounts(revision)
    lines = [
        ShareLine(
            t["organization_id"],
            org_names.get(t["organization_id"], f"#{t['organization_id']}"),
            format_share(t["budget_share_bp"]),
            format_money(budget[t["organization_id"]], currency),
            format_share(t["revenue_share_bp"]),
            None if revenue is None else format_money(revenue[t["organization_id"]], currency),
        )
        for t in revision.party_terms
    ]
    return sorted(lines, key=lambda line: line.name)


@dataclass(frozen=True)
class PlanSummary:
    """The planned placements' costs against the total budget."""

    planned_minor: int
    budget_minor: int
    currency: str

    @property
    def planned(self) -> str:
        return format_money(self.planned_minor, self.currency)

    @property
    def budget(self) -> str:
        return format_money(self.budget_minor, self.currency)

    @property
    def verdict(self) -> str:
        """Whether the plan matches the budget, said plainly."""
        gap = self.budget_minor - self.planned_minor
        if gap == 0:
            return "The planned placements use exactly the whole budget."
        amount = format_money(abs(gap), self.currency)
        if gap < 0:
            return f"The planned placements cost {amount} more than the budget."
        return f"The planned placements fall short of the budget: {amount} is not yet planned."

    @property
    def balanced(self) -> bool:
        return self.planned_minor == self.budget_minor


def plan_summary(revision: Any) -> PlanSummary:
    return PlanSummary(
        sum(p["planned_cost_minor"] for p in revision.placements),
        revision.total_budget_minor,
        revision.currency,
    )

"""Pure DataFrame functions that turn SQL aggregates into the report's figures.

No database here: every function takes and returns DataFrames or plain values, so the report's
arithmetic is tested without one. Money stays integer minor units; shares of joint money are
split with the largest-remainder rule of :func:`comarketing.money.split_by_shares`, cell by
cell, so the parts of every party always add up to the whole. Ratios are exact fractions of
integers, turned into floats only for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from comarketing.money import SHARE_TOTAL

# Conversions are whole hundredths (2.47 attributed conversions = 247).
COUNTS = ("impressions", "reach", "clicks", "leads", "conversions_hundredths")
SUMS = (*COUNTS, "spend_minor", "revenue_minor", "reported_cost_minor")
KEYS = ["campaign_id", "channel", "month"]


def empty_cells() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "campaign_id": pd.Series(dtype="int64"),
            "channel": pd.Series(dtype="str"),
            "month": pd.Series(dtype="str"),
            **{name: pd.Series(dtype="int64") for name in (*COUNTS, "revenue_minor", "cost_minor")},
        }
    )


def share_of(
    amounts: pd.DataFrame, column: str, parties: pd.DataFrame, share_column: str, org: int
) -> pd.Series:
    """Organization ``org``'s part of ``amounts[column]`` in every row, split among the row's
    campaign parties by ``parties[share_column]`` (basis points) with the largest remainder
    (ties to the lower organization id), exactly as ``money.split_by_shares`` does."""
    cells = len(amounts)
    if not cells:
        return pd.Series(dtype="int64", index=amounts.index)
    # In NumPy rather than merges and sorts: the dashboard splits thousands of cells twice per
    # page, and each pandas step costs a millisecond or so whatever the size.
    ordered = parties.sort_values(["campaign_id", "organization_id"])
    party_campaign = ordered["campaign_id"].to_numpy(dtype="int64")
    party_org = ordered["organization_id"].to_numpy(dtype="int64")
    party_share = ordered[share_column].to_numpy(dtype="int64")
    value = amounts[column].to_numpy(dtype="int64")
    # Every cell paired with each party of its campaign (a campaign's parties are adjacent).
    campaign = amounts["campaign_id"].to_numpy(dtype="int64")
    first = np.searchsorted(party_campaign, campaign, side="left")
    count = np.searchsorted(party_campaign, campaign, side="right") - first
    cell = np.repeat(np.arange(cells), count)
    party = np.repeat(first - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
    exact = value[cell] * party_share[party]
    part = exact // SHARE_TOTAL
    remainder = exact % SHARE_TOTAL
    parted = np.zeros(cells, dtype="int64")
    np.add.at(parted, cell, part)
    leftover = value - parted
    # The leftover units go one each to the largest remainders, ties to the lower id: the
    # organization gets one if fewer than ``leftover`` parties of the cell come before it.
    others = party_org[party]
    mine = others == org
    is_party = np.zeros(cells, dtype=bool)
    is_party[cell[mine]] = True
    my_remainder = np.zeros(cells, dtype="int64")
    my_remainder[cell[mine]] = remainder[mine]
    ahead = (remainder > my_remainder[cell]) | ((remainder == my_remainder[cell]) & (others < org))
    rank = np.bincount(cell[ahead], minlength=cells)
    result = np.zeros(cells, dtype="int64")
    result[cell[mine]] = part[mine]
    result += (is_party & (rank < leftover)).astype("int64")
    return pd.Series(result, index=amounts.index)


def own_cells(
    metrics: pd.DataFrame,
    spend: pd.DataFrame,
    campaigns: pd.DataFrame,
    parties: pd.DataFrame,
    org: int,
) -> pd.DataFrame:
    """One row per campaign, channel and month with the campaign's figures and the
    organization's own spend and revenue (its shares of the joint money; all of its solo)."""
    cells = metrics.merge(spend, on=KEYS, how="outer")
    for name in (*COUNTS, "revenue_minor", "cost_minor", "campaign_spend_minor"):
        if name not in cells:
            cells[name] = 0
        cells[name] = cells[name].fillna(0).astype("int64")
    cells = cells.merge(campaigns[["campaign_id", "kind", "currency"]], on="campaign_id")
    cells["spend_minor"] = share_of(cells, "campaign_spend_minor", parties, "budget_share_bp", org)
    # What the platforms reported it cost, by the same share: shown beside spend, never in it.
    cells["reported_cost_minor"] = share_of(cells, "cost_minor", parties, "budget_share_bp", org)
    cells["campaign_revenue_minor"] = cells["revenue_minor"]
    cells["revenue_minor"] = share_of(
        cells, "campaign_revenue_minor", parties, "revenue_share_bp", org
    )
    return cells.reset_index(drop=True)


def totals(cells: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sums of every figure by ``by`` plus the number of campaigns with any figure."""
    if cells.empty:
        return pd.DataFrame(columns=[*by, "campaigns", *SUMS])
    grouped = cells.groupby(by, dropna=False)
    out = grouped[list(SUMS)].sum()
    out["campaigns"] = grouped["campaign_id"].nunique()
    return out.reset_index()


# ---------------------------------------------------------------------------------------------
# Ratios


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """None where the denominator is zero: division by zero never reaches a page."""
    return Fraction(int(numerator), int(denominator)) if denominator else None


@dataclass(frozen=True)
class Figures:
    """The headline figures of one kind (joint or solo) in one currency."""

    campaigns: int
    spend_minor: int
    impressions: int
    reach: int
    clicks: int
    leads: int
    conversions_hundredths: int
    revenue_minor: int
    # The organization's share of the platform-reported cost (results), beside spend (ledger).
    reported_cost_minor: int = 0

    @property
    def cost_difference_minor(self) -> int:
        """Reported cost minus spend: what the platforms say it cost beyond the claims."""
        return self.reported_cost_minor - self.spend_minor

    @property
    def frequency(self) -> Fraction | None:
        return ratio(self.impressions, self.reach)

    @property
    def cpm_minor(self) -> Fraction | None:
        return ratio(self.spend_minor * 1000, self.impressions)

    @property
    def cost_per_thousand_reached_minor(self) -> Fraction | None:
        return ratio(self.spend_minor * 1000, self.reach)

    @property
    def cpl_minor(self) -> Fraction | None:
        return ratio(self.spend_minor, self.leads)

    @property
    def conversions(self) -> Decimal:
        """Conversions exactly, to two decimals."""
        return Decimal(self.conversions_hundredths).scaleb(-2)

    @property
    def conversion_rate(self) -> Fraction | None:
        return ratio(self.conversions_hundredths, self.clicks * 100)

    @property
    def roi(self) -> Fraction | None:
        return ratio(self.revenue_minor - self.spend_minor, self.spend_minor)

    @property
    def reach_per_spend(self) -> Fraction | None:
        return ratio(self.reach, self.spend_minor)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIGURE_NAMES}


FIGURE_NAMES = (
    "campaigns",
    "spend_minor",
    "reported_cost_minor",
    "cost_difference_minor",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "leads",
    "conversions_hundredths",
    "revenue_minor",
    "cpm_minor",
    "cost_per_thousand_reached_minor",
    "cpl_minor",
    "conversion_rate",
    "roi",
)


def figures_from(row: pd.Series | dict[str, Any] | None) -> Figures:
    if row is None:
        return Figures(0, 0, 0, 0, 0, 0, 0, 0)
    return Figures(
        campaigns=int(row["campaigns"]),
        spend_minor=int(row["spend_minor"]),
        impressions=int(row["impressions"]),
        reach=int(row["reach"]),
        clicks=int(row["clicks"]),
        leads=int(row["leads"]),
        conversions_hundredths=int(row["conversions_hundredths"]),
        revenue_minor=int(row["revenue_minor"]),
        reported_cost_minor=int(row["reported_cost_minor"]),
    )


@dataclass(frozen=True)
class Comparison:
    currency: str
    joint: Figures
    solo: Figures

    @property
    def reach_multiplier(self) -> Fraction | None:
        joint, solo = self.joint.reach_per_spend, self.solo.reach_per_spend
        if joint is None or solo is None or solo == 0:
            return None
        return joint / solo

    @property
    def missing(self) -> list[str]:
        """What is missing for a fair comparison, in plain words (empty when nothing is)."""
        gaps = []
        for label, figures in (("joint", self.joint), ("solo", self.solo)):
            if figures.campaigns == 0:
                gaps.append(f"no {label} campaign has results or spend in this period")
            else:
                if figures.spend_minor <= 0:
                    gaps.append(f"no {label} spend is recorded in this period")
                if figures.reach == 0:
                    gaps.append(f"no {label} reach is reported in this period")
        return gaps

    def reading(self, currency_unit: str) -> str:
        multiplier = self.reach_multiplier
        if multiplier is None:
            return (
                "The reach multiplier needs both joint and solo reach and spend: "
                + ("; ".join(self.missing) or "one side has none")
                + "."
            )
        value = float(multiplier)
        if value >= 1:
            return (
                f"Joint campaigns reached {value:.1f}x as many people per {currency_unit} "
                "spent as solo campaigns."
            )
        return (
            f"Joint campaigns reached {value:.2f}x the people per {currency_unit} spent "
            f"as solo campaigns: solo reached {1 / value:.1f}x as many."
        )


def comparisons(cells: pd.DataFrame) -> list[Comparison]:
    """Joint vs solo per currency: figures are never summed across currencies."""
    by_kind = totals(cells, ["currency", "kind"])
    result = []
    for currency in sorted(by_kind["currency"].unique()) if not by_kind.empty else []:
        rows = by_kind[by_kind["currency"] == currency].set_index("kind")
        joint = figures_from(rows.loc["joint"]) if "joint" in rows.index else figures_from(None)
        solo = figures_from(rows.loc["solo"]) if "solo" in rows.index else figures_from(None)
        result.append(Comparison(currency=str(currency), joint=joint, solo=solo))
    return result


def breakdown(cells: pd.DataFrame, by: str) -> pd.DataFrame:
    """A table by ``by`` (channel or month) with joint and solo side by side, per currency."""
    table = totals(cells, ["currency", by, "kind"])
    return table.sort_values(["currency", by, "kind"]).reset_index(drop=True)


def by_partner(cells: pd.DataFrame, partners: pd.DataFrame) -> pd.DataFrame:
    """For each partner: the joint campaigns with them, the organization's spend, the campaigns'
    reach, the organization's revenue. ``partners``: campaign_id, partner_id, partner."""
    joint = cells[cells["kind"] == "joint"]
    if joint.empty or partners.empty:
        return pd.DataFrame(columns=["currency", "partner_id", "partner", "campaigns", *SUMS])
    long = joint.merge(partners, on="campaign_id")
    return (
        totals(long, ["currency", "partner_id", "partner"])
        .sort_values(["currency", "partner"])
        .reset_index(drop=True)
    )


def partners_of(campaigns: pd.DataFrame, parties: pd.DataFrame, org: int) -> pd.DataFrame:
    """campaign_id, partner_id, partner: the other parties of each joint campaign."""
    joint_ids = campaigns.loc[campaigns["kind"] == "joint", "campaign_id"]
    others = parties[(parties["campaign_id"].isin(joint_ids)) & (parties["organization_id"] != org)]
    return (
        others.rename(columns={"organization_id": "partner_id", "name": "partner"})[
            ["campaign_id", "partner_id", "partner"]
        ]
        .sort_values(["partner", "campaign_id"])
        .reset_index(drop=True)
    )

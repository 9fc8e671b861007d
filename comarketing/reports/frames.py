"""Pure DataFrame functions that turn SQL aggregates into the report's figures.

No database here: every function takes and returns DataFrames or plain values, so the report's
arithmetic is tested without one. Money stays integer minor units; shares of joint money are
split with the largest-remainder rule of :func:`comarketing.money.split_by_shares`, cell by
cell, so the parts of every party always add up to the whole. Ratios are exact fractions of
integers, turned into floats only for display. A cell is one placement in one month of the
period: what a cell did not report counts for nothing, in sums and in ratios (``coverage``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from comarketing.metrics.models import DAYS_FIELDS, VALUE_FIELDS
from comarketing.money import SHARE_TOTAL
from comarketing.reports import bootstrap, coverage, people
from comarketing.reports.coverage import Figures, figures_from, ratio

__all__ = ["Figures", "figures_from", "ratio"]

KEYS = ["campaign_id", "placement_id", "channel", "month"]
# The daily figures of a cell as the queries name them (sums of the reported values).
METRICS = tuple(VALUE_FIELDS)


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
    """One row per placement and month with the placement's figures, what it reported
    (``full__*`` / ``any__*`` flags) and the organization's own spend and revenue (its shares
    of the joint money; all of its solo), with the ratios' covered parts."""
    # Each placement's flight and flight reach (``people.FACTS``) come with its metric cells.
    cells = metrics.merge(people.without_facts(spend), on=KEYS, how="outer")
    for name in ("days", *METRICS, *DAYS_FIELDS.values(), "campaign_spend_minor"):
        if name not in cells:
            cells[name] = 0
        cells[name] = cells[name].fillna(0).astype("int64")
    cells = cells.merge(campaigns[["campaign_id", "kind", "currency"]], on="campaign_id")
    days = cells["days"].to_numpy()
    flags: dict[str, np.ndarray] = {}
    for name in METRICS:
        reported_days = cells[DAYS_FIELDS[name]].to_numpy()
        flags[f"full__{name}"] = (days > 0) & (reported_days == days)
        flags[f"any__{name}"] = reported_days > 0
    cells = pd.concat([cells, pd.DataFrame(flags, index=cells.index)], axis=1)
    cells["spend_minor"] = share_of(cells, "campaign_spend_minor", parties, "budget_share_bp", org)
    # What the platforms reported it cost, by the same share: shown beside spend, never in it.
    cells["reported_cost_minor"] = share_of(cells, "cost_minor", parties, "budget_share_bp", org)
    cells["full__reported_cost_minor"] = cells["full__cost_minor"]
    cells["any__reported_cost_minor"] = cells["any__cost_minor"]
    cells["campaign_revenue_minor"] = cells["revenue_minor"]
    cells["revenue_minor"] = share_of(
        cells, "campaign_revenue_minor", parties, "revenue_share_bp", org
    )
    cells = people.fill_facts(cells.reset_index(drop=True), spend)
    return coverage.with_coverage_parts(cells)


def totals(cells: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sums, covered parts and reporting counts by ``by`` (``coverage.totals``)."""
    return coverage.totals(cells, by)


# What a placement does not change within a period: groupings by these sum its cells once.
PLACEMENT_KEYS = ["currency", "kind", "channel"]


def placements_of(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells summed per placement (``coverage.per_placement``), for every breakdown that
    does not split a placement (kind, channel, partner), with its flight (``people.FACTS``)."""
    placements = coverage.per_placement(cells, PLACEMENT_KEYS)
    return people.with_facts(placements, cells)


# ---------------------------------------------------------------------------------------------
# Joint vs solo


@dataclass(frozen=True)
class Comparison:
    currency: str
    joint: Figures
    solo: Figures
    # Both reach multipliers and the ROI comparison, with campaigns and intervals (issue 16).
    measured: bootstrap.Measured = field(default_factory=bootstrap.Measured)

    @property
    def reach_multiplier(self) -> Fraction | None:
        """The multiplier on your spend (kept under its old name for the API)."""
        return self.measured.on_your_spend.value

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
                if not figures.reach:
                    gaps.append(f"no {label} reach is reported in this period")
        return gaps

    @property
    def notices(self) -> list[str]:
        """The headline ratios covering under half of either part, said next to the figures."""
        out = []
        for label, figures in (("Joint", self.joint), ("Solo", self.solo)):
            for spec in coverage.RATIOS:
                notice = figures.coverage[spec.name].notice
                # A part nobody reported is said once, as "not reported", not per ratio.
                unreported = any(
                    part != "spend_minor" and getattr(figures, part) is None
                    for part in (spec.a, spec.b)
                )
                if notice and figures.campaigns and not unreported:
                    out.append(f"{label} campaigns, {spec.label}: {notice}.")
        return out


def comparisons(placements: pd.DataFrame) -> list[Comparison]:
    """Joint vs solo per currency (``placements``: :func:`placements_of`): figures are never
    summed across currencies. The multipliers and their bootstrap are measured here, from the
    same placements (``bootstrap.by_currency``)."""
    by_kind = coverage.group(placements, ["currency", "kind"])
    measured = bootstrap.by_currency(placements)
    result = []
    for currency in sorted(by_kind["currency"].unique()) if not by_kind.empty else []:
        rows = by_kind[by_kind["currency"] == currency].set_index("kind")
        joint = figures_from(rows.loc["joint"]) if "joint" in rows.index else figures_from(None)
        solo = figures_from(rows.loc["solo"]) if "solo" in rows.index else figures_from(None)
        sides = measured.get(str(currency), bootstrap.Measured())
        result.append(Comparison(str(currency), joint, solo, sides))
    return result


def breakdown(cells: pd.DataFrame, by: str) -> pd.DataFrame:
    """A table by ``by`` with joint and solo side by side, per currency: ``cells`` by month;
    :func:`placements_of` by channel."""
    table = coverage.group(
        cells if by in PLACEMENT_KEYS else coverage.per_placement(cells, ["currency", by, "kind"]),
        ["currency", by, "kind"],
    )
    return table.sort_values(["currency", by, "kind"]).reset_index(drop=True)


def by_partner(placements: pd.DataFrame, partners: pd.DataFrame) -> pd.DataFrame:
    """For each partner: the joint campaigns with them, the organization's spend, the campaigns'
    reach, the organization's revenue. ``placements``: :func:`placements_of`; ``partners``:
    campaign_id, partner_id, partner."""
    by = ["currency", "partner_id", "partner"]
    joint = placements[placements["kind"] == "joint"]
    if joint.empty or partners.empty:
        return coverage.group(pd.DataFrame(), by)
    long = joint.merge(partners, on="campaign_id")
    return coverage.group(long, by).sort_values(["currency", "partner"]).reset_index(drop=True)


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

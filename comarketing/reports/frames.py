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
from comarketing.reports import bootstrap, coverage, grouping
from comarketing.reports.coverage import Figures, figures_from, ratio
from comarketing.reports.grouping import Columns

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
    if not len(amounts):
        return pd.Series(dtype="int64", index=amounts.index)
    split = _Split(parties, amounts["campaign_id"].to_numpy(dtype="int64"), org)
    return pd.Series(
        split.mine(amounts[column].to_numpy(dtype="int64"), share_column), index=amounts.index
    )


class _Split:
    """Every cell paired with each party of its campaign, worked out once for the several
    amounts of the same cells. In NumPy rather than merges and sorts: the dashboard splits
    thousands of cells three times per page, and each pandas step costs a millisecond or so
    whatever the size."""

    def __init__(self, parties: pd.DataFrame, campaign: np.ndarray, org: int) -> None:
        organization = parties["organization_id"].to_numpy(dtype="int64")
        self.ordered = ordered = np.lexsort((organization, parties["campaign_id"].to_numpy()))
        party_campaign = parties["campaign_id"].to_numpy(dtype="int64")[ordered]
        self.parties = parties
        self.org = org
        self.cells = cells = len(campaign)
        # A campaign's parties are adjacent.
        first = np.searchsorted(party_campaign, campaign, side="left")
        count = np.searchsorted(party_campaign, campaign, side="right") - first
        self.cell = cell = np.repeat(np.arange(cells), count)
        self.party = np.repeat(first - (np.cumsum(count) - count), count) + np.arange(
            int(count.sum())
        )
        self.others = others = organization[ordered][self.party]
        self.mine_at = mine = others == org
        self.is_party = np.zeros(cells, dtype=bool)
        self.is_party[cell[mine]] = True

    def mine(self, value: np.ndarray, share_column: str) -> np.ndarray:
        """The organization's part of ``value`` (one per cell) by ``share_column``."""
        cell, mine, cells = self.cell, self.mine_at, self.cells
        share = self.parties[share_column].to_numpy(dtype="int64")[self.ordered][self.party]
        exact = value[cell] * share
        part = exact // SHARE_TOTAL
        remainder = exact % SHARE_TOTAL
        parted = np.zeros(cells, dtype="int64")
        np.add.at(parted, cell, part)
        leftover = value - parted
        # The leftover units go one each to the largest remainders, ties to the lower id: the
        # organization gets one if fewer than ``leftover`` parties of the cell come before it.
        my_remainder = np.zeros(cells, dtype="int64")
        my_remainder[cell[mine]] = remainder[mine]
        ahead = (remainder > my_remainder[cell]) | (
            (remainder == my_remainder[cell]) & (self.others < self.org)
        )
        rank = np.bincount(cell[ahead], minlength=cells)
        result = np.zeros(cells, dtype="int64")
        result[cell[mine]] = part[mine]
        result += (self.is_party & (rank < leftover)).astype("int64")
        return result


CELL_COUNTS = ("days", *METRICS, *DAYS_FIELDS.values())


def _columns(side: pd.DataFrame | Columns) -> Columns:
    if isinstance(side, pd.DataFrame):
        return grouping.columns_of(side.reset_index(drop=True))
    return side


def _joined(metrics: pd.DataFrame | Columns, spend: pd.DataFrame | Columns) -> Columns:
    """The metric and spend cells side by side (one row per key of either, sorted by key as
    an outer merge gives them), 0 where one side has no cell. Each side has at most one row
    per key (a placement and month), so the join is a grouping of both sides' keys, in NumPy:
    a pandas merge of a few thousand rows costs more than everything else done here."""
    sides = _columns(metrics), _columns(spend)
    metric_rows = grouping.length(sides[0])
    if not metric_rows or not grouping.length(sides[1]):
        # Nothing to match: the other side's columns are all 0.
        cells = dict(sides[0] if metric_rows else sides[1])
        size = grouping.length(cells)
        for name in (*CELL_COUNTS, "campaign_spend_minor"):
            if name not in cells:
                cells[name] = np.zeros(size, dtype="int64")
            elif cells[name].dtype != "int64":  # the columns of a side without rows
                cells[name] = cells[name].astype("int64")
        return cells
    both = {key: grouping.concatenate([side[key] for side in sides]) for key in KEYS}
    # A placement is of one campaign and one channel: its id and the month make the cell, in
    # the order of all four keys.
    grouped = grouping.groups(both, ["campaign_id", "placement_id", "month"])
    at_metric, at_spend = grouped.of_row[:metric_rows], grouped.of_row[metric_rows:]
    cells = grouping.keys(both, grouped, KEYS)
    for name in CELL_COUNTS:
        cells[name] = np.zeros(grouped.count, dtype="int64")
        cells[name][at_metric] = sides[0][name]
    cells["campaign_spend_minor"] = np.zeros(grouped.count, dtype="int64")
    cells["campaign_spend_minor"][at_spend] = sides[1]["campaign_spend_minor"]
    return cells


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
    return grouping.to_frame(own_cell_columns(metrics, spend, campaigns, parties, org))


def own_cell_columns(
    metrics: pd.DataFrame | Columns,
    spend: pd.DataFrame | Columns,
    campaigns: pd.DataFrame,
    parties: pd.DataFrame,
    org: int,
) -> Columns:
    """:func:`own_cells` as :data:`grouping.Columns`, the form the dashboard's steps read."""
    cells = _joined(metrics, spend)
    # Each cell's campaign's kind and currency, looked up by id (the cells' campaigns are
    # among ``campaigns``; a cell of another is dropped, as an inner merge would).
    ids = campaigns["campaign_id"].to_numpy(dtype="int64")
    order = np.argsort(ids, kind="stable")
    campaign = cells["campaign_id"].astype("int64")
    at = np.minimum(np.searchsorted(ids[order], campaign), max(len(ids) - 1, 0))
    known = (ids[order][at] == campaign) if len(ids) else np.zeros(len(campaign), dtype=bool)
    if not known.all():
        kept = np.flatnonzero(known)
        cells = {name: grouping.take(values, kept) for name, values in cells.items()}
        campaign, at = campaign[known], at[known]
    row = order[at]
    revenue = cells.pop("revenue_minor").astype("int64")
    new: Columns = {
        name: _looked_up(campaigns[name].to_numpy(), row) for name in ("kind", "currency")
    }
    days = cells["days"]
    for name in METRICS:
        reported_days = cells[DAYS_FIELDS[name]]
        new[f"full__{name}"] = (days > 0) & (reported_days == days)
        new[f"any__{name}"] = reported_days > 0
    split = _Split(parties, campaign, org)
    budget = "budget_share_bp"
    new["spend_minor"] = split.mine(cells["campaign_spend_minor"].astype("int64"), budget)
    # What the platforms reported it cost, by the same share: shown beside spend, never in it.
    new["reported_cost_minor"] = split.mine(cells["cost_minor"].astype("int64"), budget)
    new["full__reported_cost_minor"] = new["full__cost_minor"]
    new["any__reported_cost_minor"] = new["any__cost_minor"]
    new["campaign_revenue_minor"] = revenue
    new["revenue_minor"] = split.mine(revenue, "revenue_share_bp")
    cells.update(new)
    cells.update(coverage.coverage_parts(cells))
    return cells


def _looked_up(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` with its sort codes (``grouping.coded``), worked out on ``values``: a
    campaign's text for each of its cells, coded once per campaign rather than per cell."""
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=False)
    picked = codes[rows].astype("int64")
    return grouping.coded(np.asarray(uniques, dtype=object)[picked], picked)


def totals(cells: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Sums, covered parts and reporting counts by ``by`` (``coverage.totals``)."""
    return coverage.totals(cells, by)


# What a placement does not change within a period: groupings by these sum its cells once.
PLACEMENT_KEYS = ["currency", "kind", "channel"]


def placements_of(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells summed per placement (``coverage.per_placement``), for every breakdown that
    does not split a placement (kind, channel, partner)."""
    return coverage.per_placement(cells, PLACEMENT_KEYS)


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
    if placements.empty:
        return []
    return comparisons_of(grouping.columns_of(placements))


def comparisons_of(placements: Columns) -> list[Comparison]:
    """:func:`comparisons` of placements as :data:`grouping.Columns` (at least one row)."""
    by_kind = coverage.group_columns(placements, ["currency", "kind"])
    measured = bootstrap.by_currency_of(placements)
    # Plain dicts: reading a figure from a pandas row costs more than working it out.
    rows = {(row["currency"], row["kind"]): row for row in coverage.rows_of(by_kind)}
    return [
        Comparison(
            currency=str(currency),
            joint=figures_from(rows.get((currency, "joint"))),
            solo=figures_from(rows.get((currency, "solo"))),
            measured=measured.get(str(currency), bootstrap.Measured()),
        )
        for currency in sorted({currency for currency, _ in rows})
    ]


def breakdown(cells: pd.DataFrame, by: str) -> pd.DataFrame:
    """A table by ``by`` with joint and solo side by side, per currency: ``cells`` by month;
    :func:`placements_of` by channel."""
    keys = ["currency", by, "kind"]
    if not cells.empty and grouping.integer_columns(cells, coverage.SUMMED):
        return breakdown_of(grouping.columns_of(cells), by)
    if by in PLACEMENT_KEYS:
        rows = cells
    elif by == "month":  # the cells are placement-months: each is its placement in its month
        rows = coverage.cells_as_placements(cells, keys)
    else:
        rows = coverage.per_placement(cells, keys)
    table = coverage.group(rows, keys)
    return table.sort_values(["currency", by, "kind"]).reset_index(drop=True)


def breakdown_of(cells: Columns, by: str) -> pd.DataFrame:
    """:func:`breakdown` of cells (or placements) as :data:`grouping.Columns` (at least one
    row): the groups come sorted by their keys."""
    keys = ["currency", by, "kind"]
    if by in PLACEMENT_KEYS:
        rows = cells
    elif by == "month":
        rows = coverage.cell_placement_columns(cells, keys)
    else:
        rows = coverage.placement_columns(cells, keys)
    return grouping.to_frame(coverage.group_columns(rows, keys))


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


def by_partner_of(placements: Columns, partners: pd.DataFrame) -> pd.DataFrame:
    """:func:`by_partner` of placements as :data:`grouping.Columns`: each joint placement
    paired with every partner of its campaign in NumPy rather than by a merge."""
    joint = np.flatnonzero(placements["kind"] == "joint")
    partner_campaign = partners["campaign_id"].to_numpy(dtype="int64")
    order = np.argsort(partner_campaign, kind="stable")
    campaign = placements["campaign_id"][joint]
    first = np.searchsorted(partner_campaign[order], campaign, side="left")
    count = np.searchsorted(partner_campaign[order], campaign, side="right") - first
    if not count.sum():
        return by_partner(grouping.to_frame(placements), partners)
    rows = np.repeat(joint, count)
    partner_rows = order[
        np.repeat(first - (np.cumsum(count) - count), count) + np.arange(int(count.sum()))
    ]
    names = ["currency", "campaign_id", *coverage.SUMMED, *coverage.PER_PART]
    long = {name: grouping.take(placements[name], rows) for name in names}
    long["partner_id"] = partners["partner_id"].to_numpy()[partner_rows]
    long["partner"] = partners["partner"].to_numpy()[partner_rows]
    # Grouped in the order ``sort_values(["currency", "partner"])`` gives: by name, then (for
    # the same name, were there two) by id, as that stable sort keeps them.
    table = coverage.group_columns(long, ["currency", "partner", "partner_id"])
    by = ["currency", "partner_id", "partner"]
    return grouping.to_frame(table, [*by, *(c for c in table if c not in by)])


def partners_of(campaigns: pd.DataFrame, parties: pd.DataFrame, org: int) -> pd.DataFrame:
    """campaign_id, partner_id, partner: the other parties of each joint campaign, by partner
    name and campaign."""
    joint_ids = campaigns["campaign_id"].to_numpy()[campaigns["kind"].to_numpy() == "joint"]
    campaign = parties["campaign_id"].to_numpy()
    organization = parties["organization_id"].to_numpy()
    name = parties["name"].to_numpy()
    others = np.flatnonzero(np.isin(campaign, joint_ids) & (organization != org))
    # Sorted as ``sort_values(["partner", "campaign_id"])``: by the names' sorted codes.
    name_codes = pd.factorize(name[others], sort=True, use_na_sentinel=False)[0]
    rows = others[np.lexsort((campaign[others], name_codes))]
    return pd.DataFrame(
        {
            "campaign_id": campaign[rows],
            "partner_id": organization[rows],
            "partner": parties["name"].iloc[rows].reset_index(drop=True),  # its dtype kept
        }
    )


def partner_choices(partners: pd.DataFrame) -> pd.DataFrame:
    """partner_id, partner: each partner of :func:`partners_of` once, by name (the filter's
    choices), labelled by its first row there."""
    ids = partners["partner_id"].to_numpy()
    first = np.sort(np.unique(ids, return_index=True)[1])  # rows of ``partners``: by name
    return partners.iloc[first, partners.columns.get_indexer(["partner_id", "partner"])]

"""Reports count only what was reported: sums of the reported values, ratios over the parts of
the data that reported both their parts, and the coverage of every ratio (issue 15).

Granularity: the **placement-month** (one placement in one month of the period, cut at the
period's edges). A cell *reports* a figure when every daily row it has carries the figure (the
rollup's ``<figure>_days`` equals its ``days``; over edge days, ``COUNT(figure) = COUNT(*)``);
a cell without any daily row reports nothing. Spend comes from the ledger and is always known:
a placement-month without claims spent 0. A ratio adds up only the cells that report both of
its parts; its **coverage** is, on each side, the share of that part's reported total lying in
those cells ("reach reported for 62 % of spend"). A headline whose coverage is under half on
either side says so next to the figure.

Pure functions over small frames: no database. The cells frame has one row per placement-month
with ``campaign_id``, ``placement_id``, the parts (``spend_minor`` and ``METRIC_PARTS``, sums of
the reported values, 0 where none) and, per metric part P, the flags ``full__P`` (reported on
every day of the cell) and ``any__P`` (reported on at least one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from comarketing.reports import grouping
from comarketing.reports.grouping import Columns

if TYPE_CHECKING:
    from comarketing.reports.people import PeopleReached

# Figures a placement-month may or may not report, as the cells name them (revenue and
# reported cost are the organization's shares; their flags are those of the campaign's figure).
METRIC_PARTS = (
    "impressions",
    "reach",
    "clicks",
    "leads",
    "conversions_hundredths",
    "revenue_minor",
    "reported_cost_minor",
)
PARTS = ("spend_minor", *METRIC_PARTS)
LABELS = {
    "spend_minor": "spend",
    "impressions": "impressions",
    "reach": "reach",
    "clicks": "clicks",
    "leads": "leads",
    "conversions_hundredths": "conversions",
    "revenue_minor": "revenue",
    "reported_cost_minor": "reported cost",
}
NOT_REPORTED = "not reported"


@dataclass(frozen=True)
class RatioSpec:
    """A figure computed from two parts: only over the cells reporting both."""

    name: str
    a: str
    b: str
    label: str


RATIOS = (
    RatioSpec("frequency", "impressions", "reach", "Frequency"),
    RatioSpec("cpm_minor", "spend_minor", "impressions", "CPM"),
    RatioSpec("cost_per_thousand_reached_minor", "spend_minor", "reach", "Cost per 1,000 reached"),
    RatioSpec("cpl_minor", "spend_minor", "leads", "CPL"),
    RatioSpec("conversion_rate", "conversions_hundredths", "clicks", "Conversion rate"),
    RatioSpec("roi", "spend_minor", "revenue_minor", "ROI"),
    RatioSpec("cost_difference_minor", "spend_minor", "reported_cost_minor", "Cost difference"),
)
RATIO_NAMES = tuple(r.name for r in RATIOS)
BY_NAME = {r.name: r for r in RATIOS}


def percent_text(share: Fraction) -> str:
    """A share as whole percent, never rounded up to 100 % nor down to 0 %."""
    whole = int(share * 100)
    if share < 1 and whole >= 100:
        whole = 99
    if share > 0 and whole == 0:
        return "under 1 %"
    return f"{whole} %"


@dataclass(frozen=True)
class Coverage:
    """How much of each part of a ratio lies in the cells that reported both parts."""

    a: str
    b: str
    covered_a: int
    total_a: int
    covered_b: int
    total_b: int

    @property
    def share_a(self) -> Fraction | None:
        """Of part a (e.g. spend), the share where part b (e.g. reach) was reported too."""
        return Fraction(self.covered_a, self.total_a) if self.total_a else None

    @property
    def share_b(self) -> Fraction | None:
        return Fraction(self.covered_b, self.total_b) if self.total_b else None

    def _sides(self) -> list[tuple[Fraction, str, str]]:
        """(share, the part it is a share of, the other part), known sides, lowest first."""
        # Worked out once per coverage and kept on the (frozen) instance: a page asks for it
        # several times per figure, and every Fraction costs a gcd.
        cached: list[tuple[Fraction, str, str]] | None = self.__dict__.get("_sides_known")
        if cached is None:
            sides = [(self.share_a, self.a, self.b), (self.share_b, self.b, self.a)]
            known = [(s, of, other) for s, of, other in sides if s is not None]
            cached = self.__dict__["_sides_known"] = sorted(known, key=lambda side: side[0])
        return cached

    @property
    def share(self) -> Fraction | None:
        """The lower of the two sides' shares (None when neither part has any amount)."""
        sides = self._sides()
        return sides[0][0] if sides else None

    @property
    def below_half(self) -> bool:
        share = self.share
        return share is not None and share < Fraction(1, 2)

    @property
    def text(self) -> str | None:
        """ "reach reported for 62 % of spend", on the lower side."""
        sides = self._sides()
        if not sides:
            return None
        share, of, other = sides[0]
        return f"{LABELS[other]} reported for {percent_text(share)} of {LABELS[of]}"

    @property
    def notice(self) -> str | None:
        """Said next to a figure covering under half of either part."""
        if not self.below_half:
            return None
        share, of, other = self._sides()[0]
        return (
            f"based on under half of {LABELS[of]}: "
            f"{LABELS[other]} reported for {percent_text(share)}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "parts": [LABELS[self.a], LABELS[self.b]],
            "share": self.share,
            "shares": {LABELS[self.a]: self.share_a, LABELS[self.b]: self.share_b},
            "text": self.text,
            "below_half": self.below_half,
            "notice": self.notice,
        }


def ratio(numerator: int, denominator: int) -> Fraction | None:
    """None where the denominator is zero: division by zero never reaches a page."""
    return Fraction(int(numerator), int(denominator)) if denominator else None


EMPTY_COVERAGE = {r.name: Coverage(r.a, r.b, 0, 0, 0, 0) for r in RATIOS}


@dataclass(frozen=True)
class Figures:
    """The figures of one group (a kind, a channel, a month ...) in one currency.

    A sum is None when no placement reported it ("not reported", never 0); ``missing`` says
    per part how many of the ``placements`` did not report it on all their days."""

    campaigns: int
    spend_minor: int
    impressions: int | None = None
    reach: int | None = None
    clicks: int | None = None
    leads: int | None = None
    conversions_hundredths: int | None = None
    revenue_minor: int | None = None
    # The organization's share of the platform-reported cost (results), beside spend (ledger).
    reported_cost_minor: int | None = None
    placements: int = 0
    missing: Mapping[str, int] = field(default_factory=dict)
    coverage: Mapping[str, Coverage] = field(default_factory=lambda: EMPTY_COVERAGE)
    # People reached and the kinds of reach it rests on (``reports.people``), on the headline.
    people: PeopleReached | None = None

    def _covered(self, name: str) -> tuple[int, int]:
        c = self.coverage[name]
        return c.covered_a, c.covered_b

    @property
    def frequency(self) -> Fraction | None:
        impressions, reach = self._covered("frequency")
        return ratio(impressions, reach)

    @property
    def cpm_minor(self) -> Fraction | None:
        spend, impressions = self._covered("cpm_minor")
        return ratio(spend * 1000, impressions)

    @property
    def cost_per_thousand_reached_minor(self) -> Fraction | None:
        spend, reach = self._covered("cost_per_thousand_reached_minor")
        return ratio(spend * 1000, reach)

    @property
    def cpl_minor(self) -> Fraction | None:
        spend, leads = self._covered("cpl_minor")
        return ratio(spend, leads)

    @property
    def conversion_rate(self) -> Fraction | None:
        hundredths, clicks = self._covered("conversion_rate")
        return ratio(hundredths, clicks * 100)

    @property
    def roi(self) -> Fraction | None:
        spend, revenue = self._covered("roi")
        return ratio(revenue - spend, spend)

    @property
    def reach_per_spend(self) -> Fraction | None:
        spend, reach = self._covered("cost_per_thousand_reached_minor")
        return ratio(reach, spend)

    @property
    def cost_difference_minor(self) -> int | None:
        """Reported cost minus spend, over the placement-months that reported a cost."""
        if self.reported_cost_minor is None:
            return None
        spend, cost = self._covered("cost_difference_minor")
        return cost - spend

    @property
    def conversions(self) -> Fraction | None:
        """Conversions, exact (attribution models report fractions: 2.47)."""
        hundredths = self.conversions_hundredths
        return None if hundredths is None else Fraction(hundredths, 100)

    def note(self, part: str) -> str | None:
        """What to say beside a sum: "not reported", "not reported for 3 of 8 placements"."""
        if getattr(self, part) is None:
            return NOT_REPORTED if self.placements else None
        missing = self.missing.get(part, 0)
        if missing:
            return f"{NOT_REPORTED} for {missing:,} of {self.placements:,} placements"
        return None

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


def with_coverage_parts(cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` plus, per ratio R, ``R__a`` and ``R__b`` (its parts where both are reported),
    ``campaign_spend_minor`` where missing (= ``spend_minor``), and per metric part P the
    integer flags ``notfull__P`` and ``some__P`` that :func:`totals` adds up."""
    new = coverage_parts(grouping.columns_of(cells))
    return pd.concat([cells, pd.DataFrame(new, index=cells.index)], axis=1)


def coverage_parts(cells: Columns) -> Columns:
    """The columns :func:`with_coverage_parts` adds, of cells as :data:`grouping.Columns`."""
    full = {part: cells[f"full__{part}"].astype(bool) for part in METRIC_PARTS}
    full["spend_minor"] = np.ones(grouping.length(cells), dtype=bool)  # the ledger: always known
    new: Columns = {}
    if "campaign_spend_minor" not in cells:  # cells whose spend is already the whole (a campaign)
        new["campaign_spend_minor"] = cells["spend_minor"].astype("int64")
    for spec in RATIOS:
        both = full[spec.a] & full[spec.b]
        new[f"{spec.name}__a"] = np.where(both, cells[spec.a].astype("int64"), 0)
        new[f"{spec.name}__b"] = np.where(both, cells[spec.b].astype("int64"), 0)
    for part in METRIC_PARTS:
        new[f"notfull__{part}"] = (~full[part]).astype("int64")
        new[f"some__{part}"] = cells[f"any__{part}"].astype(bool).astype("int64")
    return new


# The joint campaigns' whole spend (all parties' shares) rides along: the multiplier on whole
# spend divides by it.
SUMMED = [
    *PARTS,
    "campaign_spend_minor",
    *(f"{r.name}__{side}" for r in RATIOS for side in ("a", "b")),
]
COUNTED = [f"{kind}__{part}" for part in METRIC_PARTS for kind in ("notfull", "some")]
PER_PART = [f"{kind}__{p}" for p in METRIC_PARTS for kind in ("reported", "missing")]
# COUNTED's flags as a placement's: any day not reported in any cell, it misses the figure.
FLAG_OF_COUNTED = {
    c: c.replace("notfull__", "missing__").replace("some__", "reported__") for c in COUNTED
}


def per_placement(cells: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The cells summed per placement (and ``by``, which a placement may span: a month), with
    per metric part ``reported__P`` (some day reported it) and ``missing__P`` (some day did
    not): a placement reports a figure when it did in each of its cells. A placement belongs
    to one campaign, so grouping by both makes no more groups."""
    keys = _placement_keys(by)
    if cells.empty:
        return pd.DataFrame(columns=[*keys, *SUMMED, *PER_PART])
    if grouping.integer_columns(cells, [*SUMMED, *COUNTED]):
        return grouping.to_frame(placement_columns(grouping.columns_of(cells), by))
    placements = (
        cells.groupby(keys, sort=False, dropna=False)[[*SUMMED, *COUNTED]].sum().reset_index()
    )
    return _placement_rows(placements, keys)


PLACEMENT_FIXED = frozenset(("currency", "kind", "channel", "campaign_id"))


def _placement_keys(by: list[str]) -> list[str]:
    return [*by, *(k for k in ("campaign_id", "placement_id") if k not in by)]


def placement_columns(cells: Columns, by: list[str]) -> Columns:
    """:func:`per_placement` of cells as :data:`grouping.Columns` (at least one row): the same
    rows, summed in NumPy (``grouping``)."""
    keys = _placement_keys(by)
    # A placement has one campaign (of one kind and currency) and one channel: grouping by its
    # id alone makes the same groups, in the same order (of their first rows), sooner.
    grouped = grouping.groups(cells, [k for k in keys if k not in PLACEMENT_FIXED], sort=False)
    counted = grouping.sums(cells, grouped, COUNTED)
    return {
        **grouping.keys(cells, grouped, keys),
        **grouping.sums(cells, grouped, SUMMED),
        **{flag: (counted[c] > 0).astype("int64") for c, flag in FLAG_OF_COUNTED.items()},
    }


def cells_as_placements(cells: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """:func:`per_placement` of cells that are one per placement and group of ``by`` already
    (placement-months by month): the same rows without summing groups of one."""
    keys = _placement_keys(by)
    if cells.empty:
        return pd.DataFrame(columns=[*keys, *SUMMED, *PER_PART])
    return _placement_rows(cells.reset_index(drop=True), keys)


def cell_placement_columns(cells: Columns, by: list[str]) -> Columns:
    """:func:`cells_as_placements` of cells as :data:`grouping.Columns`."""
    return {
        **{name: cells[name] for name in (*_placement_keys(by), *SUMMED)},
        **{flag: (cells[c] > 0).astype("int64") for c, flag in FLAG_OF_COUNTED.items()},
    }


def _placement_rows(placements: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    # Any day not reported in any cell: the placement misses the figure (COUNTED's order).
    flags = pd.DataFrame(
        (placements[COUNTED].to_numpy() > 0).astype("int64"), columns=list(FLAG_OF_COUNTED.values())
    )
    return pd.concat([placements[[*keys, *SUMMED]], flags], axis=1)


def group(placements: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group of ``by`` (columns of :func:`per_placement`'s rows): the sums of every part
    and of the ratios' covered parts, the campaigns and placements, and per metric part how
    many placements reported it at all (``reported__P``) and how many did not on all their
    days (``missing__P``)."""
    columns = [*by, "campaigns", "placements", *SUMMED, *PER_PART]
    if placements.empty:
        return pd.DataFrame(columns=columns)
    if grouping.integer_columns(placements, [*SUMMED, *PER_PART, "campaign_id"]):
        return grouping.to_frame(group_columns(grouping.columns_of(placements), by))
    grouped = placements.groupby(by, dropna=False)
    out = grouped[[*SUMMED, *PER_PART]].sum()
    out["campaigns"] = grouped["campaign_id"].nunique()
    out["placements"] = grouped["campaign_id"].size()
    return out.reset_index()[columns]


def group_columns(placements: Columns, by: list[str]) -> Columns:
    """:func:`group` of placements as :data:`grouping.Columns` (at least one row), in NumPy:
    the same rows, sorted by ``by``."""
    groups = grouping.groups(placements, by)
    return {
        **grouping.keys(placements, groups, by),
        "campaigns": grouping.distinct(placements["campaign_id"], groups),
        "placements": np.bincount(groups.of_row, minlength=groups.count),
        **grouping.sums(placements, groups, [*SUMMED, *PER_PART]),
    }


def rows_of(columns: Columns) -> list[dict[str, Any]]:
    """Every row of ``columns`` as a dict (to read figures from: cheaper than pandas rows)."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def totals(cells: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """:func:`group` of the cells (``with_coverage_parts``) by ``by``, through placements."""
    return group(per_placement(cells, by), by)


def figures_from(row: pd.Series | dict[str, Any] | None) -> Figures:
    """The figures of one row of :func:`totals` (an empty group without a row)."""
    if row is None:
        return Figures(campaigns=0, spend_minor=0)
    values: dict[str, Any] = {
        part: int(row[part]) if int(row[f"reported__{part}"]) else None for part in METRIC_PARTS
    }
    coverage = {}
    for spec in RATIOS:
        coverage[spec.name] = Coverage(
            spec.a,
            spec.b,
            int(row[f"{spec.name}__a"]),
            int(row[spec.a]),
            int(row[f"{spec.name}__b"]),
            int(row[spec.b]),
        )
    return Figures(
        campaigns=int(row["campaigns"]),
        spend_minor=int(row["spend_minor"]),
        placements=int(row["placements"]),
        missing={part: int(row[f"missing__{part}"]) for part in METRIC_PARTS},
        coverage=coverage,
        **values,
    )

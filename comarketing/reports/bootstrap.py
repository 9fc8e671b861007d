"""Both reach multipliers and the ROI comparison, joint vs solo, with how many campaigns stand on
each side and a 90 % campaign-level bootstrap interval (issue 16). Pure: no database.

- ``reports.people.with_people`` is the ONE place that decides a placement's people reached
  (``people``: its flight reach where the period covers the flight, else its daily reach summed)
  and whether it is known (``people_known``); the multipliers and their intervals read those two
  columns.
- :func:`campaign_rows` sums the placements per campaign: the bootstrap resamples these
  aggregated rows, never daily rows.
- :func:`compare` gives, for one currency, the exact point estimates (fractions of integer
  sums) and the intervals: each side's campaigns are resampled with replacement, ``RESAMPLES``
  times with a fixed seed (the page is stable), as one matrix of draws per side; the interval is
  the 5th and 95th percentile resamples (inverted CDF), recomputed exactly. With fewer than
  ``MIN_CAMPAIGNS`` campaigns on a side there is no interval but a warning.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from math import ceil

import numpy as np
import pandas as pd

from comarketing.reports import grouping

RESAMPLES = 2_000
SEED = 16
LEVEL = Fraction(90, 100)
MIN_CAMPAIGNS = 3
KEYS = ["currency", "kind", "campaign_id"]
# Per campaign: people over the placements whose people are known, and the own and whole spend
# of those placements; the ROI's covered parts (spend where revenue was reported, and gain).
ROW_PARTS = [
    "people",
    "people_spend_minor",
    "people_campaign_spend_minor",
    "roi_spend",
    "roi_gain",
    "people_known",
]


def campaign_rows(placements: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign (``KEYS`` and ``ROW_PARTS``) from placements with ``people`` and
    ``people_known`` (``people.with_people``)."""
    if placements.empty:
        return pd.DataFrame(columns=[*KEYS, *ROW_PARTS])
    columns = grouping.columns_of(placements)
    groups, summed = _campaign_sums(columns)
    return pd.DataFrame(
        {
            **grouping.keys(columns, groups, KEYS),
            **dict(zip(ROW_PARTS, summed.T, strict=True)),
        }
    )


def _campaign_sums(placements: grouping.Columns) -> tuple[grouping.Groups, np.ndarray]:
    """The campaigns (groups by ``KEYS``, sorted) and their sums of ``ROW_PARTS``."""
    known = placements["people_known"].astype(bool)

    def where_known(column: str) -> np.ndarray:
        return np.where(known, placements[column].astype("int64"), 0)

    spend = placements["roi__a"].astype("int64")
    parts = np.column_stack(
        [
            where_known("people"),
            where_known("spend_minor"),
            where_known("campaign_spend_minor"),
            spend,
            placements["roi__b"].astype("int64") - spend,
            known.astype("int64"),
        ]
    )
    groups = grouping.groups(placements, KEYS)
    return groups, np.add.reduceat(parts[groups.order], groups.starts, axis=0)


@dataclass(frozen=True)
class Spec:
    """A side's rate ``numerator / denominator``; the comparison is the joint rate divided by
    the solo one (``ratio``) or minus it (``difference``)."""

    name: str
    numerator: str
    denominator: str
    compare: str


SPECS = (
    Spec("on_your_spend", "people", "people_spend_minor", "ratio"),
    Spec("on_whole_spend", "people", "people_campaign_spend_minor", "ratio"),
    Spec("roi", "roi_gain", "roi_spend", "difference"),
)


@dataclass(frozen=True)
class Compared:
    """Joint vs solo on one figure: ``value`` compares ``joint`` and ``solo`` (each side's rate:
    people per minor unit of spend, or ROI); ``campaigns`` (joint, solo) stand behind it."""

    value: Fraction | None
    joint: Fraction | None
    solo: Fraction | None
    campaigns: tuple[int, int]
    interval: tuple[Fraction, Fraction] | None

    @property
    def too_few(self) -> bool:
        return min(self.campaigns) < MIN_CAMPAIGNS

    @property
    def warning(self) -> str | None:
        if not self.too_few:
            return None
        joint, solo = self.campaigns
        return f"rests on too few campaigns (joint: {joint}, solo: {solo})"


NONE = Compared(None, None, None, (0, 0), None)


@dataclass(frozen=True)
class Measured:
    """One currency: both multipliers, the ROI comparison, and the people on each side (the
    sums over the placements whose people are known; None where none is)."""

    on_your_spend: Compared = NONE
    on_whole_spend: Compared = NONE
    roi: Compared = NONE
    people: tuple[int | None, int | None] = (None, None)


def _rate(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def _compare(spec: Spec, joint: Fraction | None, solo: Fraction | None) -> Fraction | None:
    if joint is None or solo is None:
        return None
    if spec.compare == "difference":
        return joint - solo
    return joint / solo if solo else None


def _stat(spec: Spec, joint: np.ndarray, solo: np.ndarray) -> np.ndarray:
    """The comparison in every resample (sums: columns numerator, denominator); NaN where it
    is undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_j, rate_s = joint[:, 0] / joint[:, 1], solo[:, 0] / solo[:, 1]
        value = rate_j - rate_s if spec.compare == "difference" else rate_j / rate_s
    return np.where(np.isfinite(value), value, np.nan)


def resample_index(n: int, seed: list[int]) -> np.ndarray:
    """The campaigns drawn: RESAMPLES rows of n draws of n campaigns with replacement (int32:
    half the memory of int64; n * RESAMPLES stays far below 2**31 here)."""
    return np.random.default_rng(seed).integers(0, n, size=(RESAMPLES, n), dtype="int32")


# Resamples counted at a time: a block's counts stay in the CPU cache (three times faster at
# a thousand campaigns than counting all 2,000 resamples at once).
BLOCK = 50
# The draws depend only on the number of campaigns and the seed, so their counts are kept for
# the next page (most recently used first) while they take at most this much memory together.
CACHE_BYTES = 64 * 1024 * 1024
_counts_cache: OrderedDict[tuple[int, tuple[int, ...]], np.ndarray] = OrderedDict()
_counts_lock = threading.Lock()


def resample_counts(n: int, seed: list[int]) -> np.ndarray:
    """How often each of n campaigns is drawn in each resample of :func:`resample_index`:
    RESAMPLES x n, as floats (exact: small whole numbers) ready to multiply. Read-only: the
    same array is handed to every page with the same n and seed (``CACHE_BYTES``)."""
    key = (n, tuple(seed))
    with _counts_lock:
        counts = _counts_cache.get(key)
        if counts is not None:
            _counts_cache.move_to_end(key, last=False)
            return counts
    index = resample_index(n, seed)
    counts = np.empty((RESAMPLES, n))
    offsets = (np.arange(BLOCK, dtype="int32") * n)[:, None]
    for first in range(0, RESAMPLES, BLOCK):
        block = index[first : first + BLOCK]
        rows = len(block)
        drawn = np.bincount((block + offsets[:rows]).ravel(), minlength=rows * n)
        counts[first : first + rows] = drawn.reshape(rows, n)
    counts.flags.writeable = False
    if counts.nbytes <= CACHE_BYTES:
        with _counts_lock:
            _counts_cache[key] = counts
            _counts_cache.move_to_end(key, last=False)
            while sum(kept.nbytes for kept in _counts_cache.values()) > CACHE_BYTES:
                _counts_cache.popitem(last=True)
    return counts


# OpenBLAS multiplies on every core above about 2**18 multiply-adds; on a busy web server the
# wait for the other cores costs several times the product itself, so the product goes in
# slices below that.
SINGLE_THREAD_PRODUCT = 2**18


def resampled_sums(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per resample (row of :func:`resample_counts`), the sums of ``values``' columns over its
    campaigns, as floats (to order the resamples; the chosen ones are recomputed exactly).
    Exact too while every sum stays under 2**53 (9e15 minor units), so the order of the
    additions never matters."""
    resamples, n = counts.shape
    out = np.zeros((resamples, values.shape[1]))
    if not n:
        return out
    columns = values.astype("float64")
    step = max(1, SINGLE_THREAD_PRODUCT // (n * max(values.shape[1], 1)))
    for first in range(0, resamples, step):
        out[first : first + step] = counts[first : first + step] @ columns
    return out


def _ranks(count: int) -> tuple[int, int]:
    """The positions of the interval's ends among ``count`` sorted resamples (inverted CDF)."""
    tail = (1 - LEVEL) / 2
    return max(ceil(count * tail) - 1, 0), ceil(count * (1 - tail)) - 1


def compare(rows: pd.DataFrame) -> Measured:
    """Joint vs solo for the campaign rows (:func:`campaign_rows`) of ONE currency."""
    return _measure(
        {
            kind: rows.loc[rows["kind"] == kind, ROW_PARTS].to_numpy(dtype="int64")
            for kind in ("joint", "solo")
        }
    )


def _measure(values: dict[str, np.ndarray]) -> Measured:
    """:func:`compare` of each side's campaign rows (``ROW_PARTS`` as columns), joint first."""
    # One matrix of draws per side, shared by the three figures: a resample is a set of the side's
    # campaigns; those not standing behind a figure (no reach known, say) add 0 to its sums.
    # Not drawn at all when a side has too few campaigns for any interval.
    counts: dict[str, np.ndarray] = {}
    sums: dict[str, np.ndarray] = {}
    if min(len(v) for v in values.values()) >= MIN_CAMPAIGNS:
        counts = {k: resample_counts(len(v), [SEED, i]) for i, (k, v) in enumerate(values.items())}
        sums = {k: resampled_sums(counts[k], v) for k, v in values.items()}
    out = {}
    for spec in SPECS:
        columns = [ROW_PARTS.index(spec.numerator), ROW_PARTS.index(spec.denominator)]
        stand = {k: (v[:, columns] != 0).any(axis=1) for k, v in values.items()}
        exact = {k: [int(x) for x in v[:, columns].sum(axis=0)] for k, v in values.items()}
        joint, solo = (_rate(*exact[k]) for k in ("joint", "solo"))
        campaigns = (int(stand["joint"].sum()), int(stand["solo"].sum()))
        interval = None
        if min(campaigns) >= MIN_CAMPAIGNS:
            interval = _interval(spec, columns, values, counts, sums)
        out[spec.name] = Compared(_compare(spec, joint, solo), joint, solo, campaigns, interval)
    known = ROW_PARTS.index("people_known")
    joint_people, solo_people = (
        int(v[:, 0].sum()) if v[:, known].any() else None for v in values.values()
    )
    return Measured(people=(joint_people, solo_people), **out)


def _interval(
    spec: Spec,
    columns: list[int],
    values: dict[str, np.ndarray],
    counts: dict[str, np.ndarray],
    sums: dict[str, np.ndarray],
) -> tuple[Fraction, Fraction] | None:
    stat = _stat(spec, sums["joint"][:, columns], sums["solo"][:, columns])
    defined = np.flatnonzero(~np.isnan(stat))
    if not len(defined):
        return None
    ordered = defined[np.argsort(stat[defined], kind="stable")]
    ends = []
    for rank in _ranks(len(ordered)):
        b = ordered[rank]
        # The chosen resample's figure again, exactly, from its integer sums.
        drawn = {k: counts[k][b].astype("int64") for k in values}
        rates = (_rate(*(int(x) for x in drawn[k] @ values[k][:, columns])) for k in values)
        ends.append(_compare(spec, *rates))
    low, high = ends
    return None if low is None or high is None else (low, high)


def by_currency(placements: pd.DataFrame) -> dict[str, Measured]:
    """:func:`compare` per currency of ``placements`` (``frames.placements_of``)."""
    if placements.empty:
        return {}
    return by_currency_of(grouping.columns_of(placements))


def by_currency_of(placements: grouping.Columns) -> dict[str, Measured]:
    """:func:`by_currency` of placements as :data:`grouping.Columns` (at least one row): the
    rows of :func:`campaign_rows` (campaigns in id order), without building them as a frame."""
    groups, summed = _campaign_sums(placements)
    currency = placements["currency"][groups.first]
    kind = placements["kind"][groups.first]
    return {
        str(c): _measure({k: summed[(currency == c) & (kind == k)] for k in ("joint", "solo")})
        for c in sorted(set(currency.tolist()))
    }

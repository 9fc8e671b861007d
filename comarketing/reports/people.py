"""People reached, not person-days (issue 16): which reach a placement's figure rests on.

A platform reports reach per day; added up over days it counts a person once per day it was
reached (person-days), which platforms say never to do. A placement may also carry its
**flight reach**: the platform's own deduplicated reach over the placement's whole flight
(``start_date`` to ``end_date``). Per placement of a report (``frames.placements_of``):

- ``people``: the flight reach when it is known and the period covers the whole flight
  (period start <= start_date and end_date <= period end); else the summed reported daily
  reach (``reach``); 0 where neither;
- ``people_known``: 1 where ``people`` is complete: the flight reach is used, or daily reach
  was reported on every day with results (``missing__reach == 0`` and ``reported__reach``);
- ``people_kind``: ``flight`` | ``daily`` (some daily reach reported) | ``none``.

Per side (joint / solo) the headline adds up ``people`` (:class:`PeopleReached`) and says on
which kind of reach it rests, in shares of own spend. It is called people only when no part of
it is summed daily reach. Pure functions over small frames: no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from comarketing.reports import grouping
from comarketing.reports.coverage import percent_text

if TYPE_CHECKING:
    from comarketing.reports.frames import Comparison

KINDS = ("flight", "daily", "none")
API_KINDS = {"flight": "flight", "daily": "daily_summed", "none": "not_reported"}
KIND_TEXT = {"flight": "flight reach", "daily": "daily reach summed", "none": "not reported"}

FLIGHT_LABEL = "People reached (platforms' flight reach)"
# How every tile, column, chart and file names summed daily reach: never "people".
DAILY_LABEL = "Daily reach, summed (a person counts once per day)"
COST_PER_DAILY_REACH = "Cost per 1,000 of daily reach, summed"
EXPLAINED = (
    "People reached is the platforms' flight reach (each placement's own deduplicated reach "
    "over its whole flight) for the placements whose whole flight lies in the period. Where "
    "the period cuts a flight, or no flight reach was reported, the figure is the daily reach, "
    "summed: a person reached on 30 days counts 30 times, so it is labelled “daily reach, "
    "summed (a person counts once per day)” and never called people. Frequency (impressions "
    "per reach) and cost per 1,000 reached stay on daily reach, summed."
)


class Period(Protocol):
    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...


def with_people(
    placements: pd.DataFrame, period: Period, flights: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``placements`` (``frames.placements_of``) plus ``people``, ``people_known`` and
    ``people_kind`` (see the module's docstring). ``flights``: placement_id, start_date,
    end_date, flight_reach of the placements with a flight reach (``queries.flights``)."""
    if placements.empty:
        return placements.assign(
            people=pd.Series(dtype="int64"),
            people_known=pd.Series(dtype="int64"),
            people_kind=pd.Series(dtype=object),
        )
    out = placements.copy()
    for name, values in people_columns(grouping.columns_of(placements), period, flights).items():
        out[name] = values
    out["people_kind"] = out["people_kind"].astype(object)
    return out


def people_columns(
    placements: grouping.Columns, period: Period, flights: pd.DataFrame | None = None
) -> grouping.Columns:
    """:func:`with_people`'s three columns for placements as :data:`grouping.Columns` (at
    least one row)."""
    ids = placements["placement_id"]
    use_flight = np.zeros(len(ids), dtype=bool)
    flight = np.zeros(len(ids), dtype="int64")
    if flights is not None and not flights.empty:
        covered = flights[
            flights["start_date"].map(lambda day: day >= period.start)
            & flights["end_date"].map(lambda day: day <= period.end)
        ]
        reach = dict(zip(covered["placement_id"], covered["flight_reach"], strict=True))
        use_flight = np.fromiter((pid in reach for pid in ids), dtype=bool, count=len(ids))
        flight = np.fromiter((reach.get(pid, 0) for pid in ids), dtype="int64", count=len(ids))
    reported = placements["reported__reach"].astype("int64") > 0
    complete = reported & (placements["missing__reach"].astype("int64") == 0)
    kind = np.where(use_flight, "flight", np.where(reported, "daily", "none")).astype(object)
    return {
        "people": np.where(use_flight, flight, placements["reach"].astype("int64")),
        "people_known": (use_flight | complete).astype("int64"),
        "people_kind": kind,
    }


@dataclass(frozen=True)
class PeopleReached:
    """One side's headline people figure and what it rests on."""

    # Sum of ``people``; None when no placement reported any reach (not 0).
    value: int | None
    spend_minor: int = 0
    # Per kind (flight, daily, none): own spend of its placements, and how many placements.
    spend_by_kind: Mapping[str, int] = field(default_factory=dict)
    placements_by_kind: Mapping[str, int] = field(default_factory=dict)

    @property
    def daily_summed(self) -> bool:
        """Whether any part of the figure is summed daily reach (or nothing backs it)."""
        return bool(self.placements_by_kind.get("daily")) or not self.placements_by_kind.get(
            "flight"
        )

    @property
    def label(self) -> str:
        return DAILY_LABEL if self.daily_summed else FLIGHT_LABEL

    @property
    def shares(self) -> dict[str, Fraction | None]:
        """Per kind, its share of own spend (None without own spend)."""
        return {
            kind: Fraction(self.spend_by_kind.get(kind, 0), self.spend_minor)
            if self.spend_minor
            else None
            for kind in KINDS
        }

    @property
    def text(self) -> str | None:
        """ "flight reach for 40 % of spend, daily reach summed for 55 %, not reported 5 %"."""
        parts = [
            (kind, share) for kind, share in self.shares.items() if share is not None and share > 0
        ]
        if not parts:
            return None
        out = []
        for i, (kind, share) in enumerate(parts):
            words = KIND_TEXT[kind] if kind == "none" else f"{KIND_TEXT[kind]} for"
            out.append(f"{words} {percent_text(share)}{' of spend' if i == 0 else ''}")
        return ", ".join(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "kinds": {API_KINDS[kind]: share for kind, share in self.shares.items()},
            "text": self.text,
        }


NONE_REACHED = PeopleReached(value=None)


def by_side(placements: pd.DataFrame) -> dict[tuple[str, str], PeopleReached]:
    """The people figure of each (currency, kind) of ``placements`` (rows of
    :func:`with_people`), from one grouping."""
    if placements.empty:
        return {}
    return sides_of(grouping.columns_of(placements))


def sides_of(placements: grouping.Columns) -> dict[tuple[str, str], PeopleReached]:
    """:func:`by_side` of placements as :data:`grouping.Columns` (at least one row)."""
    by = ["currency", "kind", "people_kind"]
    groups = grouping.groups(placements, by)
    keys = grouping.keys(placements, groups, by)
    sums = grouping.sums(placements, groups, ["people", "spend_minor"])
    count = np.bincount(groups.of_row, minlength=groups.count)
    sides: dict[tuple[str, str], dict[str, tuple[int, int, int]]] = {}
    for currency, kind, people_kind, people, spend, placements_of_kind in zip(
        *keys.values(), sums["people"], sums["spend_minor"], count, strict=True
    ):
        side = sides.setdefault((str(currency), str(kind)), {})
        side[str(people_kind)] = (int(people), int(spend), int(placements_of_kind))
    return {key: _reached(kinds) for key, kinds in sides.items()}


def _reached(kinds: Mapping[str, tuple[int, int, int]]) -> PeopleReached:
    """From (people, own spend, placements) per kind of reach."""
    empty = (0, 0, 0)
    reported = any(kind != "none" for kind in kinds)
    return PeopleReached(
        value=sum(v[0] for v in kinds.values()) if reported else None,
        spend_minor=sum(v[1] for v in kinds.values()),
        spend_by_kind={kind: kinds.get(kind, empty)[1] for kind in KINDS},
        placements_by_kind={kind: kinds.get(kind, empty)[2] for kind in KINDS},
    )


def reached(placements: pd.DataFrame) -> PeopleReached:
    """The people figure of one side's placements (rows of :func:`with_people`)."""
    sides = list(by_side(placements.assign(currency="", kind="")).values())
    return sides[0] if sides else NONE_REACHED


def attach(comparisons: list[Comparison], placements: pd.DataFrame) -> list[Comparison]:
    """Each comparison with its sides' :class:`PeopleReached` (``placements``: rows of
    :func:`with_people`); a side without placements keeps none."""
    return attach_sides(comparisons, by_side(placements))


def attach_sides(
    comparisons: list[Comparison], sides: Mapping[tuple[str, str], PeopleReached]
) -> list[Comparison]:
    """:func:`attach` of the sides' figures (:func:`by_side`)."""
    out = []
    for comparison in comparisons:
        figures = {
            kind: replace(getattr(comparison, kind), people=sides[(comparison.currency, kind)])
            for kind in ("joint", "solo")
            if (comparison.currency, kind) in sides
        }
        out.append(replace(comparison, **figures))
    return out

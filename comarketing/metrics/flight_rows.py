"""Rows of a results file that cover a placement's whole flight (issue 16): pure DataFrame
functions, no database.

A platform export without a day breakdown (Meta's "Reporting starts" .. "Reporting ends", or
"Start date" / "End date") gives one row per placement for the whole report range. Where that
range is exactly the placement's flight (start_date to end_date), the row's Reach is the
platform's own deduplicated reach over the flight -- people, not person-days -- and is stored
as the placement's flight reach. Its other figures are flight totals, not days: they are never
stored as daily rows. A row covering several days but not exactly the flight is an error naming
both ranges: a reach over another period cannot be turned into the flight's (no guess).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from comarketing.metrics.cells import Errors, Options, PlacementInfo
from comarketing.metrics.dates import parse_days

COLUMNS = ["row", "placement_id", "reach"]


def empty() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="int64") for name in COLUMNS})


def spans_several_days(starts: pd.Series, ends: pd.Series) -> pd.Series:
    """Rows whose period ends on another day than it starts (the cells as written)."""
    return (ends != "") & (ends != starts)


def _flight_dates(
    ids: pd.Series, known: pd.Series, infos: Mapping[int, PlacementInfo], name: str
) -> pd.Series:
    values = {pid: getattr(info, name) for pid, info in infos.items()}
    return pd.to_datetime(ids.map(values).where(known, pd.NaT))


def find_flights(
    out: pd.DataFrame,
    several: pd.Series,
    ends_text: pd.Series,
    starts_text: pd.Series,
    infos: Mapping[int, PlacementInfo],
    known: pd.Series,
    options: Options,
    errors: Errors,
) -> pd.Series:
    """Of the rows covering several days (``several``; ``out`` holds each row's placement_id,
    day and reach), those covering exactly their placement's flight; every other one is
    refused in ``errors`` with the reason."""
    whole = pd.Series(False, index=out.index)
    several = several & out["day"].notna()
    if not several.any():
        return whole
    assert options.period_end is not None
    end_column = options.headers[options.period_end]
    # A row of one day keeps its own (valid) start: only the ends of several days are read.
    ends = parse_days(ends_text.where(several, starts_text), options, Errors(options, errors.rows))
    errors.add(several & ends.isna(), end_column, ends_text, "is not a date")
    ids = out["placement_id"]
    flight_start = _flight_dates(ids, known, infos, "start_date")
    flight_end = _flight_dates(ids, known, infos, "end_date")
    read = several & known & ends.notna()
    whole = read & (out["day"] == flight_start) & (ends == flight_end)
    for index in out.index[read & ~whole]:
        info = infos[int(ids[index])]
        errors.add(
            pd.Series(out.index == index, index=out.index),
            "day",
            starts_text + " to " + ends_text,
            f"covers {out['day'][index].date()} to {ends[index].date()}, the placement runs "
            f"{info.start_date} to {info.end_date}: flight reach is only taken for the whole "
            "flight",
        )
    if options.latest_day is not None:
        errors.add(
            whole & (ends > pd.Timestamp(options.latest_day)),
            end_column,
            ends_text,
            "is still to come: the reach of a flight that has not ended is not its flight reach",
        )
    errors.add(
        whole & out["reach"].isna(),
        "reach",
        pd.Series("", index=out.index),
        "is missing: a row for the placement's whole flight gives its flight reach",
    )
    errors.add(
        whole & ids.where(whole).duplicated(keep="first"),
        "day",
        starts_text + " to " + ends_text,
        "repeats the flight of a placement given in an earlier row",
    )
    return whole


def flights_of(out: pd.DataFrame, whole: pd.Series, bad: pd.Series) -> pd.DataFrame:
    """The good flight rows: row, placement_id, reach (people)."""
    keep = out[whole & ~bad]
    return pd.DataFrame(
        {
            "row": keep["row"].astype("int64"),
            "placement_id": keep["placement_id"].astype("int64"),
            "reach": keep["reach"].astype("int64"),
        }
    ).reset_index(drop=True)


NOT_DAYS = (
    "These rows cover each placement's whole flight: their other figures (impressions, clicks, "
    "cost ...) are flight totals, not days, and are not stored as daily rows."
)


def summary(reach: Mapping[int, int], placements: Mapping[int, PlacementInfo]) -> str:
    """What importing the file's flight rows does, in words: "Flight reach for 2 placements:
    Spring Search 48,210 people (2026-03-01 to 2026-03-31), ... ." (empty: none)."""
    if not reach:
        return ""
    parts = []
    for placement_id, people in sorted(reach.items()):
        info = placements[placement_id]
        parts.append(f"{info.name} {people:,} people ({info.start_date} to {info.end_date})")
    noun = "placement" if len(reach) == 1 else "placements"
    return f"Flight reach for {len(reach)} {noun}: {', '.join(parts)}. {NOT_DAYS}"


@dataclass
class FlightReaches:
    """The flight reaches a whole file gives, chunk by chunk: placement id -> people."""

    reach: dict[int, int] = field(default_factory=dict)
    rows: dict[int, int] = field(default_factory=dict)  # placement id -> its row in the file

    def add(self, flights: pd.DataFrame, options: Options) -> list[dict[str, Any]]:
        """Take one chunk's flight rows; a placement whose flight an earlier chunk gave is
        refused (the error returned), as within a chunk."""
        refused = []
        for row, placement_id, reach in flights.itertuples(index=False):
            if placement_id in self.reach:
                refused.append(
                    {
                        "row": int(row),
                        "column": options.column_name("day"),
                        "value": "",
                        "reason": "repeats the flight of a placement given in row "
                        f"{self.rows[placement_id]}",
                    }
                )
                continue
            self.reach[int(placement_id)] = int(reach)
            self.rows[int(placement_id)] = int(row)
        return refused

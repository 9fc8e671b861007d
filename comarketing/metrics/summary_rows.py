"""Rows of an export that are not data (totals, footers, blank lines, a period's summary), found
before a chunk is cleaned: skipped and counted, never stored or refused. Pure DataFrame
functions, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

# "Total: Account" (Google), "Total of 14 results" (TikTok), "Grand total" (pivoted sheets).
_SUMMARY_START = re.compile(
    r"^\s*(total|totals|grand total|gesamt|summe|©|\(c\)|copyright)", re.IGNORECASE
)


def _strip(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip()


def is_summary_row(frame: pd.DataFrame, day_position: int | None) -> pd.Series:
    """Totals rows ("Total: Account", "Totals"), footers ("©2026 Microsoft Corporation...") and
    blank lines: skipped and counted, never stored or refused."""
    text = frame.astype(str).apply(lambda column: column.str.strip())
    filled = (text != "").sum(axis=1)
    # The first non-empty cell of each row, column by column: bfill(axis=1) works row by row
    # on text and took most of a large import's time.
    first = pd.Series("", index=text.index, dtype=object)
    for position in reversed(text.columns):
        first = text[position].where(text[position] != "", first)
    starts_like_total = first.str.match(_SUMMARY_START)
    lone_cell = filled == 1
    if day_position is not None:
        lone_cell &= text[day_position] == ""
    return (filled == 0) | lone_cell | starts_like_total


def summary_rows(
    frame: pd.DataFrame,
    index: pd.Index,
    mapping: Mapping[str, int],
    *,
    period_end: int | None,
    strict: bool,
) -> pd.Series:
    """The chunk's rows that are not data (in strict mode only a period's summary): ``mapping``
    gives our fields' column positions, ``period_end`` the column of a period's last day."""
    summary = (
        is_summary_row(frame, mapping.get("day")) if not strict else pd.Series(False, index=index)
    )
    day_position, placement_position = mapping.get("day"), mapping.get("placement")
    if day_position is not None and placement_position is not None and not strict:
        # Neither a date nor a placement: a totals row (Meta's summary row on line 2).
        summary |= (_strip(frame[day_position]) == "") & (_strip(frame[placement_position]) == "")
    if period_end is not None and "day" in mapping:
        # A row covering several days is a summary of the period (Meta's account totals on
        # line 2 have no campaign name); with a placement it is a real row of the wrong kind.
        starts = _strip(frame[mapping["day"]])
        ends = _strip(frame[period_end])
        several_days = (ends != "") & (ends != starts)
        placement_position = mapping.get("placement")
        if placement_position is not None:
            summary |= several_days & (_strip(frame[placement_position]) == "")
    return summary

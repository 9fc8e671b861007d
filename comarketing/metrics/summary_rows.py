"""Rows of an export that are not data (totals, footers, blank lines, a period's summary), found
before a chunk is cleaned: skipped and counted, never stored or refused. Pure DataFrame
functions, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from comarketing.metrics.cells import joined_cells, strip

# "Total: Account" (Google), "Total of 14 results" (TikTok), "Grand total" (pivoted sheets).
_SUMMARY_START = re.compile(
    r"^\s*(total|totals|grand total|gesamt|summe|©|\(c\)|copyright)", re.IGNORECASE
)


# The same start at any line of cells joined by line breaks: a chunk where it is nowhere has
# no such row (a hit only means "look cell by cell").
_SUMMARY_LINE = re.compile(_SUMMARY_START.pattern, re.IGNORECASE | re.MULTILINE)


def _strip(values: pd.Series) -> pd.Series:
    return strip(values)


def _starts_like_total(first: pd.Series) -> pd.Series:
    joined = joined_cells(first)
    if joined is not None and _SUMMARY_LINE.search(joined) is None:
        return pd.Series(False, index=first.index)
    return first.str.match(_SUMMARY_START).fillna(False).astype(bool)


def is_summary_row(frame: pd.DataFrame, day_position: int | None) -> pd.Series:
    """Totals rows ("Total: Account", "Totals"), footers ("©2026 Microsoft Corporation...") and
    blank lines: skipped and counted, never stored or refused."""
    text = {position: strip(frame[position]) for position in frame.columns}
    empty = {position: cells == "" for position, cells in text.items()}
    filled = pd.Series(0, index=frame.index)
    for position in frame.columns:
        filled += ~empty[position]
    # The first non-empty cell of each row, column by column: bfill(axis=1) works row by row
    # on text and took most of a large import's time.
    first = pd.Series("", index=frame.index, dtype=object)
    for position in reversed(frame.columns):
        if not empty[position].any():
            first = text[position]
        else:
            first = text[position].where(~empty[position], first)
    starts_like_total = _starts_like_total(first)
    lone_cell = filled == 1
    if day_position is not None:
        lone_cell &= empty[day_position]
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

"""Rows of an export that are not data (totals, footers, blank lines, a period's summary), found
before a chunk is cleaned: skipped and counted, never stored or refused. Pure DataFrame
functions, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from comarketing.metrics.cells import joined_cells, tidy_text

# "Total: Account" (Google), "Total of 14 results" (TikTok), "Grand total" (pivoted sheets).
_SUMMARY_START = re.compile(
    r"^\s*(total|totals|grand total|gesamt|summe|©|\(c\)|copyright)", re.IGNORECASE
)


# The same start at any line of cells joined by line breaks: a chunk where it is nowhere has
# no such row (a hit only means "look cell by cell").
_SUMMARY_LINE = re.compile(_SUMMARY_START.pattern, re.IGNORECASE | re.MULTILINE)


@dataclass
class _Column:
    """A column's cells stripped, and which are empty (None: none is, found without a
    comparison per cell)."""

    text: pd.Series
    empty: pd.Series | None

    def empty_mask(self) -> pd.Series:
        return self.empty if self.empty is not None else pd.Series(False, index=self.text.index)


def _column(values: pd.Series) -> _Column:
    text = values.astype(str)
    joined = joined_cells(text)
    if joined is not None and tidy_text(joined):  # nothing to strip
        lines_empty = joined == "" or "\n\n" in joined or joined[:1] == "\n" or joined[-1:] == "\n"
        return _Column(text, text == "" if lines_empty else None)
    text = text.str.strip()
    return _Column(text, text == "")


def _starts_like_total(first: pd.Series) -> pd.Series:
    joined = joined_cells(first)
    if joined is not None and _SUMMARY_LINE.search(joined) is None:
        return pd.Series(False, index=first.index)
    return first.str.match(_SUMMARY_START).fillna(False).astype(bool)


def is_summary_row(
    frame: pd.DataFrame, day_position: int | None, columns: dict[int, _Column] | None = None
) -> pd.Series:
    """Totals rows ("Total: Account", "Totals"), footers ("©2026 Microsoft Corporation...") and
    blank lines: skipped and counted, never stored or refused."""
    if columns is None:
        columns = {position: _column(frame[position]) for position in frame.columns}
    if all(column.empty is None for column in columns.values()):  # every cell filled
        starts_like_total = _starts_like_total(columns[frame.columns[0]].text)
        if len(frame.columns) == 1 and day_position is None:
            return pd.Series(True, index=frame.index)  # every row a lone cell
        return starts_like_total
    filled = pd.Series(0, index=frame.index)
    for position in frame.columns:
        filled += ~columns[position].empty_mask()
    # The first non-empty cell of each row, column by column: bfill(axis=1) works row by row
    # on text and took most of a large import's time.
    first = pd.Series("", index=frame.index, dtype=object)
    for position in reversed(frame.columns):
        column = columns[position]
        first = column.text if column.empty is None else column.text.where(~column.empty, first)
    starts_like_total = _starts_like_total(first)
    lone_cell = filled == 1
    if day_position is not None:
        lone_cell &= columns[day_position].empty_mask()
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
    columns = {position: _column(frame[position]) for position in frame.columns}
    summary = (
        is_summary_row(frame, mapping.get("day"), columns)
        if not strict
        else pd.Series(False, index=index)
    )
    day_position, placement_position = mapping.get("day"), mapping.get("placement")
    if day_position is not None and placement_position is not None and not strict:
        # Neither a date nor a placement: a totals row (Meta's summary row on line 2).
        day_empty, placement_empty = columns[day_position].empty, columns[placement_position].empty
        if day_empty is not None and placement_empty is not None:
            summary |= day_empty & placement_empty
    if period_end is not None and "day" in mapping:
        # A row covering several days is a summary of the period (Meta's account totals on
        # line 2 have no campaign name); with a placement it is a real row of the wrong kind.
        starts = columns[mapping["day"]].text
        ends = columns[period_end].text
        several_days = (ends != "") & (ends != starts)
        placement_position = mapping.get("placement")
        if placement_position is not None:
            summary |= several_days & columns[placement_position].empty_mask()
    return summary

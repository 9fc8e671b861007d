"""What every part of cleaning shares: the options a file is read with, what we know of a
placement, the errors found so far, and the plain text operations on a column of cells."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from comarketing.metrics.columns import FIELD_LABELS

EMPTY_MARKERS = ("", "--", "-", "\u2014", "\u2013")


@dataclass(frozen=True)
class PlacementInfo:
    id: int
    campaign_id: int
    name: str
    start_date: date
    end_date: date
    currency: str
    exponent: int


@dataclass
class Options:
    mapping: dict[str, int]  # our field -> column position
    headers: list[str]
    placements: dict[int, PlacementInfo]
    date_order: str = "iso"
    decimal: str = "."
    placement_id: int | None = None  # one placement for the whole file
    header_currency: dict[str, str] = field(default_factory=dict)  # field -> "EUR"
    period_end: int | None = None  # column of the period's last day ("Reporting ends")
    strict: bool = False  # API: plain digits only, no symbols or separators
    units: dict[str, str] = field(default_factory=dict)  # money field -> "micro" (metrics.micros)
    latest_day: date | None = None  # a later day is refused as in the future (None: no check)
    # Meta "Result indicator" -> "leads" / "conversions" / "" as the user answered.
    result_indicators: dict[str, str] = field(default_factory=dict)
    # Platform names remembered for the placements: folded name -> (placement id, name).
    names: dict[str, tuple[int, str]] = field(default_factory=dict)

    def column_name(self, field_name: str) -> str:
        position = self.mapping.get(field_name)
        if position is None or position >= len(self.headers):
            return FIELD_LABELS.get(field_name, field_name)
        return self.headers[position]


class Errors:
    def __init__(self, options: Options, rows: pd.Series) -> None:
        self.options = options
        self.rows = rows
        self.items: list[dict[str, Any]] = []
        self.bad = pd.Series(False, index=rows.index)
        self.currency = pd.Series("", index=rows.index)  # each row's campaign currency

    def add(self, mask: pd.Series, field_name: str, values: pd.Series, reason: str) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        self.bad |= mask
        column = self.options.column_name(field_name)
        for row, value in zip(self.rows[mask], values[mask], strict=True):
            self.items.append(
                {"row": int(row), "column": column, "value": str(value)[:100], "reason": reason}
            )


def strip(values: pd.Series) -> pd.Series:
    text = values.astype(str)
    if tidy(text):  # nothing to strip (most exports): no per-cell pass
        return text
    return text.str.strip()


# Whitespace right after a line break: in cells joined by line breaks, a cell starting with
# it; in the joined text reversed, a cell ending with it. (A literal first character lets the
# search skip ahead: a pattern anchored at every line's start or end tried every position.)
_SPACE_AFTER_BREAK = re.compile(r"\n[^\S\n]")


def joined_cells(text: pd.Series) -> str | None:
    """The cells joined by line breaks, or None when a cell holds a line break itself (or is
    not text): one string to search with a multi-line pattern instead of a pass per cell."""
    values = text.tolist()
    try:
        joined = "\n".join(values)
    except TypeError:
        return None
    if joined.count("\n") != max(len(values) - 1, 0):
        return None
    return joined


def tidy(text: pd.Series) -> bool:
    """True when no cell starts or ends with whitespace (str.strip would change none)."""
    joined = joined_cells(text)
    return joined is not None and tidy_text(joined)


def tidy_text(joined: str) -> bool:
    """True when no line of the text starts or ends with whitespace (other than the breaks)."""
    if (joined[:1].isspace() and joined[:1] != "\n") or (
        joined[-1:].isspace() and joined[-1:] != "\n"
    ):
        return False
    return _SPACE_AFTER_BREAK.search(joined) is None and (
        _SPACE_AFTER_BREAK.search(joined[::-1]) is None
    )


def is_empty(values: pd.Series) -> pd.Series:
    return values.isin(EMPTY_MARKERS)


def remove_grouping(values: pd.Series, decimal: str) -> pd.Series:
    grouping = r"[,\s\u00a0\u202f']" if decimal == "." else r"[.\s\u00a0\u202f']"
    return values.str.replace(grouping, "", regex=True)


def plain_cells(raw: pd.Series, cell: str) -> list[str] | None:
    """The cells, if every one fully matches ``cell``: one pass over the joined column."""
    joined = plain_text(raw, cell)
    return None if joined is None else joined.split("\n")


def plain_text(raw: pd.Series, cell: str) -> str | None:
    """The cells joined by line breaks, if every one fully matches ``cell`` (a pattern that
    matches no line break); else None."""
    if raw.empty:
        return None
    joined = joined_cells(raw)
    # One anchored match of the whole text: a search for every line's match tried the
    # pattern at every position.
    if joined is None or _whole(cell).fullmatch(joined) is None:
        return None
    return joined


def integers(joined: str, count: int) -> np.ndarray | None:
    """``count`` unsigned decimal integers (at most 18 digits each) written one a line, as
    int64, parsed in C; None if the text does not hold exactly that many."""
    values = np.fromstring(joined, dtype=np.int64, sep="\n")
    return values if len(values) == count else None


@functools.lru_cache(maxsize=32)
def _whole(cell: str) -> re.Pattern[str]:
    """Every line of the text fully matches ``cell``."""
    return re.compile(rf"(?:{cell})(?:\n(?:{cell}))*")

"""The calendar's layout: items that span days, laid out as bands across the weeks of a period.

Pure: takes dates and items, returns rows of cells; no database, no request. Each week is a row
of seven days; an item running over several days becomes one *segment* per week it touches
(a band with a column and a span, marked when it continues from the week before or into the
next). Segments are stacked into *lanes* — the first lane where their days are free — so a
campaign of five weeks is five bands, never 35 repeated chips.

A month view caps the lanes per week (``max_lanes``); what does not fit is counted per day
("+2 more") and shown in full by the week view, which has no cap.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Segment(Generic[T]):
    """The part of an item inside one week: columns ``column`` .. ``column + span - 1``."""

    item: T
    column: int  # 0 = Monday
    span: int
    continues_before: bool  # the item started in an earlier week
    continues_after: bool  # the item goes on into a later week


@dataclass(frozen=True)
class Cell(Generic[T]):
    """One table cell of a lane: a segment, or ``span`` empty days."""

    span: int
    segment: Segment[T] | None = None


@dataclass
class Week(Generic[T]):
    days: list[date]
    lanes: list[list[Cell[T]]] = field(default_factory=list)
    hidden: list[int] = field(default_factory=lambda: [0] * 7)  # per day: items not drawn

    @property
    def items(self) -> list[T]:
        """What the week draws, lane by lane."""
        return [cell.segment.item for lane in self.lanes for cell in lane if cell.segment]

    @property
    def has_hidden(self) -> bool:
        return any(self.hidden)


def month_weeks(year: int, month: int) -> list[list[date]]:
    """The weeks (Monday first) that show the month, leading and trailing days included."""
    return month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def segment(item: T, start: date, end: date, week: Sequence[date]) -> Segment[T] | None:
    """The item's band within ``week``, or None when it does not run in that week."""
    first, last = week[0], week[-1]
    if end < first or start > last:
        return None
    shown_start, shown_end = max(start, first), min(end, last)
    return Segment(
        item=item,
        column=(shown_start - first).days,
        span=(shown_end - shown_start).days + 1,
        continues_before=start < first,
        continues_after=end > last,
    )


def _lane_cells(segments: list[Segment[T]]) -> list[Cell[T]]:
    cells: list[Cell[T]] = []
    column = 0
    for seg in sorted(segments, key=lambda s: s.column):
        if seg.column > column:
            cells.append(Cell(seg.column - column))
        cells.append(Cell(seg.span, seg))
        column = seg.column + seg.span
    if column < 7:
        cells.append(Cell(7 - column))
    return cells


def lay_out(
    weeks: Iterable[Sequence[date]],
    items: Iterable[tuple[T, date, date]],
    *,
    max_lanes: int | None = None,
) -> list[Week[T]]:
    """Bands for ``items`` — (item, first day, last day), in the order they should stack —
    over ``weeks``. Each segment takes the first lane whose days are free."""
    entries = list(items)
    laid: list[Week[T]] = []
    for days in weeks:
        week: Week[T] = Week(days=list(days))
        lanes: list[list[Segment[T]]] = []
        taken: list[set[int]] = []
        for item, start, end in entries:
            seg = segment(item, start, end, week.days)
            if seg is None:
                continue
            columns = set(range(seg.column, seg.column + seg.span))
            for index, used in enumerate(taken):
                if not used & columns:
                    lanes[index].append(seg)
                    used.update(columns)
                    break
            else:
                if max_lanes is not None and len(lanes) >= max_lanes:
                    for column in columns:
                        week.hidden[column] += 1
                    continue
                lanes.append([seg])
                taken.append(columns)
        week.lanes = [_lane_cells(lane) for lane in lanes]
        laid.append(week)
    return laid

"""Day-by-day chart series thinned to weeks or months for long campaigns.

A burn-down drawn day by day holds one point per day of the campaign: five years are 1,826
points per series in the page. Past :data:`DAILY_UP_TO` days the chart keeps one point per
week, past :data:`WEEKLY_UP_TO` one per month — each bucket's last day, which is exact for
cumulative series (spend to date, commitments, an even burn): the value at the end of a week
is the week's value. A series that stops (spend stops at today) keeps its last known value
in the bucket where it stops. Pure; no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

DAILY_UP_TO = 120
WEEKLY_UP_TO = 731

T = TypeVar("T")


def step_for(count: int) -> str:
    if count <= DAILY_UP_TO:
        return "day"
    return "week" if count <= WEEKLY_UP_TO else "month"


def _bucket(day: date, step: str) -> tuple[int, int]:
    if step == "week":
        iso = day.isocalendar()
        return iso.year, iso.week
    return day.year, day.month


def bucket_ends(days: Sequence[date], step: str) -> list[list[int]]:
    """The indexes of ``days`` grouped by week or month, in order."""
    groups: list[list[int]] = []
    previous: tuple[int, int] | None = None
    for index, day in enumerate(days):
        key = _bucket(day, step)
        if key != previous:
            groups.append([])
            previous = key
        groups[-1].append(index)
    return groups


def _last_known(values: Sequence[T | None], indexes: list[int]) -> T | None:
    for index in reversed(indexes):
        if values[index] is not None:
            return values[index]
    return None


def thin(labels: list[str], series: dict[str, list[Any]]) -> dict[str, Any]:
    """``labels`` (ISO days, one per day) and cumulative ``series`` of the same length, as
    ``{"labels": ..., **series, "step": "day" | "week" | "month"}`` with at most a few hundred
    points. A bucket is labelled with its last day."""
    step = step_for(len(labels))
    if step == "day":
        return {"labels": labels, **series, "step": step}
    groups = bucket_ends([date.fromisoformat(label) for label in labels], step)
    return {
        "labels": [labels[group[-1]] for group in groups],
        **{
            name: [_last_known(values, group) for group in groups]
            for name, values in series.items()
        },
        "step": step,
    }

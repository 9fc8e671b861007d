"""Placement-month cells for the report's pure functions, without a database."""

from __future__ import annotations

from datetime import date

import pandas as pd

from comarketing.reports import coverage, frames, people
from comarketing.reports.services import Period


def cells(rows: list[dict]) -> pd.DataFrame:
    """One placement-month per row: ``campaign_id``, ``kind``, ``reach``, ``spend`` (own),
    ``whole`` (the campaign's whole spend, default own), ``revenue``, ``leads``; every figure
    reported on every day unless ``reach`` is None (not reported)."""
    out = []
    for i, row in enumerate(rows, start=1):
        reach = row.get("reach")
        cell = {
            "campaign_id": row["campaign_id"],
            "placement_id": row.get("placement_id", i),
            "kind": row["kind"],
            "currency": row.get("currency", "EUR"),
            "channel": row.get("channel", "email"),
            "month": row.get("month", "2027-03"),
            "spend_minor": row["spend"],
            "campaign_spend_minor": row.get("whole", row["spend"]),
            "impressions": 2 * (reach or 0),
            "reach": reach or 0,
            "clicks": row.get("clicks", 100),
            "leads": row.get("leads", 10),
            "conversions_hundredths": row.get("conversions", 5) * 100,
            "revenue_minor": row.get("revenue", 0),
            "reported_cost_minor": 0,
        }
        for part in coverage.METRIC_PARTS:
            cell[f"full__{part}"] = cell[f"any__{part}"] = not (part == "reach" and reach is None)
        out.append(cell)
    return coverage.with_coverage_parts(pd.DataFrame(out))


# Every flight lies inside it: a placement with a flight reach (none here) would count it.
EVERYTHING = Period(date.min, date.max)


def placements_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The report's placements (``frames.placements_of``) with their people reached
    (``people.with_people``), as ``services.dashboard`` builds them."""
    return people.with_people(frames.placements_of(frame), EVERYTHING)

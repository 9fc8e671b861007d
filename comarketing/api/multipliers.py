"""The dashboard API's reach multipliers and ROI comparison (issue 16): each with its meaning,
the campaigns on each side, and its 90 % bootstrap interval or the too-few warning
(``reports.bootstrap``, ``reports.headline``)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Integer, Nested, String

from comarketing.api import schemas
from comarketing.reports import frames, headline

RATIO = String(allow_none=True, required=True, metadata={"example": "2.4000"})


class SidesOut(Schema):
    joint = Integer(strict=True, required=True)
    solo = Integer(strict=True, required=True)


class IntervalOut(Schema):
    low = RATIO
    high = RATIO


class ComparedOut(Schema):
    value = String(
        allow_none=True,
        required=True,
        metadata={"description": "Exact ratio, 4 places; null where a side has none."},
    )
    meaning = String(required=True)
    campaigns = Nested(
        SidesOut,
        required=True,
        metadata={"description": "The campaigns standing behind the figure on each side."},
    )
    interval = Nested(
        IntervalOut,
        required=True,
        allow_none=True,
        metadata={
            "description": "90 % campaign-level bootstrap interval (2,000 resamples, fixed "
            "seed); null with fewer than 3 campaigns on a side."
        },
    )
    warning = String(
        allow_none=True,
        required=True,
        metadata={"example": "rests on too few campaigns (joint: 2, solo: 1)"},
    )


class MultipliersOut(Schema):
    on_your_spend = Nested(ComparedOut, required=True)
    on_whole_spend = Nested(ComparedOut, required=True)


class RoiComparisonOut(ComparedOut):
    joint = RATIO
    solo = RATIO


def _compared(figure: headline.Figure) -> dict[str, Any]:
    compared = figure.compared
    joint, solo = compared.campaigns
    interval = compared.interval
    return {
        "value": schemas.ratio(compared.value),
        "meaning": figure.meaning,
        "campaigns": {"joint": joint, "solo": solo},
        "interval": None
        if interval is None
        else {"low": schemas.ratio(interval[0]), "high": schemas.ratio(interval[1])},
        "warning": compared.warning,
    }


def multiplier_fields(comparison: frames.Comparison) -> dict[str, Any]:
    """``multipliers`` and ``roi_comparison`` of one currency."""
    (own, whole), roi = headline.figures(comparison)
    return {
        "multipliers": {"on_your_spend": _compared(own), "on_whole_spend": _compared(whole)},
        "roi_comparison": {
            **_compared(roi),
            "joint": schemas.ratio(roi.compared.joint),
            "solo": schemas.ratio(roi.compared.solo),
        },
    }

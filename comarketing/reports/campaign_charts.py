"""The campaign report's chart data, drawn by static/js/campaign-report.js from JSON in the
page: the daily trend, the weekly revenue, spend (ledger) and reported cost, and the budget
burn-down against an even burn."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from comarketing import chart_steps
from comarketing.chart_steps import DAILY_UP_TO
from comarketing.money import exponent
from comarketing.reports.campaign_frames import (
    TREND_COLUMNS,
    WEEKLY_MONEY,
    CampaignReport,
    reported,
)


def chart_data(report: CampaignReport) -> dict[str, Any]:
    daily = report.daily
    labels: list[str] = []
    series: dict[str, list[int | None]] = {name: [] for name in TREND_COLUMNS}
    if not daily.empty:
        # Every day from the first to the last with figures, 0 where a day has none.
        indexed = daily.set_index("day")
        first, last = min(daily["day"]), max(daily["day"])
        for index in range((last - first).days + 1):
            day = first + timedelta(days=index)
            labels.append(day.isoformat())
            for name in TREND_COLUMNS:
                series[name].append(reported(indexed[name].get(day, 0)))
    days = len(labels)
    if days > DAILY_UP_TO:
        # A long campaign's page shows its last days; the weekly chart covers every week.
        labels = labels[-DAILY_UP_TO:]
        series = {name: values[-DAILY_UP_TO:] for name, values in series.items()}
    week = report.weekly
    return {
        "currency": report.currency,
        "divisor": 10 ** exponent(report.currency),
        "daily": {"labels": labels, **series, "days": days},
        "weekly": {
            "labels": [w.isoformat() for w in week["week"]] if not week.empty else [],
            **{
                name: [reported(v) for v in week[name]] if not week.empty else []
                for name in (*TREND_COLUMNS, *WEEKLY_MONEY)
            },
        },
        "burn": _burn_chart(report),
    }


def _burn_chart(report: CampaignReport) -> dict[str, Any]:
    """The burn-down's days (to today or the last entry), then the rest of the campaign's
    days without spend, so the chart shows the whole run against the even burn."""
    timeline, burn = report.timeline, report.burn
    last = max(timeline.end, burn[-1].day) if burn else timeline.end
    count = (last - timeline.start).days + 1
    total = report.committed_minor
    days = timeline.campaign_days
    padding: list[int | None] = [None] * (count - len(burn))
    # Long campaigns: one point per week or month (chart_steps).
    return chart_steps.thin(
        [(timeline.start + timedelta(days=i)).isoformat() for i in range(count)],
        {
            # Commitments stand until changed: the line runs on to the end; spend stops at today.
            "committed": [b.committed_minor for b in burn] + [total] * len(padding),
            "spent": [b.spent_to_date_minor for b in burn] + padding,
            "plan": [total * min(i + 1, days) // days for i in range(count)],
        },
    )

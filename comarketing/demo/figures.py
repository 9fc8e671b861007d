"""The demo's daily figures: a small model per channel and a seeded RNG per placement.

The figures come from a small model per channel (cost per thousand impressions, how many of
them are distinct people, click and conversion rates, basket value) and a seeded RNG per
placement, so the same day always holds the same figures. A joint campaign gets a "lift"
(each brand reaches the other's buyers), and each party pays only its share of a budget whose
whole audience it reaches: per euro of its own spend it therefore reaches clearly more people
than alone, which is the claim the dashboard checks.

Pure functions: nothing here touches the database."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from comarketing.money import exponent as money_exponent
from comarketing.money import to_decimal_string


class ChannelModel(NamedTuple):
    cpm: float  # major units per 1,000 impressions
    reach_ratio: float  # distinct people per impression, within a day
    ctr: float  # clicks (or QR scans) per impression
    lead_rate: float  # leads per click
    conversion_rate: float  # purchases per click
    basket: float  # revenue per purchase, major units
    weekend: float  # spend at weekends relative to weekdays (bakers bake at weekends)


CHANNEL_MODELS = {
    "search": ChannelModel(14.0, 0.72, 0.035, 0.12, 0.060, 14.0, 0.8),
    "social": ChannelModel(7.0, 0.58, 0.012, 0.09, 0.050, 14.0, 1.25),
    "display": ChannelModel(3.5, 0.48, 0.004, 0.07, 0.030, 14.0, 0.9),
    "email": ChannelModel(25.0, 0.92, 0.040, 0.15, 0.080, 16.0, 0.6),
    "packaging": ChannelModel(3.5, 0.40, 0.0015, 0.25, 0.120, 12.0, 1.3),
    "retail": ChannelModel(9.0, 0.62, 0.008, 0.10, 0.200, 11.0, 1.3),
    "partner_newsletter": ChannelModel(18.0, 0.90, 0.035, 0.14, 0.070, 15.0, 0.6),
    "event": ChannelModel(45.0, 0.95, 0.060, 0.30, 0.120, 15.0, 1.5),
}


@dataclass
class DemoDays:
    """A placement's daily figures as ``upsert_days`` takes them, and its daily costs."""

    days: list[dict[str, str]]
    costs: list[tuple[date, int]]
    reach: int
    leads: int


def placement_days(
    key: str,
    channel: str,
    start: date,
    end: date,
    planned_cost_minor: int,
    currency: str,
    lift: float,
    *,
    until: date,
) -> DemoDays:
    """A placement's figures for each day from ``start`` to ``until`` (at most ``end``).

    ``key`` seeds the RNG, so a placement's day always holds the same figures. Spend follows
    the planned cost spread over the placement's days and never passes it."""
    model = CHANNEL_MODELS[channel]
    rng = random.Random(f"comarketing-demo/{key}")
    scale = 10 ** money_exponent(currency)
    per_day = planned_cost_minor / ((end - start).days + 1)
    efficiency = lift * rng.uniform(0.85, 1.15)  # this placement's creative and audience
    left = planned_cost_minor
    out = DemoDays([], [], 0, 0)
    day = start
    while day <= min(end, until):
        weekend = model.weekend if day.weekday() >= 5 else 1.0
        cost = min(left, int(per_day * weekend * rng.uniform(0.8, 1.05)))
        left -= cost
        impressions = int(cost / scale * 1000 / model.cpm * efficiency * rng.uniform(0.9, 1.1))
        reach = min(impressions, int(impressions * model.reach_ratio * rng.uniform(0.92, 1.05)))
        clicks = int(impressions * model.ctr * rng.uniform(0.8, 1.2))
        leads = int(clicks * model.lead_rate * rng.uniform(0.8, 1.2))
        conversions = int(clicks * model.conversion_rate * rng.uniform(0.8, 1.2))
        revenue = int(conversions * model.basket * scale * rng.uniform(0.85, 1.15))
        out.days.append(
            {
                "day": day.isoformat(),
                "impressions": str(impressions),
                "reach": str(reach),
                "clicks": str(clicks),
                "leads": str(leads),
                "conversions": str(conversions),
                "revenue": to_decimal_string(revenue, currency),
                "cost": to_decimal_string(cost, currency),
            }
        )
        out.costs.append((day, cost))
        out.reach += reach
        out.leads += leads
        day += timedelta(days=1)
    return out


def monthly_costs(costs: list[tuple[date, int]]) -> list[tuple[date, int]]:
    """The total cost per calendar month (one invoice), dated on the month's last day of
    results."""
    months: dict[tuple[int, int], tuple[date, int]] = {}
    for day, cost in costs:
        _, total = months.get((day.year, day.month), (day, 0))
        months[(day.year, day.month)] = (day, total + cost)
    return [(day, total) for day, total in months.values() if total > 0]

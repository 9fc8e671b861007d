"""Results in our own CSV format: a placement's stored days, and the values an import replaced
or removed (importing those back undoes the change).
"""

from __future__ import annotations

import sqlalchemy as sa

from comarketing import hundredths
from comarketing.campaigns.models import Placement
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.metrics import columns
from comarketing.metrics.history import get_import
from comarketing.metrics.models import DailyMetric, MetricImport, ReplacedDay
from comarketing.metrics.placements import get_placement, placement_days
from comarketing.money import to_decimal_string

EXPORT_HEADER = [
    "placement_id",
    "placement",
    "date",
    *columns.COUNT_COLUMNS,
    "revenue",
    "cost",
    "currency",
]


def replaced_days(actor: Actor, import_id: int) -> tuple[MetricImport, list[list[str]]]:
    """The values an import replaced, as rows of our own CSV format: importing them back
    undoes the replacement."""
    metric_import = get_import(actor, import_id)
    rows = db.session.execute(
        sa.select(ReplacedDay, Placement.name)
        .join(Placement, Placement.id == ReplacedDay.placement_id)
        .where(ReplacedDay.import_id == metric_import.id)
        .order_by(ReplacedDay.placement_id, ReplacedDay.day)
    ).all()
    return metric_import, [export_row(day, name) for day, name in rows]


def figure_text(day: DailyMetric | ReplacedDay, name: str) -> str:
    """A count as our CSV and the grid write it: conversions to two decimals ("2.47"), and
    an empty cell for a figure not reported (which reads back as not reported)."""
    if name == "conversions":
        return hundredths.to_text(day.conversions_hundredths)
    value = getattr(day, name)
    return "" if value is None else str(value)


def money_text(minor: int | None, currency: str) -> str:
    return "" if minor is None else to_decimal_string(minor, currency)


def export_row(day: DailyMetric | ReplacedDay, placement_name: str) -> list[str]:

    return [
        str(day.placement_id),
        placement_name,
        day.day.isoformat(),
        *(figure_text(day, f) for f in columns.COUNT_COLUMNS),
        money_text(day.revenue_minor, day.currency),
        money_text(day.cost_minor, day.currency),
        day.currency,
    ]


def placement_export(actor: Actor, placement_id: int) -> tuple[Placement, list[list[str]]]:
    view = get_placement(actor, placement_id)
    days = placement_days(actor, placement_id)
    return view.placement, [export_row(day, view.placement.name) for day in days]

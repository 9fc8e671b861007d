"""Entering results by hand: days of one placement from the form grid or the API, and removing
days. All or nothing: one bad day refuses the whole batch and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from comarketing import audit
from comarketing.budgets import imported_costs
from comarketing.context import Actor
from comarketing.errors import Forbidden, ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import cleaning, columns, rollup
from comarketing.metrics.cells import Options
from comarketing.metrics.models import (
    DAYS_FIELDS,
    VALUE_FIELDS,
    DailyMetric,
    ImportSource,
    MetricImport,
    ReplacedDay,
)
from comarketing.metrics.placements import get_placement, writable_placements
from comarketing.metrics.writer import Writer, WriteStats, finish_import, new_import
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

MAX_BATCH = 1000  # days per form or API request


class RowsInvalid(ValidationFailed):
    """Some rows were refused; nothing was written. ``errors``: row, column, value, reason."""

    def __init__(self, errors: list[dict[str, Any]], total: int | None = None) -> None:
        count = total if total is not None else len(errors)
        noun = "row has" if count == 1 else "rows have"
        super().__init__(f"{count} {noun} errors; nothing was stored.", field="rows")
        self.errors = errors
        self.total = count


DAY_KEYS = ("day", *columns.COUNT_COLUMNS, *columns.MONEY_COLUMNS)


@transactional
def upsert_days(
    actor: Actor,
    placement_id: int,
    days: Sequence[Mapping[str, Any]],
    *,
    source: ImportSource = ImportSource.API,
    post_costs: bool = False,
    strict: bool = False,
) -> MetricImport:
    """Enter or correct days of one placement (the form grid and the API): all or nothing.

    Each item maps ``day`` (ISO date), the counts and the amounts ``revenue``/``cost`` (exact
    decimal text in the campaign's currency) to values. Errors name the item's 0-based index.
    """
    _check_owner(actor, placement_id)
    if not days:
        raise ValidationFailed("Give at least one day.", field="days")
    if len(days) > MAX_BATCH:
        raise ValidationFailed(f"Send at most {MAX_BATCH} days at a time.", field="days")
    placements = writable_placements(actor, [placement_id])
    frame = pd.DataFrame(
        [[_as_text(item.get(key)) for key in DAY_KEYS] for item in days],
        columns=list(range(len(DAY_KEYS))),
        dtype=str,
    )
    options = Options(
        mapping={key: position for position, key in enumerate(DAY_KEYS)},
        headers=list(DAY_KEYS),
        placements=placements,
        date_order="iso",
        placement_id=placement_id,
        strict=strict,
    )
    cleaned = cleaning.clean_chunk(frame, pd.Series(range(len(days))), options)
    if cleaned.errors:
        raise RowsInvalid(cleaned.errors)
    metric_import = new_import(
        actor, source, settings={"placement_id": placement_id, "post_costs": post_costs}
    )
    writer = Writer(actor, metric_import, post_costs=post_costs)
    writer.lock([placement_id])
    refused = writer.write(cleaned.frame)
    if refused:  # pragma: no cover - duplicates within one batch are caught by clean_chunk
        raise RowsInvalid(refused)
    writer.finish()
    finish_import(metric_import, writer.stats, len(days))
    audit.record(
        "metrics.upsert",
        actor=actor,
        organization_ids=[actor.organization_id],
        target=metric_import,
        placement_id=placement_id,
        source=source.value,
        days=len(days),
    )
    db.session.commit()
    return metric_import


@transactional
def delete_days(
    actor: Actor,
    placement_id: int,
    days: Sequence[date],
    *,
    source: ImportSource = ImportSource.FORM,
) -> MetricImport:
    """Remove days of a placement. Their values are kept with this import like replaced ones
    (importing them back undoes the removal). A cost a removed day had posted to the ledger is
    reversed in the same transaction: spend never counts a day that no longer exists."""
    _check_owner(actor, placement_id)
    if not days:
        raise ValidationFailed("Choose at least one day.", field="days")
    metric_import = new_import(actor, source, settings={"placement_id": placement_id})
    # Campaign first, then placement: the same lock order as an import that posts costs.
    Writer(actor, metric_import, post_costs=True).lock([placement_id])
    old = _remove_stored_days(metric_import, placement_id, days)
    cost_delta = imported_costs.sync_metric_costs(
        actor,
        [
            imported_costs.DailyCost(
                campaign_id=d.campaign_id,
                placement_id=d.placement_id,
                organization_id=actor.organization_id,
                day=d.day,
                cost_minor=0,
            )
            for d in old
        ],
        note=f"Days removed from the results (import #{metric_import.id})",
        metric_import_id=metric_import.id,
    )
    finish_import(metric_import, WriteStats(replaced=len(old), cost_delta=cost_delta), len(days))
    audit.record(
        "metrics.delete",
        actor=actor,
        organization_ids=[actor.organization_id],
        target=metric_import,
        placement_id=placement_id,
        days=len(old),
    )
    db.session.commit()
    return metric_import


def _check_owner(actor: Actor, placement_id: int) -> None:
    view = get_placement(actor, placement_id)
    authorize(actor.user, Action.WRITE_METRICS)
    if not view.can_write:
        raise Forbidden("Only the company that owns this placement enters its results.")


def _remove_stored_days(
    metric_import: MetricImport, placement_id: int, days: Sequence[date]
) -> Sequence[DailyMetric]:
    """Delete the stored ``days`` of the placement, keeping their values with the import and
    taking them out of the monthly rollup; returns the days that were stored."""
    old = db.session.scalars(
        sa.select(DailyMetric).where(
            DailyMetric.placement_id == placement_id, DailyMetric.day.in_(sorted(set(days)))
        )
    ).all()
    for day in old:
        db.session.add(
            ReplacedDay(
                import_id=metric_import.id,
                placement_id=placement_id,
                day=day.day,
                **{name: getattr(day, name) for name in VALUE_FIELDS},
                currency=day.currency,
                previous_import_id=day.import_id,
            )
        )
    rollup.apply(
        pd.DataFrame(
            {
                "placement_id": [d.placement_id for d in old],
                "campaign_id": [d.campaign_id for d in old],
                "day": [d.day for d in old],
                "days": [-1] * len(old),
                **{name: [-(getattr(d, name) or 0) for d in old] for name in VALUE_FIELDS},
                **{
                    DAYS_FIELDS[name]: [-int(getattr(d, name) is not None) for d in old]
                    for name in VALUE_FIELDS
                },
            }
        )
    )
    db.session.execute(
        sa.delete(DailyMetric).where(
            DailyMetric.placement_id == placement_id, DailyMetric.day.in_([d.day for d in old])
        )
    )
    return old


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

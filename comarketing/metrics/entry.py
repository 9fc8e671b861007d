"""Entering results by hand: days of one placement from the form grid or the API, and removing
days. All or nothing: one bad day refuses the whole batch and nothing is written.
"""

from __future__ import annotations

import contextlib
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
from comarketing.metrics import cleaning, columns, dates, rollup
from comarketing.metrics.cells import Options
from comarketing.metrics.exports import figure_text, money_text
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


def _cleaned(
    actor: Actor,
    placement_id: int,
    days: Sequence[Mapping[str, Any]],
    rows: Sequence[int],
    strict: bool,
) -> cleaning.Cleaned:
    """The days checked as the grid, the API and files are: a figure missing from an item,
    None or empty text is not reported (NULL); errors name ``rows`` (each item's index)."""
    frame = pd.DataFrame(
        [[_as_text(item.get(key)) for key in DAY_KEYS] for item in days],
        columns=list(range(len(DAY_KEYS))),
        dtype=str,
    )
    options = Options(
        mapping={key: position for position, key in enumerate(DAY_KEYS)},
        headers=list(DAY_KEYS),
        placements=writable_placements(actor, [placement_id]),
        date_order="iso",
        placement_id=placement_id,
        strict=strict,
        latest_day=dates.latest_day(actor.user.organization),
    )
    return cleaning.clean_chunk(frame, pd.Series(list(rows), dtype="int64"), options)


def check_days(
    actor: Actor,
    placement_id: int,
    days: Sequence[Mapping[str, Any]],
    rows: Sequence[int],
    *,
    strict: bool = False,
) -> list[dict[str, Any]]:
    """The row errors of ``days`` (row = the item's index in ``rows``), writing nothing: the
    API answers them together with its schema errors."""
    _check_owner(actor, placement_id)
    if not days:
        return []
    return _cleaned(actor, placement_id, days, rows, strict).errors


@transactional
def upsert_days(
    actor: Actor,
    placement_id: int,
    days: Sequence[Mapping[str, Any]],
    *,
    source: ImportSource = ImportSource.API,
    post_costs: bool = False,
    strict: bool = False,
    keep_omitted: bool = False,
) -> MetricImport:
    """Enter or correct days of one placement (the form grid and the API): all or nothing.

    Each item maps ``day`` (ISO date), the counts and the amounts ``revenue``/``cost`` (exact
    decimal text in the campaign's currency) to values; None or empty text is not reported.
    ``keep_omitted`` (the API's PATCH): a figure the item does not name keeps its stored value
    (not reported on a day not stored yet). Errors name the item's 0-based index.
    """
    _check_owner(actor, placement_id)
    if not days:
        raise ValidationFailed("Give at least one day.", field="days")
    if len(days) > MAX_BATCH:
        raise ValidationFailed(f"Send at most {MAX_BATCH} days at a time.", field="days")
    metric_import = new_import(
        actor, source, settings={"placement_id": placement_id, "post_costs": post_costs}
    )
    writer = Writer(actor, metric_import, post_costs=post_costs)
    # Locked before the stored days are read: a concurrent write cannot slip in between.
    writer.lock([placement_id])
    if keep_omitted:
        days = _with_stored_values(placement_id, days)
    cleaned = _cleaned(actor, placement_id, days, range(len(days)), strict)
    if cleaned.errors:
        raise RowsInvalid(cleaned.errors)
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


def _with_stored_values(
    placement_id: int, days: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each item completed with the stored figures it does not name (as text, like input)."""
    wanted = []
    for item in days:
        with contextlib.suppress(TypeError, ValueError):
            wanted.append(date.fromisoformat(str(item.get("day"))))
    stored = {
        d.day.isoformat(): d
        for d in db.session.scalars(
            sa.select(DailyMetric).where(
                DailyMetric.placement_id == placement_id, DailyMetric.day.in_(wanted)
            )
        )
    }
    completed = []
    for item in days:
        day = stored.get(str(item.get("day")))
        known = _stored_text(day) if day is not None else {}
        completed.append({**known, **item})
    return completed


def _stored_text(day: DailyMetric) -> dict[str, str]:
    return {
        **{name: figure_text(day, name) for name in columns.COUNT_COLUMNS},
        "revenue": money_text(day.revenue_minor, day.currency),
        "cost": money_text(day.cost_minor, day.currency),
    }


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

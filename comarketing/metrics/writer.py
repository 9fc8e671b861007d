"""The one write path every source goes through (form grid, API, file import): checked chunks
become daily rows, the values they replace are kept with the import, the monthly rollup moves
by the difference, and costs go to the ledger when asked — all inside the caller's transaction.

Also the bookkeeping of an import's own row: opening it for a write and recording its counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd
import sqlalchemy as sa

from comarketing import events
from comarketing.budgets import imported_costs
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.metrics import bulk, goals, rollup
from comarketing.metrics.models import (
    DAYS_FIELDS,
    VALUE_FIELDS,
    DailyMetric,
    ImportSource,
    ImportStatus,
    MetricImport,
    ReplacedDay,
)


@dataclass
class WriteStats:
    """What a writer did, for the import's row and the audit log."""

    written: int = 0
    replaced: int = 0
    unchanged: int = 0
    cost_delta: int = 0
    campaigns: set[int] = field(default_factory=set)
    cost_campaigns: set[int] = field(default_factory=set)  # whose ledger the costs changed


def _records(frame: pd.DataFrame, names: Sequence[str]) -> list[dict[str, Any]]:
    return [
        dict(zip(names, values, strict=True))
        for values in zip(*(bulk.driver_values(frame[n]) for n in names), strict=True)
    ]


def _reported(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every figure as pandas' nullable Int64 (NA = not reported), whatever
    the caller built it with."""
    frame = frame.copy()
    for name in VALUE_FIELDS:
        if frame[name].dtype != "Int64":
            frame[name] = frame[name].astype("Int64")
    return frame


def _same(new: pd.Series, old: pd.Series) -> pd.Series:
    """Equal values, with NULL = NULL (not reported both times is unchanged)."""
    both_missing = new.isna() & old.isna()
    return (new == old).fillna(False).astype(bool) | both_missing


def _differences(changed: pd.DataFrame) -> pd.DataFrame:
    """New minus old for each written day (old = 0 for a new day; NULL adds nothing), and the
    change of each figure's reported-days count, for the monthly rollup."""
    delta = changed[["placement_id", "campaign_id", "day"]].copy()
    delta["days"] = changed["import_id"].isna().astype("int64")
    for name in VALUE_FIELDS:
        new, old = changed[name], changed[name + "_old"]
        delta[name] = (new.fillna(0) - old.fillna(0)).astype("int64")
        delta[DAYS_FIELDS[name]] = new.notna().astype("int64") - old.notna().astype("int64")
    return delta


def _stored_days(clean: pd.DataFrame, placement_ids: set[int]) -> pd.DataFrame:
    """The stored values of the chunk's placements over the chunk's dates (to compare)."""
    old_names = ["placement_id", "day", *VALUE_FIELDS, "currency", "import_id"]
    stored = pd.DataFrame(
        db.session.execute(
            sa.select(*(getattr(DailyMetric, n) for n in old_names)).where(
                DailyMetric.placement_id.in_(sorted(placement_ids)),
                DailyMetric.day.between(min(clean["day"]), max(clean["day"])),
            )
        ).all(),
        columns=old_names,
    )
    return _reported(stored)


class Writer:
    """Writes checked chunks for one import, inside the caller's transaction."""

    def __init__(self, actor: Actor, metric_import: MetricImport, *, post_costs: bool) -> None:
        self.actor = actor
        self.metric_import = metric_import
        self.post_costs = post_costs
        self.locked: set[int] = set()
        self.stats = WriteStats()

    def lock(self, placement_ids: Iterable[int]) -> None:
        """Lock, before any day is read, every placement the import may write and, first,
        their campaigns (a day whose cost was posted before is re-posted even when costs are
        not asked for), each kind in id order. Imports touching the same placements then run
        one after the other, the replaced values recorded are the ones really replaced, the
        budget guard sees every posting in turn, and no two imports can wait on each other in
        a cycle (a manual expense locks only its campaign)."""
        wanted = sorted(set(placement_ids) - self.locked)
        if not wanted:
            return
        db.session.execute(
            sa.select(Campaign.id)
            .where(
                Campaign.id.in_(sa.select(Placement.campaign_id).where(Placement.id.in_(wanted)))
            )
            .order_by(Campaign.id)
            .with_for_update()
        ).all()
        db.session.execute(
            sa.select(Placement.id)
            .where(Placement.id.in_(wanted))
            .order_by(Placement.id)
            .with_for_update()
        ).all()
        self.locked.update(wanted)

    def _lock(self, placement_ids: set[int]) -> None:
        # Callers lock everything up front; this only guards a placement they did not name.
        self.lock(placement_ids)

    def write(self, clean: pd.DataFrame) -> list[dict[str, Any]]:
        """Write one checked chunk; returns rows refused because an earlier chunk of the same
        import already gave their placement and day."""
        if clean.empty:
            return []
        clean = _reported(clean)
        placement_ids = {int(p) for p in clean["placement_id"].unique()}
        self._lock(placement_ids)
        stored = _stored_days(clean, placement_ids)
        if stored.empty:  # all new days (a first load): nothing to compare, keep or refuse
            self._write_new(clean)
            return []
        merged = clean.merge(stored, on=["placement_id", "day"], how="left", suffixes=("", "_old"))
        had = merged["import_id"].notna()
        refused = self._repeated_rows(merged, had)
        if refused:
            return refused
        same = had.copy()
        for name in VALUE_FIELDS:
            same &= _same(merged[name], merged[name + "_old"])
        replaced = had & ~same
        changed = merged[~same]
        now = utcnow()
        if replaced.any():
            self._keep_replaced(merged[replaced])
        if not changed.empty:
            bulk.upsert_days(changed, import_id=self.metric_import.id, updated_at=now)
            rollup.apply(_differences(changed))
        self.stats.written += len(changed)
        self.stats.replaced += int(replaced.sum())
        self.stats.unchanged += int(same.sum())
        self._wrote(clean)
        return []

    def _write_new(self, clean: pd.DataFrame) -> None:
        """Days none of which is stored: what ``write`` does when every merged old value is
        missing, without the merge (every row written, each a new day of its month)."""
        bulk.upsert_days(clean, import_id=self.metric_import.id, updated_at=utcnow())
        delta = clean[["placement_id", "campaign_id", "day"]].copy()
        delta["days"] = 1
        for name in VALUE_FIELDS:
            delta[name] = clean[name].fillna(0).astype("int64")
            delta[DAYS_FIELDS[name]] = clean[name].notna().astype("int64")
        rollup.apply(delta)
        self.stats.written += len(clean)
        self._wrote(clean)

    def _wrote(self, clean: pd.DataFrame) -> None:
        self.stats.campaigns |= {int(c) for c in clean["campaign_id"].unique()}
        self._sync_costs(clean)

    def _repeated_rows(self, merged: pd.DataFrame, had: pd.Series) -> list[dict[str, Any]]:
        """Rows whose placement and day this import already wrote in an earlier chunk."""
        repeated = had & (merged["import_id"] == self.metric_import.id)
        return [
            {
                "row": int(row),
                "column": "day",
                "value": day.isoformat(),
                "reason": "repeats a placement and day given in an earlier row",
            }
            for row, day in zip(merged["row"][repeated], merged["day"][repeated], strict=True)
        ]

    def _keep_replaced(self, old: pd.DataFrame) -> None:
        """Keep the values the chunk replaces with this import (importing them back undoes it)."""
        old = old.copy()
        history = pd.DataFrame(
            {
                "import_id": self.metric_import.id,
                "placement_id": old["placement_id"],
                "day": old["day"],
                **{n: old[n + "_old"] for n in VALUE_FIELDS},
                "currency": old["currency_old"],
                "previous_import_id": old["import_id"].astype("int64"),
            }
        )
        db.session.execute(
            # The table, not the class: a plain executemany, no ORM bulk bookkeeping.
            sa.insert(cast(sa.Table, ReplacedDay.__table__)),
            _records(history, list(history.columns)),
        )

    def _sync_costs(self, clean: pd.DataFrame) -> None:
        """Each day's cost to the ledger when costs are posted; otherwise only the days whose
        cost was posted before, so the ledger never drifts from the results."""
        if not self.post_costs:
            clean = _posted_before(clean)
        synced = imported_costs.sync_costs(
            self.actor,
            daily_costs(self.actor, clean),
            note=f"Daily cost from results import #{self.metric_import.id}",
            posted_only=not self.post_costs,
            metric_import_id=self.metric_import.id,
        )
        self.stats.cost_delta += synced.delta_minor
        self.stats.cost_campaigns |= synced.campaign_ids

    def finish(self) -> None:
        checked = self.stats.campaigns if self.post_costs else self.stats.cost_campaigns
        imported_costs.check_within_commitments(checked, ticked=self.post_costs)
        goals.announce_reached_goals(self.stats.campaigns)


def _posted_before(clean: pd.DataFrame) -> pd.DataFrame:
    """The rows whose day's cost was posted before (the only ones synced when costs are not
    posted): usually none, found with one query instead of a cost object per row."""
    reported = clean[clean["cost_minor"].notna()]
    if reported.empty:
        return reported
    posted = imported_costs.posted_days(
        {int(p) for p in reported["placement_id"].unique()},
        min(reported["day"]),
        max(reported["day"]),
    )
    if not posted:
        return reported.iloc[:0]
    keys = zip(reported["placement_id"].tolist(), reported["day"].tolist(), strict=True)
    return reported[[key in posted for key in keys]]


def daily_costs(actor: Actor, clean: pd.DataFrame) -> list[imported_costs.DailyCost]:
    """The checked rows' daily costs as the ledger takes them: paid by the actor's company,
    which owns the placements it writes. A day whose cost is not reported is left out: the
    ledger is not told a cost nobody gave (a cost posted for it before stays as it was)."""
    clean = clean[clean["cost_minor"].notna()]
    if clean.empty:
        return []
    organization_id = actor.organization_id
    return [
        imported_costs.DailyCost(
            campaign_id=int(c),
            placement_id=int(p),
            organization_id=organization_id,
            day=d,
            cost_minor=int(cost),
        )
        for c, p, d, cost in zip(
            clean["campaign_id"].tolist(),
            clean["placement_id"].tolist(),
            clean["day"].tolist(),
            clean["cost_minor"].tolist(),
            strict=True,
        )
    ]


def new_import(actor: Actor, source: ImportSource, **fields: Any) -> MetricImport:
    """A running import of the actor's company for a write from the grid or the API."""
    metric_import = MetricImport(
        organization_id=actor.organization_id,
        created_by_id=actor.user_id,
        source=source.value,
        status=ImportStatus.RUNNING.value,
        started_at=utcnow(),
        **fields,
    )
    db.session.add(metric_import)
    db.session.flush()
    return metric_import


def finish_import(metric_import: MetricImport, stats: WriteStats, rows_read: int) -> None:
    """Mark the import succeeded with what its writer did."""
    metric_import.status = ImportStatus.SUCCEEDED.value
    metric_import.rows_read = rows_read
    metric_import.rows_written = stats.written
    metric_import.rows_replaced = stats.replaced
    metric_import.rows_unchanged = stats.unchanged
    metric_import.costs_posted_minor = stats.cost_delta
    metric_import.finished_at = utcnow()
    events.raise_(
        "results.imported",
        [metric_import.organization_id],
        **events.payloads.metric_import(metric_import),
    )

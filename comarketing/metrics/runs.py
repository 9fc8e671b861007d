"""Running a queued file import: one transaction for all its rows, chunk by chunk through the
writer. The first bad row turns the rest of the run into a check-only pass that collects every
error, then everything is rolled back and the import is marked failed with its errors.

Also the worker's bookkeeping: which imports are queued, and failing the ones a dead worker
left running.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from comarketing import audit, db_timeouts
from comarketing.accounts.models import User
from comarketing.campaigns import flight_reach
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import bulk, cleaning, flight_rows, reading
from comarketing.metrics.cells import Options
from comarketing.metrics.imports import MAX_STORED_ERRORS, options_from_settings
from comarketing.metrics.models import ImportStatus, MetricImport
from comarketing.metrics.uploads import release, stored_path
from comarketing.metrics.writer import Writer, finish_import

ProgressCallback = Callable[[float, int], None]


@dataclass
class _Tally:
    """What a run has read so far: rows, skipped summary rows and the errors found."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    rows_read: int = 0
    skipped: int = 0
    # Rows for a placement's whole flight: stored as its flight reach once the file is good.
    flights: flight_rows.FlightReaches = field(default_factory=flight_rows.FlightReaches)
    flights_stored: int = 0

    def add(
        self, chunk_rows: int, cleaned: cleaning.Cleaned, writer: Writer, options: Options
    ) -> None:
        """Count one cleaned chunk and write it, unless this run has already found errors."""
        self.rows_read += chunk_rows - len(cleaned.skipped_rows)
        self.skipped += len(cleaned.skipped_rows)
        chunk_errors = cleaned.errors + self.flights.add(cleaned.flights, options)
        if not chunk_errors and not self.error_count:
            chunk_errors = writer.write(cleaned.frame)
        self.error_count += len(chunk_errors)
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.extend(chunk_errors[: MAX_STORED_ERRORS - len(self.errors)])


def run_import(import_id: int, progress: ProgressCallback | None = None) -> MetricImport:
    """Run a queued file import: one transaction for all its rows. On any bad row the rest
    of the file is still checked (to list every error), then everything is rolled back."""
    metric_import = db.session.get(MetricImport, import_id)
    if metric_import is None or metric_import.status != ImportStatus.QUEUED.value:
        raise NotFound()
    user = db.session.get(User, metric_import.created_by_id)
    if user is None or not user.is_active:
        return _fail(import_id, [], 0, "The person who started this import can no longer sign in.")
    actor = Actor(user=user)
    metric_import.status = ImportStatus.RUNNING.value
    metric_import.started_at = utcnow()
    db.session.commit()

    post_costs = bool(metric_import.settings.get("post_costs"))
    tally = _Tally()
    try:
        writer = _write_file(actor, metric_import, tally, post_costs=post_costs, progress=progress)
    except (reading.UnreadableFile, ValidationFailed) as exc:
        db.session.rollback()
        return _fail_run(import_id, tally, str(getattr(exc, "message", exc)))
    except Exception:
        db.session.rollback()
        _fail_run(import_id, tally, "The import failed unexpectedly; nothing was stored.")
        raise
    if tally.error_count:
        db.session.rollback()
        noun = "row has" if tally.error_count == 1 else "rows have"
        return _fail_run(
            import_id,
            tally,
            f"{tally.error_count:,} {noun} errors; nothing was stored. Fix them and upload again.",
        )
    metric_import.rows_skipped = tally.skipped
    finish_import(metric_import, writer.stats, tally.rows_read)
    if tally.flights.reach:
        metric_import.message = _flight_message(len(tally.flights.reach))
    audit.record(
        "metrics.import",
        actor=actor,
        organization_ids=[actor.organization_id],
        target=metric_import,
        rows=tally.rows_read,
        written=writer.stats.written,
        replaced=writer.stats.replaced,
        costs_posted_minor=writer.stats.cost_delta,
        flight_reaches=len(tally.flights.reach),
        flight_reaches_changed=tally.flights_stored,
    )
    db.session.commit()
    return metric_import


def _write_file(
    actor: Actor,
    metric_import: MetricImport,
    tally: _Tally,
    *,
    post_costs: bool,
    progress: ProgressCallback | None,
) -> Writer:
    """Read, check and (while no row has failed) write the stored file chunk by chunk,
    counting into ``tally``; raises UnreadableFile when there is nothing to import."""
    layout, options, wanted = options_from_settings(
        actor, metric_import.settings, campaign_id=metric_import.campaign_id
    )
    # One transaction for the whole file: reading and checking a chunk takes longer than the
    # request-sized timeouts allow between two statements.
    db_timeouts.long_transaction()
    writer = Writer(actor, metric_import, post_costs=post_costs)
    writer.lock([options.placement_id] if options.placement_id else options.placements)
    path = stored_path(metric_import.file_hash or "")
    if not path.exists():
        raise reading.UnreadableFile("The uploaded file is no longer kept; upload it again.")
    chunk_rows = int(current_app.config["METRICS_IMPORT_CHUNK_ROWS"])
    with bulk.large_transaction():
        for chunk in reading.read_chunks(path, layout, wanted, chunk_rows):
            cleaned = cleaning.clean_chunk(chunk.frame, chunk.rows, options)
            tally.add(len(chunk.frame), cleaned, writer, options)
            if progress:
                progress(chunk.progress, tally.rows_read)
    if tally.rows_read == 0 and not tally.error_count:
        raise reading.UnreadableFile("The file has a header but no rows below it.")
    if not tally.error_count:
        writer.finish()
        tally.flights_stored = flight_reach.record_from_import(
            actor, metric_import.id, tally.flights.reach
        )
    return writer


def _flight_message(count: int) -> str:
    placements = "placement" if count == 1 else "placements"
    return (
        f"Flight reach stored for {count} {placements}; the rows for whole flights were not "
        "stored as days."
    )


def _fail_run(import_id: int, tally: _Tally, message: str) -> MetricImport:
    return _fail(import_id, tally.errors, tally.error_count, message, tally.rows_read)


def queued_imports() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(MetricImport.id)
            .where(MetricImport.status == ImportStatus.QUEUED.value)
            .order_by(MetricImport.id)
        )
    )


def fail_interrupted(*, older_than_minutes: int) -> int:
    """Imports left 'running' by a worker that died: their transaction was rolled back with
    the connection, so nothing of them is stored; say so."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    stalled = list(
        db.session.scalars(
            sa.select(MetricImport.id).where(
                MetricImport.status == ImportStatus.RUNNING.value,
                MetricImport.started_at < cutoff,
            )
        )
    )
    for import_id in stalled:
        mark_interrupted(import_id)
    return len(stalled)


def mark_interrupted(import_id: int) -> MetricImport:
    """An import whose run will not be tried again (its worker died each time)."""
    return _fail(import_id, [], 0, "The import was interrupted; nothing was stored. Upload again.")


def _fail(
    import_id: int,
    errors: list[dict[str, Any]],
    error_count: int,
    message: str,
    rows_read: int = 0,
) -> MetricImport:
    metric_import = db.session.get(MetricImport, import_id)
    assert metric_import is not None
    metric_import.status = ImportStatus.FAILED.value
    metric_import.errors = errors
    metric_import.error_count = error_count
    metric_import.message = message[:500]
    metric_import.rows_read = rows_read
    metric_import.finished_at = utcnow()
    db.session.commit()
    release(metric_import.file_hash)  # refused: nothing of the file was stored
    return metric_import

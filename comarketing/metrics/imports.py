"""An uploaded file before it runs: how its settings turn into cleaning options, the preview
(first rows as they will be stored, every error in the rows checked), changing the mapping,
confirming (remembering the mapping for the next file of the same layout) and discarding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from comarketing.budgets import imported_costs
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import cleaning, columns, dates, numbers, reading
from comarketing.metrics.cells import Options, PlacementInfo
from comarketing.metrics.history import get_import
from comarketing.metrics.models import ColumnMapping, ImportStatus, MetricImport
from comarketing.metrics.placements import owned_placements, writable_placements
from comarketing.metrics.uploads import layout_signature, stored_path
from comarketing.metrics.writer import daily_costs
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

MAX_STORED_ERRORS = 1000
PREVIEW_ROWS = 20
PREVIEW_CHECK_ROWS = 5000


def options_from_settings(
    actor: Actor, settings: dict[str, Any]
) -> tuple[reading.Layout, Options, list[int]]:
    """The file's layout, the cleaning options its settings give, and the columns to read."""
    layout = reading.Layout.from_dict(settings["layout"])
    mapping: list[str] = settings["mapping"]
    positions = {name: i for i, name in enumerate(mapping) if name}
    header_currency = {
        name: code
        for name, i in positions.items()
        if name in columns.MONEY_COLUMNS
        and (code := columns.normalise(layout.headers[i]).currency) is not None
    }
    options = Options(
        mapping=positions,
        headers=layout.headers,
        # Reading a preview needs no write permission; confirming and changing it do.
        placements=owned_placements(actor.organization_id),
        date_order=settings.get("date_order", "iso"),
        decimal=settings.get("decimal", "."),
        placement_id=settings.get("placement_id"),
        header_currency=header_currency,
        period_end=columns.period_end_column(layout.headers, mapping),
    )
    if options.placement_id is not None:
        options.mapping.pop("placement", None)
    wanted = set(options.mapping.values())
    if options.period_end is not None:
        wanted.add(options.period_end)
    return layout, options, sorted(wanted)


@dataclass
class Preview:
    metric_import: MetricImport
    layout: reading.Layout
    mapping: list[str]
    raw_rows: list[list[str]]
    stored_rows: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    error_count: int
    checked_rows: int
    skipped_rows: list[int]
    missing_fields: list[str]
    placements: dict[int, PlacementInfo]
    duplicate_of: MetricImport | None
    problems: list[str]  # settings that must change before the file can be imported
    # What loading the checked rows will do to the budget ledger, per currency.
    ledger: list[imported_costs.LedgerEffect] = field(default_factory=list)
    # Set when the file is read with the fallback encoding (Windows-1252): the page says so
    # prominently, with a line as it will be read, before anything is stored.
    encoding_fallback: bool = False
    encoding_sample: reading.EncodingSample | None = None

    @property
    def encoding_label(self) -> str:
        return reading.encoding_label(self.layout.encoding)


def preview(actor: Actor, import_id: int) -> Preview:
    """The detected columns and mapping, the first rows as they will be stored, and every
    error in the rows checked so far (the whole file when it is small)."""
    metric_import = get_import(actor, import_id)
    settings = metric_import.settings
    layout, options, wanted = options_from_settings(actor, settings)
    path = stored_path(metric_import.file_hash or "")
    problems = settings_problems(settings, options)
    raw_rows: list[list[str]] = []
    stored: list[dict[str, Any]] = []
    costs: list[imported_costs.DailyCost] = []
    errors: list[dict[str, Any]] = []
    skipped: list[int] = []
    checked = 0
    sample: reading.EncodingSample | None = None
    if not path.exists():
        problems.append("The uploaded file is no longer kept; upload it again.")
    else:
        try:
            raw_rows = reading.preview_rows(path, layout, PREVIEW_ROWS)
            sample = reading.encoding_sample(path, layout.encoding)
            if not problems:
                for chunk in reading.read_chunks(path, layout, wanted, chunk_rows=1000):
                    cleaned = cleaning.clean_chunk(chunk.frame, chunk.rows, options)
                    errors.extend(cleaned.errors)
                    skipped.extend(cleaned.skipped_rows)
                    costs.extend(daily_costs(actor, cleaned.frame))
                    checked += len(chunk.frame)
                    if len(stored) < PREVIEW_ROWS:
                        head = cleaned.frame.head(PREVIEW_ROWS - len(stored))
                        # NA (not reported) as None, for the page and JSON alike.
                        head = head.astype(object).where(head.notna(), None)
                        stored.extend(head.to_dict("records"))
                    if checked >= PREVIEW_CHECK_ROWS:
                        break
        except reading.UnreadableFile as exc:
            problems.append(str(exc))
        if not raw_rows and not problems:
            problems.append("The file has a header but no rows below it.")
    mapping = settings["mapping"]
    missing = [
        columns.FIELD_LABELS[f]
        for f in (*columns.COUNT_COLUMNS, *columns.MONEY_COLUMNS)
        if f not in mapping
    ]
    return Preview(
        metric_import=metric_import,
        layout=layout,
        mapping=mapping,
        raw_rows=raw_rows,
        stored_rows=stored,
        errors=errors[:MAX_STORED_ERRORS],
        error_count=len(errors),
        checked_rows=checked,
        skipped_rows=skipped,
        missing_fields=missing,
        placements=options.placements,
        duplicate_of=_earlier_success(metric_import),
        problems=problems,
        ledger=imported_costs.ledger_effect(costs) if "cost" in mapping else [],
        encoding_fallback=layout.file_format == "csv"
        and layout.encoding == reading.FALLBACK_ENCODING,
        encoding_sample=sample,
    )


def settings_problems(settings: dict[str, Any], options: Options) -> list[str]:
    mapping: list[str] = settings["mapping"]
    problems = []
    if "day" not in mapping:
        problems.append("Choose the column that holds the date.")
    if settings.get("placement_id") is None and "placement" not in mapping:
        problems.append(
            "Choose the column that names the placement, or one placement for the whole file."
        )
    if not any(f in mapping for f in (*columns.COUNT_COLUMNS, *columns.MONEY_COLUMNS)):
        problems.append("Map at least one figure (impressions, clicks, cost ...).")
    return problems


def _earlier_success(metric_import: MetricImport) -> MetricImport | None:
    return db.session.scalar(
        sa.select(MetricImport)
        .where(
            MetricImport.organization_id == metric_import.organization_id,
            MetricImport.file_hash == metric_import.file_hash,
            MetricImport.status == ImportStatus.SUCCEEDED.value,
            MetricImport.id != metric_import.id,
        )
        .order_by(MetricImport.id.desc())
        .limit(1)
    )


def _preview_import(actor: Actor, import_id: int) -> MetricImport:
    authorize(actor.user, Action.WRITE_METRICS)
    metric_import = get_import(actor, import_id)
    if metric_import.status != ImportStatus.PREVIEW.value:
        from comarketing.errors import Conflict

        raise Conflict("This upload was already confirmed or discarded.")
    return metric_import


@transactional
def change_settings(
    actor: Actor,
    import_id: int,
    *,
    mapping: list[str],
    date_order: str,
    decimal: str,
    placement_id: int | None,
) -> MetricImport:
    metric_import = _preview_import(actor, import_id)
    headers = metric_import.settings["layout"]["headers"]
    if len(mapping) != len(headers):
        raise ValidationFailed("Map every column (or ignore it).", field="mapping")
    chosen = [m for m in mapping if m]
    for name in chosen:
        if name not in columns.FIELDS:
            raise ValidationFailed(f"Unknown field {name!r}.", field="mapping")
        if chosen.count(name) > 1:
            raise ValidationFailed(
                f"{columns.FIELD_LABELS[name]} is mapped to two columns; keep one.",
                field="mapping",
            )
    if date_order not in dates.DATE_ORDERS:
        raise ValidationFailed("Choose how dates are written.", field="date_order")
    if decimal not in numbers.DECIMAL_MARKS:
        raise ValidationFailed("Choose the decimal mark.", field="decimal")
    if placement_id is not None and placement_id not in writable_placements(actor, [placement_id]):
        raise ValidationFailed("Choose one of your placements.", field="placement_id")
    settings = dict(metric_import.settings)
    settings.update(
        mapping=mapping,
        date_order=date_order,
        decimal=decimal,
        placement_id=placement_id,
        mapping_source="changed",
    )
    metric_import.settings = settings
    db.session.commit()
    return metric_import


@transactional
def confirm(
    actor: Actor, import_id: int, *, post_costs: bool, import_again: bool = False
) -> MetricImport:
    """The user checked the preview: remember the mapping and queue the import. The same file
    imported before is reported and not run again unless the user asks for it (to restore
    the days it had written after a later import replaced them)."""
    metric_import = _preview_import(actor, import_id)
    settings = dict(metric_import.settings)
    _, options, _ = options_from_settings(actor, settings)
    problems = settings_problems(settings, options)
    if problems:
        raise ValidationFailed(problems[0], field="mapping")
    earlier = _earlier_success(metric_import)
    settings["post_costs"] = bool(post_costs)
    metric_import.settings = settings
    if earlier is not None and not import_again:
        metric_import.status = ImportStatus.DUPLICATE.value
        metric_import.finished_at = utcnow()
        metric_import.message = (
            f"The same file was already imported as #{earlier.id} on "
            f"{earlier.created_at:%Y-%m-%d}; nothing was imported again."
        )
        db.session.commit()
        return metric_import
    _remember_mapping(actor, settings)
    metric_import.status = ImportStatus.QUEUED.value
    db.session.commit()
    return metric_import


def _remember_mapping(actor: Actor, settings: dict[str, Any]) -> None:
    layout = reading.Layout.from_dict(settings["layout"])
    signature = layout_signature(layout)
    remembered = {
        key: settings.get(key) for key in ("mapping", "date_order", "decimal", "placement_id")
    }
    saved = db.session.scalar(
        sa.select(ColumnMapping).where(
            ColumnMapping.organization_id == actor.organization_id,
            ColumnMapping.signature == signature,
        )
    )
    if saved is None:
        saved = ColumnMapping(organization_id=actor.organization_id, signature=signature)
        db.session.add(saved)
    saved.mapping = remembered
    saved.updated_by_id = actor.user_id
    saved.updated_at = utcnow()


@transactional
def discard(actor: Actor, import_id: int) -> None:
    metric_import = _preview_import(actor, import_id)
    metric_import.status = ImportStatus.DISCARDED.value
    metric_import.finished_at = utcnow()
    db.session.commit()

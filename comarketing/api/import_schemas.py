"""Request and response schemas of the imports API (``comarketing.api.imports``), and the
serialisers that turn a preview and an import into them."""

from __future__ import annotations

import json
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Dict, File, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError

from comarketing import hundredths
from comarketing.api import schemas
from comarketing.dates_allowed import Date
from comarketing.metrics import columns, import_settings, results
from comarketing.metrics.dates import DATE_ORDERS
from comarketing.metrics.imports import Preview
from comarketing.metrics.models import MetricImport
from comarketing.metrics.numbers import DECIMAL_MARKS
from comarketing.metrics.reading import encoding_label

MAX_COLUMNS = 500
SETTING_FIELDS = import_settings.SETTINGS
FIELD_NAMES = sorted(columns.FIELDS)
_MAPPING_HELP = (
    "Our field for each column of the file, in the file's order: one of "
    + ", ".join(FIELD_NAMES)
    + ', or "" / null to ignore the column. As many items as the file has columns.'
)


class ImportPath(Schema):
    import_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class MappingText(String):
    """The mapping inside a multipart form: a JSON array of field names, as text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, list) or len(parsed) > MAX_COLUMNS:
            raise ValidationError('Give a JSON array of field names, like ["day", "", "cost"].')
        if not all(item is None or isinstance(item, str) for item in parsed):
            raise ValidationError("Each item is a field name, an empty string or null.")
        return parsed


def _date_order() -> String:
    return String(
        validate=OneOf(list(DATE_ORDERS)),
        metadata={"description": "How the file writes dates: " + "; ".join(DATE_ORDERS)},
    )


def _decimal() -> String:
    return String(
        validate=OneOf(list(DECIMAL_MARKS)),
        metadata={"description": "The decimal mark of the file's numbers: . or ,"},
    )


def _placement_id() -> Integer:
    return Integer(
        strict=True,
        allow_none=True,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "One of your placements for every row (null: by column)."},
    )


_POST_COSTS_HELP = (
    "Post each day's cost to the budget ledger as an expense paid by your company (days "
    "posted before are re-posted with their new cost either way). Remembered for confirm."
)


class ImportUploadIn(Schema):
    file = File(required=True, metadata={"description": "The results file: CSV or XLSX."})
    campaign_id = schemas.QueryInteger(
        required=True,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "The campaign the results are for (one you own placements in)."},
    )
    mapping = MappingText(
        validate=Length(max=20_000), metadata={"description": "JSON text. " + _MAPPING_HELP}
    )
    date_order = _date_order()
    decimal = _decimal()
    placement_id = schemas.QueryInteger(
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "One of your placements for every row."},
    )
    post_costs = Boolean(metadata={"description": _POST_COSTS_HELP})


class ImportSettingsIn(Schema):
    mapping = List(
        String(allow_none=True, validate=Length(max=50)),
        validate=Length(max=MAX_COLUMNS),
        metadata={"description": _MAPPING_HELP},
    )
    date_order = _date_order()
    decimal = _decimal()
    placement_id = _placement_id()
    post_costs = Boolean(truthy={True}, falsy={False}, metadata={"description": _POST_COSTS_HELP})
    result_indicators = Dict(
        keys=String(validate=Length(max=200)),
        values=String(validate=OneOf(sorted(results.ANSWERS))),
        validate=Length(max=100),
        metadata={
            "description": "Answers to the preview's Result indicator questions: indicator -> "
            "'leads', 'conversions' or 'neither' (only indicators the preview asks about)."
        },
    )


class ConfirmIn(Schema):
    post_costs = Boolean(
        truthy={True},
        falsy={False},
        allow_none=True,
        load_default=None,
        metadata={"description": "Post costs (default: as last set on the upload, else false)."},
    )
    import_again = Boolean(
        truthy={True},
        falsy={False},
        load_default=False,
        metadata={"description": "Import a file that was imported before once more."},
    )


# ---------------------------------------------------------------------------------------------
# Answers


class Sample(Schema):
    line = Integer(required=True, metadata={"description": "1-based line of the file"})
    text = String(required=True)


class Encoding(Schema):
    name = String(required=True, metadata={"example": "cp1252"})
    label = String(required=True, metadata={"example": "Windows-1252"})
    fallback = Boolean(
        required=True,
        metadata={"description": "Not UTF-8 or UTF-16: read as Windows-1252 (check the sample)"},
    )
    sample = Nested(Sample, allow_none=True, required=True)


class ColumnOut(Schema):
    column = Integer(required=True, metadata={"description": "0-based position"})
    header = String(required=True)
    field = String(required=True, allow_none=True, metadata={"description": "null: ignored"})


class Option(Schema):
    value = String(required=True)
    label = String(required=True)


class ChoiceOut(Schema):
    setting = String(required=True, metadata={"description": "Answer it with PATCH"})
    question = String(required=True)
    options = List(Nested(Option), required=True)
    samples = List(String(), required=True)


class DateOrder(Schema):
    value = String(
        required=True,
        allow_none=True,
        validate=OneOf(list(DATE_ORDERS)),
        metadata={"description": "null while the order is still to be chosen"},
    )
    choice_needed = Boolean(
        required=True, metadata={"description": "The file cannot tell; answer with PATCH"}
    )


class MatchedPlacement(Schema):
    id = Integer(required=True)
    name = String(required=True)
    campaign_id = Integer(required=True)
    rows = Integer(required=True, metadata={"description": "Checked rows going to it"})


class FlightReachOut(Schema):
    placement_id = Integer(required=True)
    name = String(required=True)
    start_date = Date(required=True)
    end_date = Date(required=True)
    flight_reach = Integer(
        required=True, metadata={"description": "People over the whole flight, as the file gives"}
    )


class RowError(Schema):
    row = Integer(required=True, allow_none=True, metadata={"description": "Line in the file"})
    column = String(required=True, allow_none=True)
    value = String(required=True, allow_none=True)
    reason = String(required=True)


class Blocker(Schema):
    field = String(required=True, metadata={"description": "What to change: a setting, file"})
    message = String(required=True)


class RowOut(Schema):
    row = Integer(required=True)
    placement_id = Integer(required=True)
    day = Date(required=True)
    impressions = Integer(required=True, allow_none=True)
    reach = Integer(required=True, allow_none=True)
    clicks = Integer(required=True, allow_none=True)
    leads = Integer(required=True, allow_none=True)
    conversions = schemas.conversions_out()
    revenue = Nested(schemas.Money, required=True, allow_none=True)
    cost = Nested(schemas.Money, required=True, allow_none=True)


class LedgerOut(Schema):
    currency = String(required=True)
    reposted_days = Integer(
        required=True, metadata={"description": "Posted before, cost changed: re-posted anyway"}
    )
    reposted_change = Nested(schemas.Money, required=True)
    unchanged_days = Integer(required=True)
    new_days = Integer(required=True, metadata={"description": "Posted only with post_costs"})
    new = Nested(schemas.Money, required=True)


class BudgetOut(Schema):
    campaign_id = Integer(required=True)
    campaign_name = String(required=True)
    committed = Nested(schemas.Money, required=True)
    spent = Nested(schemas.Money, required=True, metadata={"description": "Now"})
    spent_if_not_posted = Nested(schemas.Money, required=True)
    spent_if_posted = Nested(schemas.Money, required=True)
    over_if_not_posted = Boolean(required=True)
    over_if_posted = Boolean(required=True)


class PostCostsOut(Schema):
    ticked = Boolean(required=True, metadata={"description": "What confirm does by default"})
    ledger = List(Nested(LedgerOut), required=True)
    budget = List(Nested(BudgetOut), required=True)


class PreviewOut(Schema):
    id = Integer(required=True)
    status = String(required=True, metadata={"example": "preview"})
    campaign_id = Integer(required=True, allow_none=True)
    filename = String(required=True)
    file_size = Integer(required=True)
    file_format = String(required=True, metadata={"example": "csv"})
    file_sha256 = String(required=True)
    encoding = Nested(Encoding, required=True)
    delimiter = String(required=True, allow_none=True, metadata={"description": "CSV only"})
    header_row = Integer(required=True, metadata={"description": "1-based"})
    date_order = Nested(DateOrder, required=True)
    decimal = String(required=True)
    placement_id = Integer(required=True, allow_none=True)
    mapping_source = String(required=True, metadata={"example": "detected"})
    mapping = List(Nested(ColumnOut), required=True)
    missing_fields = List(String(), required=True, metadata={"description": "Not in the file"})
    matched_placements = List(Nested(MatchedPlacement), required=True)
    flight_reach = List(
        Nested(FlightReachOut),
        required=True,
        metadata={
            "description": "Rows covering a placement's whole flight (start to end): their "
            "Reach is stored as the placement's flight reach; their other figures are flight "
            "totals, not days, and are not stored as daily rows (a warning says so)."
        },
    )
    rows_checked = Integer(required=True)
    skipped_rows = List(Integer(), required=True, metadata={"description": "Totals, footers"})
    error_count = Integer(required=True)
    errors = List(Nested(RowError), required=True, metadata={"description": "At most 1,000"})
    problems = List(String(), required=True, metadata={"description": "Settings to change"})
    choices = List(Nested(ChoiceOut), required=True, metadata={"description": "To answer"})
    warnings = List(String(), required=True)
    rows = List(Nested(RowOut), required=True, metadata={"description": "The first 20"})
    post_costs = Nested(PostCostsOut, required=True)
    ready = Boolean(required=True, metadata={"description": "Confirm would queue it"})
    blockers = List(Nested(Blocker), required=True)


class ImportOut(Schema):
    id = Integer(required=True)
    status = String(required=True)
    campaign_id = Integer(required=True, allow_none=True)
    filename = String(required=True, allow_none=True)
    progress = String(
        required=True, metadata={"description": "Share done, 0 to 1, 4 decimals", "example": "0.5"}
    )
    rows_done = Integer(required=True, metadata={"description": "Rows read so far"})
    rows_read = Integer(required=True)
    rows_written = Integer(required=True)
    rows_replaced = Integer(required=True)
    rows_unchanged = Integer(required=True)
    error_count = Integer(required=True)
    errors = List(Nested(RowError), required=True)
    message = String(required=True, allow_none=True)
    post_costs = Boolean(required=True)


# ---------------------------------------------------------------------------------------------
# Serialisers


def _row(row: dict[str, Any]) -> dict[str, Any]:
    currency = str(row["currency"])
    out = {"row": int(row["row"]), "placement_id": int(row["placement_id"]), "day": row["day"]}
    for name in columns.COUNT_COLUMNS:
        if name == "conversions":  # stored as exact hundredths, answered as text ("2.47")
            value = row.get("conversions_hundredths")
            out[name] = None if value is None or value != value else hundredths.to_text(value)
            continue
        value = row.get(name)
        out[name] = None if value is None or value != value else int(value)
    for name in columns.MONEY_COLUMNS:
        value = row.get(name + "_minor")
        out[name] = None if value is None or value != value else schemas.money(int(value), currency)
    return out


def _warnings(preview: Preview) -> list[str]:
    warnings = []
    if preview.encoding_fallback:
        warnings.append(
            f"This file is not UTF-8 or UTF-16: it is read as {preview.encoding_label}. Check "
            "the sample before you import."
        )
    if preview.duplicate_of is not None:
        warnings.append(
            f"This very file was already imported as #{preview.duplicate_of.id}; confirm with "
            "import_again to import it once more."
        )
    if preview.missing_fields and not preview.problems:
        warnings.append("The file has no column for " + ", ".join(preview.missing_fields) + ".")
    if preview.flight_reach:
        warnings.append(preview.flight_reach_note)
    if preview.checked_rows and preview.checked_rows >= 5000:
        warnings.append(
            f"The preview checked the first {preview.checked_rows:,} rows; the import checks "
            "every row before anything is stored."
        )
    return warnings


def _post_costs(preview: Preview, ticked: bool) -> dict[str, Any]:
    return {
        "ticked": ticked,
        "ledger": [
            {
                "currency": e.currency,
                "reposted_days": e.reposted_days,
                "reposted_change": schemas.money(e.reposted_delta_minor, e.currency),
                "unchanged_days": e.unchanged_days,
                "new_days": e.new_days,
                "new": schemas.money(e.new_minor, e.currency),
            }
            for e in preview.ledger
        ],
        "budget": [
            {
                "campaign_id": b.campaign_id,
                "campaign_name": b.campaign_name,
                "committed": schemas.money(b.committed_minor, b.currency),
                "spent": schemas.money(b.spent_minor, b.currency),
                "spent_if_not_posted": schemas.money(b.spent_unticked_minor, b.currency),
                "spent_if_posted": schemas.money(b.spent_ticked_minor, b.currency),
                "over_if_not_posted": b.over_unticked,
                "over_if_posted": b.over_ticked,
            }
            for b in preview.budget
        ],
    }


def preview_out(preview: Preview) -> dict[str, Any]:
    m = preview.metric_import
    settings = m.settings
    layout = preview.layout
    ticked = bool(settings.get("post_costs", False))
    sample = preview.encoding_sample
    blockers = preview.blockers(ticked)
    return {
        "id": m.id,
        "status": m.status,
        "campaign_id": settings.get("campaign_id"),
        "filename": m.filename or "",
        "file_size": m.file_size or 0,
        "file_format": layout.file_format,
        "file_sha256": m.file_hash or "",
        "encoding": {
            "name": layout.encoding,
            "label": encoding_label(layout.encoding),
            "fallback": preview.encoding_fallback,
            "sample": {"line": sample.line, "text": sample.text} if sample else None,
        },
        "delimiter": layout.delimiter if layout.file_format == "csv" else None,
        "header_row": layout.header_row + 1,
        "date_order": {
            "value": settings.get("date_order"),
            "choice_needed": any(c.setting == "date_order" for c in preview.choices),
        },
        "decimal": settings.get("decimal", "."),
        "placement_id": settings.get("placement_id"),
        "mapping_source": settings.get("mapping_source", "detected"),
        "mapping": [
            {"column": i, "header": header, "field": (preview.mapping[i] or None)}
            for i, header in enumerate(layout.headers)
        ],
        "missing_fields": preview.missing_fields,
        "matched_placements": [
            {
                "id": pid,
                "name": preview.placements[pid].name,
                "campaign_id": preview.placements[pid].campaign_id,
                "rows": count,
            }
            for pid, count in sorted(preview.matched.items())
            if pid in preview.placements
        ],
        "flight_reach": [
            {
                "placement_id": pid,
                "name": preview.placements[pid].name,
                "start_date": preview.placements[pid].start_date,
                "end_date": preview.placements[pid].end_date,
                "flight_reach": people,
            }
            for pid, people in sorted(preview.flight_reach.items())
        ],
        "rows_checked": preview.checked_rows,
        "skipped_rows": preview.skipped_rows,
        "error_count": preview.error_count,
        "errors": [error_out(e) for e in preview.errors],
        "problems": preview.problems,
        "choices": [
            {
                "setting": c.setting,
                "question": c.question,
                "options": [{"value": v, "label": label} for v, label in c.options],
                "samples": c.samples,
            }
            for c in preview.choices
        ],
        "warnings": _warnings(preview),
        "rows": [_row(r) for r in preview.stored_rows],
        "post_costs": _post_costs(preview, ticked),
        "ready": not blockers,
        "blockers": [{"field": b.field, "message": b.message} for b in blockers],
    }


def error_out(error: dict[str, Any]) -> dict[str, Any]:
    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    row = error.get("row")
    return {
        "row": int(row) if isinstance(row, int) else None,
        "column": text(error.get("column")),
        "value": text(error.get("value")),
        "reason": str(error.get("reason", "")),
    }


def import_out(m: MetricImport, progress: dict[str, Any] | None) -> dict[str, Any]:
    state = progress or {}
    share = float(state.get("progress", 1.0 if m.finished_at else 0.0))
    return {
        "id": m.id,
        "status": m.status,
        "campaign_id": m.settings.get("campaign_id"),
        "filename": m.filename,
        "progress": f"{share:.4f}",
        "rows_done": int(state.get("rows", m.rows_read)),
        "rows_read": m.rows_read,
        "rows_written": m.rows_written,
        "rows_replaced": m.rows_replaced,
        "rows_unchanged": m.rows_unchanged,
        "error_count": m.error_count,
        "errors": [error_out(e) for e in (m.errors or [])],
        "message": m.message,
        "post_costs": bool(m.settings.get("post_costs", False)),
    }

"""An uploaded file before it runs: how its settings turn into cleaning options, the preview
(first rows as they will be stored, every error in the rows checked), changing the mapping,
confirming (remembering the mapping for the next file of the same layout) and discarding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from comarketing.budgets import imported_costs
from comarketing.campaigns import platform_names
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.dates_format import format_datetime
from comarketing.db import upsert_insert, utcnow
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.jobs import enqueue
from comarketing.metrics import (
    choices,
    cleaning,
    columns,
    dates,
    flight_rows,
    import_settings,
    matching,
    micros,
    reading,
)
from comarketing.metrics.budget_check import BudgetCheck, budget_checks
from comarketing.metrics.cells import Options, PlacementInfo
from comarketing.metrics.choices import Choice
from comarketing.metrics.history import get_import
from comarketing.metrics.models import ColumnMapping, ImportStatus, MetricImport
from comarketing.metrics.placements import owned_placements
from comarketing.metrics.uploads import layout_signature, release, stored_path
from comarketing.metrics.writer import daily_costs
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

MAX_STORED_ERRORS = 1000
IMPORT_JOB = "metrics.import"
# A worker killed mid-import, or a database blip, is retried; an import that kills its worker
# three times is marked failed ("interrupted") for a person to look at.
IMPORT_JOB_ATTEMPTS = 3
PREVIEW_ROWS = 20
PREVIEW_CHECK_ROWS = 5000


def options_from_settings(
    actor: Actor, settings: dict[str, Any], *, campaign_id: int | None = None
) -> tuple[reading.Layout, Options, list[int]]:
    """The file's layout, the cleaning options its settings give, and the columns to read.
    A file uploaded for a campaign matches that campaign's placements and their remembered
    platform names only (``campaign_id`` None: an import from before uploads had one)."""
    layout = reading.Layout.from_dict(settings["layout"])
    mapping: list[str] = settings["mapping"]
    positions = {name: i for i, name in enumerate(mapping) if name}
    header_currency = {
        name: code
        for name, i in positions.items()
        if name in columns.MONEY_COLUMNS
        and (code := columns.normalise(layout.headers[i]).currency) is not None
    }
    column_units = column_units_of(settings)
    options = Options(
        mapping=positions,
        headers=layout.headers,
        # Reading a preview needs no write permission; confirming and changing it do.
        placements=owned_placements(actor.organization_id, campaign_id=campaign_id),
        date_order=settings.get("date_order") or "iso",  # None: asked, import blocked
        decimal=settings.get("decimal", "."),
        placement_id=settings.get("placement_id"),
        header_currency=header_currency,
        period_end=columns.period_end_column(layout.headers, mapping),
        units={
            name: column_units[i]
            for name, i in positions.items()
            if name in columns.MONEY_COLUMNS and column_units[i]
        },
        latest_day=dates.latest_day(actor.user.organization),
        result_indicators=choices.cleaning_answers(settings),
    )
    if campaign_id is not None:
        options.names = platform_names.campaign_names([campaign_id]).get(campaign_id, {})
    if options.placement_id is not None:
        options.mapping.pop("placement", None)
    wanted = set(options.mapping.values())
    if options.period_end is not None:
        wanted.add(options.period_end)
    return layout, options, sorted(wanted)


def column_units_of(settings: dict[str, Any]) -> list[str]:
    """Each column's unit ("micro" or ""), as stored on upload (read from the names before
    the settings kept them)."""
    headers = settings["layout"]["headers"]
    stored = settings.get("units")
    return list(stored) if stored and len(stored) == len(headers) else micros.units_for(headers)


@dataclass(frozen=True)
class Blocker:
    """Why the import cannot run yet, and the input (field) that would change it."""

    field: str
    message: str


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
    # The campaign the file was uploaded for, and the placement names its rows carry.
    campaign_name: str = ""
    names: matching.NameReport | None = None
    # Set when the file is read with the fallback encoding (Windows-1252): the page says so
    # prominently, with a line as it will be read, before anything is stored.
    encoding_fallback: bool = False
    encoding_sample: reading.EncodingSample | None = None
    units: list[str] = field(default_factory=list)  # each column's unit ("micro" or "")
    # The file cannot tell whether its dates are day or month first: the user must choose
    # (an unresolved choice: ``problems`` says so and the import cannot be confirmed).
    date_order_needed: bool = False
    date_order_samples: list[dates.DateOrderSample] = field(default_factory=list)
    # Meta "Result indicator" values we do not know -> the user's answer (None: still open).
    result_indicators: dict[str, str | None] = field(default_factory=dict)
    # Questions the file leaves open; while any is listed the import cannot run.
    choices: list[Choice] = field(default_factory=list)
    # Per campaign, the spend against the commitments after the import (ticked / unticked).
    budget: list[BudgetCheck] = field(default_factory=list)
    # Placement id -> how many of the checked rows go to it.
    matched: dict[int, int] = field(default_factory=dict)
    # Placement id -> the flight reach a row for its whole flight gives (metrics.flight_rows).
    flight_reach: dict[int, int] = field(default_factory=dict)

    @property
    def flight_reach_note(self) -> str:
        """What the rows for whole flights store (empty: the file has none)."""
        return flight_rows.summary(self.flight_reach, self.placements)

    @property
    def encoding_label(self) -> str:
        return reading.encoding_label(self.layout.encoding)

    def blockers(self, post_costs: bool = False) -> list[Blocker]:
        """Everything that stops this import from running with "post costs" as given: a
        setting to change, rows in error, an open question, spend above the commitments.
        The page disables Import while any is listed (unticked); confirm refuses the same."""
        asked = {choice.question for choice in self.choices}
        found = [Blocker("mapping", problem) for problem in self.problems if problem not in asked]
        if self.error_count:
            many = self.error_count != 1
            found.append(
                Blocker(
                    "file",
                    f"{self.error_count:,} {'rows have' if many else 'row has'} errors: fix "
                    "the file or the mapping.",
                )
            )
        found.extend(Blocker(choice.setting, choice.question) for choice in self.choices)
        found.extend(
            Blocker("post_costs", check.message(post_costs))
            for check in self.budget
            if check.over(post_costs)
        )
        return found


def preview(actor: Actor, import_id: int, *, rows: int | None = PREVIEW_ROWS) -> Preview:
    """The detected columns and mapping, the first ``rows`` rows as they will be stored (None:
    every row checked), every error in the rows checked so far (the whole file when it is
    small), and what their costs would do to each campaign's budget."""
    keep = PREVIEW_CHECK_ROWS if rows is None else rows
    metric_import = get_import(actor, import_id)
    settings = metric_import.settings
    layout, options, wanted = options_from_settings(
        actor, settings, campaign_id=metric_import.campaign_id
    )
    path = stored_path(metric_import.file_hash or "")
    problems = settings_problems(settings, options)
    names = matching.NameReport(options)
    by_name = options.placement_id is None and "placement" in options.mapping
    raw_rows: list[list[str]] = []
    stored: list[dict[str, Any]] = []
    costs: list[imported_costs.DailyCost] = []
    errors: list[dict[str, Any]] = []
    skipped: list[int] = []
    matched: dict[int, int] = {}
    flights = flight_rows.FlightReaches()
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
                    if by_name:  # not the summary rows ("Total") the cleaning skipped
                        kept = ~chunk.rows.isin(cleaned.skipped_rows).to_numpy()
                        names.add(chunk.frame[options.mapping["placement"]][kept])
                    errors.extend(cleaned.errors)
                    errors.extend(flights.add(cleaned.flights, options))
                    skipped.extend(cleaned.skipped_rows)
                    costs.extend(daily_costs(actor, cleaned.frame))
                    for placement_id in cleaned.frame["placement_id"].tolist():
                        matched[int(placement_id)] = matched.get(int(placement_id), 0) + 1
                    checked += len(chunk.frame)
                    if len(stored) < keep:
                        head = cleaned.frame.head(keep - len(stored))
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
    from_results = ("leads", "conversions") if "results" in mapping else ()
    missing = [
        columns.FIELD_LABELS[f]
        for f in (*columns.COUNT_COLUMNS, *columns.MONEY_COLUMNS)
        if f not in mapping and f not in from_results
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
        units=column_units_of(settings),
        date_order_needed=choices.date_order_needed(settings),
        date_order_samples=dates.samples(settings.get("date_order_samples") or []),
        result_indicators=dict(settings.get("result_indicators") or {})
        if "results" in mapping
        else {},
        campaign_name=_campaign_name(metric_import.campaign_id),
        names=names if by_name else None,
        choices=choices.open_choices(settings),
        budget=budget_checks(costs) if "cost" in mapping and not errors else [],
        matched=matched,
        flight_reach=flights.reach,
    )


def _campaign_name(campaign_id: int | None) -> str:
    if campaign_id is None:
        return ""
    return db.session.scalar(sa.select(Campaign.name).where(Campaign.id == campaign_id)) or ""


def settings_problems(settings: dict[str, Any], options: Options) -> list[str]:
    mapping: list[str] = settings["mapping"]
    problems = []
    if "day" not in mapping:
        problems.append("Choose the column that holds the date.")
    if settings.get("placement_id") is None and "placement" not in mapping:
        problems.append(
            "Choose the column that names the placement, or one placement for the whole file."
        )
    # No figure is required (issue 15): a column the file lacks is not reported, not 0.
    problems.extend(choices.unresolved(settings))
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
    date_order: str | None,
    decimal: str,
    placement_id: int | None,
) -> MetricImport:
    metric_import = _preview_import(actor, import_id)
    metric_import.settings = import_settings.apply(
        actor,
        metric_import.settings,
        {
            "mapping": mapping,
            "date_order": date_order,
            "decimal": decimal,
            "placement_id": placement_id,
        },
        campaign_id=metric_import.campaign_id,
    )
    db.session.commit()
    return metric_import


@transactional
def update_settings(actor: Actor, import_id: int, changes: dict[str, Any]) -> MetricImport:
    """Change some settings of an upload in preview (the API's PATCH): those named in
    ``changes`` (see :data:`import_settings.SETTINGS`) change, checked as on the page; the
    others stay. ``post_costs`` is remembered as what confirm does by default."""
    metric_import = _preview_import(actor, import_id)
    metric_import.settings = import_settings.apply(
        actor, metric_import.settings, changes, campaign_id=metric_import.campaign_id
    )
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
    blockers = preview(actor, import_id, rows=0).blockers(bool(post_costs))
    if blockers:
        raise ValidationFailed(
            f"Nothing was imported: {blockers[0].message}", field=blockers[0].field
        )
    settings = dict(metric_import.settings)
    earlier = _earlier_success(metric_import)
    settings["post_costs"] = bool(post_costs)
    metric_import.settings = settings
    if earlier is not None and not import_again:
        metric_import.status = ImportStatus.DUPLICATE.value
        metric_import.finished_at = utcnow()
        metric_import.message = (
            # Stored text, read by people in any zone: the time says its zone (UTC).
            f"The same file was already imported as #{earlier.id} on "
            f"{format_datetime(earlier.created_at)}; nothing was imported again."
        )
        db.session.commit()
        release(metric_import.file_hash)
        return metric_import
    _remember_mapping(actor, settings)
    metric_import.status = ImportStatus.QUEUED.value
    # The run is a background job, queued in this transaction (comarketing/metrics/jobs.py).
    enqueue(
        IMPORT_JOB,
        {"import_id": metric_import.id},
        key=import_job_key(metric_import.id),
        organization_id=actor.organization_id,
        max_attempts=IMPORT_JOB_ATTEMPTS,
    )
    db.session.commit()
    return metric_import


def import_job_key(import_id: int) -> str:
    return f"metrics-import:{import_id}"


def _remember_mapping(actor: Actor, settings: dict[str, Any]) -> None:
    layout = reading.Layout.from_dict(settings["layout"])
    signature = layout_signature(layout)
    remembered = {key: settings.get(key) for key in ("mapping", "decimal", "placement_id")}
    remembered.update(choices.remembered_choices(settings))
    # One statement: two files of a new layout confirmed at once (two web workers) both
    # write the mapping; the later one wins instead of one of them failing on the unique key.
    statement = upsert_insert(db.session, ColumnMapping).values(
        organization_id=actor.organization_id,
        signature=signature,
        mapping=remembered,
        updated_by_id=actor.user_id,
        updated_at=utcnow(),
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id", "signature"],
            set_={
                name: statement.excluded[name]
                for name in ("mapping", "updated_by_id", "updated_at")
            },
        )
    )


@transactional
def discard(actor: Actor, import_id: int) -> None:
    metric_import = _preview_import(actor, import_id)
    metric_import.status = ImportStatus.DISCARDED.value
    metric_import.finished_at = utcnow()
    db.session.commit()
    release(metric_import.file_hash)

"""Daily metrics: who may read and write them, the one write path every source goes through
(form grid, file upload, API), and the import history.

Every write is all or nothing: rows are checked and written chunk by chunk inside one
transaction, and the first bad row turns the rest of the run into a check-only pass that
collects every error before the whole transaction is rolled back.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, cast

import pandas as pd
import sqlalchemy as sa
from flask import current_app

from comarketing import audit
from comarketing.accounts.models import User
from comarketing.budgets import imported_costs
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Forbidden, NotFound, TooLarge, ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import cleaning, columns, goals, reading, rollup
from comarketing.metrics.cleaning import Options, PlacementInfo
from comarketing.metrics.models import (
    VALUE_FIELDS,
    ColumnMapping,
    DailyMetric,
    ImportSource,
    ImportStatus,
    MetricImport,
    ReplacedDay,
)
from comarketing.money import exponent as currency_exponent
from comarketing.money import to_decimal_string
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

MAX_STORED_ERRORS = 1000
PREVIEW_ROWS = 20
PREVIEW_CHECK_ROWS = 5000
MAX_BATCH = 1000  # days per form or API request


class RowsInvalid(ValidationFailed):
    """Some rows were refused; nothing was written. ``errors``: row, column, value, reason."""

    def __init__(self, errors: list[dict[str, Any]], total: int | None = None) -> None:
        count = total if total is not None else len(errors)
        noun = "row has" if count == 1 else "rows have"
        super().__init__(f"{count} {noun} errors; nothing was stored.", field="rows")
        self.errors = errors
        self.total = count


# ---------------------------------------------------------------------------------------------
# Placements


def _exponent(currency: str) -> int:
    return currency_exponent(currency)


def _party_campaigns(organization_id: int) -> sa.Select[int]:
    return sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )


def writable_placements(actor: Actor, ids: Iterable[int] | None = None) -> dict[int, PlacementInfo]:
    """The placements the actor's company owns, in campaigns it is party to."""
    authorize(actor.user, Action.WRITE_METRICS)
    return owned_placements(actor.organization_id, ids)


def owned_placements(
    organization_id: int, ids: Iterable[int] | None = None
) -> dict[int, PlacementInfo]:
    query = (
        sa.select(Placement, Campaign.currency)
        .join(Campaign, Campaign.id == Placement.campaign_id)
        .where(
            Placement.owner_organization_id == organization_id,
            Placement.campaign_id.in_(_party_campaigns(organization_id)),
        )
        .order_by(Placement.id)
    )
    if ids is not None:
        query = query.where(Placement.id.in_(list(ids)))
    return {
        placement.id: PlacementInfo(
            id=placement.id,
            campaign_id=placement.campaign_id,
            name=placement.name,
            start_date=placement.start_date,
            end_date=placement.end_date,
            currency=currency,
            exponent=_exponent(currency),
        )
        for placement, currency in db.session.execute(query).all()
    }


@dataclass
class PlacementView:
    placement: Placement
    campaign: Campaign
    owner_name: str
    can_write: bool


def get_placement(actor: Actor, placement_id: int) -> PlacementView:
    """A placement of a campaign the actor's company is party to (others: NotFound)."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    from comarketing.accounts.models import Organization

    row = db.session.execute(
        sa.select(Placement, Campaign, Organization.name)
        .join(Campaign, Campaign.id == Placement.campaign_id)
        .join(Organization, Organization.id == Placement.owner_organization_id)
        .where(
            Placement.id == placement_id,
            Placement.campaign_id.in_(_party_campaigns(actor.organization_id)),
        )
    ).one_or_none()
    if row is None:
        raise NotFound()
    placement, campaign, owner = row
    from comarketing.policy import can

    can_write = (
        can(actor.user, Action.WRITE_METRICS)
        and placement.owner_organization_id == actor.organization_id
    )
    return PlacementView(placement, campaign, owner, can_write)


def placement_days(
    actor: Actor, placement_id: int, start: date | None = None, end: date | None = None
) -> list[DailyMetric]:
    get_placement(actor, placement_id)
    query = sa.select(DailyMetric).where(DailyMetric.placement_id == placement_id)
    if start:
        query = query.where(DailyMetric.day >= start)
    if end:
        query = query.where(DailyMetric.day <= end)
    return list(db.session.scalars(query.order_by(DailyMetric.day)))


@dataclass(frozen=True)
class Totals:
    days: int
    impressions: int
    reach: int
    clicks: int
    leads: int
    conversions: int
    revenue_minor: int
    cost_minor: int


def placement_totals(placement_id: int) -> Totals:
    sums = [sa.func.coalesce(sa.func.sum(getattr(DailyMetric, f)), 0) for f in VALUE_FIELDS]
    row = db.session.execute(
        sa.select(sa.func.count(), *sums).where(DailyMetric.placement_id == placement_id)
    ).one()
    return Totals(*(int(v) for v in row))


# ---------------------------------------------------------------------------------------------
# The write path


@dataclass
class WriteStats:
    written: int = 0
    replaced: int = 0
    unchanged: int = 0
    cost_delta: int = 0
    campaigns: set[int] = field(default_factory=set)


def _upsert_statement() -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    # The Core table, not the mapped class: an ORM bulk insert builds a command per row.
    statement: Any = dialect.insert(DailyMetric.__table__)
    updated = (*VALUE_FIELDS, "campaign_id", "currency", "import_id", "updated_at")
    return statement.on_conflict_do_update(
        index_elements=["placement_id", "day"],
        set_={name: statement.excluded[name] for name in updated},
    )


def _records(frame: pd.DataFrame, names: Sequence[str]) -> list[dict[str, Any]]:
    # tolist() gives Python ints and dates: database drivers do not take numpy scalars.
    return [
        dict(zip(names, values, strict=True))
        for values in zip(*(frame[n].tolist() for n in names), strict=True)
    ]


def _execute_many(statement: Any, frame: pd.DataFrame, **constants: Any) -> None:
    """One executemany of the frame's rows (plus ``constants`` on every row) straight on the
    driver, each value converted by its column's type once per distinct value: SQLAlchemy's
    per-row parameter handling cost several times the database's own work on a large file."""
    connection = db.session.connection()
    dialect = connection.dialect
    table = statement.table
    names = [*frame.columns, *constants]
    compiled = statement.compile(dialect=dialect, column_keys=names)

    def converted(name: str, values: list[Any]) -> list[Any]:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            return values
        done: dict[Any, Any] = {}
        return [done[v] if v in done else done.setdefault(v, process(v)) for v in values]

    columns = [converted(n, frame[n].tolist()) for n in frame.columns]
    columns += [converted(n, [value]) * len(frame) for n, value in constants.items()]
    if compiled.positional:
        order = [names.index(n) for n in compiled.positiontup]
        params: list[Any] = list(zip(*(columns[i] for i in order), strict=True))
    else:
        keys = [compiled.escaped_bind_names.get(n, n) for n in names]
        params = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    connection.exec_driver_sql(compiled.string, params)


def _differences(changed: pd.DataFrame) -> pd.DataFrame:
    """New minus old for each written day (old = 0 for a new day), for the monthly rollup."""
    delta = changed[["placement_id", "campaign_id", "day"]].copy()
    delta["days"] = changed["import_id"].isna().astype("int64")
    for name in VALUE_FIELDS:
        delta[name] = changed[name].astype("int64") - changed[name + "_old"].fillna(0).astype(
            "int64"
        )
    return delta


class _Writer:
    """Writes checked chunks for one import, inside the caller's transaction."""

    def __init__(self, actor: Actor, metric_import: MetricImport, *, post_costs: bool) -> None:
        self.actor = actor
        self.metric_import = metric_import
        self.post_costs = post_costs
        self.locked: set[int] = set()
        self.stats = WriteStats()
        self.upsert = _upsert_statement()

    def lock(self, placement_ids: Iterable[int]) -> None:
        """Lock, before any day is read, every placement the import may write (and, when costs
        go to the ledger, their campaigns first), each kind in id order. Imports touching the
        same placements then run one after the other, the replaced values recorded are the
        ones really replaced, and no two imports can wait on each other in a cycle (a manual
        expense locks only its campaign)."""
        wanted = sorted(set(placement_ids) - self.locked)
        if not wanted:
            return
        if self.post_costs:
            db.session.execute(
                sa.select(Campaign.id)
                .where(
                    Campaign.id.in_(
                        sa.select(Placement.campaign_id).where(Placement.id.in_(wanted))
                    )
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
        placement_ids = {int(p) for p in clean["placement_id"].unique()}
        self._lock(placement_ids)
        old_names = ["placement_id", "day", *VALUE_FIELDS, "currency", "import_id"]
        existing = pd.DataFrame(
            db.session.execute(
                sa.select(*(getattr(DailyMetric, n) for n in old_names)).where(
                    DailyMetric.placement_id.in_(sorted(placement_ids)),
                    DailyMetric.day.between(min(clean["day"]), max(clean["day"])),
                )
            ).all(),
            columns=old_names,
        )
        merged = clean.merge(
            existing, on=["placement_id", "day"], how="left", suffixes=("", "_old")
        )
        had = merged["import_id"].notna()
        repeated = had & (merged["import_id"] == self.metric_import.id)
        refused = [
            {
                "row": int(row),
                "column": "day",
                "value": day.isoformat(),
                "reason": "repeats a placement and day given in an earlier row",
            }
            for row, day in zip(merged["row"][repeated], merged["day"][repeated], strict=True)
        ]
        if refused:
            return refused
        same = had.copy()
        for name in VALUE_FIELDS:
            same &= merged[name] == merged[name + "_old"]
        replaced = had & ~same
        changed = merged[~same]
        now = utcnow()
        if replaced.any():
            old = merged[replaced].copy()
            history = pd.DataFrame(
                {
                    "import_id": self.metric_import.id,
                    "placement_id": old["placement_id"],
                    "day": old["day"],
                    **{n: old[n + "_old"].astype("int64") for n in VALUE_FIELDS},
                    "currency": old["currency_old"],
                    "previous_import_id": old["import_id"].astype("int64"),
                }
            )
            db.session.execute(
                # The table, not the class: a plain executemany, no ORM bulk bookkeeping.
                sa.insert(cast(sa.Table, ReplacedDay.__table__)),
                _records(history, list(history.columns)),
            )
        if not changed.empty:
            rows = changed[["placement_id", "day", "campaign_id", *VALUE_FIELDS, "currency"]]
            _execute_many(self.upsert, rows, import_id=self.metric_import.id, updated_at=now)
            rollup.apply(_differences(changed))
        self.stats.written += len(changed)
        self.stats.replaced += int(replaced.sum())
        self.stats.unchanged += int(same.sum())
        campaign_ids = {int(c) for c in clean["campaign_id"].unique()}
        self.stats.campaigns |= campaign_ids
        if self.post_costs:
            self.stats.cost_delta += imported_costs.sync_metric_costs(
                self.actor,
                [
                    imported_costs.DailyCost(
                        campaign_id=int(c),
                        placement_id=int(p),
                        organization_id=self.actor.organization_id,
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
                ],
                note=f"Daily cost from results import #{self.metric_import.id}",
            )
        return []

    def finish(self) -> None:
        if self.post_costs:
            imported_costs.check_within_commitments(self.stats.campaigns)
        goals.announce_reached_goals(self.stats.campaigns)


def _new_import(actor: Actor, source: ImportSource, **fields: Any) -> MetricImport:
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


def _finish(metric_import: MetricImport, stats: WriteStats, rows_read: int) -> None:
    metric_import.status = ImportStatus.SUCCEEDED.value
    metric_import.rows_read = rows_read
    metric_import.rows_written = stats.written
    metric_import.rows_replaced = stats.replaced
    metric_import.rows_unchanged = stats.unchanged
    metric_import.costs_posted_minor = stats.cost_delta
    metric_import.finished_at = utcnow()


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
    view = get_placement(actor, placement_id)
    authorize(actor.user, Action.WRITE_METRICS)
    if not view.can_write:
        raise Forbidden("Only the company that owns this placement enters its results.")
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
    metric_import = _new_import(
        actor, source, settings={"placement_id": placement_id, "post_costs": post_costs}
    )
    writer = _Writer(actor, metric_import, post_costs=post_costs)
    writer.lock([placement_id])
    refused = writer.write(cleaned.frame)
    if refused:  # pragma: no cover - duplicates within one batch are caught by clean_chunk
        raise RowsInvalid(refused)
    writer.finish()
    _finish(metric_import, writer.stats, len(days))
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
    view = get_placement(actor, placement_id)
    authorize(actor.user, Action.WRITE_METRICS)
    if not view.can_write:
        raise Forbidden("Only the company that owns this placement enters its results.")
    if not days:
        raise ValidationFailed("Choose at least one day.", field="days")
    metric_import = _new_import(actor, source, settings={"placement_id": placement_id})
    # Campaign first, then placement: the same lock order as an import that posts costs.
    _Writer(actor, metric_import, post_costs=True).lock([placement_id])
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
                **{name: [-getattr(d, name) for d in old] for name in VALUE_FIELDS},
            }
        )
    )
    db.session.execute(
        sa.delete(DailyMetric).where(
            DailyMetric.placement_id == placement_id, DailyMetric.day.in_([d.day for d in old])
        )
    )
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
    )
    _finish(metric_import, WriteStats(replaced=len(old), cost_delta=cost_delta), len(days))
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


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------
# Files: upload, preview, confirm, run


def upload_dir() -> Path:
    configured = current_app.config.get("METRICS_UPLOAD_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(file_hash: str) -> Path:
    return upload_dir() / f"{file_hash}.upload"


def _store(stream: IO[bytes], limit: int) -> tuple[str, int]:
    """Copy the upload to a file named by its SHA-256 (never by the name the client sent)."""
    folder = upload_dir()
    partial = folder / f"partial-{secrets.token_hex(8)}"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            while block := stream.read(1024 * 1024):
                size += len(block)
                if size > limit:
                    raise TooLarge(f"The file is larger than {limit // (1024 * 1024)} MB.")
                digest.update(block)
                out.write(block)
        file_hash = digest.hexdigest()
        os.replace(partial, stored_path(file_hash))
    finally:
        partial.unlink(missing_ok=True)
    return file_hash, size


def display_name(filename: str | None) -> str:
    """The client's file name, for display only: no path, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return name.strip()[:200] or "upload"


@transactional
def upload(actor: Actor, stream: IO[bytes], filename: str | None) -> MetricImport:
    """Store an uploaded file and work out how to read it; nothing is imported yet."""
    authorize(actor.user, Action.WRITE_METRICS)
    if not writable_placements(actor):
        raise ValidationFailed(
            "Your company owns no placements yet: add one to a campaign first.", field="file"
        )
    limit = int(current_app.config["METRICS_UPLOAD_MAX_BYTES"])
    file_hash, size = _store(stream, limit)
    path = stored_path(file_hash)
    try:
        layout = reading.detect_layout(path)
    except reading.UnreadableFile as exc:
        raise ValidationFailed(str(exc), field="file") from exc
    settings = _initial_settings(actor, path, layout)
    metric_import = MetricImport(
        organization_id=actor.organization_id,
        created_by_id=actor.user_id,
        source=ImportSource.FILE.value,
        status=ImportStatus.PREVIEW.value,
        filename=display_name(filename),
        file_hash=file_hash,
        file_size=size,
        file_format=layout.file_format,
        settings=settings,
    )
    db.session.add(metric_import)
    db.session.flush()
    audit.record(
        "metrics.upload",
        actor=actor,
        organization_ids=[actor.organization_id],
        target=metric_import,
        file_hash=file_hash,
        size=size,
    )
    db.session.commit()
    return metric_import


def _initial_settings(actor: Actor, path: Path, layout: reading.Layout) -> dict[str, Any]:
    saved = db.session.scalar(
        sa.select(ColumnMapping).where(
            ColumnMapping.organization_id == actor.organization_id,
            ColumnMapping.signature == columns.signature(layout.headers, _delimiter(layout)),
        )
    )
    if saved is not None:
        settings = dict(saved.mapping)
        settings["layout"] = layout.as_dict()
        settings["mapping_source"] = "saved"
        settings["mapping_saved_at"] = saved.updated_at.date().isoformat()
        return settings
    mapping = columns.auto_mapping(layout.headers)
    sample = _sample(path, layout, mapping)
    day_values = sample[mapping.index("day")] if "day" in mapping else pd.Series([], dtype=str)
    money = [sample[i] for i, f in enumerate(mapping) if f in columns.MONEY_COLUMNS]
    return {
        "layout": layout.as_dict(),
        "mapping": mapping,
        "date_order": cleaning.guess_date_order(day_values),
        "decimal": cleaning.guess_decimal(pd.concat(money)) if money else ".",
        "placement_id": None,
        "mapping_source": "detected",
    }


def _delimiter(layout: reading.Layout) -> str:
    return layout.delimiter if layout.file_format == "csv" else ""


def _sample(path: Path, layout: reading.Layout, mapping: list[str]) -> pd.DataFrame:
    wanted = list(range(len(layout.headers)))
    for chunk in reading.read_chunks(path, layout, wanted, chunk_rows=500):
        return chunk.frame
    return pd.DataFrame(columns=wanted, dtype=str)


def get_import(actor: Actor, import_id: int) -> MetricImport:
    metric_import = db.session.scalar(
        sa.select(MetricImport).where(
            MetricImport.id == import_id,
            MetricImport.organization_id == actor.organization_id,
        )
    )
    if metric_import is None:
        raise NotFound()
    return metric_import


def _options(actor: Actor, settings: dict[str, Any]) -> tuple[reading.Layout, Options, list[int]]:
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


def preview(actor: Actor, import_id: int) -> Preview:
    """The detected columns and mapping, the first rows as they will be stored, and every
    error in the rows checked so far (the whole file when it is small)."""
    metric_import = get_import(actor, import_id)
    settings = metric_import.settings
    layout, options, wanted = _options(actor, settings)
    path = stored_path(metric_import.file_hash or "")
    problems = settings_problems(settings, options)
    raw_rows: list[list[str]] = []
    stored: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    skipped: list[int] = []
    checked = 0
    if not path.exists():
        problems.append("The uploaded file is no longer kept; upload it again.")
    else:
        try:
            raw_rows = reading.preview_rows(path, layout, PREVIEW_ROWS)
            if not problems:
                for chunk in reading.read_chunks(path, layout, wanted, chunk_rows=1000):
                    cleaned = cleaning.clean_chunk(chunk.frame, chunk.rows, options)
                    errors.extend(cleaned.errors)
                    skipped.extend(cleaned.skipped_rows)
                    checked += len(chunk.frame)
                    if len(stored) < PREVIEW_ROWS:
                        stored.extend(
                            cleaned.frame.head(PREVIEW_ROWS - len(stored)).to_dict("records")
                        )
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
    if date_order not in cleaning.DATE_ORDERS:
        raise ValidationFailed("Choose how dates are written.", field="date_order")
    if decimal not in cleaning.DECIMAL_MARKS:
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
    _, options, _ = _options(actor, settings)
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
    signature = columns.signature(layout.headers, _delimiter(layout))
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


ProgressCallback = Callable[[float, int], None]


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

    settings = metric_import.settings
    post_costs = bool(settings.get("post_costs"))
    errors: list[dict[str, Any]] = []
    error_count = 0
    rows_read = 0
    skipped = 0
    try:
        layout, options, wanted = _options(actor, settings)
        writer = _Writer(actor, metric_import, post_costs=post_costs)
        writer.lock([options.placement_id] if options.placement_id else options.placements)
        path = stored_path(metric_import.file_hash or "")
        if not path.exists():
            raise reading.UnreadableFile("The uploaded file is no longer kept; upload it again.")
        chunk_rows = int(current_app.config["METRICS_IMPORT_CHUNK_ROWS"])
        for chunk in reading.read_chunks(path, layout, wanted, chunk_rows):
            cleaned = cleaning.clean_chunk(chunk.frame, chunk.rows, options)
            rows_read += len(chunk.frame) - len(cleaned.skipped_rows)
            skipped += len(cleaned.skipped_rows)
            chunk_errors = cleaned.errors
            if not chunk_errors and not error_count:
                chunk_errors = writer.write(cleaned.frame)
            error_count += len(chunk_errors)
            if len(errors) < MAX_STORED_ERRORS:
                errors.extend(chunk_errors[: MAX_STORED_ERRORS - len(errors)])
            if progress:
                progress(chunk.progress, rows_read)
        if rows_read == 0 and not error_count:
            raise reading.UnreadableFile("The file has a header but no rows below it.")
        if not error_count:
            writer.finish()
    except (reading.UnreadableFile, ValidationFailed) as exc:
        db.session.rollback()
        return _fail(import_id, errors, error_count, str(getattr(exc, "message", exc)), rows_read)
    except Exception:
        db.session.rollback()
        _fail(
            import_id,
            errors,
            error_count,
            "The import failed unexpectedly; nothing was stored.",
            rows_read,
        )
        raise
    if error_count:
        db.session.rollback()
        noun = "row has" if error_count == 1 else "rows have"
        return _fail(
            import_id,
            errors,
            error_count,
            f"{error_count:,} {noun} errors; nothing was stored. Fix them and upload again.",
            rows_read,
        )
    metric_import.rows_skipped = skipped
    _finish(metric_import, writer.stats, rows_read)
    audit.record(
        "metrics.import",
        actor=actor,
        organization_ids=[actor.organization_id],
        target=metric_import,
        rows=rows_read,
        written=writer.stats.written,
        replaced=writer.stats.replaced,
        costs_posted_minor=writer.stats.cost_delta,
    )
    db.session.commit()
    return metric_import


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
        _fail(import_id, [], 0, "The import was interrupted; nothing was stored. Upload again.")
    return len(stalled)


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
    return metric_import


# ---------------------------------------------------------------------------------------------
# History


@dataclass
class HistoryRow:
    metric_import: MetricImport
    author: str | None
    replaced_days: int


def history(actor: Actor, *, limit: int = 100) -> list[HistoryRow]:
    """Every import of the actor's company, newest first, in one query."""
    replaced = (
        sa.select(sa.func.count(ReplacedDay.id))
        .where(ReplacedDay.import_id == MetricImport.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(MetricImport, User.name, replaced)
        .outerjoin(User, User.id == MetricImport.created_by_id)
        .where(MetricImport.organization_id == actor.organization_id)
        .order_by(MetricImport.id.desc())
        .limit(limit)
    ).all()
    return [HistoryRow(m, author, int(count)) for m, author, count in rows]


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


def export_row(day: DailyMetric | ReplacedDay, placement_name: str) -> list[str]:

    return [
        str(day.placement_id),
        placement_name,
        day.day.isoformat(),
        *(str(getattr(day, f)) for f in columns.COUNT_COLUMNS),
        to_decimal_string(day.revenue_minor, day.currency),
        to_decimal_string(day.cost_minor, day.currency),
        day.currency,
    ]


def placement_export(actor: Actor, placement_id: int) -> tuple[Placement, list[list[str]]]:
    view = get_placement(actor, placement_id)
    days = placement_days(actor, placement_id)
    return view.placement, [export_row(day, view.placement.name) for day in days]

"""Receiving a results file: storing it under its SHA-256, working out how to read it (layout,
a saved or detected column mapping, date order, decimal mark) and opening an import in preview.
Nothing is imported here; :mod:`comarketing.metrics.imports` shows the preview and confirms it.
A file no import needs anymore is released (deleted) here too; see
:mod:`comarketing.metrics.retention`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from comarketing import audit
from comarketing.campaigns.access import get_visible_campaign
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.errors import TooLarge, ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import choices, columns, import_settings, micros, reading
from comarketing.metrics.cells import PlacementInfo
from comarketing.metrics.models import ColumnMapping, ImportSource, ImportStatus, MetricImport
from comarketing.metrics.placements import owned_placements
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

log = logging.getLogger(__name__)


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
                    raise TooLarge(
                        f"The file is larger than allowed: at most {size_label(limit)}.",
                        field="file",
                    )
                digest.update(block)
                out.write(block)
        file_hash = digest.hexdigest()
        os.replace(partial, stored_path(file_hash))
    finally:
        partial.unlink(missing_ok=True)
    return file_hash, size


# Imports that will still read their file: the preview, the confirmation and the run.
NEEDS_FILE = (ImportStatus.PREVIEW.value, ImportStatus.QUEUED.value, ImportStatus.RUNNING.value)


def needed(file_hashes: list[str]) -> set[str]:
    """The digests among these that an unfinished import still has to read."""
    if not file_hashes:
        return set()
    return set(
        db.session.scalars(
            sa.select(MetricImport.file_hash)
            .where(
                MetricImport.file_hash.in_(file_hashes),
                MetricImport.status.in_(NEEDS_FILE),
            )
            .distinct()
        )
    )


def release(file_hash: str | None) -> bool:
    """Delete a refused or discarded upload's file at once, unless another unfinished import
    has the same file. Called after the import's outcome is committed; if the database cannot
    say, the file stays for the purge."""
    if not file_hash:
        return False
    try:
        if needed([file_hash]):
            return False
    except SQLAlchemyError:
        log.warning("upload %s kept for the purge: the database did not answer", file_hash[:12])
        return False
    path = stored_path(file_hash)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def size_label(limit: int) -> str:
    """A size limit as people read it: "50 MB", "1.5 MB", "800 KB", "900 bytes"."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if limit >= unit:
            whole, rest = divmod(limit * 10 // unit, 10)
            return f"{whole}.{rest} {name}" if rest else f"{whole} {name}"
    return f"{limit} bytes"


def display_name(filename: str | None) -> str:
    """The client's file name, for display only: no path, no control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return name.strip()[:200] or "upload"


@transactional
def upload(
    actor: Actor,
    stream: IO[bytes],
    filename: str | None,
    *,
    campaign_id: int,
    changes: Mapping[str, Any] | None = None,
    sender: str | None = None,
) -> MetricImport:
    """Store a file uploaded for one campaign and work out how to read it; nothing is imported
    yet. Its rows will match that campaign's placements only. A campaign the actor's company
    is not party to is NotFound, like one that does not exist. ``changes``: settings given
    with the file (the API), applied to the detected ones and checked before anything is
    recorded (see :mod:`comarketing.metrics.import_settings`). ``sender``: the address a file
    that came by mail was accepted from (:mod:`comarketing.metrics.intake`)."""
    authorize(actor.user, Action.WRITE_METRICS)
    campaign = get_visible_campaign(actor, campaign_id)
    placements = owned_placements(actor.organization_id, campaign_id=campaign.id)
    if not placements:
        raise ValidationFailed(
            f"Your company owns no placements in {campaign.name}: add one to it first.",
            field="campaign_id",
        )
    limit = int(current_app.config["METRICS_UPLOAD_MAX_BYTES"])
    file_hash, size = _store(stream, limit)
    try:
        return _open_import(actor, campaign, placements, file_hash, size, filename, changes, sender)
    except BaseException:
        # Refused (unreadable, settings that do not fit): the file goes at once.
        db.session.rollback()
        release(file_hash)
        raise


def _open_import(
    actor: Actor,
    campaign: Campaign,
    placements: dict[int, PlacementInfo],
    file_hash: str,
    size: int,
    filename: str | None,
    changes: Mapping[str, Any] | None,
    sender: str | None = None,
) -> MetricImport:
    path = stored_path(file_hash)
    try:
        layout = reading.detect_layout(path)
    except reading.UnreadableFile as exc:
        raise ValidationFailed(str(exc), field="file") from exc
    settings = _initial_settings(actor, path, layout)
    if settings.get("placement_id") not in placements:  # remembered from another campaign
        settings["placement_id"] = None
    settings["campaign_id"] = campaign.id
    if changes:
        settings = import_settings.apply(actor, settings, changes, campaign_id=campaign.id)
    metric_import = MetricImport(
        organization_id=actor.organization_id,
        campaign_id=campaign.id,
        created_by_id=actor.user_id,
        source=(ImportSource.MAIL if sender else ImportSource.FILE).value,
        sender=sender,
        status=ImportStatus.PREVIEW.value,
        filename=display_name(filename),
        file_hash=file_hash,
        file_size=size,
        file_format=layout.file_format,
        settings=settings,
    )
    db.session.add(metric_import)
    db.session.flush()
    by_mail: dict[str, Any] = {"sender": sender} if sender else {}
    audit.record(
        "metrics.upload",
        actor=actor,
        organization_ids=[actor.organization_id],
        target=metric_import,
        file_hash=file_hash,
        size=size,
        campaign_id=campaign.id,
        **by_mail,
    )
    db.session.commit()
    return metric_import


def _initial_settings(actor: Actor, path: Path, layout: reading.Layout) -> dict[str, Any]:
    saved = db.session.scalar(
        sa.select(ColumnMapping).where(
            ColumnMapping.organization_id == actor.organization_id,
            ColumnMapping.signature == layout_signature(layout),
        )
    )
    if saved is not None:
        settings = dict(saved.mapping)
        settings["layout"] = layout.as_dict()
        settings["units"] = micros.units_for(layout.headers)
        settings["mapping_source"] = "saved"
        settings["mapping_saved_at"] = saved.updated_at.date().isoformat()
        # The date order and result meanings are read from this file, the saved answers
        # filling only what it leaves open.
        settings.update(choices.scan(path, layout, settings["mapping"], dict(saved.mapping)))
        return settings
    mapping = columns.auto_mapping(layout.headers)
    sample = _sample(path, layout, mapping)
    money = [sample[i] for i, f in enumerate(mapping) if f in columns.MONEY_COLUMNS]
    return {
        "layout": layout.as_dict(),
        "mapping": mapping,
        "units": micros.units_for(layout.headers),  # per column: "micro" = millionths
        **choices.scan(path, layout, mapping, {}),
        "decimal": reading.guess_decimal(pd.concat(money)) if money else ".",
        "placement_id": None,
        "mapping_source": "detected",
    }


def layout_signature(layout: reading.Layout) -> str:
    """What a saved column mapping is remembered by: the headers (and a CSV's delimiter)."""
    delimiter = layout.delimiter if layout.file_format == "csv" else ""
    return columns.signature(layout.headers, delimiter)


def _sample(path: Path, layout: reading.Layout, mapping: list[str]) -> pd.DataFrame:
    wanted = list(range(len(layout.headers)))
    for chunk in reading.read_chunks(path, layout, wanted, chunk_rows=500):
        return chunk.frame
    return pd.DataFrame(columns=wanted, dtype=str)

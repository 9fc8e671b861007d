"""How long an uploaded results file is kept: only while an import still needs it.

A file is stored under its SHA-256 when it is uploaded and read again when its import runs.
After that nothing reads it: the imports' history keeps the digest (which recognises the same
file uploaded again), the rows and the errors, never the file.

- Refused, failed, discarded or a duplicate of one imported before: deleted at once
  (:func:`release`), unless another import waiting for its preview or its run has uploaded the
  very same file. (A duplicate releases the imported one's copy too: it is the same file, and
  nothing reads either.)
- Imported: kept for a while (support questions), then removed by
  ``flask uploads purge --older-than 30d`` (:func:`purge`, from cron daily), which also clears
  the half-written copies of uploads that died mid-transfer.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from comarketing.extensions import db
from comarketing.metrics.models import ImportStatus, MetricImport
from comarketing.metrics.uploads import stored_path, upload_dir

log = logging.getLogger(__name__)

# Imports that will still read their file: the preview, the confirmation and the run.
NEEDS_FILE = (ImportStatus.PREVIEW.value, ImportStatus.QUEUED.value, ImportStatus.RUNNING.value)
_STORED = re.compile(r"([0-9a-f]{64})\.upload")
_AGE = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_BATCH = 500  # digests per query: well inside every backend's parameter limit


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


@dataclass(frozen=True)
class Purged:
    removed: int
    freed_bytes: int
    kept_in_use: int


def parse_age(text: str) -> timedelta:
    """``30d``, ``12h`` or ``90m``."""
    match = _AGE.fullmatch((text or "").strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError("an age like 30d, 12h or 90m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def purge(older_than: timedelta, *, now: float | None = None) -> Purged:
    """Remove stored results files last written before ``now - older_than`` that no unfinished
    import needs, and half-written uploads as old."""
    cutoff = (time.time() if now is None else now) - older_than.total_seconds()
    old: dict[str, Path] = {}
    removed = freed = 0
    for path in upload_dir().iterdir():
        if not path.is_file() or path.stat().st_mtime >= cutoff:
            continue
        match = _STORED.fullmatch(path.name)
        if match:
            old[match.group(1)] = path
        elif path.name.startswith("partial-"):
            freed += _remove(path)
            removed += 1
    hashes = sorted(old)
    in_use: set[str] = set()
    for start in range(0, len(hashes), _BATCH):
        in_use |= needed(hashes[start : start + _BATCH])
    for file_hash, path in old.items():
        if file_hash not in in_use:
            freed += _remove(path)
            removed += 1
    return Purged(removed=removed, freed_bytes=freed, kept_in_use=len(in_use))


def _remove(path: Path) -> int:
    size = path.stat().st_size
    path.unlink(missing_ok=True)
    return size

"""How long an uploaded results file is kept: only while an import still needs it.

A file is stored under its SHA-256 when it is uploaded and read again when its import runs.
After that nothing reads it: the imports' history keeps the digest (which recognises the same
file uploaded again), the rows and the errors, never the file.

- Refused, failed, discarded or a duplicate of one imported before: deleted at once
  (:func:`comarketing.metrics.uploads.release`), unless another import waiting for its preview
  or its run has uploaded the very same file. (A duplicate releases the imported one's copy
  too: it is the same file, and nothing reads either.)
- Imported: kept for a while (support questions), then removed by
  ``flask uploads purge --older-than 30d`` (:func:`purge`, from cron daily), which also clears
  the half-written copies of uploads that died mid-transfer.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from comarketing.metrics.uploads import needed, upload_dir

_STORED = re.compile(r"([0-9a-f]{64})\.upload")
_AGE = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_BATCH = 500  # digests per query: well inside every backend's parameter limit


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

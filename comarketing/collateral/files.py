"""Collateral files: the types a library accepts, where they are kept (by SHA-256 under the
instance folder, through :mod:`comarketing.storage`) and the thumbnail of an image."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app

from comarketing import storage
from comarketing.storage import (
    DOCX,
    GIF,
    JPEG,
    MP4,
    PDF,
    PNG,
    PPTX,
    WEBM,
    WEBP,
    XLSX,
    FileType,
    clean_filename,
    download_name,
)

__all__ = [
    "ALLOWED_DESCRIPTION",
    "DOCX",
    "GIF",
    "JPEG",
    "KNOWN_TYPES",
    "MP4",
    "PDF",
    "PNG",
    "PPTX",
    "WEBM",
    "WEBP",
    "XLSX",
    "FileType",
    "StoredFile",
    "clean_filename",
    "download_name",
    "make_thumbnail",
    "removed_if_refused",
    "store",
    "stored_path",
]

KNOWN_TYPES = storage.ALL_TYPES
ALLOWED_DESCRIPTION = "PNG, JPEG, GIF, WebP, PDF, PowerPoint, Word, Excel (OOXML), MP4 or WebM"


def shelf() -> storage.Shelf:
    configured = current_app.config.get("COLLATERAL_UPLOAD_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "collateral"
    return storage.Shelf(
        folder=folder,
        max_bytes=int(current_app.config["COLLATERAL_UPLOAD_MAX_BYTES"]),
        accepted=tuple(KNOWN_TYPES.values()),
        accepted_description=ALLOWED_DESCRIPTION,
    )


def stored_path(file_hash: str) -> Path:
    return shelf().path(file_hash)


@dataclass(frozen=True)
class StoredFile:
    file_hash: str
    size: int
    file_type: FileType
    thumbnail: bytes | None


def store(stream: IO[bytes]) -> StoredFile:
    """Keep the upload by its SHA-256 and check what it is (see :func:`storage.store`)."""
    blob = storage.store(stream, shelf())
    thumbnail = make_thumbnail(blob.path) if blob.file_type.is_image else None
    return StoredFile(blob.file_hash, blob.size, blob.file_type, thumbnail)


def _referenced(file_hashes: list[str]) -> set[str]:
    """The digests among these that a stored version of an asset refers to."""
    from comarketing.collateral.models import CollateralVersion
    from comarketing.extensions import db

    query = sa.select(CollateralVersion.file_hash).where(
        CollateralVersion.file_hash.in_(file_hashes)
    )
    return {h for h in db.session.scalars(query) if h}


# An asset or version refused after its file was stored leaves no file behind.
removed_if_refused = storage.removed_if_refused(_referenced)


THUMBNAIL_BOX = (320, 240)
# Pixels, not bytes: a small file can claim a huge canvas (a decompression bomb).
MAX_IMAGE_PIXELS = 50_000_000


def make_thumbnail(path: Path) -> bytes | None:
    """A small WebP of an image, or None when Pillow cannot read it safely."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return None
                image.seek(0)
                frame = image.convert("RGBA")
                frame.thumbnail(THUMBNAIL_BOX)
                out = io.BytesIO()
                frame.save(out, format="WEBP", quality=70)
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        return None

"""Collateral files: what a file is (by its bytes, never its name), where it is kept (by
SHA-256 under the instance folder), its thumbnail, and a name safe to send back."""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app

from comarketing.errors import TooLarge, ValidationFailed


@dataclass(frozen=True)
class FileType:
    media_type: str
    extension: str
    label: str

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")

    @property
    def previews_inline(self) -> bool:
        """Only images and PDF open in the browser; everything else is a download."""
        return self.is_image or self.media_type == "application/pdf"


PNG = FileType("image/png", "png", "PNG image")
JPEG = FileType("image/jpeg", "jpg", "JPEG image")
GIF = FileType("image/gif", "gif", "GIF image")
WEBP = FileType("image/webp", "webp", "WebP image")
PDF = FileType("application/pdf", "pdf", "PDF")
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pptx",
    "Slides (PowerPoint)",
)
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    "Document (Word)",
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xlsx",
    "Spreadsheet (Excel)",
)
MP4 = FileType("video/mp4", "mp4", "MP4 video")
WEBM = FileType("video/webm", "webm", "WebM video")

KNOWN_TYPES = {t.media_type: t for t in (PNG, JPEG, GIF, WEBP, PDF, PPTX, DOCX, XLSX, MP4, WEBM)}
ALLOWED_DESCRIPTION = "PNG, JPEG, GIF, WebP, PDF, PowerPoint, Word, Excel (OOXML), MP4 or WebM"

# The part of OOXML that says what kind of document the package is.
_OOXML_MAIN_PARTS = (
    ("ppt/presentation.xml", PPTX),
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
)
# ISO base media brands that are MP4 video (not HEIC/AVIF images, not QuickTime).
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash"}
_MP4_BRANDS |= {b"M4V ", b"MSNV", b"3gp4", b"3gp5"}


def sniff(path: Path) -> FileType:
    """The type of the stored file, from its leading bytes (and, for OOXML, its ZIP index).

    Anything else, an executable renamed ``.pdf`` included, is refused."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
        return MP4
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head:
        return WEBM
    if head.startswith(b"PK\x03\x04"):
        found = _ooxml_type(path)
        if found is not None:
            return found
    raise ValidationFailed(
        f"That file type is not accepted: upload {ALLOWED_DESCRIPTION}.", field="file"
    )


def _ooxml_type(path: Path) -> FileType | None:
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for part, file_type in _OOXML_MAIN_PARTS:
        if part in names:
            return file_type
    return None


# ---------------------------------------------------------------------------------------------
# Storage


def storage_dir() -> Path:
    configured = current_app.config.get("COLLATERAL_UPLOAD_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "collateral"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(file_hash: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", file_hash):
        raise ValueError("not a SHA-256")
    return storage_dir() / f"{file_hash}.asset"


@dataclass(frozen=True)
class StoredFile:
    file_hash: str
    size: int
    file_type: FileType
    thumbnail: bytes | None


def store(stream: IO[bytes]) -> StoredFile:
    """Copy the upload to a file named by its SHA-256 (never by the name the client sent),
    then check what it is. A refused file does not stay on disk."""
    limit = int(current_app.config["COLLATERAL_UPLOAD_MAX_BYTES"])
    folder = storage_dir()
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
        if size == 0:
            raise ValidationFailed("The file is empty.", field="file")
        file_type = sniff(partial)
        thumbnail = make_thumbnail(partial) if file_type.is_image else None
        file_hash = digest.hexdigest()
        os.replace(partial, stored_path(file_hash))
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(file_hash, size, file_type, thumbnail)


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


# ---------------------------------------------------------------------------------------------
# Names

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\;<>`]')


def clean_filename(filename: str | None) -> str:
    """The client's file name for display and as the download name: no folders, no control
    characters (CR/LF would split a header), no quotes."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", name)
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:200] or "file"


def download_name(filename: str, file_type: FileType) -> str:
    """The clean name with the extension of what the file really is."""
    stem = clean_filename(filename).rsplit(".", 1)[0] or "file"
    return f"{stem[:150]}.{file_type.extension}"

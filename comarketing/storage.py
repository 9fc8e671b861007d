"""Uploaded files kept by content: what a file is (by its leading bytes, never its name or the
type the client claims), where it is kept (by SHA-256 in a folder of the instance), and a name
safe to send back. Collateral and expense-claim proofs both store their files through here;
each says which types it accepts, where its files live and how large they may be."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import zipfile
from collections.abc import Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import IO, ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from comarketing.errors import TooLarge, ValidationFailed
from comarketing.extensions import db

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
# The files stored during the current call of a service wrapped in removed_if_refused.
_STORED_NOW: ContextVar[list[StoredBlob] | None] = ContextVar("stored_now", default=None)


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

ALL_TYPES = {t.media_type: t for t in (PNG, JPEG, GIF, WEBP, PDF, PPTX, DOCX, XLSX, MP4, WEBM)}

# The part of OOXML that says what kind of document the package is.
_OOXML_MAIN_PARTS = (
    ("ppt/presentation.xml", PPTX),
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
)
# ISO base media brands that are MP4 video (not HEIC/AVIF images, not QuickTime).
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash"}
_MP4_BRANDS |= {b"M4V ", b"MSNV", b"3gp4", b"3gp5"}


def sniff(path: Path) -> FileType | None:
    """The type of the stored file, from its leading bytes (and, for OOXML, its ZIP index);
    None for anything else, an executable renamed ``.pdf`` included."""
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
        return _ooxml_type(path)
    return None


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


# Tags a browser treats as a web page when it sniffs (the WHATWG sniffing patterns and the
# ones that run script), followed by what may end a tag name. Images and PDF have no business
# holding them: a file that does is a polyglot, built to be read as HTML somewhere. Six or more
# bytes each, so compressed image data matches one by chance about once in 10^5 large files.
_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|frameset|object|embed|style)[\s/>]",
    re.IGNORECASE,
)
_SCAN_BLOCK = 1024 * 1024
_SCAN_OVERLAP = 32  # longer than any pattern: a tag split across two blocks is still found


def contains_markup(path: Path) -> bool:
    """Whether the file holds HTML or script anywhere (a PNG/PDF that is also a web page)."""
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(_SCAN_BLOCK):
            window = tail + block
            if _MARKUP.search(window):
                return True
            tail = window[-_SCAN_OVERLAP:]
    return False


# ---------------------------------------------------------------------------------------------
# Storage


@dataclass(frozen=True)
class Shelf:
    """Where one kind of upload is kept, how large it may be and what it may be."""

    folder: Path
    max_bytes: int
    accepted: Collection[FileType]
    accepted_description: str
    suffix: str = ".asset"

    def path(self, file_hash: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", file_hash):
            raise ValueError("not a SHA-256")
        return self.folder / f"{file_hash}{self.suffix}"


@dataclass(frozen=True)
class StoredBlob:
    file_hash: str
    size: int
    file_type: FileType
    path: Path


def store(stream: IO[bytes], shelf: Shelf, *, field: str = "file") -> StoredBlob:
    """Copy the upload to a file named by its SHA-256 (never by the name the client sent),
    then check what it is. A refused file does not stay on disk."""
    shelf.folder.mkdir(parents=True, exist_ok=True)
    partial = shelf.folder / f"partial-{secrets.token_hex(8)}"
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            while block := stream.read(1024 * 1024):
                size += len(block)
                if size > shelf.max_bytes:
                    raise TooLarge(
                        f"The file is larger than {shelf.max_bytes // (1024 * 1024)} MB."
                    )
                digest.update(block)
                out.write(block)
        if size == 0:
            raise ValidationFailed("The file is empty.", field=field)
        file_type = sniff(partial)
        if file_type is None or file_type not in shelf.accepted:
            raise ValidationFailed(
                f"That file type is not accepted: upload {shelf.accepted_description}.",
                field=field,
            )
        if file_type.previews_inline and contains_markup(partial):
            raise ValidationFailed(
                f"This {file_type.label} also contains web page code (HTML or script), which "
                "a browser could run: export it again from the original, without it.",
                field=field,
            )
        file_hash = digest.hexdigest()
        final = shelf.path(file_hash)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    blob = StoredBlob(file_hash, size, file_type, final)
    if (stored_now := _STORED_NOW.get()) is not None:
        stored_now.append(blob)
    return blob


def removed_if_refused(
    referenced: Callable[[list[str]], set[str]],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """For a service that stores files and may still refuse the request after (a later file
    refused, a budget check, a closed offer): if it raises, the files it stored are deleted
    again, unless a stored record (``referenced``: the digests among these that one refers to)
    has the very same file. The service's transaction is rolled back first."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            token = _STORED_NOW.set([])
            try:
                return function(*args, **kwargs)
            except BaseException:
                _remove_unreferenced(_STORED_NOW.get() or [], referenced)
                raise
            finally:
                _STORED_NOW.reset(token)

        return wrapper

    return decorate


def _remove_unreferenced(
    blobs: list[StoredBlob], referenced: Callable[[list[str]], set[str]]
) -> None:
    if not blobs:
        return
    db.session.rollback()
    try:
        keep = referenced(sorted({b.file_hash for b in blobs}))
    except SQLAlchemyError:  # the database is gone: the files stay, which is the safe side
        log.warning("refused upload(s) kept: the database did not answer")
        return
    for blob in blobs:
        if blob.file_hash not in keep:
            blob.path.unlink(missing_ok=True)


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

"""Refuse a workbook that would take a worker down, before anything parses it.

An XLSX file is a ZIP archive of XML parts. A few kilobytes can declare a sheet of 16,384
columns, or expand into gigabytes of XML (a "zip bomb"), or hold a shared-strings table that
openpyxl loads into memory whole. Everything here reads only the ZIP directory and, for the
first sheet, the first few kilobytes of XML (where ``<dimension>`` sits), so checking costs
the same whatever the file holds.

Every XLSX the product reads goes through :func:`check` (results imports: sniffing the upload
and reading a stored file again).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    total_uncompressed: int = 200 * 1024 * 1024  # all parts together, expanded
    ratio: int = 100  # expanded : compressed, per part (ignoring parts under 1 MB expanded)
    shared_strings: int = 50 * 1024 * 1024  # xl/sharedStrings.xml, expanded
    rows: int = 1_048_576  # Excel's own maximum
    columns: int = 200
    parts: int = 10_000


LIMITS = Limits()
_SMALL_PART = 1024 * 1024
_HEAD_BYTES = 64 * 1024
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?\""
)
_MB = 1024 * 1024


class WorkbookTooLarge(ValueError):
    """The workbook exceeds a limit; the message says which, in words for the uploader."""


def column_number(letters: str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27, 'XFD' -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - ord("A") + 1)
    return number


def _first_sheet(names: list[str]) -> str | None:
    sheets = sorted(
        (n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
        key=lambda n: int(re.sub(r"\D", "", n.rsplit("/", 1)[1])),
    )
    return sheets[0] if sheets else None


def check_archive(archive: zipfile.ZipFile, limits: Limits = LIMITS) -> None:
    infos = archive.infolist()
    if len(infos) > limits.parts:
        raise WorkbookTooLarge(f"The workbook has more than {limits.parts:,} parts.")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > _SMALL_PART and info.file_size > limits.ratio * max(
            info.compress_size, 1
        ):
            raise WorkbookTooLarge(
                f"The workbook is compressed more than {limits.ratio}:1 ({info.filename}); "
                "it would expand too far to read safely. Save it again from your spreadsheet "
                "program, or export CSV."
            )
        if info.filename == "xl/sharedStrings.xml" and info.file_size > limits.shared_strings:
            raise WorkbookTooLarge(
                f"The workbook's text table is larger than {limits.shared_strings // _MB} MB. "
                "Export CSV instead."
            )
    if total > limits.total_uncompressed:
        raise WorkbookTooLarge(
            f"The workbook expands to more than {limits.total_uncompressed // _MB} MB. "
            "Export CSV instead, or split it."
        )
    sheet = _first_sheet(archive.namelist())
    if sheet is not None:
        with archive.open(sheet) as part:
            check_dimension(part.read(_HEAD_BYTES), limits)


def check_dimension(head: bytes, limits: Limits = LIMITS) -> None:
    """The sheet's declared ``<dimension ref="A1:XFD1048576"/>``: more columns than allowed is
    refused; more rows than Excel allows is refused (a real sheet cannot have them)."""
    match = _DIMENSION.search(head)
    if not match:
        return
    last_letters = match.group(3) or match.group(1)
    last_row = match.group(4) or match.group(2)
    if last_letters and column_number(last_letters.decode()) > limits.columns:
        raise WorkbookTooLarge(
            f"The first sheet has more than {limits.columns} columns "
            f"(it declares {column_number(last_letters.decode()):,}). Remove unused columns."
        )
    if last_row and int(last_row) > limits.rows:
        raise WorkbookTooLarge(f"The first sheet declares more than {limits.rows:,} rows.")


def check(path: Path, limits: Limits = LIMITS) -> None:
    """Raise :class:`WorkbookTooLarge` (or ``zipfile.BadZipFile``) for a workbook not to open."""
    with zipfile.ZipFile(path) as archive:
        check_archive(archive, limits)


def check_columns(count: int, limits: Limits = LIMITS) -> None:
    """Rows actually read: a sheet without a ``<dimension>`` still may not grow too wide."""
    if count > limits.columns:
        raise WorkbookTooLarge(
            f"A row has more than {limits.columns} columns. Remove unused columns."
        )

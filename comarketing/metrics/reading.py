"""Reading uploaded result files: what kind of file it is, where its header is, how its dates
and amounts are written, and its rows in chunks of text cells (so a million-row file never sits
in memory at once).

Nothing here touches the database; errors are :class:`UnreadableFile` with a message for the
person who uploaded the file.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

from comarketing import xlsx_limits
from comarketing.metrics import columns

SAMPLE_BYTES = 256 * 1024
HEADER_SEARCH_ROWS = 40
DELIMITERS = (",", ";", "\t", "|")
CHUNK_ROWS = 50_000
# Text that is neither UTF-8 nor UTF-16 is read as Windows-1252 when it decodes cleanly.
FALLBACK_ENCODING = "cp1252"
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    FALLBACK_ENCODING: "Windows-1252",
}


class UnreadableFile(ValueError):
    """The file cannot be read as a results table; the message says why and what to do."""


@dataclass
class Layout:
    """How to read a file: everything detected on upload, which the user may correct."""

    file_format: str  # "csv" or "xlsx"
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int = 0  # 0-based line (CSV) or row (XLSX) of the header
    headers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_format": self.file_format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_row": self.header_row,
            "headers": self.headers,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Layout:
        return cls(
            file_format=data["file_format"],
            encoding=data.get("encoding", "utf-8"),
            delimiter=data.get("delimiter", ","),
            header_row=int(data.get("header_row", 0)),
            headers=list(data.get("headers", [])),
        )


# ---------------------------------------------------------------------------------------------
# What kind of file


def _check_workbook(path: Path) -> None:
    """Every workbook is measured before openpyxl opens it (see :mod:`comarketing.xlsx_limits`)."""
    try:
        xlsx_limits.check(path)
    except xlsx_limits.WorkbookTooLarge as exc:
        raise UnreadableFile(str(exc)) from exc


def sniff_format(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise UnreadableFile("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    _check_workbook(path)
                    return "xlsx"
        except zipfile.BadZipFile as exc:
            raise UnreadableFile("The file looks like a damaged ZIP or Excel file.") from exc
        raise UnreadableFile(
            "This is a ZIP archive, not a CSV or Excel file. Unpack it and upload the CSV or "
            "XLSX file inside."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            "This is an old Excel (.xls) workbook. Save it as .xlsx or CSV and upload it again."
        )
    return "csv"


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return "utf-16-be"
    return "utf-8"


def _decode_sample(sample: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        # final=False: a character cut in half at the end of the sample is not an error.
        return decoder.decode(sample, final=False)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(_encoding_message(exc, 1 + _lines_before(exc), encoding)) from exc


def _lines_before(exc: UnicodeDecodeError) -> int:
    return exc.object[: exc.start].decode(exc.encoding, errors="ignore").count("\n")


def _encoding_message(exc: UnicodeDecodeError, line: int, encoding: str) -> str:
    # ``encoding`` is the one the file was read with (cp1252 errors name "charmap").
    if encoding == FALLBACK_ENCODING:
        return (
            f"The file is not valid UTF-8 or Windows-1252 text: line {line} holds the byte "
            f"0x{exc.object[exc.start]:02X}, which neither allows. Export it again as UTF-8 or "
            "UTF-16 CSV, or as XLSX."
        )
    name = "UTF-16" if "16" in encoding else "UTF-8"
    return (
        f"The file is not valid {name} text: line {line} holds the byte "
        f"0x{exc.object[exc.start]:02X}, which {name} does not allow. Export it again as "
        "UTF-8 or UTF-16 CSV, or as XLSX."
    )


def check_encoding(path: Path, encoding: str) -> None:
    """Decode the whole file once (fast: no parsing), so a bad byte anywhere is reported with
    its line at upload instead of failing an import half-way."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 0
    with path.open("rb") as fh:
        while True:
            block = fh.read(1024 * 1024)
            try:
                lines += decoder.decode(block, final=not block).count("\n")
            except UnicodeDecodeError as exc:
                raise UnreadableFile(
                    _encoding_message(exc, lines + 1 + _lines_before(exc), encoding)
                ) from exc
            if not block:
                return


def _utf8_or_cp1252(path: Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else Windows-1252 (what European Excel
    saves) when the whole file decodes as that; else the file is refused. Windows-1252 leaves
    five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): a file holding one is not guessed at."""
    try:
        check_encoding(path, "utf-8")
        return "utf-8"
    except UnreadableFile:
        check_encoding(path, FALLBACK_ENCODING)
        return FALLBACK_ENCODING


@dataclass(frozen=True)
class EncodingSample:
    """A line of the file holding non-ASCII characters, as decoded with the file's encoding."""

    line: int  # 1-based line number in the file
    text: str


def encoding_label(encoding: str) -> str:
    return ENCODING_LABELS.get(encoding, encoding.upper())


def encoding_sample(path: Path, encoding: str, max_chars: int = 200) -> EncodingSample | None:
    """The first line with non-ASCII characters, read as the import will read it (so the user
    sees before anything is stored whether "Café" comes out as "Café"); None when the file
    has none."""
    if encoding != FALLBACK_ENCODING:
        return None  # only the fallback encoding is shown with a sample
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.isascii():
                text = raw.decode(encoding, errors="replace").rstrip("\r\n")
                return EncodingSample(line=number, text=text[:max_chars])
    return None


# ---------------------------------------------------------------------------------------------
# Where the header is


def _best_header(rows: list[list[str]]) -> tuple[int, int]:
    """(row index, score) of the row naming most of our fields; title lines above it and
    totals below it score low."""
    best_index, best_score = -1, 0
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        row_score = columns.score(cells)
        if row_score > best_score:
            best_index, best_score = index, row_score
    if best_index < 0:
        # Nothing we recognise: take the first row with two or more cells; the user maps it.
        for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
            if sum(1 for cell in cells if cell.strip()) >= 2:
                return index, 0
        raise UnreadableFile("No header row found: the file has no row with column names.")
    return best_index, best_score


def detect_csv_layout(path: Path) -> Layout:
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    if encoding == "utf-8":
        encoding = _utf8_or_cp1252(path)
    else:
        check_encoding(path, encoding)
    text = _decode_sample(sample, encoding)
    if not text.strip():
        raise UnreadableFile("The file is empty.")
    lines = text.splitlines()
    if len(sample) == SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut sample may be incomplete
    candidates = []
    for delimiter in DELIMITERS:
        rows = list(csv.reader(lines[: HEADER_SEARCH_ROWS + 1], delimiter=delimiter))
        try:
            index, score = _best_header(rows)
        except UnreadableFile:
            continue
        width = len(rows[index])
        candidates.append((score, width, -DELIMITERS.index(delimiter), delimiter, index, rows))
    if not candidates:
        raise UnreadableFile("No header row found: the file has no row with column names.")
    _score, _width, _order, delimiter, index, rows = max(candidates)
    headers = [cell.replace("\ufeff", "").strip() for cell in rows[index]]
    return Layout(
        file_format="csv",
        encoding=encoding,
        delimiter=delimiter,
        header_row=index,
        headers=headers,
    )


def cell_text(value: Any) -> str:
    """An Excel cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # repr gives the shortest text that reads back as the same double: 1234.56, not
        # 1234.5599999999999; whole numbers lose the ".0".
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    import openpyxl

    try:
        _check_workbook(path)
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("The Excel file could not be opened; it may be damaged.") from exc
    with path.open("rb") as fh:
        try:
            # A file object, not the path: files are stored by hash, without an .xlsx suffix.
            workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise UnreadableFile("The Excel file could not be opened; it may be damaged.") from exc
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                if len(row) > xlsx_limits.LIMITS.columns:
                    _check_workbook_width(len(row))
                yield [cell_text(value) for value in row]
        finally:
            workbook.close()


def _check_workbook_width(count: int) -> None:
    try:
        xlsx_limits.check_columns(count)
    except xlsx_limits.WorkbookTooLarge as exc:
        raise UnreadableFile(str(exc)) from exc


def detect_xlsx_layout(path: Path) -> Layout:
    rows = []
    for cells in _xlsx_rows(path):
        rows.append(cells)
        if len(rows) > HEADER_SEARCH_ROWS:
            break
    if not rows:
        raise UnreadableFile("The workbook's first sheet is empty.")
    index, _score = _best_header(rows)
    headers = list(rows[index])
    while headers and not headers[-1]:
        headers.pop()
    return Layout(file_format="xlsx", header_row=index, headers=headers)


def detect_layout(path: Path) -> Layout:
    file_format = sniff_format(path)
    layout = detect_xlsx_layout(path) if file_format == "xlsx" else detect_csv_layout(path)
    if not any(layout.headers):
        raise UnreadableFile("No header row found: the file has no row with column names.")
    return layout


# ---------------------------------------------------------------------------------------------
# How amounts are written (guessed on the preview sample; the date order is never guessed:
# metrics/choices.py reads it from the file or asks)


def guess_decimal(values: pd.Series) -> str:
    text = values.astype(str).str.strip()
    comma = text.str.contains(r"[0-9],[0-9]{1,2}(?:\D*)$") & ~text.str.contains(
        r"\.[0-9]{1,2}(?:\D*)$"
    )
    thousands_dot = text.str.contains(r"[0-9]\.[0-9]{3},")
    point = text.str.contains(r"[0-9]\.[0-9]{1,2}(?:\D*)$") | text.str.contains(r"[0-9],[0-9]{3}\.")
    if (comma | thousands_dot).sum() > point.sum():
        return ","
    return "."


# ---------------------------------------------------------------------------------------------
# The rows, in chunks


@dataclass
class Chunk:
    """Text cells of consecutive data rows; ``rows`` are the line numbers a spreadsheet shows."""

    frame: pd.DataFrame  # columns = positions of the wanted columns
    rows: pd.Series
    progress: float  # share of the file read so far, 0..1


def read_chunks(
    path: Path, layout: Layout, wanted: list[int], chunk_rows: int = CHUNK_ROWS
) -> Iterator[Chunk]:
    if layout.file_format == "xlsx":
        yield from _xlsx_chunks(path, layout, wanted, chunk_rows)
    else:
        yield from _csv_chunks(path, layout, wanted, chunk_rows)


def _csv_chunks(path: Path, layout: Layout, wanted: list[int], chunk_rows: int) -> Iterator[Chunk]:
    size = max(path.stat().st_size, 1)
    first_line = layout.header_row + 2  # 1-based line number of the first data row
    with path.open("rb") as fh:
        try:
            reader = pd.read_csv(
                fh,
                sep=layout.delimiter,
                header=None,
                names=list(range(len(layout.headers))),
                usecols=wanted,
                skiprows=layout.header_row + 1,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                encoding=layout.encoding,
                chunksize=chunk_rows,
                engine="c",
            )
            offset = 0
            for frame in reader:
                rows = pd.Series(range(first_line + offset, first_line + offset + len(frame)))
                offset += len(frame)
                frame = frame.reset_index(drop=True)
                yield Chunk(frame=frame, rows=rows, progress=min(fh.tell() / size, 1.0))
        except UnicodeDecodeError as exc:  # checked on upload; kept for files changed since
            raise UnreadableFile(_encoding_message(exc, 0, layout.encoding)) from exc
        except pd.errors.ParserError as exc:
            raise UnreadableFile(
                f"The file could not be read as {layout.delimiter!r}-separated text: {exc}. "
                "Check the delimiter and that every row has the header's columns."
            ) from exc
        except pd.errors.EmptyDataError:
            return


def _xlsx_chunks(path: Path, layout: Layout, wanted: list[int], chunk_rows: int) -> Iterator[Chunk]:
    batch: list[list[str]] = []
    numbers: list[int] = []
    total = None
    try:
        import openpyxl

        with path.open("rb") as fh:
            workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            total = workbook.worksheets[0].max_row
            workbook.close()
    except Exception:  # progress is a nicety; reading below reports real errors
        total = None
    width = len(layout.headers)
    for number, cells in enumerate(_xlsx_rows(path), start=1):
        if number <= layout.header_row + 1:
            continue
        cells = (cells + [""] * width)[:width]
        batch.append([cells[i] for i in wanted])
        numbers.append(number)
        if len(batch) >= chunk_rows:
            yield _xlsx_chunk(batch, numbers, wanted, total)
            batch, numbers = [], []
    if batch:
        yield _xlsx_chunk(batch, numbers, wanted, total)


def _xlsx_chunk(
    batch: list[list[str]], numbers: list[int], wanted: list[int], total: int | None
) -> Chunk:
    frame = pd.DataFrame(batch, columns=wanted, dtype=str)
    progress = min(numbers[-1] / total, 1.0) if total else 0.0
    return Chunk(frame=frame, rows=pd.Series(numbers), progress=progress)


def preview_rows(path: Path, layout: Layout, limit: int) -> list[list[str]]:
    """The first rows below the header, all columns, as text (for the preview table)."""
    wanted = list(range(len(layout.headers)))
    rows: list[list[str]] = []
    for chunk in read_chunks(path, layout, wanted, chunk_rows=limit):
        rows.extend(chunk.frame.astype(str).values.tolist())
        break
    return rows[:limit]

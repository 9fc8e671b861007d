"""Tables to CSV files (XLSX: :mod:`comarketing.reports.workbooks`): numbers stay numbers,
text that a spreadsheet would run as a formula is neutralised, and file names are safe.

A :class:`Table` is the one shape every report table takes on its way out (pages render it
too): named columns with a kind each, so money is written as a number with the currency's
decimals rather than as text.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from comarketing.money import exponent
from comarketing.spreadsheets import safe_cell

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text | int | hundredths (conversions: 247 -> 2.47) | money (minor units, ``currency``
    # from the row or the table) | ratio | percent
    kind: str = "text"
    # False: written to files (and the API) only, not shown as a column on the page.
    page: bool = True


@dataclass
class Table:
    name: str  # used in the file name
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    currency: str | None = None  # for money columns when rows carry none
    # None: every sum in the rows (spend, revenue, impressions, reach ...) adds up exactly to
    # the headline, per currency and kind; else why it does not, said under the table's title,
    # in the workbook's About sheet and in the API. Ratios never add up: this is about sums.
    sums_note: str | None = None

    def column_for(self, row: dict[str, Any], column: Column) -> Column:
        """The column as it applies to ``row`` (a subclass may pick the kind per row)."""
        return column

    def value(self, row: dict[str, Any], column: Column) -> Any:
        """The cell as a spreadsheet should hold it: int, Decimal, str or None. Ratios and
        money ratios keep full precision (28 significant digits, exact where the decimal
        ends): the page rounds for display (``tables.display``), files do not."""
        raw = row.get(column.key)
        if raw is None:
            return None
        if isinstance(raw, str):  # "not reported" where a number would be
            return raw
        if column.kind == "int":
            return int(raw)
        if column.kind == "hundredths":
            return Decimal(int(raw)).scaleb(-2)
        if column.kind == "money":
            currency = row.get("currency") or self.currency or "EUR"
            places = exponent(currency)
            if isinstance(raw, Fraction) and raw.denominator != 1:  # CPM, CPL ...
                return _decimal(raw / 10**places)
            return Decimal(int(raw)).scaleb(-places)
        if column.kind in ("ratio", "percent"):
            scale = 100 if column.kind == "percent" else 1
            return _decimal(Fraction(raw) * scale)
        if isinstance(raw, date):
            return raw.isoformat()
        return str(raw)


def _decimal(value: Fraction) -> Decimal:
    """``value`` to 28 significant digits (exact when its decimal ends: 1/32 is 0.03125)."""
    with localcontext() as context:
        context.prec = 28
        return Decimal(value.numerator) / Decimal(value.denominator)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(*parts: str, extension: str) -> str:
    """ASCII letters, digits, dot, dash and underscore only: no path, quote or header break."""
    text = "-".join(p for p in parts if p)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = _UNSAFE.sub("-", text).strip("-._")[:100] or "export"
    return f"{text}.{extension}"


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(c.label) for c in table.columns])
    for row in table.rows:
        cells = []
        for column in table.columns:
            value = table.value(row, column)
            cells.append("" if value is None else safe_cell(str(value)))
        writer.writerow(cells)
    # A BOM so that Excel opens UTF-8 (names with accents) correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

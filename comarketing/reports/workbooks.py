"""XLSX workbooks people can hand on: a first sheet "About" (company, period, filters,
definitions, when it was made), then one formatted sheet per table.

Cells stay numbers at full precision; the number format does the showing: money in the
currency's decimals and symbol, percentages as percentages, counts with thousands separators.
The header row is bold and frozen, every sheet has an autofilter and fitted column widths.
Text cells go through :func:`comarketing.spreadsheets.safe_cell`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from comarketing.money import CURRENCY_SYMBOLS, exponent
from comarketing.reports.exports import Column, Table
from comarketing.spreadsheets import safe_cell

if TYPE_CHECKING:
    from comarketing.reports.campaign_frames import CampaignReport
    from comarketing.reports.services import Dashboard

COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
MAX_WIDTH = 60

DEFINITIONS = [
    (
        "Spend",
        "Your company's share of confirmed and pending expense claims, in minor units "
        "shown with the currency's decimals.",
    ),
    (
        "Reported cost",
        "Your share of what the platforms reported; shown beside spend, never mixed into it.",
    ),
    (
        "People reached",
        "The platforms' flight reach (a placement's own deduplicated reach over its whole "
        "flight) where the period covers the whole flight; else daily reach, summed, and then "
        "labelled so. The headline says on which kind it rests, in shares of own spend.",
    ),
    ("Flight reach", "The platform's deduplicated reach over a placement's whole flight."),
    (
        "Daily reach, summed",
        "Each day's reach added up: a person counts once per day reached, so it is not a "
        "count of people. Frequency and cost per 1,000 reached are on it.",
    ),
    ("Impressions", "The campaigns' whole impressions, added up day by day."),
    (
        "Ratios",
        "Use only the placement-months that reported both their parts; the coverage "
        "columns say how much of each part that is.",
    ),
    ("Empty or 'not reported'", "The platform did not report the figure; it is never 0."),
    (
        "Reach multipliers",
        "On your spend: reach per unit of your own spend, joint / solo. On the campaigns' "
        "whole spend: reach per unit of all parties' spend together, joint / solo. With a "
        "90 % campaign-level bootstrap interval, none under 3 campaigns on a side.",
    ),
]
# Said in "What adds up" of a table whose rows add up (``Table.sums_note`` is None).
ADDS_UP = (
    "Its rows add up exactly to the headline in every sum; ratios and campaign counts are "
    "not added up."
)


@dataclass
class About:
    company: str
    period: str
    filters: list[tuple[str, str]] = field(default_factory=list)
    definitions: list[tuple[str, str]] = field(default_factory=lambda: list(DEFINITIONS))
    made_at: datetime | None = None


def money_format(currency: str) -> str:
    places = exponent(currency)
    number = "#,##0" + ("." + "0" * places if places else "")
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ").replace('"', "")
    return f'"{symbol}"{number};-"{symbol}"{number}'


def _cell(table: Table, row: dict[str, Any], column: Column) -> tuple[Any, str | None]:
    """The value at full precision and its number format. Text (a name, "not reported", a
    ranking's reason) comes from the table as the CSV has it, made formula-safe."""
    shown = table.value(row, column)
    if shown is None or isinstance(shown, str):
        return safe_cell(shown), None
    column = table.column_for(row, column)
    raw: Any = row.get(column.key)
    if column.kind == "percent":
        return _exact(Fraction(raw)), PERCENT_FORMAT
    if column.kind == "ratio":
        return _exact(Fraction(raw)), DECIMAL_FORMAT
    if column.kind == "money":
        currency = row.get("currency") or table.currency or "EUR"
        return _exact(Fraction(raw) / 10 ** exponent(currency)), money_format(currency)
    if column.kind == "int":
        return shown, COUNT_FORMAT
    if column.kind == "hundredths":
        return shown, DECIMAL_FORMAT
    return shown, None


def _exact(value: Fraction) -> Decimal | int:
    if value.denominator == 1:
        return value.numerator
    return Decimal(value.numerator) / Decimal(value.denominator)


def _shown_width(value: Any, number_format: str | None) -> int:
    if value is None:
        return 0
    if number_format == PERCENT_FORMAT:
        return len(f"{float(value) * 100:,.2f}%")
    if number_format is not None:
        return len(f"{float(value):,.2f}") + 4
    return max((len(line) for line in str(value).splitlines()), default=0)


def sheet_title(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", " ", name).strip()[:31] or "Report"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _add_table(workbook: Any, table: Table, title: str, taken: set[str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title=sheet_title(title, taken))
    widths = [len(c.label) for c in table.columns]
    sheet.append([safe_cell(c.label) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_number, row in enumerate(table.rows, start=2):
        for col_number, column in enumerate(table.columns, start=1):
            value, number_format = _cell(table, row, column)
            cell = sheet.cell(row=row_number, column=col_number, value=value)
            if number_format and not isinstance(value, str):
                cell.number_format = number_format
            widths[col_number - 1] = max(widths[col_number - 1], _shown_width(value, number_format))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(len(table.columns), 1))
    sheet.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"


def _add_about(workbook: Any, about: About, sums: Sequence[tuple[str, str]] = ()) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = workbook.create_sheet(title="About", index=0)
    made_at = (about.made_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    lines: list[tuple[str, str]] = [
        ("Company", about.company),
        ("Period", about.period),
        *[(f"Filter: {name}", value) for name, value in about.filters],
        ("Made at", made_at),
        ("", ""),
        ("Definitions", ""),
        *about.definitions,
        *((("", ""), ("What adds up", ""), *sums) if sums else ()),
    ]
    for label, value in lines:
        sheet.append([safe_cell(label), safe_cell(value)])
    for row in sheet.iter_rows(min_col=1, max_col=1):
        row[0].font = Font(bold=True)
    for row in sheet.iter_rows(min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = max(len(label) for label, _ in lines) + 2
    sheet.column_dimensions["B"].width = MAX_WIDTH + 20


def to_xlsx(table: Table, about: About | None = None) -> bytes:
    """One table's file: "About" first when given, then the formatted sheet."""
    return workbook([table], about)


def workbook(
    tables: Sequence[Table], about: About | None = None, titles: Sequence[str] | None = None
) -> bytes:
    """One workbook: "About" first (when given), then a sheet per table (named by ``titles``
    or the tables' names). It opens on the first table."""
    from openpyxl import Workbook

    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    taken = {"about"} if about is not None else set()
    names = [titles[index] if titles else table.name for index, table in enumerate(tables)]
    for name, table in zip(names, tables, strict=True):
        _add_table(book, table, name, taken)
    if about is not None:
        _add_about(
            book, about, [(n, t.sums_note or ADDS_UP) for n, t in zip(names, tables, strict=True)]
        )
    if tables:
        book.active = 1 if about is not None else 0
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _name_of(frame: Any, key: str, wanted: int | None, label: str) -> str | None:
    if wanted is None:
        return None
    if not frame.empty and key in frame and label in frame:
        match = frame.loc[frame[key] == wanted, label]
        if len(match):
            return str(match.iloc[0])
    return f"#{wanted}"


def dashboard_about(board: Dashboard, company: str) -> About:
    """What the Reach and ROI dashboard's files were made of."""
    from comarketing.campaigns.models import Channel

    filters = board.filters
    channel = Channel(filters.channel).label if filters.channel else None
    return About(
        company=company,
        period=board.period.label,
        filters=[
            (
                "Partner",
                _name_of(board.partners, "partner_id", filters.partner_id, "partner")
                or "All partners",
            ),
            ("Channel", channel or "All channels"),
            (
                "Campaign",
                _name_of(board.campaigns, "campaign_id", filters.campaign_id, "name")
                or "All campaigns",
            ),
        ],
    )


def campaign_about(report: CampaignReport, company: str) -> About:
    """What a campaign report's files were made of: one campaign over its whole run."""
    campaign = report.campaign
    return About(
        company=company,
        period=f"{campaign.start_date.isoformat()} to {campaign.end_date.isoformat()}",
        filters=[("Campaign", campaign.name)],
    )

"""The input limits of issue 17, part 3, without HTTP: the date rule, XLSX limits measured
before parsing, JSON depth on raw bytes, and burn charts thinned for long campaigns."""

from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from comarketing import chart_steps, dates_allowed, xlsx_limits
from comarketing.errors import ValidationFailed
from comarketing.input_guard import json_depth
from comarketing.metrics import reading

# ------------------------------------------------------------------------------------------
# Dates


def test_the_allowed_dates_and_the_five_year_span() -> None:
    assert dates_allowed.allowed(date(2000, 1, 1)) and dates_allowed.allowed(date(2100, 12, 31))
    assert not dates_allowed.allowed(date(1999, 12, 31))
    assert not dates_allowed.allowed(date(2101, 1, 1))
    dates_allowed.check_period(date(2025, 1, 1), date(2029, 12, 31))  # exactly five years
    with pytest.raises(ValidationFailed) as too_long:
        dates_allowed.check_period(date(2025, 1, 1), date(2030, 1, 1))
    assert too_long.value.field == "end_date"
    with pytest.raises(ValidationFailed) as too_early:
        dates_allowed.check_period(date(1999, 12, 31), date(2000, 1, 5))
    assert too_early.value.field == "start_date"
    # A leap day five years on has no twin: the span ends on 28 February.
    assert dates_allowed.last_allowed_end(date(2028, 2, 29)) == date(2033, 2, 27)
    dates_allowed.check_period(date(2096, 1, 1), date(2100, 12, 31))


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2100-12", date(2100, 12, 1)),
        ("2000-01", date(2000, 1, 1)),
        ("2101-01", None),
        ("1999-12", None),
        ("9999-12", None),
        ("2026-13", None),
        ("2026-1", None),
        ("", None),
        (None, None),
        ("\x00", None),
    ],
)
def test_month_parameters(text: str | None, day: date | None) -> None:
    assert dates_allowed.parse_month(text) == day


def test_day_parameters() -> None:
    assert dates_allowed.parse_day("2100-12-31") == date(2100, 12, 31)
    assert dates_allowed.parse_day("9999-12-31") is None
    assert dates_allowed.parse_day("0001-01-01") is None
    assert dates_allowed.parse_day("nonsense") is None


# ------------------------------------------------------------------------------------------
# XLSX

SHARED = "xl/sharedStrings.xml"


def _workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(content: bytes, part: str, change: object) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                data = change(data) if callable(change) else change  # type: ignore[assignment]
            target.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED)
        if part not in source.namelist():
            assert isinstance(change, bytes)
            target.writestr(part, change, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _declare(content: bytes, ref: str) -> bytes:
    return _rewrite(
        content,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml),
    )


def _refusal(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(reading.UnreadableFile) as refused:
        reading.sniff_format(path)
    return str(refused.value)


def test_an_ordinary_workbook_passes(tmp_path: Path) -> None:
    path = tmp_path / "ok"
    path.write_bytes(_workbook([["Date", "Cost"], ["2027-03-01", 1.5]]))
    assert reading.sniff_format(path) == "xlsx"
    wide_enough = _declare(_workbook([["a"]]), "A1:GR1048576")  # 200 columns, Excel's rows
    path.write_bytes(wide_enough)
    assert reading.sniff_format(path) == "xlsx"


def test_declared_columns_and_rows_beyond_the_limits_are_refused(tmp_path: Path) -> None:
    assert "more than 200 columns" in _refusal(tmp_path, _declare(_workbook([["a"]]), "A1:GS1"))
    assert "16,384" in _refusal(tmp_path, _declare(_workbook([["a"]]), "A1:XFD1"))
    assert "rows" in _refusal(tmp_path, _declare(_workbook([["a"]]), "A1:B1048577"))


def test_rows_wider_than_allowed_are_refused_without_a_dimension(tmp_path: Path) -> None:
    content = _rewrite(
        _workbook([list(range(201))]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml),
    )
    path = tmp_path / "wide"
    path.write_bytes(content)
    with pytest.raises(reading.UnreadableFile, match="200 columns"):
        reading.detect_layout(path)


def test_zip_bombs_are_refused_by_ratio_total_and_shared_strings(tmp_path: Path) -> None:
    bomb = _rewrite(_workbook([["a"]]), SHARED, b"<sst>" + b" " * 5_000_000)
    assert "compressed more than 100:1" in _refusal(tmp_path, bomb)

    small = xlsx_limits.Limits(total_uncompressed=1_000_000, shared_strings=10_000)
    strings = b"<sst>" + os.urandom(10_000).hex().encode() + b"</sst>"
    _assert_refused(_rewrite(_workbook([]), SHARED, strings), small, "text table")
    wide = _workbook([[str(i) * 50] for i in range(30_000)])
    _assert_refused(wide, xlsx_limits.Limits(total_uncompressed=1_000_000), "expands to more")


def _assert_refused(content: bytes, limits: xlsx_limits.Limits, message: str) -> None:
    with (
        zipfile.ZipFile(io.BytesIO(content)) as archive,
        pytest.raises(xlsx_limits.WorkbookTooLarge, match=message),
    ):
        xlsx_limits.check_archive(archive, limits)


def test_column_letters() -> None:
    assert [xlsx_limits.column_number(c) for c in ("A", "Z", "AA", "GR", "XFD")] == [
        1,
        26,
        27,
        200,
        16384,
    ]


# ------------------------------------------------------------------------------------------
# JSON depth and chart steps


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[{{{"}]}') == 3
    assert json_depth(b"[" * 10_000 + b"]" * 10_000) == 10_000
    assert json_depth(b'"just text \\" [["') == 0
    assert json_depth(b"") == 0


def _days(start: date, count: int) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range(count)]


def test_short_burn_charts_stay_daily() -> None:
    labels = _days(date(2027, 1, 1), 120)
    thinned = chart_steps.thin(labels, {"plan": list(range(120))})
    assert thinned["step"] == "day" and thinned["labels"] == labels


def test_long_burn_charts_keep_each_weeks_and_months_last_value() -> None:
    count = 365
    labels = _days(date(2027, 1, 1), count)  # a Friday
    spent: list[int | None] = [i if i < 100 else None for i in range(count)]
    thinned = chart_steps.thin(labels, {"plan": list(range(count)), "spent": spent})
    assert thinned["step"] == "week"
    assert thinned["labels"][:2] == ["2027-01-03", "2027-01-10"]  # Sundays end the weeks
    assert thinned["plan"][:2] == [2, 9] and thinned["plan"][-1] == count - 1
    assert 99 in thinned["spent"] and thinned["spent"][-1] is None
    assert len(thinned["labels"]) == 53

    five_years = _days(date(2096, 1, 1), (date(2100, 12, 31) - date(2096, 1, 1)).days + 1)
    monthly = chart_steps.thin(five_years, {"plan": list(range(len(five_years)))})
    assert monthly["step"] == "month" and len(monthly["labels"]) == 60
    assert monthly["labels"][-1] == "2100-12-31" and monthly["plan"][-1] == len(five_years) - 1

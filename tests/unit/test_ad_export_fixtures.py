"""The ad-platform export fixtures are well-formed and say what expected.py says they say.

These tests read the files with the standard library (and openpyxl) only: they check the
fixtures, not the importer. The importer's tests use the same files and EXPECTED.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.fixtures.ad_exports.expected import CLEAN_MAPPING, EXPECTED, FIELDS, FOLDER

PLATFORM_FILES = sorted(name for name, spec in EXPECTED.items() if spec["platform"])
PLATFORM_CSVS = [name for name in PLATFORM_FILES if name.endswith(".csv")]
MALFORMED = sorted(name for name, spec in EXPECTED.items() if spec["platform"] is None)
GOOGLE_FILES = ["google_ads.csv", "google_ads_excel.csv"]
PLACEMENTS = ("Spring Bake Search", "Spring Bake Social")
DAYS = tuple(f"2026-03-{day:02d}" for day in range(2, 9))
COUNTS = ("impressions", "reach", "clicks", "leads", "conversions")


# ---------------------------------------------------------------------------------------------
# Reading the fixtures, deliberately simply


def lines_of(name: str) -> list[list[str]]:
    """The file's CSV records; index 0 is line 1 (no fixture has a line break inside a cell)."""
    spec = EXPECTED[name]
    text = (FOLDER / name).read_bytes().decode(spec["encoding"])
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=spec["delimiter"]))


def sheet_lines(name: str) -> list[list[Any]]:
    workbook = load_workbook(FOLDER / name)
    return [list(row) for row in workbook[EXPECTED[name]["sheet"]].iter_rows(values_only=True)]


def amount(cell: Any, decimal: str) -> Decimal | None:
    """A cell as written ("1,234.50", "1.234,56 €", 24.79) -> Decimal; an empty cell or " --"
    -> None (not reported)."""
    if cell is None:
        return None
    if isinstance(cell, int | float):
        return Decimal(str(cell))
    text = str(cell).replace("\u00a0", " ").replace("€", "").strip()
    if text in ("", "--"):
        return None
    grouping = "." if decimal == "," else ","
    return Decimal(text.replace(grouping, "").replace(decimal, "."))


def whole(value: Decimal | None) -> int | None:
    if value is None:
        return None
    assert value == value.to_integral_value(), value
    return int(value)


def stored_rows(name: str, lines: list[list[Any]]) -> list[dict[str, Any]]:
    """What expected.py says the importer stores, recomputed from the file's cells."""
    spec = EXPECTED[name]
    header = lines[spec["header_line"] - 1]
    where = {field: header.index(column) for column, field in spec["mapping"].items()}
    rows = []
    for number, cells in enumerate(lines[spec["header_line"] :], start=spec["header_line"] + 1):
        if number in spec["skipped_lines"]:
            continue
        row: dict[str, Any] = {
            "placement": cells[where["placement"]],
            "day": datetime.strptime(cells[where["day"]], spec["day_format"]).date().isoformat(),
        }
        for field in COUNTS:
            cell = cells[where[field]] if field in where else None
            row[field] = whole(amount(cell, spec["decimal"])) if field in where else None
        for field in ("revenue", "cost"):
            cell = cells[where[field]] if field in where else None
            value = amount(cell, spec["decimal"]) if field in where else None
            minor = whole(value * 100) if value is not None else None
            row[f"{field}_minor"] = minor
        rows.append(row)
    return rows


def column(lines: list[list[Any]], header_line: int, name: str) -> int:
    return lines[header_line - 1].index(name)


# ---------------------------------------------------------------------------------------------
# Every file


def test_every_file_in_the_folder_is_described():
    files = {
        path.name
        for path in FOLDER.iterdir()
        if path.is_file() and path.suffix in (".csv", ".xlsx")
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", PLATFORM_CSVS)
def test_platform_csv_is_encoded_as_claimed(name):
    raw = (FOLDER / name).read_bytes()
    encoding = EXPECTED[name]["encoding"]
    if encoding == "utf-8-sig":
        assert raw.startswith(codecs.BOM_UTF8)
    elif encoding == "utf-16":
        assert raw.startswith(codecs.BOM_UTF16_LE)
        assert raw.count(b"\x00") > len(raw) // 3  # really two bytes per character
    else:
        assert not raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    raw.decode(encoding)  # strict: raises on a single bad byte


@pytest.mark.parametrize("name", PLATFORM_FILES)
def test_header_names_every_mapped_column_once(name):
    spec = EXPECTED[name]
    lines = sheet_lines(name) if name.endswith(".xlsx") else lines_of(name)
    header = lines[spec["header_line"] - 1]
    for name_in_file in spec["mapping"]:
        assert header.count(name_in_file) == 1, name_in_file
    assert {"day", "placement", "impressions", "clicks", "cost"} <= set(spec["mapping"].values())


@pytest.mark.parametrize("name", PLATFORM_FILES)
def test_rows_are_the_ones_expected(name):
    lines = sheet_lines(name) if name.endswith(".xlsx") else lines_of(name)
    assert stored_rows(name, lines) == EXPECTED[name]["rows"]


@pytest.mark.parametrize("name", PLATFORM_FILES)
def test_every_placement_has_every_day_once_within_our_rules(name):
    rows = EXPECTED[name]["rows"]
    assert sorted((row["placement"], row["day"]) for row in rows) == sorted(
        (placement, day) for placement in PLACEMENTS for day in DAYS
    )
    for row in rows:
        assert set(row) == set(FIELDS)
        assert all(row[field] is None or row[field] >= 0 for field in FIELDS[2:])
        assert row["reach"] is None or row["reach"] <= row["impressions"]


@pytest.mark.parametrize("name", PLATFORM_CSVS)
def test_skipped_lines_are_summaries_blanks_or_footers(name):
    spec = EXPECTED[name]
    lines = lines_of(name)
    place = column(
        lines, spec["header_line"], next(k for k, v in spec["mapping"].items() if v == "placement")
    )
    for number in spec["skipped_lines"]:
        cells = lines[number - 1]
        assert len(cells) <= place or cells[place] == "", (number, cells)
    assert spec["errors"] == []


# ---------------------------------------------------------------------------------------------
# Google Ads


@pytest.mark.parametrize("name", GOOGLE_FILES)
def test_google_title_lines_and_totals_rows(name):
    lines = lines_of(name)
    assert lines[0] == ["Campaign report"]
    assert lines[1] == ["March 2, 2026 - March 8, 2026"]
    totals = [lines[number - 1][0] for number in EXPECTED[name]["skipped_lines"]]
    assert totals == ["Total: Campaigns", "Total: Search", "Total: Display", "Total: Account"]
    # Google writes " --" (with the space) where a rate cannot be computed.
    cost_per_conversion = column(lines, 3, "Cost / conv.")
    assert any(cells[cost_per_conversion] == " --" for cells in lines[3:])


@pytest.mark.parametrize("name", GOOGLE_FILES)
def test_google_totals_rows_add_up_to_the_rows(name):
    lines = lines_of(name)
    header = lines[2]
    kind = header.index("Campaign type")
    data = [cells for cells in lines[3:] if not cells[0].startswith("Total: ")]
    scopes = {
        "Total: Campaigns": data,
        "Total: Account": data,
        "Total: Search": [cells for cells in data if cells[kind] == "Search"],
        "Total: Display": [cells for cells in data if cells[kind] == "Display"],
    }
    for number in EXPECTED[name]["skipped_lines"]:
        total = lines[number - 1]
        for metric in ("Impr.", "Clicks", "Cost", "Conversions", "Conv. value"):
            at = header.index(metric)
            summed = sum(amount(cells[at], ".") for cells in scopes[total[0]])
            assert amount(total[at], ".") == summed, (total[0], metric)


def test_google_excel_csv_is_the_same_report():
    assert lines_of("google_ads_excel.csv") == lines_of("google_ads.csv")
    raw = (FOLDER / "google_ads_excel.csv").read_bytes()
    assert "\t".encode("utf-16-le") in raw
    assert b'"' not in raw.decode("utf-16").encode()  # nothing needs quoting between tabs


def test_google_thousands_separators_are_quoted():
    text = (FOLDER / "google_ads.csv").read_text(encoding="utf-8")
    assert '"10,148"' in text
    assert '"1,852.93"' in text


# ---------------------------------------------------------------------------------------------
# Meta


def test_meta_csv_summary_row_sums_the_days():
    lines = lines_of("meta_ads_manager.csv")
    header, summary, days = lines[0], lines[1], lines[2:]
    assert summary[:4] == ["2026-03-02", "2026-03-08", "", ""]
    for metric in ("Impressions", "Amount spent (EUR)", "Link clicks", "Leads", "Purchases"):
        at = header.index(metric)
        total = sum(amount(cells[at], ".") or 0 for cells in days)
        assert amount(summary[at], ".") == total, metric
    reach = header.index("Reach")
    daily = [int(cells[reach]) for cells in days]
    assert max(daily) < int(summary[reach]) < sum(daily)  # people, not impressions: de-duplicated
    # Each row is one day: "Reporting starts" and "Reporting ends" are that day.
    assert all(cells[0] == cells[1] for cells in days)
    # No purchases that day: Meta leaves the cells empty.
    assert any(cells[header.index("Purchases")] == "" for cells in days)


def test_meta_csv_quotes_names_with_spaces_only():
    first_line = (FOLDER / "meta_ads_manager.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first_line.startswith('"Reporting starts","Reporting ends","Campaign name"')
    assert ",Impressions," in first_line
    assert ',"Amount spent (EUR)",' in first_line


def test_meta_xlsx_is_the_same_report_with_a_day_column_and_typed_cells():
    lines = sheet_lines("meta_ads_manager.xlsx")
    header, summary, days = lines[0], lines[1], lines[2:]
    day = header.index("Day")
    # The range columns hold the whole report on every row; only "Day" dates the row.
    assert {(cells[0], cells[1]) for cells in lines[1:]} == {("2026-03-02", "2026-03-08")}
    assert summary[header.index("Campaign name")] is None and summary[day] is None
    assert [cells[day] for cells in days] == [
        row["day"] for row in EXPECTED["meta_ads_manager.xlsx"]["rows"]
    ]
    for cells in days:
        for metric in ("Reach", "Impressions", "Link clicks", "Leads"):
            assert type(cells[header.index(metric)]) is int
        assert isinstance(cells[header.index("Amount spent (EUR)")], float)
    csv_lines = lines_of("meta_ads_manager.csv")
    for metric in ("Reach", "Impressions", "Amount spent (EUR)", "Link clicks", "Leads"):
        from_csv = amount(csv_lines[1][csv_lines[0].index(metric)], ".")
        assert amount(summary[header.index(metric)], ".") == from_csv, metric


# ---------------------------------------------------------------------------------------------
# LinkedIn and Microsoft


def test_linkedin_report_lines_above_the_header():
    lines = lines_of("linkedin_campaign_manager.csv")
    assert lines[0] == ["Campaign Performance Report (in UTC)"]
    assert lines[1][0].startswith("Report Start: March 2, 2026")
    assert lines[2][0].startswith("Report End: March 8, 2026")
    assert lines[3][0].startswith("Date Generated: ")
    assert lines[5][0] == "3/2/2026"  # M/D/YYYY, no leading zeros
    assert "Kornblume Bäckerei GmbH" in lines[5]


def test_linkedin_conversions_are_post_click_plus_view_through():
    lines = lines_of("linkedin_campaign_manager.csv")
    header = lines[4]
    total, click, view = (
        header.index(name)
        for name in ("Conversions", "Post-Click Conversions", "View-Through Conversions")
    )
    for cells in lines[5:]:
        assert int(cells[total]) == int(cells[click]) + int(cells[view])
    assert any(int(cells[view]) for cells in lines[5:])


def test_microsoft_preamble_rows_count_and_footer():
    lines = lines_of("microsoft_advertising.csv")
    preamble = lines[:9]
    assert all(len(cells) == 1 and ": " in cells[0] for cells in preamble)
    assert preamble[0][0].startswith("Report Name: ")
    assert preamble[1] == ["Report Time: 3/2/2026,3/8/2026"]
    assert preamble[5] == ["Report Aggregation: Daily"]
    assert lines[9] == []
    data = lines[11:25]
    assert preamble[8] == [f"Rows: {len(data)}"]
    assert lines[25] == []
    assert lines[26] == ["©2026 Microsoft Corporation. All rights reserved. "]
    assert len(lines) == 27
    raw = (FOLDER / "microsoft_advertising.csv").read_bytes()
    assert raw.count(b"\r\n") == 27  # every line ends in CRLF
    spend = lines[10].index("Spend")
    assert "34.2" in [cells[spend] for cells in data]  # trailing zero dropped


# ---------------------------------------------------------------------------------------------
# Our own European export


@pytest.mark.parametrize(
    ("name", "space"), [("own_tool_semicolon.csv", " "), ("own_tool_semicolon_en.csv", "\u00a0")]
)
def test_own_tool_writes_german_numbers(name, space):
    lines = lines_of(name)
    cost = lines[0].index(next(k for k, v in EXPECTED[name]["mapping"].items() if v == "cost"))
    assert all(cells[cost].endswith(f"{space}€") for cells in lines[1:])
    assert "1.158,52" + space + "€" in [cells[cost] for cells in lines[1:]]
    assert lines[1][0] == "02.03.2026"
    assert b"\r\n" in (FOLDER / name).read_bytes()


# ---------------------------------------------------------------------------------------------
# Malformed files


def test_malformed_files_each_expect_errors_and_no_rows():
    for name in MALFORMED:
        spec = EXPECTED[name]
        assert spec["rows"] == []
        assert spec["errors"], name
        for error in spec["errors"]:
            assert set(error) == {"row", "column", "value", "reason_contains"}


def test_empty_file_has_no_bytes():
    assert (FOLDER / "empty.csv").read_bytes() == b""


def test_header_only_file_is_one_clean_header_line():
    assert lines_of("header_only.csv") == [list(CLEAN_MAPPING)]


def test_zip_renamed_is_a_real_zip_archive_of_a_csv():
    path = FOLDER / "zip_renamed.csv"
    assert zipfile.is_zipfile(path)
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.namelist()
        assert member.endswith(".csv")
        assert archive.read(member) == (FOLDER / "microsoft_advertising.csv").read_bytes()


def test_broken_encoding_has_one_latin1_byte_on_the_line_the_error_names():
    raw = (FOLDER / "broken_encoding.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError) as caught:
        raw.decode("utf-8")
    line = raw[: caught.value.start].count(b"\n") + 1
    (error,) = EXPECTED["broken_encoding.csv"]["errors"]
    assert error["row"] == line == 3
    assert raw[caught.value.start] == 0xE9
    assert "Spring Bake Café" in raw.decode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-16")
    assert not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def test_wrong_types_errors_point_at_the_bad_cells():
    lines = lines_of("wrong_types.csv")
    header = lines[0]
    assert header == list(CLEAN_MAPPING)
    errors = EXPECTED["wrong_types.csv"]["errors"]
    for error in errors:
        assert lines[error["row"] - 1][header.index(error["column"])] == error["value"]
    # One fault per row, and a last row with none: the file stores nothing all the same.
    assert len({error["row"] for error in errors}) == len(errors)
    assert len(lines) == 10
    assert 10 not in {error["row"] for error in errors}

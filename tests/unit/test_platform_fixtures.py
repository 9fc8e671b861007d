"""The six further platforms' fixtures say what expected_platforms.py says they say.

Read with the standard library only (csv, Decimal, strptime): this checks the fixtures and
their expectations against each other, not the importer (tests/metrics/test_platform_exports.py
runs the importer on them)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest

from tests.fixtures.ad_exports.expected_platforms import EXPECTED_PLATFORMS, FOLDER

FILES = sorted(EXPECTED_PLATFORMS)
AMOUNTS = ("revenue", "cost")


def _lines(name: str) -> list[list[str]]:
    spec = EXPECTED_PLATFORMS[name]
    text = (FOLDER / name).read_bytes().decode(spec["encoding"])
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=spec["delimiter"]))


def _figure(cell: str, field: str, unit: str) -> int:
    text = cell.replace("€", "").replace(",", "").strip()
    if unit == "micro":
        minor, rest = divmod(int(text), 10_000)
        assert rest == 0
        return minor
    value = Decimal(text)
    return int(value * 100) if field in AMOUNTS else int(value)


@pytest.mark.parametrize("name", FILES)
def test_each_expected_row_is_in_the_file_as_written(name):
    spec = EXPECTED_PLATFORMS[name]
    lines = _lines(name)
    header = [cell.strip() for cell in lines[spec["header_line"] - 1]]
    position = {field: header.index(column) for column, field in spec["mapping"].items()}
    units = {spec["mapping"][column]: unit for column, unit in spec["units"].items()}
    data = [
        (number, cells)
        for number, cells in enumerate(lines, start=1)
        if number > spec["header_line"] and number not in spec["skipped_lines"]
    ]
    assert len(data) == len(spec["rows"]) == 14
    for (number, cells), row in zip(data, spec["rows"], strict=True):
        assert len(cells) == len(header), number
        assert cells[position["placement"]] == row["placement"]
        day = datetime.strptime(cells[position["day"]], spec["day_format"]).date()
        assert day.isoformat() == row["day"]
        if "currency" in position:
            assert cells[position["currency"]] == spec["currency"]
        for field in ("impressions", "reach", "clicks", "leads", "conversions", "revenue", "cost"):
            key = f"{field}_minor" if field in AMOUNTS else field
            if field not in position:
                assert row[key] is None, (name, field)
                continue
            assert _figure(cells[position[field]], field, units.get(field, "")) == row[key]


@pytest.mark.parametrize("name", [n for n in FILES if EXPECTED_PLATFORMS[n]["skipped_lines"]])
def test_footer_lines_are_totals_of_the_rows(name):
    spec = EXPECTED_PLATFORMS[name]
    lines = _lines(name)
    header = [cell.strip() for cell in lines[spec["header_line"] - 1]]
    for number in spec["skipped_lines"]:
        cells = lines[number - 1]
        assert cells[0].lower().startswith("total")
        for column, field in spec["mapping"].items():
            if field in ("impressions", "clicks", "conversions", "cost"):
                key = f"{field}_minor" if field in AMOUNTS else field
                total = sum(row[key] for row in spec["rows"])
                assert _figure(cells[header.index(column)], field, "") == total


@pytest.mark.parametrize("name", FILES)
def test_the_days_and_placements_cover_the_scenario(name):
    rows = EXPECTED_PLATFORMS[name]["rows"]
    assert {(row["day"], row["placement"]) for row in rows} == {
        (f"2026-03-0{day}", placement)
        for day in range(2, 9)
        for placement in ("Spring Bake Search", "Spring Bake Social")
    }
    for row in rows:
        assert row["reach"] is None or row["reach"] <= row["impressions"]

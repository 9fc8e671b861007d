"""Exports keep full precision; the page rounds half up (issue 16).

CSV cells carry ratios as decimals to 28 significant digits (exact where the decimal ends:
1/32 is 0.03125); XLSX cells hold the fraction as a number to 16 significant digits (openpyxl
writes every number with ``%.16g``: within one unit in the last place of the nearest float,
beyond the 15 digits Excel shows) with a format showing two decimals; the API gives four
decimals rounded half up; the page two (one for percentages), rounded half up.
"""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from fractions import Fraction

import openpyxl

from comarketing.api import schemas
from comarketing.reports import services, tables, workbooks
from comarketing.reports.exports import Column, Table, to_csv
from tests.offer_helpers import actor
from tests.reports.test_dashboard_figures import START, seeded  # noqa: F401 - a fixture


def _table() -> Table:
    return Table(
        name="precision",
        columns=[
            Column("frequency", "Frequency", "ratio"),
            Column("roi", "ROI (%)", "percent"),
            Column("cpl_minor", "CPL", "money"),
            Column("spend_minor", "Spend", "money"),
        ],
        rows=[
            {
                "frequency": Fraction(1, 32),
                "roi": Fraction(2, 3),
                "cpl_minor": Fraction(1, 3),
                "spend_minor": 120,
            },
            {
                "frequency": Fraction(2, 3),
                "roi": Fraction(1, 32),
                "cpl_minor": Fraction(250, 1),
                "spend_minor": -5,
            },
        ],
        currency="EUR",
    )


def test_csv_carries_ratios_exactly_or_to_28_significant_digits():
    rows = list(csv.reader(io.StringIO(to_csv(_table()).decode("utf-8-sig"))))
    assert rows[1] == [
        "0.03125",
        "66.66666666666666666666666667",
        "0.003333333333333333333333333333",
        "1.20",
    ]
    assert rows[2] == ["0.6666666666666666666666666667", "3.125", "2.50", "-0.05"]
    # 28 significant digits: the decimal nearest the fraction at that precision.
    assert Decimal(rows[2][0]) == Decimal(2) / Decimal(3)


def _near(value: float, exact: Fraction) -> bool:
    """Within one unit in the last place of the float nearest ``exact``."""
    return abs(value - float(exact)) <= math.ulp(float(exact))


def test_xlsx_cells_hold_the_fraction_to_16_digits_shown_with_two_decimals():
    book = openpyxl.load_workbook(io.BytesIO(workbooks.workbook([_table()])))
    sheet = book["precision"]
    frequency, roi, cpl, spend = sheet[2]
    assert frequency.value == 0.03125 and frequency.number_format == workbooks.DECIMAL_FORMAT
    assert _near(roi.value, Fraction(2, 3)) and roi.number_format == workbooks.PERCENT_FORMAT
    assert _near(cpl.value, Fraction(1, 300)) and cpl.number_format.startswith('"€"#,##0.00')
    assert spend.value == 1.2
    frequency, roi, _, _ = sheet[3]
    assert _near(frequency.value, Fraction(2, 3)) and roi.value == 0.03125  # shown 3.13 %


def test_the_page_and_the_api_round_half_up():
    table = _table()
    ratio, percent = table.columns[0], table.columns[1]
    assert tables.display(table, {"frequency": Fraction(1, 8)}, ratio) == "0.13"
    assert tables.display(table, {"roi": Fraction(1, 16)}, percent) == "6.3 %"
    assert tables.display(table, {"frequency": Fraction(2, 3)}, ratio) == "0.67"
    assert schemas.ratio(Fraction(1, 32)) == "0.0313"  # was 0.0312, half to even
    assert schemas.ratio(Fraction(2, 3)) == "0.6667"


def test_the_dashboard_csv_carries_the_roi_the_page_computes(app, client, login_as, seeded):  # noqa: F811
    world = seeded
    with app.app_context():
        board = services.dashboard(
            actor(world.a.email("analyst")), services.Period(START, START.replace(month=4, day=30))
        )
    eur = next(c for c in board.comparisons if c.currency == "EUR")
    login_as(world.a.email("analyst"))
    body = client.get("/reports/headline.csv?preset=custom&start=2027-03-01&end=2027-04-30")
    rows = list(csv.DictReader(io.StringIO(body.get_data(as_text=True).lstrip("\ufeff"))))
    joint = next(r for r in rows if r["Currency"] == "EUR" and r["Campaigns of kind"] == "Joint")
    roi = eur.joint.roi * 100
    assert Decimal(joint["ROI (%)"]) == Decimal(roi.numerator) / Decimal(roi.denominator)
    assert len(joint["ROI (%)"].replace("-", "").replace(".", "").lstrip("0")) >= 20

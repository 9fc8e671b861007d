"""XLSX exports people can hand on (issue 16): number formats, frozen bold header, autofilter,
fitted widths, the "About" sheet, and "Download all" as one workbook with a sheet per table."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from fractions import Fraction

import openpyxl
import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.reports import workbooks
from comarketing.reports.exports import Column, Table, to_csv
from tests.reports.test_dashboard_figures import seeded  # noqa: F401 - fixture

PERIOD = "?preset=custom&start=2027-03-01&end=2027-04-30"
EUR = '"€"#,##0.00;-"€"#,##0.00'


def _table() -> Table:
    return Table(
        name="sample",
        columns=[
            Column("name", "Name"),
            Column("reach", "Reach", "int"),
            Column("spend", "Spend", "money"),
            Column("roi", "ROI (%)", "percent"),
            Column("frequency", "Frequency", "ratio"),
            Column("conversions", "Conversions", "hundredths"),
        ],
        rows=[
            {
                "name": '=HYPERLINK("http://evil","x")',
                "reach": 1234567,
                "spend": 123456,
                "roi": Fraction(1, 3),
                "frequency": Fraction(7, 3),
                "conversions": 247,
            },
            {"name": "Yen", "currency": "JPY", "reach": 5, "spend": -1500, "roi": None},
        ],
        currency="EUR",
    )


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_cells_keep_full_precision_and_carry_the_currency_and_percent_formats():
    about = workbooks.About("Acme", "2027-03-01 to 2027-04-30", [("Partner", "All partners")])
    book = _book(workbooks.workbook([_table()], about))
    assert book.sheetnames == ["About", "sample"]
    sheet = book["sample"]
    assert book.active.title == "sample"  # opens on the data
    name, reach, spend, roi, frequency, conversions = sheet[2]
    assert name.value == '\'=HYPERLINK("http://evil","x")' and name.data_type == "s"
    assert reach.value == 1234567 and reach.number_format == "#,##0"
    assert spend.value == 1234.56 and spend.number_format == EUR
    # A third is not rounded to text or to four places: the format shows it, the cell keeps it.
    assert abs(roi.value - 1 / 3) < 1e-12 and roi.number_format == "0.00%"
    assert abs(frequency.value - 7 / 3) < 1e-12 and frequency.number_format == "#,##0.00"
    assert conversions.value == 2.47
    yen = sheet[3]
    assert yen[2].value == -1500 and yen[2].number_format == '"¥"#,##0;-"¥"#,##0'
    assert yen[3].value is None
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_the_header_is_bold_and_frozen_with_an_autofilter_and_fitted_widths():
    sheet = _book(workbooks.workbook([_table()]))["sample"]
    assert [c.value for c in sheet[1]] == [
        "Name", "Reach", "Spend", "ROI (%)", "Frequency", "Conversions"
    ]  # fmt: skip
    assert all(c.font.b for c in sheet[1]) and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["A"] == len('\'=HYPERLINK("http://evil","x")') + 2  # the longest text
    assert widths["B"] >= len("1,234,567") and widths["D"] >= len("ROI (%)")
    assert all(w <= workbooks.MAX_WIDTH for w in widths.values())


def test_the_about_sheet_names_company_period_filters_definitions_and_time():
    made = datetime(2027, 5, 2, 9, 30, tzinfo=UTC)
    about = workbooks.About(
        "=Acme", "2027-03-01 to 2027-04-30", [("Channel", "Email")], made_at=made
    )
    rows = list(_book(workbooks.workbook([_table()], about))["About"].values)
    facts = {label: value for label, value in rows if label}
    assert facts["Company"] == "'=Acme"  # formula-safe text
    assert facts["Period"] == "2027-03-01 to 2027-04-30"
    assert facts["Filter: Channel"] == "Email"
    assert facts["Made at"] == "2027-05-02 09:30 UTC"
    assert "Definitions" in facts and "Spend" in facts and "Ratios" in facts


def test_csv_stays_plain_text():
    text = to_csv(_table()).decode("utf-8-sig")
    assert text.splitlines()[1] == (
        '"\'=HYPERLINK(""http://evil"",""x"")",1234567,1234.56,'
        "33.33333333333333333333333333,2.333333333333333333333333333,2.47"
    )


def test_a_dashboard_table_export_has_about_first(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    response = client.get("/reports/headline.xlsx" + PERIOD + "&channel=email")
    assert response.status_code == 200
    book = _book(response.data)
    assert book.sheetnames[0] == "About" and len(book.sheetnames) == 2
    facts = {row[0]: row[1] for row in book["About"].values if row[0]}
    assert facts["Period"] == "2027-03-01 to 2027-04-30"
    assert facts["Filter: Channel"] == "Email"
    assert facts["Filter: Partner"] == "All partners"
    assert facts["Company"] == seeded.a.name
    sheet = book.active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    formats = {c.number_format for row in sheet.iter_rows(min_row=2) for c in row}
    assert {'"€"#,##0.00;-"€"#,##0.00', "#,##0", "0.00%"} <= formats


def test_download_all_gives_one_workbook_with_a_sheet_per_table(
    app,
    client,
    login_as,
    seeded,  # noqa: F811
):
    login_as(seeded.a.email("analyst"))
    page = client.get("/reports" + PERIOD).get_data(as_text=True)
    assert 'data-testid="export-all-xlsx"' in page
    assert "/reports/all.xlsx?preset=custom&amp;start=2027-03-01" in page
    response = client.get("/reports/all.xlsx" + PERIOD)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="comarketing-reach-and-roi-2027-03-01-2027-04-30.xlsx"'
    )
    book = _book(response.data)
    assert book.sheetnames == [
        "About", "Joint vs solo", "By channel", "By partner", "By month", "Deduplicated reach"
    ]  # fmt: skip
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref, name
        assert all(c.font.b for c in sheet[1]), name
    formats = {c.number_format for row in book["Joint vs solo"].iter_rows(min_row=2) for c in row}
    assert {'"€"#,##0.00;-"€"#,##0.00', '"$"#,##0.00;-"$"#,##0.00'} <= formats
    # Each sheet is the same as the table's own export.
    single = _book(client.get("/reports/channel.xlsx" + PERIOD).data).active
    assert list(book["By channel"].values) == list(single.values)
    assert seeded.canary not in str([list(book[n].values) for n in book.sheetnames])


def test_download_all_with_a_bad_period_is_refused_and_changes_nothing(
    app,
    client,
    login_as,
    seeded,  # noqa: F811
):
    login_as(seeded.a.email("analyst"))
    with app.app_context():
        before = db.session.execute(sa.text("select count(*) from audit_events")).scalar()
    response = client.get("/reports/all.xlsx?preset=custom&start=2027-05-01&end=2027-04-01")
    assert response.status_code == 422
    assert "The last day is before the first" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.text("select count(*) from audit_events")).scalar() == before


def test_the_print_stylesheet_is_served_and_linked(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    html = client.get("/reports" + PERIOD).get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in html
    css = client.get("/static/css/print.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    css.close()
    assert "nav.navbar" in text and "form" in text and "display: none" in text
    assert "canvas" in text and "canvas { display: none" not in text

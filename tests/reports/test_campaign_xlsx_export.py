"""The campaign report's "Download all" workbook and its About sheet (issue 16)."""

from __future__ import annotations

import io

import openpyxl

from comarketing.reports import campaign_tables
from tests.reports.test_campaign_report import PM, seeded  # noqa: F401 - fixture


def test_download_all_gives_the_campaign_report_as_one_workbook(client, login_as, world, seeded):  # noqa: F811
    login_as(world.a.email(PM))
    page = client.get(f"/campaigns/{seeded.campaign}/report").get_data(as_text=True)
    assert f'href="/campaigns/{seeded.campaign}/report/all.xlsx"' in page
    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in page
    response = client.get(f"/campaigns/{seeded.campaign}/report/all.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="comarketing-campaign-{seeded.campaign}-'
    )
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    titles = [campaign_tables.TABLES[key] for key in campaign_tables.BUILDERS]
    assert book.sheetnames[0] == "About"
    assert len(book.sheetnames) == len(titles) + 1
    assert [t[:31] for t in titles][:3] == book.sheetnames[1:4]
    facts = {row[0]: row[1] for row in book["About"].values if row[0]}
    assert facts["Company"] == world.a.name
    assert facts["Period"] == "2027-03-01 to 2027-03-10"
    assert facts["Filter: Campaign"] and facts["Made at"].endswith("UTC")
    pacing = book["Goal pacing"]
    assert pacing.freeze_panes == "A2" and pacing.auto_filter.ref.startswith("A1:")
    reach = next(
        row for row in pacing.iter_rows(min_row=2) if row[0].value == "Reach (daily reach, summed)"
    )
    assert reach[2].value == 1000 and reach[2].number_format == "#,##0"
    # A placement without reach keeps its reason as text, not a number or an empty cell.
    ranking = book[campaign_tables.TABLES["reach-cost"][:31]]
    banner = next(row for row in ranking.values if row[1] == "Alpha banner")
    header = next(ranking.values)
    cost = banner[header.index("Cost per 1,000 of daily reach, summed")]
    assert isinstance(cost, str) and "reach" in cost, banner


def test_another_companys_campaign_workbook_is_not_found(client, login_as, world, seeded):  # noqa: F811
    login_as(world.b.email(PM))
    response = client.get(f"/campaigns/{seeded.campaign}/report/all.xlsx")
    assert response.status_code == 404
    assert b"PK" not in response.data[:2]

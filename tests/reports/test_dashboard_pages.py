"""The dashboard page, its filters and its exports, through the test client."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from comarketing.extensions import db
from tests import campaign_helpers as ch
from tests.api.conftest import api_as, make_token  # noqa: F401 - fixtures
from tests.reports.test_dashboard_figures import PM, _results, seeded  # noqa: F401 - fixture

PERIOD = "?preset=custom&start=2027-03-01&end=2027-04-30"


def test_the_dashboard_shows_joint_and_solo_side_by_side(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    page = client.get("/reports" + PERIOD)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:3000]
    assert 'data-testid="comparison-EUR"' in html and 'data-testid="comparison-USD"' in html
    assert "Money is never added across currencies" in html
    assert "Per euro of your own spend joint campaigns reached" in html
    assert seeded.canary not in html
    for key in ("headline", "channel", "partner", "month"):
        assert f'data-testid="table-{key}"' in html


def test_missing_solo_data_is_said_not_divided(app, client, login_as, world):
    with app.app_context():
        joint = ch.joint_campaign(world)
        _results(world.a.email(PM), joint.a_placement, 1)
        db.session.remove()
    login_as(world.a.email(PM))
    html = client.get("/reports" + PERIOD).get_data(as_text=True)
    assert "no solo campaign has results or spend in this period" in html.lower()
    assert "The reach multipliers need both joint and solo" in html


def test_a_bad_custom_period_is_explained(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    response = client.get("/reports?preset=custom&start=2027-05-01&end=2027-04-01")
    assert response.status_code == 422
    assert "The last day is before the first" in response.get_data(as_text=True)


@pytest.mark.parametrize("key", ["headline", "channel", "partner", "month"])
def test_every_table_exports_to_csv_and_xlsx(client, login_as, seeded, key):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    csv = client.get(f"/reports/{key}.csv" + PERIOD)
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    disposition = csv.headers["Content-Disposition"]
    assert (
        disposition.startswith('attachment; filename="comarketing-') and "2027-03-01" in disposition
    )
    assert seeded.canary not in csv.get_data(as_text=True)
    xlsx = client.get(f"/reports/{key}.xlsx" + PERIOD)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) >= 2
    numbers = [cell for row in rows[1:] for cell in row if isinstance(cell, (int, float))]
    assert numbers, "numbers must stay numbers in the workbook"


def test_partner_names_that_look_like_formulas_are_neutralised(app, client, login_as, world):
    from comarketing.accounts.models import Organization

    with app.app_context():
        db.session.get(Organization, world.b.id).name = '=HYPERLINK("http://evil","x")'
        db.session.commit()
        joint = ch.joint_campaign(world)
        _results(world.a.email(PM), joint.a_placement, 1)
        ch.spend(
            world.a.email(PM), joint.id, joint.a_placement, 10_000, occurred_on=date(2027, 3, 3)
        )
        db.session.remove()
    login_as(world.a.email(PM))
    csv = client.get("/reports/partner.csv" + PERIOD).get_data(as_text=True)
    assert "'=HYPERLINK" in csv and ",=HYPERLINK" not in csv
    xlsx = client.get("/reports/partner.xlsx" + PERIOD).data
    cells = [
        c
        for row in openpyxl.load_workbook(io.BytesIO(xlsx)).active.iter_rows(values_only=True)
        for c in row
    ]
    assert '\'=HYPERLINK("http://evil","x")' in cells


def test_the_dashboard_runs_the_same_queries_for_two_campaigns_or_twenty(
    app, client, login_as, world, query_counter
):
    counts = []
    for n in (2, 20):
        with app.app_context():
            for i in range(n):
                campaign = ch.solo_campaign(world.a.email(PM), f"Solo {n}-{i}")
                placement = ch.add_placement(world.a.email(PM), campaign, world.a.id)
                _results(world.a.email(PM), placement, i, date(2027, 3, 1), date(2027, 3, 5))
            db.session.remove()
        login_as(world.a.email(PM))
        with query_counter() as statements:
            assert client.get("/reports" + PERIOD).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[0] <= 13, counts


def test_the_api_gives_the_same_figures_as_the_page(app, seeded, api_as):  # noqa: F811
    from comarketing.reports import services
    from tests.offer_helpers import actor

    reader = api_as(seeded.a.email("analyst"))
    response = reader.get("/api/v1/reports/dashboard" + PERIOD)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    with app.app_context():
        board = services.dashboard(
            actor(seeded.a.email("analyst")),
            services.Period(date(2027, 3, 1), date(2027, 4, 30)),
        )
    eur = next(c for c in body["currencies"] if c["currency"] == "EUR")
    expected = next(c for c in board.comparisons if c.currency == "EUR")
    assert eur["joint"]["spend"]["minor"] == expected.joint.spend_minor
    assert eur["solo"]["reach"] == expected.solo.reach
    multiplier = expected.reach_multiplier
    assert eur["reach_multiplier"] == f"{float(multiplier):.4f}"
    assert [c["currency"] for c in body["currencies"]] == ["EUR", "USD"]
    assert seeded.canary not in response.get_data(as_text=True)
    bad = reader.get("/api/v1/reports/dashboard?preset=custom&start=2027-05-01&end=2027-04-01")
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "end"


@pytest.mark.pg_only
def test_postgresql_sessions_run_without_jit(app):
    # JIT compiling made the dashboard's aggregates slower than running them (bench/reports.py).
    with app.app_context():
        assert db.session.scalar(sa.text("SHOW jit")) == "off"
        db.session.remove()

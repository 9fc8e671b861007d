"""The campaign report counts only what was reported (issue 15): a placement's cost per 1,000
reached uses only the months that reported reach on every day, with the share of spend that
is; goal pacing says which placements did not report a figure, and a figure nobody reported is
"not reported" (page, API, files), never 0."""

from __future__ import annotations

import csv
import io
from datetime import date
from fractions import Fraction

import pytest
from freezegun import freeze_time

from comarketing.api import services as api_tokens
from comarketing.budgets import spend as spend_rules
from comarketing.extensions import db
from comarketing.metrics import entry
from comarketing.reports import campaign_charts, campaign_service, campaign_tables
from comarketing.reports.people import DAILY_LABEL
from tests import campaign_helpers as ch
from tests.offer_helpers import actor

PM = "partner_manager"
START, END = date(2027, 3, 20), date(2027, 4, 10)
TODAY = date(2027, 4, 3)


def _day(day: date, reach: int | None, leads: int | None, revenue: str = "") -> dict:
    return {
        "day": day.isoformat(),
        "impressions": str(3 * (reach or 100)),
        "reach": "" if reach is None else str(reach),
        "clicks": "10",
        "leads": "" if leads is None else str(leads),
        "conversions": "1.25",
        "revenue": revenue,
        "cost": "",
    }


def _days(first: int, last: int, month: int, reach: int | None, leads: int | None) -> list[dict]:
    return [_day(date(2027, month, d), reach, leads) for d in range(first, last + 1)]


@pytest.fixture
def seeded(app, world):
    pm = world.a.email(PM)
    with app.app_context():
        campaign = ch.solo_campaign(
            pm,
            "Coverage",
            start=START,
            end=END,
            target_reach=10_000,
            target_leads=50,
            target_revenue_minor=100_000,
        )
        mail = ch.add_placement(pm, campaign, world.a.id, name="Mail")
        social = ch.add_placement(pm, campaign, world.a.id, channel="social", name="Social")
        banner = ch.add_placement(pm, campaign, world.a.id, channel="display", name="Banner")
        entry.upsert_days(actor(pm), mail, _days(20, 31, 3, 100, 2) + _days(1, 5, 4, 100, 2))
        # Social reports reach in March only, and never leads.
        entry.upsert_days(
            actor(pm), social, _days(20, 31, 3, 400, None) + _days(1, 5, 4, None, None)
        )
        ch.commit(pm, campaign, 100_000, occurred_on=START)
        ch.spend(pm, campaign, mail, 3_000, occurred_on=START, service=(START, date(2027, 4, 5)))
        ch.spend(
            pm,
            campaign,
            social,
            2_001,
            occurred_on=date(2027, 3, 25),
            service=(date(2027, 3, 25), date(2027, 4, 4)),
        )
        ch.spend(pm, campaign, banner, 500, occurred_on=START, service=(START, START))
        db.session.remove()
    return {"campaign": campaign, "mail": mail, "social": social, "banner": banner}


def test_a_placement_ratio_uses_only_the_months_that_reported_both_parts(app, world, seeded):
    with app.app_context():
        report = campaign_service.campaign_report(
            actor(world.a.email("analyst")), seeded["campaign"], today=TODAY
        )
    by_name = {p.name: p for p in report.placements}
    social = by_name["Social"]
    march = spend_rules.portion(
        2_001, date(2027, 3, 25), date(2027, 4, 4), date(2027, 3, 1), date(2027, 3, 31)
    )
    assert social.reach == 12 * 400  # what was reported
    assert social.cost_per_thousand_reached_minor == Fraction(march * 1000, 12 * 400)
    cover = social.coverage["cost_per_thousand_reached_minor"]
    assert (cover.covered_a, cover.total_a) == (march, 2_001)
    assert social.coverage_text("cost_per_thousand_reached_minor") == (
        f"reach reported for {int(Fraction(march, 2_001) * 100)} % of spend"
    )
    assert social.leads is None and social.cpl_minor is None
    mail = by_name["Mail"]
    assert mail.cost_per_thousand_reached_minor == Fraction(3_000 * 1000, 17 * 100)
    assert mail.coverage_text("cost_per_thousand_reached_minor") is None
    banner = by_name["Banner"]
    assert banner.reach is None and banner.cost_per_thousand_reached_minor is None
    reasons = {r.placement.name: r.unranked_reason for r in report.by_cpl}
    assert reasons["Social"] == "no leads reported"
    assert reasons["Banner"] == "no leads reported"
    assert reasons["Mail"] is None


def test_pacing_says_who_did_not_report_and_never_counts_missing_as_zero(
    app, world, seeded, client, login_as
):
    with app.app_context():
        report = campaign_service.campaign_report(
            actor(world.a.email("analyst")), seeded["campaign"], today=TODAY
        )
    reach, leads, revenue = report.goals
    # Up to 3 April: mail 12 + 3 days of 100, social 12 March days of 400.
    assert reach.to_date == 15 * 100 + 12 * 400
    assert reach.reporting.note == "not reported for 1 of 2 placements"
    assert leads.to_date == 15 * 2 and leads.reporting.note == "not reported for 1 of 2 placements"
    assert revenue.reported_to_date is None and revenue.reporting.note == "not reported"
    assert revenue.status == "Not reported" and revenue.projected is None
    with freeze_time(TODAY.isoformat() + " 12:00:00"):
        login_as(world.a.email("analyst"))
        with app.app_context():
            _, token = api_tokens.create_token(
                actor(world.a.email("analyst")), name="coverage", scope="read", days=30
            )
            db.session.remove()
        html = client.get(f"/campaigns/{seeded['campaign']}/report").get_data(as_text=True)
        api = client.get(
            f"/api/v1/reports/campaigns/{seeded['campaign']}",
            headers={"Authorization": f"Bearer {token}"},
        ).get_json()
        body = client.get(f"/campaigns/{seeded['campaign']}/report/reach-cost.csv").get_data(
            as_text=True
        )
    assert "not reported for 1 of 2 placements" in html
    assert "reach reported for " in html  # beside the social cost per 1,000 reached
    rows = {r["Placement"]: r for r in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))}
    assert rows["Banner"][DAILY_LABEL] == "not reported"
    assert rows["Social"]["Coverage notes"].startswith("reach reported for ")
    assert Fraction(rows["Social"]["Cost per 1,000 of daily reach, summed: coverage (%)"]) < 100
    assert api["goals"]["revenue"]["to_date"] is None
    assert api["goals"]["revenue"]["status"] == "Not reported"
    assert api["goals"]["reach"]["reported_by"] == "not reported for 1 of 2 placements"
    social = next(
        p for p in api["placements_by_cost_per_thousand_reached"] if p["name"] == "Social"
    )
    assert social["coverage"]["cost_per_thousand_reached"]["text"].startswith("reach reported")
    assert social["leads"] is None
    # The trend: a day or week nobody reported revenue or cost in is null, never 0.
    assert {d["revenue"] for d in api["daily"]} == {None}
    assert {w["cost"] for w in api["weekly"]} == {None}
    assert {w["cost_difference"] for w in api["weekly"]} == {None}
    assert api["daily"][0]["reach"] == 100 + 400


def test_the_trend_tables_and_charts_say_not_reported(app, world, seeded):
    with app.app_context():
        report = campaign_service.campaign_report(
            actor(world.a.email("analyst")), seeded["campaign"], today=TODAY
        )
        tables = campaign_tables.all_tables(report)
        data = campaign_charts.chart_data(report)
    daily = tables["daily"]
    revenue = next(c for c in daily.columns if c.key == "revenue_minor")
    assert {daily.value(row, revenue) for row in daily.rows} == {"not reported"}
    weekly = tables["weekly"]
    difference = next(c for c in weekly.columns if c.key == "difference_minor")
    assert {weekly.value(row, difference) for row in weekly.rows} == {"not reported"}
    assert set(data["daily"]["revenue_minor"]) == {None}
    april = data["daily"]["labels"].index("2027-04-02")
    assert data["daily"]["reach"][april] == 100  # social did not report reach that day

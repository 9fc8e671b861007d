"""GET /api/v1/reports/campaigns/<id>: the campaign report's figures as JSON, the same as the
page's, with money in the API's shape, ratios as 4-decimal strings or null, and tenancy."""

from __future__ import annotations

from datetime import date

from comarketing.extensions import db
from comarketing.reports import campaign_service
from tests import campaign_helpers as ch
from tests.api.conftest import error_of
from tests.offer_helpers import actor
from tests.reports.test_campaign_report import PM, Seeded, seeded  # noqa: F401 - fixture


def test_the_api_gives_the_figures_of_the_report(app, world, seeded: Seeded, api_as):  # noqa: F811
    response = api_as(world.a.email("analyst")).get(f"/api/v1/reports/campaigns/{seeded.campaign}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    with app.app_context():
        expected = campaign_service.campaign_report(
            actor(world.a.email("analyst")), seeded.campaign
        )
        db.session.remove()

    assert body["campaign"]["name"] == "Pacing test" and body["campaign"]["currency"] == "EUR"
    assert body["timeline"]["campaign_days"] == 10
    assert body["timeline"]["as_of"] == expected.timeline.as_of.isoformat()
    reach, leads, revenue = expected.goals
    assert body["goals"]["reach"]["target"] == 1_000
    assert body["goals"]["reach"]["to_date"] == reach.to_date
    assert body["goals"]["reach"]["projected"] == reach.projected_rounded
    assert body["goals"]["reach"]["status"] == reach.status
    assert body["goals"]["leads"]["target"] == 50
    assert body["goals"]["leads"]["share_of_goal"] == (
        None if leads.share is None else f"{float(leads.share):.4f}"
    )
    assert body["goals"]["revenue"]["target"] is None
    assert body["goals"]["revenue"]["share_of_goal"] is None
    assert body["goals"]["revenue"]["status"] == "No goal"
    assert body["goals"]["revenue"]["to_date"]["minor"] == revenue.to_date

    # Independent of the day the test runs: every recorded day, ranking and ledger figure.
    assert [d["day"] for d in body["daily"]] == [f"2027-03-0{d}" for d in (1, 2, 3, 5, 8)]
    assert body["daily"][0]["revenue"] == {"amount": "10.00", "currency": "EUR", "minor": 1000}
    assert [(w["week_start"], w["days"], w["reach"]) for w in body["weekly"]] == [
        ("2027-03-01", 4, 900),
        ("2027-03-08", 1, 10),
    ]
    assert [w["spend"]["minor"] for w in body["weekly"]] == [5_500, 0]
    assert all(
        w["cost_difference"]["minor"] == w["cost"]["minor"] - w["spend"]["minor"]
        for w in body["weekly"]
    )
    by_reach = body["placements_by_cost_per_thousand_reached"]
    ranking = [
        (p["rank"], p["name"], p["cost_per_thousand_reached"], p["unranked"]) for p in by_reach
    ]
    assert ranking == [
        (1, "Alpha social", "33.3333", None),
        (2, "Alpha mail", "96.7742", None),
        (None, "Alpha banner", None, "no reach reported"),
    ]
    assert [(p["rank"], p["name"], p["cpl"], p["unranked"]) for p in body["placements_by_cpl"]] == [
        (1, "Alpha mail", "3.0000", None),
        (2, "Alpha social", "4.0000", None),
        (None, "Alpha banner", None, "no leads reported"),
    ]
    assert by_reach[0]["spend"] == {"amount": "20.00", "currency": "EUR", "minor": 2000}
    assert by_reach[0]["owner"] == {"id": world.a.id, "name": world.a.name}
    assert len(body["burn_down"]) == len(expected.burn)
    assert body["burn_down"][0]["committed"]["minor"] == 10_000
    assert body["burn_down"][-1]["spent_to_date"]["minor"] == 5_500
    settlement = body["settlement"]
    assert settlement["total_spent"]["minor"] == 5_500 and settlement["transfers"] == []
    assert settlement["positions"][0]["budget_share_bp"] == 10_000


def test_a_joint_campaigns_settlement_names_who_pays_whom(app, world, api_as):
    with app.app_context():
        joint = ch.joint_campaign(world)
        claimed = ch.spend(
            world.a.email(PM), joint.id, joint.a_placement, 30_000, occurred_on=ch.START
        )
        # Settlement counts confirmed claims only (issue 14): B confirms A's.
        ch.confirm_entry(world.b.email("approver"), joint.id, claimed.id)
        db.session.remove()
    body = api_as(world.b.email("analyst")).get(f"/api/v1/reports/campaigns/{joint.id}").get_json()
    assert body["settlement"]["transfers"] == [
        {
            "from_organization": {"id": world.b.id, "name": world.b.name},
            "to_organization": {"id": world.a.id, "name": world.a.name},
            "amount": {"amount": "120.00", "currency": "EUR", "minor": 12_000},
        }
    ]
    assert body["goals"]["reach"]["target"] == 50_000


def test_another_companys_campaign_answers_404_like_a_missing_one(
    app, world, api_as, client, login_as
):
    with app.app_context():
        gamma = ch.solo_campaign(world.c.email(PM), f"Gamma {world.canary}")
        alpha = ch.solo_campaign(world.a.email(PM), "Alpha alone", start=date(2027, 3, 1))
        db.session.remove()
    reader = api_as(world.a.email("analyst"))
    for campaign_id in (gamma, 2_000_000_000):
        response = reader.get(f"/api/v1/reports/campaigns/{campaign_id}")
        assert response.status_code == 404
        assert error_of(response)["status"] == 404
        assert world.canary not in response.get_data(as_text=True)
    assert (
        api_as(world.b.email("admin")).get(f"/api/v1/reports/campaigns/{alpha}").status_code == 404
    )
    assert reader.get(f"/api/v1/reports/campaigns/{alpha}").status_code == 200
    # A signed-in browser session is no API credential.
    login_as(world.a.email("analyst"))
    assert client.get(f"/campaigns/{alpha}/report").status_code == 200
    assert client.get(f"/api/v1/reports/campaigns/{alpha}").status_code == 401

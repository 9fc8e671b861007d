"""The dashboard's charts link to the campaigns behind each bar and point (issue 18): the chart
data names them per point, and the list under each chart links them for keyboard users."""

from __future__ import annotations

import json
import re

import pandas as pd
import sqlalchemy as sa

from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from comarketing.reports import chart_links
from tests.reports.test_dashboard_figures import THREE, seeded  # noqa: F401 - fixture

PERIOD = "?preset=custom&start=2027-03-01&end=2027-04-30"


def campaign_ids(app) -> dict[str, int]:
    with app.app_context():
        return {
            name: cid for name, cid in db.session.execute(sa.select(Campaign.name, Campaign.id))
        }


def point(series: dict, label: str, kind: str | None = None) -> list[int]:
    at = series["labels"].index(label)
    behind = series["campaigns"][kind] if kind else series["campaigns"]
    return behind[at]["ids"]


def test_each_bar_and_point_names_the_campaigns_behind_it(app, client, login_as, seeded):  # noqa: F811
    ids = campaign_ids(app)
    joint, three = ids["Spring baking week"], ids[THREE]
    login_as(seeded.a.email("analyst"))
    html = client.get("/reports" + PERIOD).get_data(as_text=True)
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', html, re.S).group(1))
    eur, usd = (
        next(c for c in data["currencies"] if c["currency"] == code) for code in ("EUR", "USD")
    )

    assert point(eur["channels"], "event", "joint") == [joint]  # the fair
    assert point(eur["channels"], "email", "solo") == [ids["Alpha solo"]]
    assert point(eur["channels"], "email", "joint") == [joint]
    assert point(usd["channels"], "search", "solo") == [ids["Alpha US"]]
    assert point(eur["months"], "2027-03", "joint") == sorted([joint, three])
    assert point(eur["partners"], "Beta Shortening") == sorted([joint, three])
    assert point(eur["partners"], "Delta Sugar") == [three]
    # Every campaign named is one of A's, with its report's address; C's private one is not.
    named = {int(cid): entry for cid, entry in data["campaigns"].items()}
    assert set(named) == {joint, three, ids["Alpha solo"], ids["Alpha US"]}
    for cid, entry in named.items():
        assert entry["url"] == f"/campaigns/{cid}/report"
        assert f'href="/campaigns/{cid}/report"' in html  # listed under a chart, no script needed
    assert seeded.canary not in html


def test_a_point_lists_at_most_a_dozen_campaigns_and_says_how_many_more():
    cells = pd.DataFrame(
        {
            "campaign_id": list(range(1, 16)),
            "kind": ["solo"] * 15,
            "channel": ["email"] * 15,
            "month": ["2027-03"] * 15,
            "currency": ["EUR"] * 15,
        }
    )
    chart = {
        "currencies": [
            {
                "currency": "EUR",
                "channels": {"labels": ["email"]},
                "months": {"labels": ["2027-03"]},
                "partners": {"labels": [], "partner_ids": []},
            }
        ]
    }
    campaigns = pd.DataFrame(
        {"campaign_id": list(range(1, 16)), "name": [f"C{n}" for n in range(1, 16)]}
    )

    out = chart_links.with_campaigns(chart, cells, campaigns, pd.DataFrame(), lambda c: f"/c/{c}")

    email = out["currencies"][0]["channels"]["campaigns"]
    assert email["solo"] == [{"ids": list(range(1, 13)), "total": 15}]
    assert email["joint"] == [{"ids": [], "total": 0}]
    assert out["campaigns"]["12"] == {"name": "C12", "url": "/c/12"}
    assert "13" not in out["campaigns"]

"""GET /api/v1/partners/<organization_id>/statement: the partner statement's figures as JSON,
the same as the page's, with money in the API's shape; a non-partner answers the same 404 as a
missing company."""

from __future__ import annotations

from comarketing.budgets import statement
from comarketing.extensions import db
from tests.api.conftest import error_of
from tests.offer_helpers import actor
from tests.reports.test_partner_statement import busy_campaign


def test_the_api_gives_the_statement(app, world, api_as):
    with app.app_context():
        campaign = busy_campaign(world)
        expected = statement.partner_statement(actor(world.a.email("analyst")), world.b.id)
        db.session.remove()
    response = api_as(world.a.email("analyst")).get(f"/api/v1/partners/{world.b.id}/statement")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["partner"] == {"id": world.b.id, "name": "Beta Shortening"}
    assert body["square"] is False
    [total] = body["totals"]
    assert total["net"] == {"amount": "20.00", "currency": "EUR", "minor": 2_000}
    assert total["summary"] == "Beta Shortening owes you €20.00"
    [line] = body["campaigns"]
    assert line["campaign_id"] == campaign.id and line["parties"] == 2
    mine, theirs = expected.lines[0].mine, expected.lines[0].theirs
    assert line["mine"]["committed"]["minor"] == mine.committed_minor == 60_000
    assert line["mine"]["disputed"]["minor"] == mine.disputed_minor
    assert line["theirs"]["pending"]["minor"] == theirs.pending_minor == 5_000
    assert line["theirs"]["paid"]["minor"] == theirs.paid_minor == 10_000
    assert line["transfers"] == [
        {
            "from_organization_id": world.b.id,
            "to_organization_id": world.a.id,
            "amount": {"amount": "20.00", "currency": "EUR", "minor": 2_000},
        }
    ]


def test_a_non_partner_is_a_404_like_a_missing_company(app, world, api_as):
    client = api_as(world.a.email("admin"))
    other = client.get(f"/api/v1/partners/{world.c.id}/statement")
    missing = client.get("/api/v1/partners/10000000/statement")
    assert other.status_code == missing.status_code == 404
    assert error_of(other) == error_of(missing)
    assert world.canary not in other.get_data(as_text=True)
    assert client.get("/api/v1/partners/0/statement").status_code in (404, 422)

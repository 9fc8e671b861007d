import re
from tests.conftest import login


def test_pages(app, world):
    c = app.test_client()
    login(c, world.a.email("partner_manager"))
    r = c.get("/offers/new"); assert r.status_code == 200, r.data
    r = c.post("/offers/new", data={"partners": [str(world.b.id)]}); assert r.status_code == 302, r.data
    loc = r.headers["Location"]; print(loc)
    r = c.get(loc); assert r.status_code == 200
    html = r.get_data(as_text=True)
    data = {"title": "Cookie season", "start_date": "2027-01-01", "end_date": "2027-02-01",
            "currency": "EUR", "total_budget": "10,000.00",
            "parties-0-organization_id": str(world.a.id), "parties-0-budget_share": "60", "parties-0-revenue_share": "50",
            "parties-1-organization_id": str(world.b.id), "parties-1-budget_share": "40", "parties-1-revenue_share": "50",
            "parties-0-products": [str(world.a.product_ids[0])],
            "placements-0-channel": "email", "placements-0-owner": str(world.a.id), "placements-0-name": "News", "placements-0-planned_cost": "1000"}
    bad = dict(data, **{"parties-1-budget_share": "30"})
    r = c.post(loc, data=bad); assert r.status_code == 200
    assert 'data-field-error="budget_shares"' in r.get_data(as_text=True)
    r = c.post(loc, data=dict(data, total_budget="10.005")); assert 'data-field-error="total_budget"' in r.get_data(as_text=True)
    r = c.post(loc, data=data); assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    detail = r.headers["Location"]
    r = c.get(detail); assert r.status_code == 200
    offer_id = int(detail.rsplit("/", 1)[1])
    r = c.get(f"/offers/{offer_id}/edit"); assert r.status_code == 200
    r = c.post(f"/offers/{offer_id}/send"); assert r.status_code == 302
    c2 = app.test_client(); login(c2, world.b.email("approver"))
    assert c2.get("/dashboard").status_code == 200
    assert "Cookie season" in c2.get("/offers/inbox").get_data(as_text=True)
    r = c2.post(f"/offers/{offer_id}/decide", data={"revision_number": "1", "decision": "changes_requested"})
    assert r.status_code == 422 and 'data-field-error="comment"' in r.get_data(as_text=True)
    r = c2.post(f"/offers/{offer_id}/decide", data={"revision_number": "1", "decision": "approved"})
    assert r.status_code == 302
    r = c2.get(f"/offers/{offer_id}"); assert "approved" in r.get_data(as_text=True)
    assert "Open the joint campaign" in r.get_data(as_text=True)
    camp = re.search(r'/campaigns/(\d+)', r.get_data(as_text=True)).group(1)
    assert c2.get(f"/campaigns/{camp}").status_code == 200
    assert c.get("/campaigns").status_code == 200
    assert c.get("/notifications").status_code == 200
    assert c.get("/settings/notifications").status_code == 200
    c3 = app.test_client(); login(c3, world.c.email("admin"))
    assert c3.get(f"/offers/{offer_id}").status_code == 404
    assert c3.get(f"/campaigns/{camp}").status_code == 404
    assert c3.get("/settings/organization").status_code == 200

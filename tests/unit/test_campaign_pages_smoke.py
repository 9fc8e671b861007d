import re

from tests.conftest import login


def test_campaign_flow(app, world):
    c = app.test_client()
    login(c, world.a.email("partner_manager"))
    r = c.post("/campaigns/new", data={"name": "Solo spring", "start_date": "2027-03-01", "end_date": "2027-03-31", "currency": "EUR", "total_budget": "5000"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    cid = int(r.headers["Location"].rsplit("/", 1)[1])
    r = c.get(f"/campaigns/{cid}"); assert r.status_code == 200, r.get_data(as_text=True)[-3000:]
    r = c.post(f"/campaigns/{cid}/placements/new", data={"channel": "email", "owner_organization_id": str(world.a.id), "name": "Newsletter", "planned_cost": "1000"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    r = c.post(f"/campaigns/{cid}/commitments", data={"organization_id": str(world.a.id), "amount": "1,000.00"})
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    html = c.get(f"/campaigns/{cid}").get_data(as_text=True)
    pid = re.search(r'<option value="(\d+)">Newsletter', html).group(1)
    r = c.post(f"/campaigns/{cid}/expenses", data={"organization_id": str(world.a.id), "placement_id": pid, "amount": "900"})
    assert r.status_code == 302
    r = c.post(f"/campaigns/{cid}/expenses", data={"organization_id": str(world.a.id), "placement_id": pid, "amount": "200"})
    assert r.status_code == 422 and 'data-field-error="amount"' in r.get_data(as_text=True)
    r = c.post(f"/campaigns/{cid}/expenses", data={"organization_id": str(world.a.id), "placement_id": pid, "amount": "10.005"})
    assert r.status_code == 422
    r = c.post(f"/campaigns/{cid}/milestones", data={"kind": "launch", "owner_organization_id": str(world.a.id), "due_on": "2020-01-01"})
    assert r.status_code == 302
    html = c.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "milestone-overdue" in html and "€900.00" in html
    eid = re.search(r'/entries/(\d+)/reverse', html).group(1)
    r = c.post(f"/campaigns/{cid}/entries/{eid}/reverse", data={"reason": "wrong"}); assert r.status_code in (302, 422)
    assert c.get("/campaigns?kind=solo").status_code == 200
    assert c.get("/calendar?month=2027-03").status_code == 200
    r = c.post("/calendar/feed"); assert r.status_code == 200
    url = re.search(r'value="(http[^"]+\.ics)"', r.get_data(as_text=True)).group(1)
    r = c.get(url.replace("http://localhost", "")); assert r.status_code == 200 and b"BEGIN:VCALENDAR" in r.data and b"Solo spring" in r.data
    c2 = app.test_client(); login(c2, world.b.email("admin"))
    assert c2.get(f"/campaigns/{cid}").status_code == 404

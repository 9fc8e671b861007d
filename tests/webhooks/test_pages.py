"""The webhook pages (company admins): register an endpoint and see its secret once, rotate it,
send a test event, read the delivery log, redeliver, disable, delete; others get 403/404."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from comarketing.events import TYPES
from comarketing.extensions import db
from comarketing.jobs import runner
from comarketing.webhooks.models import WebhookEndpoint
from tests import factories
from tests.campaign_helpers import solo_campaign
from tests.webhooks.conftest import register
from tests.webhooks.receiver import Receiver, Reply

SECRET = re.compile(r'value="(whsec_[^"]+)" aria-label="Signing secret"')


def _endpoint_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(WebhookEndpoint.id)))


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(
    app: Flask, client: FlaskClient, login_as, world: factories.World, receiver: Receiver
) -> None:
    login_as(world.a.email("admin"))
    page = client.get("/settings/webhooks")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/settings/webhooks"' in html  # in the user menu
    assert all(name in html for name in TYPES)

    response = client.post(
        "/settings/webhooks",
        data={"url": receiver.url, "description": "CRM", "event_types": ["campaign.created"]},
    )
    assert response.status_code == 200
    [secret] = SECRET.findall(response.get_data(as_text=True))
    [endpoint_id] = _endpoint_ids(app)
    detail = client.get(f"/settings/webhooks/{endpoint_id}").get_data(as_text=True)
    assert secret not in detail and secret[:10] in detail  # a hint, never the secret again

    with app.app_context():
        # Made outside a request: its delivery waits for a worker (here, a drain).
        solo_campaign(world.a.email("partner_manager"), "Seen by the CRM")
        runner.drain()
    assert receiver.received[0].verify(secret)["data"]["name"] == "Seen by the CRM"
    log = client.get(f"/settings/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "campaign.created" in log and 'data-outcome="delivered"' in log


def test_bad_input_is_shown_next_to_its_field(
    app: Flask, client: FlaskClient, login_as, world: factories.World
) -> None:
    login_as(world.a.email("admin"))
    app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = False
    for data, field in (
        ({"url": "http://127.0.0.1/hook", "event_types": ["offer.sent"]}, "url"),
        ({"url": "https://hooks.example/x"}, "event_types"),
        ({"url": "https://hooks.example/x", "event_types": ["no.such"]}, "event_types"),
        ({"url": "", "event_types": ["offer.sent"]}, "url"),
    ):
        response = client.post("/settings/webhooks", data=data)
        assert response.status_code == 200
        assert f'data-field-error="{field}"' in response.get_data(as_text=True), data
    assert _endpoint_ids(app) == []


def test_rotate_test_event_redeliver_disable_and_delete(
    app: Flask, client: FlaskClient, login_as, world: factories.World, receiver: Receiver
) -> None:
    with app.app_context():
        endpoint_id, first = register(world.a.email("admin"), receiver.url)
    login_as(world.a.email("admin"))
    rotated = client.post(f"/settings/webhooks/{endpoint_id}/rotate")
    [second] = SECRET.findall(rotated.get_data(as_text=True))
    assert second != first

    receiver.answer(Reply(500, body=b"receiver broke"))
    assert client.post(f"/settings/webhooks/{endpoint_id}/test").status_code == 302
    [request] = receiver.received
    assert request.verify(first)["type"] == request.verify(second)["type"] == "webhook.test"
    page = client.get(f"/settings/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "receiver broke" in page and 'data-outcome="failed"' in page

    # An event made in a request is delivered by the inline worker after the commit.
    client.post("/logout")
    login_as(world.a.email("partner_manager"))
    client.post(
        "/campaigns/new",
        data={
            "name": "Made on the page",
            "start_date": "2030-03-01",
            "end_date": "2030-03-31",
            "currency": "EUR",
        },
    )
    client.post("/logout")
    login_as(world.a.email("admin"))
    names = [r.verify(second)["data"].get("name") for r in receiver.received[1:]]
    assert names == ["Made on the page"]
    event_id = receiver.received[1].headers["webhook-id"]
    assert (
        client.post(f"/settings/webhooks/{endpoint_id}/events/{event_id}/redeliver").status_code
        == 302
    )
    assert [r.headers["webhook-id"] for r in receiver.received[1:]] == [event_id, event_id]

    assert client.post(f"/settings/webhooks/{endpoint_id}/disable").status_code == 302
    refused = client.post(
        f"/settings/webhooks/{endpoint_id}/events/{event_id}/redeliver", follow_redirects=True
    )
    assert "Enable the endpoint" in refused.get_data(as_text=True)
    assert client.post(f"/settings/webhooks/{endpoint_id}/enable").status_code == 302
    assert client.post(f"/settings/webhooks/{endpoint_id}/delete").status_code == 302
    assert _endpoint_ids(app) == []


def test_only_admins_and_only_their_own_company(
    app: Flask, client: FlaskClient, login_as, world: factories.World
) -> None:
    with app.app_context():
        endpoint_id, _ = register(world.c.email("admin"), "https://hooks.example/c")
    login_as(world.a.email("partner_manager"))
    assert client.get("/settings/webhooks").status_code == 403
    assert 'href="/settings/webhooks"' not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login_as(world.a.email("admin"))
    for url in (
        f"/settings/webhooks/{endpoint_id}",
        f"/settings/webhooks/{endpoint_id}/rotate",
        f"/settings/webhooks/{endpoint_id}/test",
        f"/settings/webhooks/{endpoint_id}/delete",
    ):
        method = client.get if url.endswith(str(endpoint_id)) else client.post
        assert method(url).status_code == 404, url


def test_the_same_form_posted_twice_makes_one_endpoint(
    app: Flask, client: FlaskClient, login_as, world: factories.World
) -> None:
    login_as(world.a.email("admin"))
    page = client.get("/settings/webhooks").get_data(as_text=True)
    [token] = re.findall(r'name="submission_token"[^>]*value="([^"]+)"', page)
    data = {
        "url": "https://hooks.example/crm",
        "event_types": ["offer.sent"],
        "submission_token": token,
    }
    first = client.post("/settings/webhooks", data=data)
    assert first.status_code == 200 and SECRET.search(first.get_data(as_text=True))
    again = client.post("/settings/webhooks", data=data)
    [endpoint_id] = _endpoint_ids(app)
    assert again.status_code == 303
    assert again.headers["Location"] == f"/settings/webhooks/{endpoint_id}"

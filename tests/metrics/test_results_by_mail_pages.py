"""The "Results by mail" page of a campaign (issue 19): each company of a joint campaign has its
own address; partner managers and admins create, regenerate and set its senders (a bad address
is named next to the field); others may not; the Results page links to it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.extensions import db
from comarketing.metrics.intake_models import IntakeAddress
from tests import campaign_helpers as ch
from tests import factories
from tests.conftest import login

DOMAIN = "intake.example"
PM = "partner_manager"


@pytest.fixture
def intake_app(make_app: Any) -> tuple[Flask, factories.World, int]:
    app = make_app(INTAKE_DOMAIN=DOMAIN)
    with app.app_context():
        world = factories.build_world()
        joint = ch.joint_campaign(world)
        db.session.remove()
    return app, world, joint.id


def _address(page: str) -> str | None:
    found = re.search(r'data-testid="intake-address">([^<]+)<', page)
    return found.group(1) if found else None


def test_each_company_has_its_own_address_and_senders(intake_app):
    app, world, campaign_id = intake_app
    url = f"/metrics/campaigns/{campaign_id}/by-mail"
    a = app.test_client()
    login(a, world.a.email(PM))
    page = a.get(url).get_data(as_text=True)
    assert 'data-testid="intake-none"' in page and _address(page) is None

    assert a.post(f"{url}/address").status_code == 302
    first = _address(a.get(url).get_data(as_text=True))
    assert first is not None and re.fullmatch(rf"results\+[a-z2-7]{{26}}@{DOMAIN}", first)
    page = a.get(url).get_data(as_text=True)
    assert "No sender yet" in page
    assert f"<code>{first}</code>" in page  # the instructions name it

    # A bad address is named next to the field; nothing is saved.
    response = a.post(f"{url}/senders", data={"senders": "ads-noreply@google.com\nnot an address"})
    assert response.status_code == 422
    assert re.search(r'data-field-error="senders">[^<]*not an address', response.get_data(True))
    with app.app_context():
        assert db.session.scalars(sa.select(IntakeAddress.senders)).all() == [[]]
    response = a.post(
        f"{url}/senders", data={"senders": "Google Ads <Ads-NoReply@Google.com>, reports@a.example"}
    )
    assert response.status_code == 302
    page = a.get(url).get_data(as_text=True)
    assert "ads-noreply@google.com\nreports@a.example" in page

    # A new address retires the old one; the senders stay.
    a.post(f"{url}/address")
    second = _address(a.get(url).get_data(as_text=True))
    assert second not in (None, first)

    # B, the other party, has its own address for the same campaign.
    b = app.test_client()
    login(b, world.b.email(PM))
    assert _address(b.get(url).get_data(as_text=True)) is None
    b.post(f"{url}/address")
    b_address = _address(b.get(url).get_data(as_text=True))
    assert b_address not in (None, first, second)
    with app.app_context():
        rows = db.session.execute(
            sa.select(IntakeAddress.organization_id, IntakeAddress.senders).order_by(
                IntakeAddress.organization_id
            )
        ).all()
        assert rows == [
            (world.a.id, ["ads-noreply@google.com", "reports@a.example"]),
            (world.b.id, []),
        ]


def test_who_may_see_the_address(intake_app):
    app, world, campaign_id = intake_app
    url = f"/metrics/campaigns/{campaign_id}/by-mail"
    for role, status in (("admin", 200), (PM, 200), ("approver", 403), ("analyst", 403)):
        client = app.test_client()
        login(client, world.a.email(role))
        assert client.get(url).status_code == status, role
    outsider = app.test_client()
    login(outsider, world.c.email("admin"))
    assert outsider.get(url).status_code == 404


def test_the_results_page_links_each_campaign_to_its_address(intake_app):
    app, world, campaign_id = intake_app
    client = app.test_client()
    login(client, world.a.email(PM))
    page = client.get("/metrics/imports").get_data(as_text=True)
    assert f'href="/metrics/campaigns/{campaign_id}/by-mail"' in page
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert f'href="/metrics/campaigns/{campaign_id}/by-mail"' in page
    analyst = app.test_client()
    login(analyst, world.a.email("analyst"))
    assert "/by-mail" not in analyst.get(f"/campaigns/{campaign_id}").get_data(as_text=True)


def test_without_an_intake_domain_the_page_says_so(app, world):
    with app.app_context():
        joint = ch.joint_campaign(world)
        db.session.remove()
    client = app.test_client()
    login(client, world.a.email(PM))
    page = client.get(f"/metrics/campaigns/{joint.id}/by-mail").get_data(as_text=True)
    assert 'data-testid="intake-off"' in page
    assert "/by-mail" not in client.get("/metrics/imports").get_data(as_text=True)
    client.post(f"/metrics/campaigns/{joint.id}/by-mail/address")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IntakeAddress)) == 0

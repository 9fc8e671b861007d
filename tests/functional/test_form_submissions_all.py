"""One-time submission tokens on every remaining form that creates something (issue 19): each
form's page renders its token inside the form, and the same post sent twice — then once more
from a fresh connection, as after a timeout whose first answer was never read — creates one
record, every repeat being sent where the first post led.

The forms of claims, commitments, payments, placements, offers and comments are covered by
test_form_submissions.py, collateral uploads by tests/collateral/test_upload_submissions.py.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time

from comarketing.accounts.models import UserInvitation
from comarketing.api.models import ApiToken
from comarketing.audiences.models import AudienceImport, AudienceList
from comarketing.budgets.models import Claim, ClaimVersion, LedgerEntry
from comarketing.campaigns.models import Campaign, Milestone, Placement
from comarketing.collateral import requests as collateral_requests
from comarketing.collateral.models import CollateralRequest
from comarketing.extensions import db
from comarketing.metrics.models import MetricImport
from comarketing.partners.models import Partnership, Product
from comarketing.submissions import ALREADY_SAVED
from tests.campaign_helpers import PM, commit, joint_campaign
from tests.collateral.conftest import actor as collateral_actor
from tests.collateral.conftest import upload_image
from tests.conftest import login

TOKEN = r'name="(?:[a-z]+-)?submission_token" type="hidden" value="([^"]+)"'


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def count(app: Flask, model: type) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(sa.func.count()).select_from(model))
        db.session.remove()
        return int(found or 0)


def form_tokens(page: str, field: str, action: str | None = None) -> list[str]:
    """The submission tokens of the forms on ``page`` that have an input named ``field`` (and
    post to ``action``, when given)."""
    found = []
    for block in re.findall(r"<form\b.*?</form>", page, flags=re.S):
        if f'name="{field}"' in block and (action is None or f'action="{action}"' in block):
            found += re.findall(TOKEN, block)
    return found


@dataclass
class Case:
    """One creating form: where it is shown and posted, what it sends, what it creates."""

    email: str
    page: str
    url: str
    data: Callable[[], dict[str, Any]]
    model: type
    field: str  # an input only this form has, to find it on the page
    prefix: str = ""
    # A form whose first answer is a page rather than a redirect (a new API token is shown
    # once, on that answer): a repeat is sent to the form's page.
    shown_at_once: int = 302
    # When forms of other kinds share ``field`` (the claim form and a revision both have
    # service dates): the form posting here.
    form_action: str | None = None


def _post_three_times(app: Flask, case: Case) -> None:
    client = signed_in(app, case.email)
    page = client.get(case.page)
    assert page.status_code == 200
    tokens = form_tokens(page.get_data(as_text=True), case.field, case.form_action)
    assert tokens, f"no submission token in the form of {case.page}"
    token = {f"{case.prefix}submission_token": tokens[0]}
    before = count(app, case.model)

    first = client.post(case.url, data={**case.data(), **token})
    assert first.status_code in (302, 303, case.shown_at_once), first.get_data(as_text=True)[:800]
    location = first.headers.get("Location", case.page)
    again = client.post(case.url, data={**case.data(), **token})
    assert (again.status_code, again.headers.get("Location")) == (303, location)
    assert ALREADY_SAVED in client.get(location).get_data(as_text=True)
    # Later, from a fresh connection (the first answer lost to a timeout): the same answer.
    retry = signed_in(app, case.email).post(case.url, data={**case.data(), **token})
    assert (retry.status_code, retry.headers.get("Location")) == (303, location)
    assert count(app, case.model) == before + 1


@pytest.fixture
def joint(app, world):
    with app.app_context():
        made = joint_campaign(world, via_offer=True)
        db.session.remove()
        return made


def _placement_month(app: Flask, placement_id: int) -> str:
    with app.app_context():
        start = db.session.get(Placement, placement_id).start_date  # type: ignore[union-attr]
        db.session.remove()
    return start.strftime("%Y-%m")


def test_a_new_solo_campaign_is_created_once(app, world):
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page="/campaigns/new",
            url="/campaigns/new",
            data=lambda: {
                "name": "Solo spring",
                "start_date": "2027-03-01",
                "end_date": "2027-03-31",
                "currency": "EUR",
                "total_budget": "5,000",
            },
            model=Campaign,
            field="total_budget",
        ),
    )


def test_a_milestone_is_added_once(app, world, joint):
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page=f"/campaigns/{joint.id}",
            url=f"/campaigns/{joint.id}/milestones",
            data=lambda: {
                "kind": "creative_due",
                "title": "Banner",
                "owner_organization_id": world.b.id,
                "due_on": "2027-03-05",
            },
            model=Milestone,
            field="due_on",
        ),
    )


def test_an_entry_is_reversed_once(app, world, joint):
    with app.app_context():
        entry = commit(world.a.email(PM), joint.id, 25_000).id
        db.session.remove()
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page=f"/campaigns/{joint.id}",
            url=f"/campaigns/{joint.id}/entries/{entry}/reverse",
            data=lambda: {"reason": "Booked twice"},
            model=LedgerEntry,
            field="reason",
        ),
    )


def test_a_partner_invitation_is_sent_once(app, world):
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page="/partners",
            url="/partners",
            data=lambda: {"email": "boss@newco.example", "message": "Shall we?"},
            model=Partnership,
            field="message",
        ),
    )


def test_a_product_is_added_once(app, world):
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page="/products/new",
            url="/products/new",
            data=lambda: {"name": "Rye flour", "category": "Flour", "description": ""},
            model=Product,
            field="category",
        ),
    )


def test_a_user_invitation_is_sent_once(app, world):
    _post_three_times(
        app,
        Case(
            email=world.a.email("admin"),
            page="/settings/users",
            url="/settings/users",
            data=lambda: {"email": "joiner@a.example", "role": "analyst"},
            model=UserInvitation,
            field="role",
        ),
    )


def test_an_api_token_is_created_once(app, world):
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page="/settings/tokens",
            url="/settings/tokens",
            data=lambda: {"name": "Laptop", "scope": "read", "expires": "30"},
            model=ApiToken,
            field="scope",
            shown_at_once=200,
        ),
    )


def test_a_results_file_is_uploaded_once(app, world, joint):
    csv = b"date,placement,impressions\n2027-03-02,Fair stand,10\n"
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page="/metrics/imports",
            url="/metrics/imports",
            data=lambda: {"campaign_id": str(joint.id), "file": (io.BytesIO(csv), "r.csv")},
            model=MetricImport,
            field="campaign_id",
        ),
    )


def test_results_entered_in_the_grid_are_saved_once(app, world, joint):
    month = _placement_month(app, joint.a_placement)
    url = f"/campaigns/{joint.id}/placements/{joint.a_placement}"
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page=f"{url}?month={month}",
            url=url,
            data=lambda: {"month": month, f"{month}-02-impressions": "1200"},
            model=MetricImport,
            field="month",
        ),
    )


def _identifiers() -> io.BytesIO:
    return io.BytesIO(b"".join(f"person{i}@example.com\n".encode() for i in range(20)))


def test_a_placement_audience_is_uploaded_once(app, world, joint):
    month = _placement_month(app, joint.a_placement)
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page=f"/campaigns/{joint.id}/placements/{joint.a_placement}?month={month}",
            url=f"/placements/{joint.a_placement}/audience",
            data=lambda: {"audience-file": (_identifiers(), "p.txt"), "audience-kind": "email"},
            model=AudienceImport,
            field="audience-file",
            prefix="audience-",
        ),
    )


def test_a_new_audience_list_is_created_once(app, world):
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page="/audiences",
            url="/audiences",
            data=lambda: {
                "new-name": "Newsletter",
                "new-file": (_identifiers(), "l.txt"),
                "new-kind": "email",
            },
            model=AudienceList,
            field="new-name",
            prefix="new-",
        ),
    )


def test_an_audience_list_is_replaced_once(app, world):
    client = signed_in(app, world.a.email(PM))
    made = client.post(
        "/audiences",
        data={"new-name": "Newsletter", "new-file": (_identifiers(), "l.txt"), "new-kind": "email"},
    )
    assert made.status_code == 302
    with app.app_context():
        list_id = db.session.scalar(sa.select(AudienceList.id))
        db.session.remove()
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page="/audiences",
            url=f"/audiences/{list_id}/replace",
            data=lambda: {"replace-file": (_identifiers(), "l2.txt"), "replace-kind": "email"},
            model=AudienceImport,
            field="replace-file",
            prefix="replace-",
        ),
    )


def test_a_collateral_request_is_made_once(app, world, joint):
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page=f"/campaigns/{joint.id}/collateral",
            url=f"/campaigns/{joint.id}/collateral/requests",
            data=lambda: {"title": "Shelf wobbler", "description": "For the fair"},
            model=CollateralRequest,
            field="description",
        ),
    )


def test_a_collateral_request_is_delivered_once(app, world, joint):
    with app.app_context():
        asset = upload_image(world, joint.id)
        made = collateral_requests.create_request(
            collateral_actor(world.b.email(PM)), joint.id, title="Wobbler", description=""
        )
        asset_id, request_id = asset.id, made.id
        db.session.remove()
    client = signed_in(app, world.a.email(PM))
    page = client.get(f"/campaigns/{joint.id}/collateral").get_data(as_text=True)
    [token] = form_tokens(page, "asset_id")[:1]
    data = {"asset_id": str(asset_id), "submission_token": token}
    url = f"/collateral/requests/{request_id}/deliver"
    first = client.post(url, data=data)
    assert first.status_code == 303, first.get_data(as_text=True)[:500]
    again = client.post(url, data=data)
    assert (again.status_code, again.headers["Location"]) == (303, first.headers["Location"])
    retry = signed_in(app, world.a.email(PM)).post(url, data=data)
    assert retry.headers["Location"] == first.headers["Location"]
    assert ALREADY_SAVED in client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        delivered = db.session.get(CollateralRequest, request_id)
        assert delivered is not None and delivered.asset_id == asset_id
        db.session.remove()


@freeze_time("2027-03-15 12:00:00")  # expenses are booked once spent, within the campaign
def test_a_claim_revision_is_made_once(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    claimed = client.post(
        f"/campaigns/{joint.id}/claims",
        data={
            "organization_id": world.a.id,
            "placement_id": joint.a_placement,
            "amount": "100.00",
            "service_from": "2027-03-01",
            "service_to": "2027-03-02",
            "paid_on": "2026-11-30",
        },
    )
    assert claimed.status_code == 302, claimed.get_data(as_text=True)[:500]
    with app.app_context():
        claim_id = db.session.scalar(sa.select(Claim.id))
        db.session.remove()
    _post_three_times(
        app,
        Case(
            email=world.a.email(PM),
            page=f"/campaigns/{joint.id}",
            url=f"/campaigns/{joint.id}/claims/{claim_id}/revise",
            data=lambda: {"amount": "90.00", "note": "Discount applied"},
            model=ClaimVersion,
            field="service_from",
            form_action=f"/campaigns/{joint.id}/claims/{claim_id}/revise",
        ),
    )

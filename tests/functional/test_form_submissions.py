"""One-time submission tokens (issue 19): a form that creates something, posted again with the
same token (a double click, a retry after a timeout whose first answer was never read), creates
one record, and the repeat is sent where the first post led. Another user's token, a post
without a token and a refused post each count as a new submission.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from freezegun import freeze_time

from comarketing.budgets.models import Claim, EntryKind, LedgerEntry, Payment
from comarketing.campaigns.models import Placement
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.offers.models import Offer, OfferComment
from comarketing.submissions import ALREADY_SAVED, FormSubmission
from tests.campaign_helpers import ADMIN, PM, joint_campaign
from tests.concurrency import at_once
from tests.conftest import login
from tests.offer_helpers import propose_and_send, terms_form_data

TOKEN = r'name="submission_token" type="hidden" value="([^"]+)"'
CLAIM_DATES = {"service_from": "2027-03-01", "service_to": "2027-03-02", "paid_on": "2026-11-30"}


def signed_in(app, email: str) -> FlaskClient:
    client = app.test_client()
    login(client, email)
    return client


def rows(app, model: type, *where: object) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
        db.session.remove()
        return int(found or 0)


def commitments(app) -> int:
    return rows(app, LedgerEntry, LedgerEntry.kind == EntryKind.COMMITMENT.value)


def tokens(page: str, testid: str) -> list[str]:
    """The submission tokens inside the block marked ``testid`` on a page."""
    start = page.index(f'data-testid="{testid}"')
    block = page[start : page.index("</form>", start)]
    return re.findall(TOKEN, block)


def _check_twice(client: FlaskClient, url: str, data: dict[str, object]) -> str:
    """Post the form, then the very same form again: both lead to the same place."""
    first = client.post(url, data=data)
    assert first.status_code in (302, 303), first.get_data(as_text=True)[:500]
    again = client.post(url, data=data)
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert ALREADY_SAVED in page
    return str(first.headers["Location"])


@pytest.fixture
def joint(app, world):
    with app.app_context():
        return joint_campaign(world, via_offer=True)


def test_every_creating_form_on_the_campaign_page_carries_its_own_fresh_token(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    first = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    second = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    found = [tokens(first, t) for t in ("commitment-form", "claim-form", "payment-form")]
    assert all(len(t) == 1 for t in found), found
    assert len({t[0] for t in found}) == 3
    assert tokens(second, "commitment-form") != found[0]


def test_a_commitment_posted_twice_and_after_a_timeout_is_recorded_once(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    before = commitments(app)
    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    [token] = tokens(page, "commitment-form")
    url = f"/campaigns/{joint.id}/commitments"
    data = {"organization_id": world.a.id, "amount": "10.00", "submission_token": token}
    location = _check_twice(client, url, data)
    # Later still (the first answer lost to a timeout), from a fresh connection: the same.
    retry = signed_in(app, world.a.email(PM)).post(url, data=data)
    assert (retry.status_code, retry.headers["Location"]) == (303, location)
    assert commitments(app) == before + 1
    assert rows(app, FormSubmission) == 1


@freeze_time("2027-03-15 12:00:00")  # expenses are booked once spent, within the campaign
def test_an_expense_claim_posted_twice_is_claimed_once(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    data = {
        "organization_id": world.a.id,
        "placement_id": joint.a_placement,
        "amount": "100.00",
        "submission_token": "claim-token-0123456789abcdef",
        **CLAIM_DATES,
    }
    location = _check_twice(client, f"/campaigns/{joint.id}/claims", data)
    assert location.endswith("#claims")
    assert rows(app, Claim) == 1


@freeze_time("2027-03-15 12:00:00")
def test_a_payment_posted_twice_is_recorded_once(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    data = {
        "to_organization_id": world.b.id,
        "amount": "10.00",
        "paid_on": "2027-03-10",
        "submission_token": "payment-token-0123456789abcdef",
    }
    location = _check_twice(client, f"/campaigns/{joint.id}/payments", data)
    assert location.endswith("#payments")
    assert rows(app, Payment) == 1


def test_an_offer_comment_posted_twice_is_posted_once(app, world):
    with app.app_context():
        offer_id = propose_and_send(world.a.email(PM), [world.a.id, world.b.id])
        db.session.remove()
    client = signed_in(app, world.a.email(PM))
    page = client.get(f"/offers/{offer_id}").get_data(as_text=True)
    [token] = re.findall(TOKEN, page)
    data = {"body": "Can we move the start a week?", "submission_token": token}
    location = _check_twice(client, f"/offers/{offer_id}/comments", data)
    assert location.endswith(f"/offers/{offer_id}#discussion")
    assert rows(app, OfferComment) == 1


def test_another_users_token_or_no_token_is_a_new_submission(app, world, joint):
    before = commitments(app)
    url = f"/campaigns/{joint.id}/commitments"
    data = {"organization_id": world.a.id, "amount": "10.00"}
    shared = {**data, "submission_token": "shared-token-0123456789abcdef"}
    assert signed_in(app, world.a.email(PM)).post(url, data=shared).status_code == 302
    assert signed_in(app, world.a.email(ADMIN)).post(url, data=shared).status_code == 302
    # An old page without a token posts as it always did.
    client = signed_in(app, world.a.email(PM))
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    assert commitments(app) == before + 4


def test_a_refused_post_leaves_its_token_free_and_nothing_half_written(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    before = commitments(app)
    url = f"/campaigns/{joint.id}/commitments"
    token = "refused-token-0123456789abcdef"
    # Posting for the partner without an override is refused by the service.
    refused = client.post(
        url, data={"organization_id": world.b.id, "amount": "5", "submission_token": token}
    )
    assert refused.status_code in (403, 422)
    assert rows(app, FormSubmission) == 0
    data = {"organization_id": world.a.id, "amount": "5.00", "submission_token": token}
    assert client.post(url, data=data).status_code == 302
    assert commitments(app) == before + 1


def test_a_token_older_than_a_week_is_purged_and_counts_as_new(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    url = f"/campaigns/{joint.id}/commitments"
    data = {"organization_id": world.a.id, "amount": "10.00"}
    old = {**data, "submission_token": "old-token-0123456789abcdef"}
    assert client.post(url, data=old).status_code == 302
    with app.app_context():
        db.session.execute(
            sa.update(FormSubmission).values(created_at=utcnow() - timedelta(days=8))
        )
        db.session.commit()
        db.session.remove()
    before = commitments(app)
    fresh = {**data, "submission_token": "new-token-0123456789abcdef"}
    assert client.post(url, data=fresh).status_code == 302
    assert rows(app, FormSubmission) == 1  # the old row went with the new one's transaction
    assert client.post(url, data=old).status_code == 302  # expired: a new submission
    assert commitments(app) == before + 2


@pytest.mark.pg_only
def test_two_posts_of_one_token_at_the_same_moment_create_one_record(app, world, joint):
    url = f"/campaigns/{joint.id}/commitments"
    data = {
        "organization_id": world.a.id,
        "amount": "10.00",
        "submission_token": "racing-token-0123456789abcdef",
    }
    clients = [signed_in(app, world.a.email(PM)) for _ in range(2)]
    before = commitments(app)
    outcomes = at_once(app, [lambda c=c: c.post(url, data=data) for c in clients])
    answers = sorted(o.status_code for o in outcomes)  # type: ignore[union-attr]
    assert answers == [302, 303], outcomes
    assert len({o.headers["Location"] for o in outcomes}) == 1  # type: ignore[union-attr]
    assert commitments(app) == before + 1


def test_a_placement_posted_twice_is_added_once(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    url = f"/campaigns/{joint.id}/placements/new"
    [token] = re.findall(TOKEN, client.get(url).get_data(as_text=True))
    before = rows(app, Placement)
    data = {
        "channel": "event",
        "owner_organization_id": world.a.id,
        "name": "Fair stand",
        "start_date": "2027-03-20",
        "end_date": "2027-03-21",
        "planned_cost": "250.00",
        "submission_token": token,
    }
    location = _check_twice(client, url, data)
    assert location.endswith("#placements")
    assert rows(app, Placement) == before + 1


def test_an_offer_draft_posted_twice_is_saved_once_and_the_repeat_opens_it(app, world):
    client = signed_in(app, world.a.email(PM))
    url = f"/offers/new/terms?partner={world.b.id}"
    [token] = re.findall(TOKEN, client.get(url).get_data(as_text=True))
    data = terms_form_data([world.a.id, world.b.id], submission_token=token)
    location = _check_twice(client, url, data)
    with app.app_context():
        [offer_id] = db.session.scalars(sa.select(Offer.id)).all()
        db.session.remove()
    assert location == f"/offers/{offer_id}"

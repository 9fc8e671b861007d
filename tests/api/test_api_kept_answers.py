"""The API answers kept under the company's data version (issue 21): a campaign's ledger and a
placement's days are written once per version — never stale after any write they show, never
a reason to skip the access check, each party's own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets import claim_responses, payments
from comarketing.budgets.models import Claim
from comarketing.campaigns import lifecycle, platform_names
from comarketing.campaigns.models import Placement
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.metrics import entry
from tests.api.conftest import ApiClient
from tests.campaign_helpers import (
    JointCampaign,
    add_placement,
    joint_campaign,
    solo_campaign,
    spend,
)
from tests.conftest import count_queries, write_in
from tests.offer_helpers import actor

PM = "partner_manager"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
def kept(request, make_app) -> Any:
    """An app keeping answers (in this process's memory, or in Redis under a prefix of its
    own, removed afterwards)."""
    prefix = f"test-kept-{uuid.uuid4().hex}"
    config: dict[str, Any] = {"REPORT_CACHE": request.param, "RATELIMIT_KEY_PREFIX": prefix}
    if request.param == "redis":
        config["REDIS_URL"] = REDIS_URL
    yield make_app(**config)
    if request.param == "redis":
        store = redis.Redis.from_url(REDIS_URL)
        assert store.keys(f"{prefix}:report-cache:*"), "the answers were kept in Redis"
        store.delete(*store.keys(f"{prefix}:*"))


@pytest.fixture
def joint(app, world) -> JointCampaign:
    with app.app_context():
        campaign = joint_campaign(world)
        spend(world.a.email(PM), campaign.id, campaign.a_placement, 12_345)
        db.session.remove()
    return campaign


def _reader(app, make_token, email: str) -> ApiClient:
    return ApiClient(app.test_client(), make_token(email))


def _get(app, client: ApiClient, path: str) -> tuple[int, bytes, int]:
    with count_queries(app) as statements:
        response = client.get(path)
    return response.status_code, response.data, len(statements)


def test_a_kept_ledger_follows_every_write_it_shows(app, world, joint, kept, make_app, make_token):
    path = f"/api/v1/campaigns/{joint.id}/ledger"
    fresh = make_app(REPORT_CACHE="off")
    readers = {
        side: (_reader(kept, make_token, email), _reader(fresh, make_token, email))
        for side, email in (("a", world.a.email(PM)), ("b", world.b.email("analyst")))
    }
    b_pm = world.b.email(PM)
    writes: list[tuple[str, Callable[[], Any]]] = [
        (
            "an answer to A's claim",
            lambda: claim_responses.dispute_claim(
                actor(b_pm), joint.id, _newest(Claim), reason="Not in the plan"
            ),
        ),
        ("a claim", lambda: spend(b_pm, joint.id, joint.b_placement, 5_000)),
        (
            "a payment",
            lambda: payments.record_payment(
                actor(b_pm),
                joint.id,
                to_organization_id=world.a.id,
                amount_minor=700,
                paid_on=utcnow().date(),
                reference="Squaring up",
            ),
        ),
        ("a placement renamed", lambda: _rename(Placement, joint.a_placement, "Renamed posts")),
        ("a party renamed", lambda: _rename(Organization, world.b.id, "Beta Renamed Ltd")),
    ]
    first = {side: _get(kept, cached, path) for side, (cached, _) in readers.items()}
    for side, (cached, _) in readers.items():
        status, body, computed = first[side]
        again_status, again, from_store = _get(kept, cached, path)
        assert status == again_status == 200
        assert again == body
        assert from_store < computed, (from_store, computed)  # the ledger's reads were skipped
    before = first["a"][1]
    for what, write in writes:
        write_in(app, write)
        for side, (cached, uncached) in readers.items():
            status, body, _ = _get(kept, cached, path)
            assert status == 200
            assert body != before or side == "b", what
            assert body == uncached.get(path).data, (what, side)
        before = _get(kept, readers["a"][0], path)[1]
    assert b"Beta Renamed Ltd" in before and b"Renamed posts" in before
    assert b"Not in the plan" in before and b"Squaring up" in before


def _rename(model: type, row_id: int, name: str) -> None:
    db.session.get(model, row_id).name = name


def _newest(model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.max(model.id))) or 0)


def test_a_kept_ledger_never_answers_another_company(world, joint, kept, make_token):
    path = f"/api/v1/campaigns/{joint.id}/ledger"
    party = _reader(kept, make_token, world.a.email(PM))
    outsider = _reader(kept, make_token, world.c.email(PM))
    assert party.get(path).status_code == 200  # now kept for A (and, computed, for no one else)
    refused = outsider.get(path)
    missing = outsider.get("/api/v1/campaigns/987654/ledger")
    assert refused.status_code == missing.status_code == 404
    assert refused.get_json() == missing.get_json()
    assert world.a.name.encode() not in refused.data


def test_a_kept_placements_days_follow_a_new_day_and_each_range_is_its_own(
    app, world, joint, kept, make_app, make_token
):
    path = f"/api/v1/placements/{joint.a_placement}/metrics"
    april = f"{path}?start=2027-04-01&end=2027-04-30"
    cached = _reader(kept, make_token, world.b.email("analyst"))  # the other party reads them
    uncached = _reader(make_app(REPORT_CACHE="off"), make_token, world.b.email("analyst"))

    def day(when: str, reach: str) -> None:
        entry.upsert_days(
            actor(world.a.email(PM)),
            joint.a_placement,
            [{"day": when, "impressions": "1000", "reach": reach, "clicks": "12"}],
        )

    write_in(app, lambda: day("2027-03-31", "700"))
    first, whole = cached.get(april).get_json(), cached.get(path).get_json()
    assert first["items"] == [] and len(whole["items"]) == 1
    for when, reach in (("2027-04-02", "800"), ("2027-04-02", "900"), ("2027-03-31", "650")):
        write_in(app, lambda when=when, reach=reach: day(when, reach))
        for url in (path, april):
            assert cached.get(url).data == uncached.get(url).data, (when, reach, url)
    assert [d["reach"] for d in cached.get(april).get_json()["items"]] == [900]
    assert [d["reach"] for d in cached.get(path).get_json()["items"]] == [650, 900]


def _follows(app, kept, fresh, paths: list[str], writes) -> list[bytes]:
    """After each write, every path's kept answer is the uncached app's and the first path's
    changed; the first path's answers in turn."""
    seen = [kept.get(paths[0]).data]
    for what, write in writes:
        write_in(app, write)
        for path in paths:
            answer = kept.get(path)
            assert answer.status_code == 200, (what, path)
            assert answer.data == fresh.get(path).data, (what, path)
        assert seen[-1] != kept.get(paths[0]).data, what
        seen.append(kept.get(paths[0]).data)
    return seen


def test_a_kept_placement_list_follows_names_renames_and_new_placements(
    app, world, joint, kept, make_app, make_token
):
    a_pm = world.a.email(PM)
    paths = [f"/api/v1/campaigns/{joint.id}/placements"]
    reader = world.b.email("analyst")
    cached, fresh = (_reader(a, make_token, reader) for a in (kept, make_app(REPORT_CACHE="off")))
    status, _, computed = _get(kept, cached, paths[0])
    assert status == 200 and _get(kept, cached, paths[0])[2] < computed
    seen = _follows(
        app,
        cached,
        fresh,
        paths,
        [
            (
                "a platform name",
                lambda: platform_names.add_name(
                    actor(a_pm), joint.id, joint.a_placement, "Meta 123", "Meta"
                ),
            ),
            ("a placement renamed", lambda: _rename(Placement, joint.b_placement, "B renamed")),
            ("a party renamed", lambda: _rename(Organization, world.a.id, "Alpha Renamed Ltd")),
            ("a placement added", lambda: add_placement(a_pm, joint.id, world.a.id, name="Extra")),
        ],
    )
    assert all(word in seen[-1] for word in (b"Meta 123", b"B renamed", b"Alpha Renamed", b"Extra"))
    outsider = _reader(kept, make_token, world.c.email(PM))
    assert outsider.get(paths[0]).status_code == 404


def test_a_kept_campaign_list_follows_new_campaigns_and_status_and_each_filter_is_its_own(
    app, world, joint, kept, make_app, make_token
):
    a_pm = world.a.email(PM)
    paths = ["/api/v1/campaigns", "/api/v1/campaigns?status=active", "/api/v1/campaigns?kind=solo"]
    cached, fresh = (_reader(a, make_token, a_pm) for a in (kept, make_app(REPORT_CACHE="off")))
    for path in paths:
        assert cached.get(path).data == fresh.get(path).data
    seen = _follows(
        app,
        cached,
        fresh,
        paths,
        [
            ("a new solo campaign", lambda: solo_campaign(a_pm, "Solo autumn")),
            (
                "the joint one started",
                lambda: lifecycle.change_status(actor(a_pm), joint.id, "activate"),
            ),
            ("a partner renamed", lambda: _rename(Organization, world.b.id, "Beta Renamed Ltd")),
        ],
    )
    assert b"Solo autumn" in seen[-1] and b"Beta Renamed Ltd" in seen[-1]
    assert cached.get(paths[1]).get_json()["total"] == 1  # the joint one, now active

"""``Idempotency-Key`` on write endpoints, through a throwaway write endpoint of the real app.

The endpoint creates a solo campaign through the real service, so "ran once" is counted in the
database, not in a mock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from apiflask import APIBlueprint, Schema
from apiflask.fields import Integer, String
from flask import Flask

from comarketing.api import idempotency
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.idempotency import idempotent
from comarketing.api.models import IdempotencyRecord
from comarketing.campaigns import lifecycle
from comarketing.campaigns.models import Campaign
from comarketing.db import utcnow
from comarketing.errors import ValidationFailed
from comarketing.extensions import csrf, db
from tests import factories
from tests.api.conftest import error_of

PM = "partner_manager"
URL = "/api/v1/test-idempotency/campaigns"


class NewCampaign(Schema):
    name = String(required=True)
    budget = Integer(strict=True, load_default=0)
    fail = String(load_default="")


@dataclass
class Endpoint:
    app: Flask
    calls: list[str] = field(default_factory=list)
    # Set to make the handler wait (after it started) until the test releases it.
    hold: threading.Event | None = None
    started: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0

    def post(self, token: str, body: dict[str, Any], key: str | None = None, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.app.test_client().post(kw.pop("url", URL), json=body, headers=headers, **kw)

    def campaign_names(self) -> list[str]:
        with self.app.app_context():
            names = list(db.session.scalars(sa.select(Campaign.name).order_by(Campaign.id)))
            db.session.remove()
        return names

    def records(self) -> list[IdempotencyRecord]:
        with self.app.app_context():
            rows = list(db.session.scalars(sa.select(IdempotencyRecord)))
            db.session.expunge_all()
            db.session.remove()
        return rows


@pytest.fixture
def app(make_app: Any) -> Flask:
    """These tests add an API endpoint of their own, so they have an app of their own."""
    return make_app(own=True)


def build_endpoint(app: Flask) -> Endpoint:
    endpoint = Endpoint(app)
    bp = APIBlueprint("idempotency_test", __name__, url_prefix="/api/v1/test-idempotency")
    csrf.exempt(bp)

    @bp.post("/campaigns")
    @bp.post("/other")
    @bp.auth_required(auth)
    @require_write
    @idempotent
    @bp.input(NewCampaign, arg_name="body")
    def create(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        endpoint.calls.append(body["name"])
        endpoint.started.set()
        time.sleep(endpoint.delay)
        if endpoint.hold is not None:
            assert endpoint.hold.wait(10), "the test never released the handler"
        if body["fail"] == "crash":
            raise RuntimeError("boom")
        if body["fail"] == "500":
            return {"error": "handler says 500"}, 500
        if body["fail"] == "refuse":
            raise ValidationFailed("Budget too small.", field="budget")
        campaign = lifecycle.create_solo_campaign(
            current_actor(),
            lifecycle.CampaignInput(
                name=body["name"],
                description="",
                start_date=date(2027, 3, 1),
                end_date=date(2027, 3, 31),
                currency="EUR",
                total_budget_minor=body["budget"],
            ),
        )
        return {"id": campaign.id, "name": campaign.name}, 201

    app.register_blueprint(bp)
    return endpoint


@pytest.fixture
def endpoint(app: Flask) -> Endpoint:
    return build_endpoint(app)


@pytest.fixture
def token(make_token: Callable[..., str], world: factories.World) -> str:
    return make_token(world.a.email(PM), "write")


def test_without_a_key_every_request_runs(endpoint, token):
    first = endpoint.post(token, {"name": "Spring"})
    second = endpoint.post(token, {"name": "Spring"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert endpoint.campaign_names() == ["Spring", "Spring"]
    assert endpoint.records() == []


def test_a_retry_with_the_same_key_replays_the_first_answer(endpoint, token):
    first = endpoint.post(token, {"name": "Spring", "budget": 100}, key="key-1")
    retry = endpoint.post(token, {"name": "Spring", "budget": 100}, key="key-1")

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    assert retry.mimetype == "application/json"
    assert endpoint.calls == ["Spring"]
    assert endpoint.campaign_names() == ["Spring"]
    (record,) = endpoint.records()
    assert (record.key, record.method, record.path, record.status_code) == (
        "key-1",
        "POST",
        URL,
        201,
    )
    assert record.response_body == first.get_json()


def test_the_same_key_for_a_different_request_is_refused(endpoint, token):
    assert endpoint.post(token, {"name": "Spring"}, key="k").status_code == 201

    for body, url in (
        ({"name": "Autumn"}, URL),
        ({"name": "Spring", "budget": 1}, URL),
        ({"name": "Spring"}, "/api/v1/test-idempotency/other"),
        ({"name": "Spring"}, URL + "?x=1"),
    ):
        response = endpoint.post(token, body, key="k", url=url)
        assert response.status_code == 422, (body, url)
        error = error_of(response)
        assert error["field"] == "Idempotency-Key"
        assert error["errors"][0]["location"] == "header"
    assert endpoint.calls == ["Spring"]


def test_keys_belong_to_their_user(endpoint, token, make_token, world):
    other = make_token(world.b.email(PM), "write")
    assert endpoint.post(token, {"name": "Spring"}, key="shared").status_code == 201
    theirs = endpoint.post(other, {"name": "Spring"}, key="shared")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert endpoint.calls == ["Spring", "Spring"]


@pytest.mark.parametrize("key", ["", " ", "x" * 201, "clé", "a b", "tab\tkey"])
def test_a_malformed_key_is_refused(endpoint, token, key):
    response = endpoint.post(token, {"name": "Spring"}, key=key)
    assert response.status_code == 422
    assert error_of(response)["field"] == "Idempotency-Key"
    assert endpoint.calls == []


def test_the_longest_key_is_accepted(endpoint, token):
    key = "k" * 200
    assert endpoint.post(token, {"name": "Spring"}, key=key).status_code == 201
    assert endpoint.post(token, {"name": "Spring"}, key=key).headers["Idempotent-Replayed"]


def test_a_retry_while_the_first_still_runs_gets_409(endpoint, token):
    endpoint.hold = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(endpoint.post, token, {"name": "Slow"}, "busy")
        assert endpoint.started.wait(10)

        retry = endpoint.post(token, {"name": "Slow"}, key="busy")

        assert retry.status_code == 409
        assert error_of(retry)["field"] == "Idempotency-Key"
        assert retry.headers["Retry-After"] == "1"
        endpoint.hold.set()
        assert first.result(10).status_code == 201
    assert endpoint.calls == ["Slow"]
    assert endpoint.post(token, {"name": "Slow"}, key="busy").headers["Idempotent-Replayed"]


@pytest.mark.parametrize("failure", ["crash", "500"])
def test_after_a_server_error_the_retry_runs_again(endpoint, token, failure):
    failed = endpoint.post(token, {"name": "Spring", "fail": failure}, key="retry-me")
    assert failed.status_code == 500
    if failure == "crash":
        error_of(failed)
    assert endpoint.records() == []

    # The client retries the same request after the server recovered.
    endpoint.calls.clear()
    again = endpoint.post(token, {"name": "Spring", "fail": failure}, key="retry-me")
    assert again.status_code == 500
    assert endpoint.calls == ["Spring"]


def test_refusals_are_answers_and_are_replayed(endpoint, token):
    refused = endpoint.post(token, {"name": "Spring", "fail": "refuse"}, key="r")
    assert refused.status_code == 422
    assert error_of(refused)["field"] == "budget"
    replay = endpoint.post(token, {"name": "Spring", "fail": "refuse"}, key="r")
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (422, "true")
    assert replay.get_json() == refused.get_json()
    assert endpoint.calls == ["Spring"]

    invalid = endpoint.post(token, {"name": "Spring", "budget": 1.5}, key="v")
    assert invalid.status_code == 422
    assert error_of(invalid)["field"] == "budget"
    assert endpoint.post(token, {"name": "Spring", "budget": 1.5}, key="v").headers[
        "Idempotent-Replayed"
    ]


def test_a_read_token_is_refused_before_the_key_is_claimed(endpoint, make_token, world):
    read = make_token(world.a.email(PM), "read")
    assert endpoint.post(read, {"name": "Spring"}, key="k").status_code == 403
    assert endpoint.records() == []
    assert endpoint.post("cmk_nope", {"name": "Spring"}, key="k").status_code == 401


def test_keys_expire_after_24_hours(endpoint, token):
    assert endpoint.post(token, {"name": "Old"}, key="daily").status_code == 201
    with endpoint.app.app_context():
        db.session.execute(
            sa.update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25))
        )
        db.session.commit()

    fresh = endpoint.post(token, {"name": "New"}, key="daily")

    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh.headers
    assert endpoint.campaign_names() == ["Old", "New"]
    (record,) = endpoint.records()
    assert record.response_body["name"] == "New"


def test_purge_expired_deletes_only_old_records(endpoint, token):
    for key in ("a", "b"):
        endpoint.post(token, {"name": key}, key=key)
    with endpoint.app.app_context():
        db.session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "a")
            .values(created_at=utcnow() - timedelta(hours=24, seconds=1))
        )
        db.session.commit()
        assert idempotency.purge_expired() == 1
        db.session.remove()
    assert [r.key for r in endpoint.records()] == ["b"]


def test_fingerprints_separate_method_path_query_and_body():
    base = idempotency.fingerprint("POST", "/a", b"", b"{}")
    assert base == idempotency.fingerprint("post", "/a", b"", b"{}")
    others = {
        idempotency.fingerprint("PUT", "/a", b"", b"{}"),
        idempotency.fingerprint("POST", "/b", b"", b"{}"),
        idempotency.fingerprint("POST", "/a", b"x=1", b"{}"),
        idempotency.fingerprint("POST", "/a", b"", b"{ }"),
        # Moving bytes between parts must not collide.
        idempotency.fingerprint("POST", "/a{}", b"", b""),
    }
    assert base not in others and len(others) == 5


@pytest.mark.pg_only
def test_two_concurrent_requests_with_one_key_run_the_handler_once(make_app, world, make_token):
    """Both requests are in flight at once; the database's unique key lets only one claim."""
    app = make_app(own=True)
    endpoint = build_endpoint(app)
    endpoint.delay = 0.2
    token = make_token(world.a.email(PM), "write")
    gate = threading.Barrier(2)

    def send(key: str) -> Any:
        gate.wait(5)
        return endpoint.post(token, {"name": key}, key=key)

    keys = [f"race-{attempt}" for attempt in range(5)]
    for key in keys:
        endpoint.calls.clear()
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(send, [key, key])
        statuses = sorted([first.status_code, second.status_code])
        replayed = [r.headers.get("Idempotent-Replayed") for r in (first, second)]
        # The loser either saw the key in progress (409) or, if it came late, the answer.
        assert statuses in ([201, 201], [201, 409]), statuses
        if statuses == [201, 201]:
            assert replayed.count("true") == 1
        assert endpoint.calls == [key]
    assert endpoint.campaign_names() == keys

"""The read endpoints of /api/v1, tenancy, and the one JSON error shape for every status."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from apiflask import APIBlueprint, Schema
from apiflask.fields import Integer, String
from flask import Flask
from sqlalchemy.exc import OperationalError

from comarketing.campaigns import lifecycle
from comarketing.errors import Conflict, Forbidden, ValidationFailed
from comarketing.extensions import csrf
from tests import factories
from tests.api.conftest import ApiClient, error_of
from tests.campaign_helpers import add_placement, joint_campaign, solo_campaign

PM, ANALYST = "partner_manager", "analyst"


@dataclass
class Scene:
    ab: int  # joint A+B, EUR 1,000.00, a placement of each
    ab_placements: tuple[int, int]
    a_solo: int  # A alone, revenue target EUR 1,234.50, one placement
    a_solo_placement: int
    a_more: list[int]  # five more solo campaigns of A (pagination)
    b_solo: int
    c_solo: int  # carries the canary
    bc: int  # joint B+C, carries the canary


@pytest.fixture
def scene(app: Flask, world: factories.World) -> Scene:
    with app.app_context():
        ab = joint_campaign(world)
        a_pm, b_pm, c_pm = (x.email(PM) for x in (world.a, world.b, world.c))
        a_solo = solo_campaign(
            a_pm,
            "Alpha solo",
            start=date(2027, 5, 1),
            end=date(2027, 5, 31),
            target_revenue_minor=123_450,
            target_leads=40,
            total_budget_minor=50_000,
        )
        a_solo_placement = add_placement(
            a_pm, a_solo, world.a.id, channel="search", name="Search ads", cost=12_345
        )
        a_more = [
            solo_campaign(a_pm, f"Alpha extra {i}", start=date(2026, 1, i + 1)) for i in range(5)
        ]
        b_solo = solo_campaign(b_pm, "Beta solo")
        c_solo = solo_campaign(c_pm, f"Gamma solo {world.canary}")
        bc = lifecycle.create_joint_campaign(
            offer_id=None,
            proposer_organization_id=world.b.id,
            created_by_id=None,
            name=f"Beta and Gamma {world.canary}",
            description=world.canary,
            start_date=date(2027, 3, 1),
            end_date=date(2027, 3, 31),
            currency="USD",
            total_budget_minor=10_000,
            target_reach=None,
            target_leads=None,
            target_revenue_minor=None,
            parties=[
                lifecycle.PartyShare(world.b.id, 5_000, 5_000),
                lifecycle.PartyShare(world.c.id, 5_000, 5_000),
            ],
            placements=[lifecycle.PlannedPlacement("display", world.c.id, world.canary, 5_000)],
        ).id
        from comarketing.extensions import db

        db.session.commit()
        db.session.remove()
    return Scene(
        ab.id,
        (ab.a_placement, ab.b_placement),
        a_solo,
        a_solo_placement,
        a_more,
        b_solo,
        c_solo,
        bc,
    )


# ---------------------------------------------------------------------------------------------
# /me


def test_me_names_the_user_the_organization_and_the_scope(world, api_as):
    read = api_as(world.b.email(ANALYST)).get("/api/v1/me")
    write = api_as(world.b.email(PM), "write").get("/api/v1/me")

    assert read.status_code == 200
    assert read.mimetype == "application/json"
    body = read.get_json()
    assert body == {
        "user": {
            "id": world.b.user_ids[ANALYST],
            "email": world.b.email(ANALYST),
            "name": body["user"]["name"],
            "role": "analyst",
            "time_zone": None,
            "reads_in": "UTC",
        },
        "organization": {"id": world.b.id, "name": world.b.name, "time_zone": "UTC", "country": ""},
        "token": {"scope": "read"},
    }
    assert write.get_json()["token"] == {"scope": "write"}
    # Tenant data: never cached.
    assert read.headers["Cache-Control"] == "no-store"


# ---------------------------------------------------------------------------------------------
# Campaigns


def test_campaigns_lists_only_the_organizations_campaigns(world, scene, api_as):
    api: ApiClient = api_as(world.a.email(ANALYST))
    body = api.get("/api/v1/campaigns?per_page=100").get_json()

    ids = [item["id"] for item in body["items"]]
    assert sorted(ids) == sorted([scene.ab, scene.a_solo, *scene.a_more])
    assert (body["page"], body["per_page"], body["total"], body["has_more"]) == (1, 100, 7, False)
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[scene.ab] == {
        "id": scene.ab,
        "kind": "joint",
        "name": "Spring baking week",
        "status": "planned",
        "start_date": "2027-03-01",
        "end_date": "2027-04-30",
        "currency": "EUR",
        "total_budget": {"amount": "1000.00", "currency": "EUR", "minor": 100_000},
        "partners": [world.b.name],
    }
    assert by_id[scene.a_solo]["partners"] == []
    # Newest start first.
    assert ids[0] == scene.a_solo
    assert world.canary not in api.get("/api/v1/campaigns?per_page=100").get_data(as_text=True)

    c_ids = [i["id"] for i in api_as(world.c.email(ANALYST)).get("/api/v1/campaigns").json["items"]]
    assert sorted(c_ids) == sorted([scene.c_solo, scene.bc])


def test_campaigns_paginate(world, scene, api_as):
    api = api_as(world.a.email(PM))
    pages = [api.get(f"/api/v1/campaigns?per_page=3&page={n}").get_json() for n in (1, 2, 3, 4)]

    assert [len(p["items"]) for p in pages] == [3, 3, 1, 0]
    assert [p["has_more"] for p in pages] == [True, True, False, False]
    assert {p["total"] for p in pages} == {7}
    assert [p["page"] for p in pages] == [1, 2, 3, 4]
    seen = [item["id"] for p in pages for item in p["items"]]
    assert len(seen) == len(set(seen)) == 7
    default = api.get("/api/v1/campaigns").get_json()
    assert (default["page"], default["per_page"]) == (1, 25)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=-1", "per_page"),
        ("per_page=2.0", "per_page"),
        ("per_page=1e1", "per_page"),
        ("per_page=%202", "per_page"),
        ("per_page=abc", "per_page"),
        ("page=0", "page"),
        ("page=100001", "page"),
        ("page=99999999999999999999999", "page"),
        ("page=", "page"),
    ],
)
def test_bad_paging_answers_422_naming_the_parameter(world, api_as, query, field):
    response = api_as(world.a.email(PM)).get(f"/api/v1/campaigns?{query}")

    assert response.status_code == 422
    error = error_of(response)
    assert error["field"] == field
    assert error["errors"][0]["location"] == "query"
    assert error["errors"][0]["field"] == field


def test_a_campaign_in_detail(world, scene, api_as):
    response = api_as(world.b.email(ANALYST)).get(f"/api/v1/campaigns/{scene.ab}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["parties"] == [
        {
            "organization": {"id": world.a.id, "name": world.a.name},
            "budget_share_bp": 6_000,
            "revenue_share_bp": 6_000,
        },
        {
            "organization": {"id": world.b.id, "name": world.b.name},
            "budget_share_bp": 4_000,
            "revenue_share_bp": 4_000,
        },
    ]
    assert body["targets"] == {"reach": 50_000, "leads": None, "revenue": None}
    assert body["total_budget"] == {"amount": "1000.00", "currency": "EUR", "minor": 100_000}
    assert (body["kind"], body["offer_id"], body["start_date"]) == ("joint", None, "2027-03-01")
    assert body["created_at"].endswith("+00:00")

    solo = api_as(world.a.email(ANALYST)).get(f"/api/v1/campaigns/{scene.a_solo}").get_json()
    assert solo["targets"] == {
        "reach": None,
        "leads": 40,
        "revenue": {"amount": "1234.50", "currency": "EUR", "minor": 123_450},
    }


def test_placements_of_a_campaign(world, scene, api_as):
    body = api_as(world.a.email(ANALYST)).get(f"/api/v1/campaigns/{scene.ab}/placements").json

    owners = {p["id"]: p["owner"] for p in body["items"]}
    assert owners == {
        scene.ab_placements[0]: {"id": world.a.id, "name": world.a.name},
        scene.ab_placements[1]: {"id": world.b.id, "name": world.b.name},
    }
    solo = api_as(world.a.email(PM)).get(f"/api/v1/campaigns/{scene.a_solo}/placements").json
    (placement,) = solo["items"]
    assert placement == {
        "id": scene.a_solo_placement,
        "campaign_id": scene.a_solo,
        "owner": {"id": world.a.id, "name": world.a.name},
        "channel": "search",
        "name": "Search ads",
        "url": "",
        "start_date": "2027-05-01",
        "end_date": "2027-05-31",
        "planned_cost": {"amount": "123.45", "currency": "EUR", "minor": 12_345},
        "audience_size": None,
        "flight_reach": None,
        "platform_names": [],
    }


def test_the_campaign_and_placement_lists_answer_what_their_schemas_dump(app, world, scene, api_as):
    """Both are built without the schema's dump (api/plain_json.py)."""
    from comarketing.api import campaigns, schemas
    from comarketing.extensions import db
    from tests.offer_helpers import actor

    a_pm = api_as(world.a.email(PM), "write")
    named = a_pm.post(
        f"/api/v1/placements/{scene.a_solo_placement}/names",
        json={"name": 'Search "brand" <EU>', "platform": "Google Ads"},
    )
    assert named.status_code == 201, named.get_json()
    query = {"page": 1, "per_page": 20, "kind": None, "status": None, "partner": None}
    query |= {"runs_from": None, "runs_to": None}
    with app.app_context():
        who = actor(world.a.email(PM))
        expected = {
            "/api/v1/campaigns?per_page=20": schemas.CampaignPage().dump(
                campaigns.campaign_page(who, query)
            ),
            f"/api/v1/campaigns/{scene.a_solo}/placements": schemas.PlacementList().dump(
                campaigns.placement_list(who, scene.a_solo)
            ),
            f"/api/v1/campaigns/{scene.ab}/placements": schemas.PlacementList().dump(
                campaigns.placement_list(who, scene.ab)
            ),
        }
        dumped = {url: app.json.loads(app.json.dumps(body)) for url, body in expected.items()}
        db.session.remove()
    assert len(dumped["/api/v1/campaigns?per_page=20"]["items"]) == 7
    assert dumped[f"/api/v1/campaigns/{scene.a_solo}/placements"]["items"][0]["platform_names"]
    for url, body in dumped.items():
        answered = a_pm.get(url)
        assert answered.status_code == 200, url
        assert answered.get_json() == body, url


@pytest.mark.parametrize("suffix", ["", "/placements"])
def test_another_organizations_campaign_answers_exactly_like_a_missing_one(
    world, scene, api_as, suffix
):
    api = api_as(world.a.email("admin"), "write")

    def strip(response: Any) -> tuple[int, dict[str, str], bytes]:
        # The request id and the token's remaining allowance change with every request; the
        # limiter's Retry-After counts seconds to the window's reset, which moves on a slow run.
        headers = {
            k: v
            for k, v in response.headers.items()
            if k not in ("X-Request-ID", "Retry-After") and not k.startswith("X-RateLimit-")
        }
        return response.status_code, headers, response.data

    missing = api.get(f"/api/v1/campaigns/10000000{suffix}")
    assert missing.status_code == 404
    assert error_of(missing)["field"] is None
    for theirs in (scene.c_solo, scene.bc, scene.b_solo):
        response = api.get(f"/api/v1/campaigns/{theirs}{suffix}")
        assert strip(response) == strip(missing)
        assert world.canary not in response.get_data(as_text=True)
    # And C itself does see them.
    theirs_to_c = api_as(world.c.email(ANALYST)).get(f"/api/v1/campaigns/{scene.bc}{suffix}")
    assert theirs_to_c.status_code == 200


def test_out_of_range_ids_are_refused_without_reaching_the_database(world, api_as):
    api = api_as(world.a.email(PM))
    assert api.get("/api/v1/campaigns/0").status_code == 422
    # Above any 32-bit id the route itself does not match: no record, like a missing one.
    assert api.get("/api/v1/campaigns/2147483648").status_code == 404
    assert api.get("/api/v1/campaigns/99999999999999999999999999/placements").status_code == 404
    assert api.get("/api/v1/campaigns/-1").status_code == 404  # not an id at all
    assert api.get("/api/v1/campaigns/abc").status_code == 404


# ---------------------------------------------------------------------------------------------
# Errors: one JSON shape for every status, under /api/v1 only


class Body(Schema):
    name = String(required=True)
    count = Integer(strict=True, required=True)


def error_app(make_app: Any, **config: Any) -> Flask:
    """The real app plus a throwaway API blueprint whose endpoints raise each kind of error."""
    app = make_app(own=True, **config)
    bp = APIBlueprint("api_errors_test", __name__, url_prefix="/api/v1/test-errors")
    csrf.exempt(bp)

    @bp.post("/body")
    @bp.input(Body, arg_name="body")
    def body(body: dict[str, Any]) -> dict[str, Any]:
        return body

    @bp.post("/raw")
    def raw() -> dict[str, int]:
        from flask import request

        return {"size": len(request.get_data())}

    @bp.get("/domain/<kind>")
    def domain(kind: str) -> dict[str, str]:
        errors = {
            "forbidden": Forbidden("Your role does not allow this."),
            "conflict": Conflict("Someone changed it first."),
            "invalid": ValidationFailed("Dates out of order.", field="end_date"),
        }
        raise errors[kind]

    @bp.get("/crash")
    def crash() -> dict[str, str]:
        raise RuntimeError("secret internals /etc/passwd")

    @bp.get("/database-down")
    def database_down() -> dict[str, str]:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    app.register_blueprint(bp)
    return app


def test_every_api_error_has_the_one_json_shape(make_app):
    app = error_app(make_app, MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    url = "/api/v1/test-errors"

    bad_json = client.post(f"{url}/body", data="{not json", content_type="application/json")
    assert bad_json.status_code == 400
    error_of(bad_json)

    invalid = client.post(f"{url}/body", json={"name": "x", "count": 2.0})
    assert invalid.status_code == 422
    error = error_of(invalid)
    assert error["field"] == "count"
    assert error["errors"] == [
        {"location": "json", "field": "count", "message": "Not a valid integer."}
    ]
    missing = error_of(client.post(f"{url}/body", json={}))
    assert {e["field"] for e in missing["errors"]} == {"name", "count"}
    assert client.post(f"{url}/body", json={"name": "x", "count": 2}).get_json() == {
        "name": "x",
        "count": 2,
    }

    too_big = client.post(f"{url}/raw", data=b"x" * 2048, content_type="application/json")
    assert too_big.status_code == 413
    error_of(too_big)

    forbidden = client.get(f"{url}/domain/forbidden")
    assert (forbidden.status_code, error_of(forbidden)["message"]) == (
        403,
        "Your role does not allow this.",
    )
    conflict = client.get(f"{url}/domain/conflict")
    assert conflict.status_code == 409
    assert error_of(conflict)["message"] == "Someone changed it first."
    invalid_domain = client.get(f"{url}/domain/invalid")
    assert invalid_domain.status_code == 422
    assert error_of(invalid_domain)["field"] == "end_date"

    crash = client.get(f"{url}/crash")
    assert crash.status_code == 500
    assert "secret" not in crash.get_data(as_text=True)
    error_of(crash)

    down = client.get(f"{url}/database-down")
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "30"
    error_of(down)


def test_unknown_paths_and_wrong_methods_under_the_api_answer_json(client):
    for path in ("/api/v1/nope", "/api/v1", "/api/v1/", "/api/v1/campaigns/1/nope"):
        response = client.get(path)
        assert response.status_code == 404, path
        error_of(response)
    wrong = client.post("/api/v1/me")
    assert wrong.status_code == 405
    assert error_of(wrong)["status"] == 405
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.delete("/api/v1/campaigns").status_code == 405


def test_html_pages_keep_html_errors(client, world, login_as):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert client.get("/api/v1/docs").mimetype == "text/html"
    # A path that merely starts like the API is not the API.
    assert client.get("/api/v10/me").mimetype == "text/html"


def test_a_read_token_may_not_write(make_app, world, make_token):
    """``require_write``: 403 JSON for a read token, the handler for a write token."""
    from comarketing.api.auth import auth, require_write

    app = make_app(own=True)
    bp = APIBlueprint("api_write_test", __name__, url_prefix="/api/v1/test-write")
    csrf.exempt(bp)
    calls: list[str] = []

    @bp.post("/")
    @bp.auth_required(auth)
    @require_write
    def write() -> tuple[dict[str, bool], int]:
        calls.append("written")
        return {"ok": True}, 201

    app.register_blueprint(bp)
    client = app.test_client()
    read = make_token(world.a.email(PM), "read")
    write_token = make_token(world.a.email(PM), "write")

    refused = client.post("/api/v1/test-write/", headers={"Authorization": f"Bearer {read}"})
    assert refused.status_code == 403
    assert "read" in error_of(refused)["message"]
    assert calls == []
    done = client.post("/api/v1/test-write/", headers={"Authorization": f"Bearer {write_token}"})
    assert (done.status_code, done.get_json(), calls) == (201, {"ok": True}, ["written"])
    anonymous = client.post("/api/v1/test-write/")
    assert anonymous.status_code == 401


# ---------------------------------------------------------------------------------------------
# The OpenAPI document and its docs page


def test_the_openapi_document_describes_the_api_only(client):
    from comarketing.api.errors import DOCUMENTED_ERRORS

    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert sorted(spec["paths"]) == [
        "/api/v1/calendar",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/campaigns/{campaign_id}/cancel",
        "/api/v1/campaigns/{campaign_id}/claims",
        "/api/v1/campaigns/{campaign_id}/collateral",
        "/api/v1/campaigns/{campaign_id}/collateral/report",
        "/api/v1/campaigns/{campaign_id}/collateral/requests",
        "/api/v1/campaigns/{campaign_id}/complete",
        "/api/v1/campaigns/{campaign_id}/ledger",
        "/api/v1/campaigns/{campaign_id}/ledger/entries",
        "/api/v1/campaigns/{campaign_id}/milestones",
        "/api/v1/campaigns/{campaign_id}/milestones/{milestone_id}/done",
        "/api/v1/campaigns/{campaign_id}/payments",
        "/api/v1/campaigns/{campaign_id}/placements",
        "/api/v1/campaigns/{campaign_id}/placements/{placement_id}",
        "/api/v1/campaigns/{campaign_id}/settlement",
        "/api/v1/campaigns/{campaign_id}/start",
        "/api/v1/claims/{claim_id}",
        "/api/v1/claims/{claim_id}/confirm",
        "/api/v1/claims/{claim_id}/dispute",
        "/api/v1/claims/{claim_id}/revise",
        "/api/v1/claims/{claim_id}/withdraw",
        "/api/v1/collateral",
        "/api/v1/collateral/assets/{asset_id}",
        "/api/v1/collateral/assets/{asset_id}/download",
        "/api/v1/collateral/assets/{asset_id}/review",
        "/api/v1/collateral/assets/{asset_id}/versions",
        "/api/v1/collateral/report",
        "/api/v1/collateral/requests/{request_id}/deliver",
        "/api/v1/collateral/requests/{request_id}/take",
        "/api/v1/collateral/requests/{request_id}/vote",
        "/api/v1/events",
        "/api/v1/imports",
        "/api/v1/imports/{import_id}",
        "/api/v1/imports/{import_id}/confirm",
        "/api/v1/me",
        "/api/v1/notifications",
        "/api/v1/notifications/read-all",
        "/api/v1/notifications/{notification_id}/read",
        "/api/v1/offers",
        "/api/v1/offers/{offer_id}",
        "/api/v1/offers/{offer_id}/clone",
        "/api/v1/offers/{offer_id}/collateral",
        "/api/v1/offers/{offer_id}/comments",
        "/api/v1/offers/{offer_id}/decide",
        "/api/v1/offers/{offer_id}/discard",
        "/api/v1/offers/{offer_id}/revise",
        "/api/v1/offers/{offer_id}/send",
        "/api/v1/offers/{offer_id}/withdraw",
        "/api/v1/partners/{organization_id}/statement",
        "/api/v1/partnerships",
        "/api/v1/partnerships/{partnership_id}",
        "/api/v1/partnerships/{partnership_id}/accept",
        "/api/v1/partnerships/{partnership_id}/cancel",
        "/api/v1/partnerships/{partnership_id}/decline",
        "/api/v1/partnerships/{partnership_id}/end",
        "/api/v1/payments/{payment_id}/confirm",
        "/api/v1/payments/{payment_id}/reject",
        "/api/v1/placements/{placement_id}/audience",
        "/api/v1/placements/{placement_id}/audience/file",
        "/api/v1/placements/{placement_id}/flight-reach",
        "/api/v1/placements/{placement_id}/metrics",
        "/api/v1/placements/{placement_id}/names",
        "/api/v1/placements/{placement_id}/names/{name_id}",
        "/api/v1/products",
        "/api/v1/products/{product_id}",
        "/api/v1/products/{product_id}/archive",
        "/api/v1/products/{product_id}/restore",
        "/api/v1/reports/campaigns/{campaign_id}",
        "/api/v1/reports/dashboard",
        "/api/v1/reports/dedup",
    ]
    bearer = spec["components"]["securitySchemes"]["BearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation["security"] == [{"BearerAuth": []}], (method, path)
            responses = operation["responses"]
            # 200, or 201 where the operation creates a record (a claim, a payment), or 202
            # where it queues work (an import's run).
            assert {"200", "201", "202"} & set(responses), (method, path)
            for status in DOCUMENTED_ERRORS:
                content = responses[str(status)]["content"]
                assert content == {"application/json": {"schema": error_ref}}, (path, status)
    assert set(spec["components"]["schemas"]["ErrorDetail"]["required"]) == {
        "status",
        "message",
        "field",
        "errors",
    }
    per_page = spec["paths"]["/api/v1/campaigns"]["get"]["parameters"][1]
    assert per_page["schema"] == {
        "default": 25,
        "minimum": 1,
        "maximum": 100,
        "type": "integer",
    }


def test_the_docs_page_renders_the_document_offline(client, world, login_as):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    for text in (
        "/api/v1/me",
        "/api/v1/campaigns/{campaign_id}/placements",
        "List campaigns",
        "Authorization: Bearer",
        'id="schema-Error"',
        'id="schema-CampaignDetail"',
        "Idempotency-Key",
        "integer (1 to 100; default 25)",
        'href="#schema-Money"',
        'href="/api/v1/openapi.json"',
    ):
        assert text in html, text
    # Nothing from elsewhere and nothing inline: the strict CSP holds, offline.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script>" not in html and "style=" not in html
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    # Signed in, it is the same page inside the app's navigation.
    signed_in = login_as(world.a.email(ANALYST)).get("/api/v1/docs")
    assert signed_in.status_code == 200
    assert 'href="/settings/tokens"' in signed_in.get_data(as_text=True)

"""Schemathesis against the OpenAPI document, in process (the WSGI app, no server).

Every operation is called with generated parameters and a valid token; each answer must not
be a server error, and its status, content type and body must be the ones the document
declares. Deterministic (``derandomize``) and bounded, so it runs in seconds and the same way
every time.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from comarketing import notifications
from comarketing.budgets import payments
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.metrics import entry, uploads
from comarketing.offers import discussion
from tests import factories
from tests.campaign_helpers import add_placement, commit, joint_campaign, solo_campaign, spend
from tests.offer_helpers import actor, propose, propose_and_send

MAX_EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def bearer(app: Flask, world: factories.World, make_token: Callable[..., str]) -> str:
    """A token of A's partner manager, with campaigns for the generated ids to find."""
    with app.app_context():
        joint = joint_campaign(world)
        # A claim and a payment of B's for A to answer (ids 1 and 1: generated ids find them).
        b_pm = world.b.email("partner_manager")
        spend(b_pm, joint.id, joint.b_placement, 1_000)
        payments.record_payment(
            actor(b_pm),
            joint.id,
            to_organization_id=world.a.id,
            amount_minor=100,
            paid_on=utcnow().date(),
        )
        solo = solo_campaign(world.a.email("partner_manager"), "Alpha solo", target_leads=3)
        placement = add_placement(
            world.a.email("partner_manager"), solo, world.a.id, start=date(2027, 3, 2)
        )
        # Results and spend, so the campaign report answers with every list filled.
        pm = actor(world.a.email("partner_manager"))
        day = {"day": "2027-03-02", "impressions": "10", "reach": "5", "leads": "1"}
        entry.upsert_days(pm, placement, [{**day, "revenue": "1.50", "cost": "0.50"}])
        commit(world.a.email("partner_manager"), solo, 10_000)
        spend(world.a.email("partner_manager"), solo, placement, 500, occurred_on=date(2027, 3, 2))
        solo_campaign(world.c.email("partner_manager"), f"Gamma {world.canary}")
        # A results file in preview (id 1), for the imports operations to find.
        uploads.upload(
            pm,
            io.BytesIO(b"date,placement,cost\n2027-03-02,x,1\n"),
            "r.csv",
            campaign_id=joint.id,
        )
        # An A-B offer A sent and a draft, a comment and a notification of A's partner manager
        # (ids 1 and 2, for the offers and notifications operations to find).
        pm_email = world.a.email("partner_manager")
        offer_id = propose_and_send(pm_email, [world.a.id, world.b.id])
        propose(pm_email, [world.a.id, world.b.id])
        discussion.add_comment(actor(world.b.email("approver")), offer_id, "Looks good")
        notifications.notify(
            [notifications.Recipient(world.a.user_ids["partner_manager"], pm_email)],
            kind="offer_comment",
            title="A comment",
            body="A comment",
            link=f"/offers/{offer_id}",
        )
        db.session.commit()
        db.session.remove()
    # A write token: the metrics upsert is exercised too, not only refused as read-only.
    return make_token(world.a.email("partner_manager"), "write")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_to_the_openapi_document(
    app: Flask, bearer: str, mode: GenerationMode
) -> None:
    # Schemathesis' own pytest loader (``from_fixture``) sets ``node._nodeid``, which pytest 9
    # no longer has; its Hypothesis strategies inside a plain test do the same work.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert sorted(op.label for op in operations) == [
        "DELETE /api/v1/placements/{placement_id}/names/{name_id}",
        "GET /api/v1/calendar",
        "GET /api/v1/campaigns",
        "GET /api/v1/campaigns/{campaign_id}",
        "GET /api/v1/campaigns/{campaign_id}/claims",
        "GET /api/v1/campaigns/{campaign_id}/collateral/report",
        "GET /api/v1/campaigns/{campaign_id}/collateral/requests",
        "GET /api/v1/campaigns/{campaign_id}/ledger",
        "GET /api/v1/campaigns/{campaign_id}/ledger/entries",
        "GET /api/v1/campaigns/{campaign_id}/milestones",
        "GET /api/v1/campaigns/{campaign_id}/payments",
        "GET /api/v1/campaigns/{campaign_id}/placements",
        "GET /api/v1/campaigns/{campaign_id}/settlement",
        "GET /api/v1/claims/{claim_id}",
        "GET /api/v1/collateral",
        "GET /api/v1/collateral/assets/{asset_id}",
        "GET /api/v1/collateral/report",
        "GET /api/v1/events",
        "GET /api/v1/imports/{import_id}",
        "GET /api/v1/me",
        "GET /api/v1/notifications",
        "GET /api/v1/offers",
        "GET /api/v1/offers/{offer_id}",
        "GET /api/v1/offers/{offer_id}/comments",
        "GET /api/v1/partners/{organization_id}/statement",
        "GET /api/v1/partnerships",
        "GET /api/v1/partnerships/{partnership_id}",
        "GET /api/v1/placements/{placement_id}/metrics",
        "GET /api/v1/products",
        "GET /api/v1/reports/campaigns/{campaign_id}",
        "GET /api/v1/reports/dashboard",
        "GET /api/v1/reports/dedup",
        "PATCH /api/v1/campaigns/{campaign_id}",
        "PATCH /api/v1/campaigns/{campaign_id}/placements/{placement_id}",
        "PATCH /api/v1/imports/{import_id}",
        "PATCH /api/v1/placements/{placement_id}/metrics",
        "PATCH /api/v1/products/{product_id}",
        "POST /api/v1/campaigns",
        "POST /api/v1/campaigns/{campaign_id}/cancel",
        "POST /api/v1/campaigns/{campaign_id}/claims",
        "POST /api/v1/campaigns/{campaign_id}/collateral",
        "POST /api/v1/campaigns/{campaign_id}/collateral/requests",
        "POST /api/v1/campaigns/{campaign_id}/complete",
        "POST /api/v1/campaigns/{campaign_id}/milestones",
        "POST /api/v1/campaigns/{campaign_id}/milestones/{milestone_id}/done",
        "POST /api/v1/campaigns/{campaign_id}/payments",
        "POST /api/v1/campaigns/{campaign_id}/placements",
        "POST /api/v1/campaigns/{campaign_id}/start",
        "POST /api/v1/claims/{claim_id}/confirm",
        "POST /api/v1/claims/{claim_id}/dispute",
        "POST /api/v1/claims/{claim_id}/revise",
        "POST /api/v1/claims/{claim_id}/withdraw",
        "POST /api/v1/collateral/assets/{asset_id}/download",
        "POST /api/v1/collateral/assets/{asset_id}/review",
        "POST /api/v1/collateral/assets/{asset_id}/versions",
        "POST /api/v1/collateral/requests/{request_id}/deliver",
        "POST /api/v1/collateral/requests/{request_id}/take",
        "POST /api/v1/collateral/requests/{request_id}/vote",
        "POST /api/v1/imports",
        "POST /api/v1/imports/{import_id}/confirm",
        "POST /api/v1/notifications/read-all",
        "POST /api/v1/notifications/{notification_id}/read",
        "POST /api/v1/offers",
        "POST /api/v1/offers/{offer_id}/clone",
        "POST /api/v1/offers/{offer_id}/collateral",
        "POST /api/v1/offers/{offer_id}/comments",
        "POST /api/v1/offers/{offer_id}/decide",
        "POST /api/v1/offers/{offer_id}/discard",
        "POST /api/v1/offers/{offer_id}/revise",
        "POST /api/v1/offers/{offer_id}/send",
        "POST /api/v1/offers/{offer_id}/withdraw",
        "POST /api/v1/partnerships",
        "POST /api/v1/partnerships/{partnership_id}/accept",
        "POST /api/v1/partnerships/{partnership_id}/cancel",
        "POST /api/v1/partnerships/{partnership_id}/decline",
        "POST /api/v1/partnerships/{partnership_id}/end",
        "POST /api/v1/payments/{payment_id}/confirm",
        "POST /api/v1/payments/{payment_id}/reject",
        "POST /api/v1/placements/{placement_id}/audience",
        "POST /api/v1/placements/{placement_id}/audience/file",
        "POST /api/v1/placements/{placement_id}/metrics",
        "POST /api/v1/placements/{placement_id}/names",
        "POST /api/v1/products",
        "POST /api/v1/products/{product_id}/archive",
        "POST /api/v1/products/{product_id}/restore",
        "PUT /api/v1/offers/{offer_id}",
        "PUT /api/v1/placements/{placement_id}/flight-reach",
    ]
    statuses: set[int] = set()
    headers = {"Authorization": f"Bearer {bearer}"}

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            # One app and one set of records serve every example, on purpose.
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses.add(response.status_code)

        check()

    # The generated requests reached real answers, not only refusals.
    assert 200 in statuses if mode == GenerationMode.POSITIVE else 422 in statuses, statuses

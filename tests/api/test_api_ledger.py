"""A campaign's money over the API: claims with proof, the other party's answers, revisions
and withdrawals, payments and their answers, the ledger and the settlement — with roles,
tenancy (another company's campaign, claim or payment answers 404 like a missing one),
idempotent replays and field-named refusals that write nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.test import encode_multipart

from comarketing.budgets import commitments, imported_costs, payments
from comarketing.budgets.models import Claim, ClaimVersion, LedgerEntry, Payment
from comarketing.campaigns import lifecycle
from comarketing.db import utcnow
from comarketing.extensions import db
from tests.api.conftest import error_of
from tests.campaign_helpers import joint_campaign, spend
from tests.collateral import samples
from tests.conftest import count_queries
from tests.offer_helpers import actor

PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Scene:
    ab: int
    a_placement: int
    b_placement: int
    bc: int
    bc_claim: int
    bc_payment: int


def _bc(world: Any) -> tuple[int, int, int]:
    """A B+C campaign A never sees: a claim of B and a payment of C, carrying the canary."""
    b, c, canary = world.b.id, world.c.id, world.canary
    campaign = lifecycle.create_joint_campaign(
        offer_id=None,
        proposer_organization_id=b,
        created_by_id=None,
        name=f"Beta and Gamma {canary}",
        description=canary,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 1, 31),
        currency="EUR",
        total_budget_minor=100_000,
        target_reach=None,
        target_leads=None,
        target_revenue_minor=None,
        parties=[lifecycle.PartyShare(b, 5_000, 5_000), lifecycle.PartyShare(c, 5_000, 5_000)],
        placements=[lifecycle.PlannedPlacement("display", b, f"Banners {canary}", 5_000)],
    )
    commitments.record_commitments(
        campaign_id=campaign.id,
        currency="EUR",
        amounts={b: 50_000, c: 50_000},
        created_by_id=None,
        note=canary,
    )
    db.session.commit()
    placement = lifecycle_placement(campaign.id)
    entry = spend(world.b.email(PM), campaign.id, placement, 10_000, note=f"Beta paid {canary}")
    claim_id = db.session.scalar(
        sa.select(ClaimVersion.claim_id).where(ClaimVersion.ledger_entry_id == entry.id)
    )
    payment = payments.record_payment(
        actor(world.c.email(PM)),
        campaign.id,
        to_organization_id=b,
        amount_minor=1_000,
        paid_on=utcnow().date(),
        reference=f"Gamma pays {canary}",
    )
    return campaign.id, int(claim_id or 0), payment.payment.id


def lifecycle_placement(campaign_id: int) -> int:
    from comarketing.campaigns.models import Placement

    found = db.session.scalar(sa.select(Placement.id).where(Placement.campaign_id == campaign_id))
    assert found is not None
    return int(found)


@pytest.fixture
def scene(app, world) -> Scene:
    with app.app_context():
        ab = joint_campaign(world)
        bc, bc_claim, bc_payment = _bc(world)
        db.session.remove()
    return Scene(ab.id, ab.a_placement, ab.b_placement, bc, bc_claim, bc_payment)


def _claim_body(scene: Scene, **values: Any) -> dict[str, Any]:
    today = utcnow().date().isoformat()
    return {
        "placement_id": scene.a_placement,
        "amount_minor": 30_000,
        "service_from": "2027-03-01",
        "service_to": "2027-03-31",
        "paid_on": today,
        "note": "Boosted posts",
        **values,
    }


def _count(app, model) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _counts(app) -> tuple[int, ...]:
    return tuple(_count(app, m) for m in (Claim, ClaimVersion, LedgerEntry, Payment))


def _money(minor: int) -> dict[str, Any]:
    major, cents = divmod(abs(minor), 100)
    sign = "-" if minor < 0 else ""
    return {"amount": f"{sign}{major}.{cents:02d}", "currency": "EUR", "minor": minor}


# ---------------------------------------------------------------------------------------------
# The whole journey


def test_a_claim_is_confirmed_settled_paid_and_square(app, world, scene, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    created = a_pm.post(f"/api/v1/campaigns/{scene.ab}/claims", json=_claim_body(scene))
    assert created.status_code == 201, created.get_json()
    claim = created.get_json()
    assert claim["state"] == "pending"
    assert claim["organization"] == {"id": world.a.id, "name": world.a.name}
    assert claim["amount"] == _money(30_000)
    assert claim["waiting_for"] == [{"id": world.b.id, "name": world.b.name}]
    assert claim["confirm_due_at"] is not None
    assert [v["number"] for v in claim["versions"]] == [1]

    b_approver = api_as(world.b.email(APPROVER), "write")
    seen = b_approver.get(f"/api/v1/claims/{claim['id']}")
    assert seen.status_code == 200 and seen.get_json() == claim
    # Pending claims count for nobody's settlement.
    before = b_approver.get(f"/api/v1/campaigns/{scene.ab}/settlement").get_json()
    assert before["square"] is True and before["transfers"] == []
    assert before["totals"]["pending"] == _money(30_000)

    confirmed = b_approver.post(f"/api/v1/claims/{claim['id']}/confirm", json={"version": 1})
    assert confirmed.status_code == 200, confirmed.get_json()
    body = confirmed.get_json()
    assert body["state"] == "confirmed" and body["waiting_for"] == []
    assert [a["kind"] for a in body["versions"][0]["answers"]] == ["confirmed"]

    settlement = a_pm.get(f"/api/v1/campaigns/{scene.ab}/settlement").get_json()
    assert settlement["transfers"] == [
        {
            "from_organization": {"id": world.b.id, "name": world.b.name},
            "to_organization": {"id": world.a.id, "name": world.a.name},
            "amount": _money(12_000),
        }
    ]
    positions = {p["organization"]["id"]: p for p in settlement["positions"]}
    assert positions[world.a.id]["paid"] == _money(30_000)
    assert positions[world.a.id]["share"] == _money(18_000)
    assert positions[world.a.id]["balance"] == _money(12_000)
    assert positions[world.b.id]["balance"] == _money(-12_000)
    assert positions[world.a.id]["budget"]["committed"] == _money(60_000)
    assert settlement["square"] is False

    b_pm = api_as(world.b.email(PM), "write")
    paid = b_pm.post(
        f"/api/v1/campaigns/{scene.ab}/payments",
        json={
            "to_organization_id": world.a.id,
            "amount_minor": 12_000,
            "paid_on": utcnow().date().isoformat(),
            "reference": "SEPA 42",
        },
    )
    assert paid.status_code == 201, paid.get_json()
    payment = paid.get_json()
    assert payment["state"] == "pending" and payment["proof_filename"] is None
    assert payment["from_organization"]["id"] == world.b.id
    # Only the receiver answers.
    assert b_pm.post(f"/api/v1/payments/{payment['id']}/confirm").status_code == 403
    received = api_as(world.a.email(APPROVER), "write").post(
        f"/api/v1/payments/{payment['id']}/confirm"
    )
    assert received.status_code == 200, received.get_json()
    assert received.get_json()["state"] == "confirmed"

    square = a_pm.get(f"/api/v1/campaigns/{scene.ab}/settlement").get_json()
    assert square["square"] is True and square["transfers"] == []

    ledger = api_as(world.b.email(ANALYST)).get(f"/api/v1/campaigns/{scene.ab}/ledger")
    assert ledger.status_code == 200
    book = ledger.get_json()
    assert book["currency"] == "EUR" and book["entries_truncated"] is False
    assert [e["kind"] for e in book["entries"]] == ["expense", "commitment", "commitment"]
    assert book["entries"][0]["placement"] == {"id": scene.a_placement, "name": "Alpha newsletter"}
    assert [c["id"] for c in book["claims"]] == [claim["id"]]
    assert book["claims"][0]["state"] == "confirmed"
    assert [p["state"] for p in book["payments"]] == ["confirmed"]
    assert book["totals"]["spent"] == _money(30_000)


def test_dispute_revise_with_new_proof_then_withdraw(app, world, scene, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    claim = a_pm.post(f"/api/v1/campaigns/{scene.ab}/claims", json=_claim_body(scene)).get_json()
    b_admin = api_as(world.b.email(ADMIN), "write")
    url = f"/api/v1/claims/{claim['id']}"

    no_reason = b_admin.post(url + "/dispute", json={"reason": ""})
    assert no_reason.status_code == 422 and error_of(no_reason)["field"] == "reason"
    disputed = b_admin.post(url + "/dispute", json={"reason": "No invoice attached"})
    assert disputed.status_code == 200 and disputed.get_json()["state"] == "disputed"
    again = b_admin.post(url + "/confirm", json={})
    assert again.status_code == 409

    revised = a_pm.post(
        url + "/revise",
        data={
            "amount_minor": "25000",
            "proof": [(io.BytesIO(samples.pdf("Invoice 7")), "invoice-7.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert revised.status_code == 200, revised.get_json()
    body = revised.get_json()
    assert body["state"] == "pending" and body["version"] == 2
    assert body["amount"] == _money(25_000)
    first, second = body["versions"]
    assert first["reversed"] is True and [a["kind"] for a in first["answers"]] == ["disputed"]
    assert second["reversed"] is False and second["answers"] == []
    assert [p["filename"] for p in second["proofs"]] == ["invoice-7.pdf"]
    assert second["proofs"][0]["content_type"] == "application/pdf"
    # Confirming the version you looked at: version 1 is gone.
    stale = b_admin.post(url + "/confirm", json={"version": 1})
    assert stale.status_code == 409

    nothing = a_pm.post(url + "/revise", json={})
    assert nothing.status_code == 422 and error_of(nothing)["field"] == "amount"

    withdrawn = a_pm.post(url + "/withdraw", json={"reason": "Booked twice"})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["state"] == "withdrawn"
    assert a_pm.post(url + "/withdraw", json={}).status_code == 409


# ---------------------------------------------------------------------------------------------
# Proof files


def test_a_claim_with_proof_files_and_a_payment_with_proof(app, world, scene, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    body = {k: str(v) for k, v in _claim_body(scene).items()}
    created = a_pm.post(
        f"/api/v1/campaigns/{scene.ab}/claims",
        data={
            **body,
            "proof": [
                (io.BytesIO(samples.pdf("Invoice 1")), "invoice.pdf"),
                (io.BytesIO(samples.png()), "receipt.png"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.get_json()
    proofs = created.get_json()["versions"][0]["proofs"]
    assert [(p["filename"], p["content_type"]) for p in proofs] == [
        ("invoice.pdf", "application/pdf"),
        ("receipt.png", "image/png"),
    ]
    assert all(len(p["sha256"]) == 64 and p["size"] > 0 for p in proofs)

    paid = api_as(world.b.email(PM), "write").post(
        f"/api/v1/campaigns/{scene.ab}/payments",
        data={
            "to_organization_id": str(world.a.id),
            "amount_minor": "500",
            "paid_on": utcnow().date().isoformat(),
            "proof": (io.BytesIO(samples.pdf("Transfer")), "transfer.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert paid.status_code == 201, paid.get_json()
    assert paid.get_json()["proof_filename"] == "transfer.pdf"


def test_a_file_that_is_no_pdf_or_image_stores_nothing(app, world, scene, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    before = _counts(app)
    body = {k: str(v) for k, v in _claim_body(scene).items()}
    refused = a_pm.post(
        f"/api/v1/campaigns/{scene.ab}/claims",
        data={
            **body,
            "proof": [
                (io.BytesIO(samples.pdf("ok")), "ok.pdf"),
                (io.BytesIO(samples.windows_exe()), "invoice.pdf"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422, refused.get_json()
    assert error_of(refused)["field"] == "proof"
    bad_number = a_pm.post(
        f"/api/v1/campaigns/{scene.ab}/claims",
        data={**body, "amount_minor": "12.50"},
        content_type="multipart/form-data",
    )
    assert bad_number.status_code == 422
    assert error_of(bad_number)["field"] == "amount_minor"
    assert _counts(app) == before


# ---------------------------------------------------------------------------------------------
# Roles


def test_roles_and_scopes(app, world, scene, api_as):
    url = f"/api/v1/campaigns/{scene.ab}/claims"
    read_token = api_as(world.a.email(PM))
    assert read_token.post(url, json=_claim_body(scene)).status_code == 403
    analyst = api_as(world.a.email(ANALYST), "write")
    refused = analyst.post(url, json=_claim_body(scene))
    assert refused.status_code == 403 and error_of(refused)["status"] == 403
    # Another party's claim needs an admin with a written reason.
    for_b = api_as(world.a.email(PM), "write").post(
        url, json=_claim_body(scene, organization_id=world.b.id)
    )
    assert for_b.status_code == 403

    claim = api_as(world.a.email(PM), "write").post(url, json=_claim_body(scene)).get_json()
    confirm = f"/api/v1/claims/{claim['id']}/confirm"
    # The claimant's own company never confirms its claim; analysts never confirm.
    assert api_as(world.a.email(APPROVER), "write").post(confirm, json={}).status_code == 403
    assert api_as(world.b.email(ANALYST), "write").post(confirm, json={}).status_code == 403
    assert api_as(world.b.email(PM)).post(confirm, json={}).status_code == 403  # read token
    # Only the claimant revises or withdraws.
    assert (
        api_as(world.b.email(PM), "write")
        .post(f"/api/v1/claims/{claim['id']}/withdraw", json={})
        .status_code
        == 403
    )
    # Every party reads.
    assert api_as(world.b.email(ANALYST)).get(f"/api/v1/claims/{claim['id']}").status_code == 200


# ---------------------------------------------------------------------------------------------
# Tenancy and the canary


def test_another_companys_campaign_claim_and_payment_are_not_found(app, world, scene, api_as):
    a_admin = api_as(world.a.email(ADMIN), "write")
    missing_claim = a_admin.get("/api/v1/claims/999999")
    assert missing_claim.status_code == 404
    cases = [
        ("GET", f"/api/v1/claims/{scene.bc_claim}", "/api/v1/claims/999999", None),
        ("GET", f"/api/v1/campaigns/{scene.bc}/ledger", "/api/v1/campaigns/999999/ledger", None),
        (
            "GET",
            f"/api/v1/campaigns/{scene.bc}/settlement",
            "/api/v1/campaigns/999999/settlement",
            None,
        ),
        *(
            ("GET", f"/api/v1/campaigns/{scene.bc}/{lst}", f"/api/v1/campaigns/999999/{lst}", None)
            for lst in ("ledger/entries", "claims", "payments")
        ),
        (
            "POST",
            f"/api/v1/claims/{scene.bc_claim}/confirm",
            "/api/v1/claims/999999/confirm",
            {},
        ),
        (
            "POST",
            f"/api/v1/claims/{scene.bc_claim}/dispute",
            "/api/v1/claims/999999/dispute",
            {"reason": "Not ours"},
        ),
        ("POST", f"/api/v1/claims/{scene.bc_claim}/revise", "/api/v1/claims/999999/revise", {}),
        (
            "POST",
            f"/api/v1/claims/{scene.bc_claim}/withdraw",
            "/api/v1/claims/999999/withdraw",
            {},
        ),
        (
            "POST",
            f"/api/v1/payments/{scene.bc_payment}/confirm",
            "/api/v1/payments/999999/confirm",
            None,
        ),
        (
            "POST",
            f"/api/v1/payments/{scene.bc_payment}/reject",
            "/api/v1/payments/999999/reject",
            {"reason": "Never came"},
        ),
        (
            "POST",
            f"/api/v1/campaigns/{scene.bc}/claims",
            "/api/v1/campaigns/999999/claims",
            _claim_body(scene),
        ),
        (
            "POST",
            f"/api/v1/campaigns/{scene.bc}/payments",
            "/api/v1/campaigns/999999/payments",
            {"to_organization_id": world.b.id, "amount_minor": 100, "paid_on": "2026-01-02"},
        ),
    ]
    before = _counts(app)
    for method, theirs, missing, body in cases:
        kwargs = {"json": body} if body is not None else {}
        got = a_admin.open(theirs, method, **kwargs)
        absent = a_admin.open(missing, method, **kwargs)
        assert got.status_code == 404, (theirs, got.get_json())
        assert got.data == absent.data, theirs
        assert world.canary not in got.get_data(as_text=True)
    assert _counts(app) == before


def test_a_partys_reads_never_carry_another_partnerships_records(app, world, scene, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    a_pm.post(f"/api/v1/campaigns/{scene.ab}/claims", json=_claim_body(scene))
    lists = ("ledger", "settlement", "ledger/entries", "claims", "payments")
    for url in (f"/api/v1/campaigns/{scene.ab}/{name}" for name in lists):
        response = a_pm.get(url)
        assert response.status_code == 200
        assert world.canary not in response.get_data(as_text=True)
    # The B-C parties do see theirs.
    theirs = api_as(world.c.email(ANALYST)).get(f"/api/v1/claims/{scene.bc_claim}")
    assert theirs.status_code == 200 and world.canary in theirs.get_data(as_text=True)


def test_the_ledger_holds_the_newest_100_of_each_list_and_the_pages_hold_them_all(
    app, world, scene, api_as
):
    """An answer's size does not grow with the campaign's history (issue 21): 130 daily costs
    (a claim and an expense entry each) and 3 payments."""
    with app.app_context():
        costs = [
            imported_costs.DailyCost(
                campaign_id=scene.ab,
                placement_id=scene.a_placement,
                organization_id=world.a.id,
                day=date(2027, 3, 1) + timedelta(days=i),
                cost_minor=100 + i,
            )
            for i in range(130)
        ]
        imported_costs.sync_metric_costs(actor(world.a.email(PM)), costs, note="results")
        for amount in (1_000, 2_000, 3_000):
            payments.record_payment(
                actor(world.b.email(PM)),
                scene.ab,
                to_organization_id=world.a.id,
                amount_minor=amount,
                paid_on=utcnow().date(),
                reference=f"Transfer {amount}",
            )
        db.session.commit()
        entries = int(
            db.session.scalar(
                sa.select(sa.func.count(LedgerEntry.id)).where(LedgerEntry.campaign_id == scene.ab)
            )
            or 0
        )
    reader = api_as(world.b.email(ANALYST))
    book = reader.get(f"/api/v1/campaigns/{scene.ab}/ledger").get_json()
    assert (len(book["claims"]), book["claims_truncated"]) == (100, True)
    assert (len(book["entries"]), book["entries_truncated"]) == (100, True)
    assert (len(book["payments"]), book["payments_truncated"]) == (3, False)
    assert book["claims"][0]["amount"] == _money(229)  # the newest: the last day's cost

    def every(path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for number in range(1, 10):
            page = reader.get(f"/api/v1/campaigns/{scene.ab}/{path}?page={number}&per_page=40")
            assert page.status_code == 200, page.get_json()
            body = page.get_json()
            assert (body["page"], body["per_page"], body["campaign_id"]) == (number, 40, scene.ab)
            items += body["items"]
            if not body["has_more"]:
                assert body["total"] == len(items)
                return items
        raise AssertionError("more than 9 pages")

    claims = every("claims")
    assert len(claims) == 130
    assert [c["id"] for c in claims] == sorted((c["id"] for c in claims), reverse=True)
    assert claims[:100] == book["claims"]
    assert sorted(c["amount"]["minor"] for c in claims) == list(range(100, 230))
    listed = every("ledger/entries")
    assert len(listed) == entries and listed[:100] == book["entries"]
    assert [p["reference"] for p in every("payments")] == [
        "Transfer 3000",
        "Transfer 2000",
        "Transfer 1000",
    ]
    past_the_end = reader.get(f"/api/v1/campaigns/{scene.ab}/claims?page=9&per_page=100")
    assert past_the_end.get_json()["items"] == [] and past_the_end.get_json()["has_more"] is False
    too_many = reader.get(f"/api/v1/campaigns/{scene.ab}/claims?per_page=101")
    assert too_many.status_code == 422 and error_of(too_many)["field"] == "per_page"


# ---------------------------------------------------------------------------------------------
# Idempotency


def test_a_retried_claim_or_payment_is_answered_not_repeated(app, world, scene, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    url = f"/api/v1/campaigns/{scene.ab}/claims"
    headers = {"Idempotency-Key": "claim-1"}
    first = a_pm.post(url, json=_claim_body(scene), headers=headers)
    before = _counts(app)
    again = a_pm.post(url, json=_claim_body(scene), headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert _counts(app) == before
    other = a_pm.post(url, json=_claim_body(scene, amount_minor=1), headers=headers)
    assert other.status_code == 422 and error_of(other)["field"] == "Idempotency-Key"

    # A multipart retry sends the same form and files again, under a fresh boundary as
    # clients do: answered, not repeated.
    fields = {k: str(v) for k, v in _claim_body(scene, note="With proof").items()}
    key = {"Idempotency-Key": "claim-2"}
    answers = []
    for boundary in ("first-boundary", "retry-boundary"):
        proof = (io.BytesIO(samples.pdf("Inv")), "inv.pdf")
        _, data = encode_multipart(_files({**fields, "proof": proof}), boundary=boundary)
        content_type = f"multipart/form-data; boundary={boundary}"
        answers.append(a_pm.post(url, data=data, content_type=content_type, headers=key))
        if len(answers) == 1:
            before = _counts(app)
    one, two = answers
    assert one.status_code == 201, one.get_json()
    assert two.status_code == 201 and two.headers["Idempotent-Replayed"] == "true"
    assert two.get_json() == one.get_json()
    assert _counts(app) == before

    b_approver = api_as(world.b.email(APPROVER), "write")
    confirm = f"/api/v1/claims/{first.get_json()['id']}/confirm"
    ok = b_approver.post(confirm, json={}, headers={"Idempotency-Key": "c-1"})
    replay = b_approver.post(confirm, json={}, headers={"Idempotency-Key": "c-1"})
    assert ok.status_code == replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    # Without the key, a second answer is a conflict, not a second answer.
    assert b_approver.post(confirm, json={}).status_code == 409


def _files(fields: dict[str, Any]) -> Any:
    from werkzeug.datastructures import FileStorage, MultiDict

    values: MultiDict[str, Any] = MultiDict()
    for name, value in fields.items():
        if isinstance(value, tuple):
            values.add(name, FileStorage(value[0], filename=value[1]))
        else:
            values.add(name, value)
    return values


# ---------------------------------------------------------------------------------------------
# Bad input: a JSON error naming the field, nothing written


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount_minor": 12.5}, "amount_minor"),
        ({"amount_minor": "1250"}, "amount_minor"),
        ({"amount_minor": 0}, "amount_minor"),
        ({"amount_minor": 10**16}, "amount_minor"),
        ({"amount_minor": True}, "amount_minor"),
        ({"placement_id": 2**40}, "placement_id"),
        ({"service_from": "2027-02-28"}, "service_from"),
        ({"service_to": "2027-02-28", "service_from": "2027-03-01"}, "service_to"),
        ({"paid_on": "2099-01-01"}, "paid_on"),
        ({"paid_on": "1999-12-31"}, "paid_on"),
        ({"paid_on": "not a date"}, "paid_on"),
        ({"currency": "USD"}, "currency"),
        ({"currency": "eur!"}, "currency"),
        ({"note": "x" * 501}, "note"),
        ({"amount_minor": 200_000}, "amount"),  # past the commitments
        ({"organization_id": 999_999}, "organization_id"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_a_bad_claim_names_its_field_and_writes_nothing(app, world, scene, api_as, values, field):
    a_pm = api_as(world.a.email(PM), "write")
    before = _counts(app)
    response = a_pm.post(f"/api/v1/campaigns/{scene.ab}/claims", json=_claim_body(scene, **values))
    assert response.status_code == 422, response.get_json()
    assert error_of(response)["field"] == field
    assert _counts(app) == before


def test_a_placement_of_another_campaign_is_refused(app, world, scene, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    with app.app_context():
        theirs = lifecycle_placement(scene.bc)
    response = a_pm.post(
        f"/api/v1/campaigns/{scene.ab}/claims", json=_claim_body(scene, placement_id=theirs)
    )
    assert response.status_code == 422 and error_of(response)["field"] == "placement_id"
    assert world.canary not in response.get_data(as_text=True)


def test_bodies_that_are_not_json_or_multipart(app, world, scene, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    url = f"/api/v1/campaigns/{scene.ab}/claims"
    assert a_pm.post(url, data="amount=1", content_type="text/plain").status_code == 415
    malformed = a_pm.post(url, data="{", content_type="application/json")
    assert malformed.status_code == 400
    assert error_of(malformed)["status"] == 400
    listed = a_pm.post(url, json=[1, 2])
    assert listed.status_code == 422
    missing = a_pm.post(url, json={})
    assert missing.status_code == 422
    assert {e["field"] for e in error_of(missing)["errors"]} >= {"amount_minor", "placement_id"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"to_organization_id": "me"}, "to_organization_id"),
        ({"amount_minor": -5}, "amount_minor"),
        ({"paid_on": "2101-01-01"}, "paid_on"),
        ({"reference": "r" * 201}, "reference"),
    ],
)
def test_a_bad_payment_names_its_field(app, world, scene, api_as, values, field):
    b_pm = api_as(world.b.email(PM), "write")
    before = _counts(app)
    body = {
        "to_organization_id": world.a.id,
        "amount_minor": 100,
        "paid_on": utcnow().date().isoformat(),
        **values,
    }
    response = b_pm.post(f"/api/v1/campaigns/{scene.ab}/payments", json=body)
    assert response.status_code == 422, response.get_json()
    assert error_of(response)["field"] == field
    assert _counts(app) == before


def test_paying_yourself_and_rejecting_without_reason(app, world, scene, api_as):
    b_pm = api_as(world.b.email(PM), "write")
    url = f"/api/v1/campaigns/{scene.ab}/payments"
    today = utcnow().date().isoformat()
    self_paid = b_pm.post(
        url, json={"to_organization_id": world.b.id, "amount_minor": 100, "paid_on": today}
    )
    assert self_paid.status_code == 422
    assert error_of(self_paid)["field"] == "to_organization_id"
    payment = b_pm.post(
        url, json={"to_organization_id": world.a.id, "amount_minor": 100, "paid_on": today}
    ).get_json()
    a_admin = api_as(world.a.email(ADMIN), "write")
    no_reason = a_admin.post(f"/api/v1/payments/{payment['id']}/reject", json={})
    assert no_reason.status_code == 422 and error_of(no_reason)["field"] == "reason"
    rejected = a_admin.post(
        f"/api/v1/payments/{payment['id']}/reject", json={"reason": "Not on our statement"}
    )
    assert rejected.status_code == 200
    assert rejected.get_json()["state"] == "rejected"
    assert rejected.get_json()["reason"] == "Not on our statement"
    assert a_admin.post(f"/api/v1/payments/{payment['id']}/confirm").status_code == 409


# ---------------------------------------------------------------------------------------------
# The large answers are built without the schema's dump (api/plain_json.py)


def _rich_ledger(world: Any, scene: Scene, api_as: Any) -> None:
    """Claims confirmed (with proof), disputed then revised, withdrawn and pending; payments
    confirmed (with proof), rejected and pending."""
    a_pm, b_admin = api_as(world.a.email(PM), "write"), api_as(world.b.email(ADMIN), "write")
    b_pm, a_admin = api_as(world.b.email(PM), "write"), api_as(world.a.email(ADMIN), "write")
    claims = f"/api/v1/campaigns/{scene.ab}/claims"
    form = {k: str(v) for k, v in _claim_body(scene).items()}
    proof = [(io.BytesIO(samples.pdf("Invoice 1")), "invoice.pdf")]
    first = a_pm.post(claims, data={**form, "proof": proof}, content_type=MULTIPART).get_json()
    assert b_admin.post(f"/api/v1/claims/{first['id']}/confirm", json={}).status_code == 200
    second = a_pm.post(claims, json=_claim_body(scene, note='Said "twice" <b>')).get_json()
    url = f"/api/v1/claims/{second['id']}"
    assert b_admin.post(url + "/dispute", json={"reason": "No invoice"}).status_code == 200
    assert a_pm.post(url + "/revise", json={"amount_minor": 25_000}).status_code == 200
    third = a_pm.post(claims, json=_claim_body(scene, amount_minor=100)).get_json()
    withdrawn = a_pm.post(f"/api/v1/claims/{third['id']}/withdraw", json={"reason": "Twice"})
    assert withdrawn.status_code == 200
    assert a_pm.post(claims, json=_claim_body(scene, amount_minor=700)).status_code == 201
    payments_url = f"/api/v1/campaigns/{scene.ab}/payments"
    today = utcnow().date().isoformat()
    made = []
    for amount, reference in ((500, "SEPA 1"), (600, "SEPA 2"), (700, "")):
        body = {"to_organization_id": str(world.a.id), "amount_minor": str(amount)}
        body |= {"paid_on": today, "reference": reference}
        files = {"proof": (io.BytesIO(samples.pdf("Transfer")), "t.pdf")} if amount == 500 else {}
        paid = b_pm.post(payments_url, data={**body, **files}, content_type=MULTIPART)
        assert paid.status_code == 201, paid.get_json()
        made.append(paid.get_json()["id"])
    assert a_admin.post(f"/api/v1/payments/{made[0]}/confirm").status_code == 200
    rejected = a_admin.post(f"/api/v1/payments/{made[1]}/reject", json={"reason": "Not seen"})
    assert rejected.status_code == 200


def test_the_ledger_and_its_lists_answer_what_their_schemas_dump(app, world, scene, api_as):
    from comarketing.api import ledger
    from comarketing.api import ledger_schemas as out
    from comarketing.budgets import ledger_view

    _rich_ledger(world, scene, api_as)
    reader = world.b.email(ANALYST)
    client = api_as(reader)
    base = f"/api/v1/campaigns/{scene.ab}"
    query = {"page": 1, "per_page": 100}
    with app.app_context():
        who = actor(reader)
        expected = {
            base + "/ledger": out.CampaignLedger().dump(ledger.ledger_body(who, scene.ab)),
            base + "/ledger/entries?per_page=100": out.EntryPage().dump(
                ledger.page_body(ledger_view.entry_page(who, scene.ab, 1, 100), query, out.entry)
            ),
            base + "/claims?per_page=100": out.ClaimPage().dump(
                ledger.page_body(ledger_view.claim_page(who, scene.ab, 1, 100), query, out.claim)
            ),
            base + "/payments?per_page=100": out.PaymentPage().dump(
                ledger.page_body(
                    ledger_view.payment_page(who, scene.ab, 1, 100), query, out.payment
                )
            ),
        }
        dumped = {url: app.json.loads(app.json.dumps(body)) for url, body in expected.items()}
        db.session.remove()
    book = dumped[base + "/ledger"]
    assert {c["state"] for c in book["claims"]} == {"confirmed", "pending", "withdrawn"}
    assert {p["state"] for p in book["payments"]} == {"confirmed", "rejected", "pending"}
    assert any(v["proofs"] for c in book["claims"] for v in c["versions"])
    for url, body in dumped.items():
        with count_queries(app) as statements:
            answered = client.get(url)
        assert answered.status_code == 200, url
        assert answered.get_json() == body, url
        # The parties are read once, with their names and shares (budgets.ledger_view).
        assert not [s for s in statements if s.startswith("SELECT campaign_parties.")], url


# ---------------------------------------------------------------------------------------------
# The OpenAPI document


def test_the_document_describes_the_ledger_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "/claims" in path or "/payments" in path or "/ledger" in path or "/settlement" in path
    }
    assert {op["operationId"] for op in operations.values()} == {
        "getCampaignLedger",
        "listLedgerEntries",
        "listClaims",
        "listPayments",
        "getCampaignSettlement",
        "getClaim",
        "createClaim",
        "confirmClaim",
        "disputeClaim",
        "reviseClaim",
        "withdrawClaim",
        "recordPayment",
        "confirmPayment",
        "rejectPayment",
    }
    for key, operation in operations.items():
        for status in ("401", "403", "404", "409", "422"):
            assert status in operation["responses"], (key, status)
    create = operations[("POST", "/api/v1/campaigns/{campaign_id}/claims")]
    assert "201" in create["responses"] and "415" in create["responses"]
    content = create["requestBody"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ClaimIn"}
    form = content["multipart/form-data"]["schema"]
    assert form["properties"]["proof"]["items"] == {"type": "string", "format": "binary"}
    assert "amount_minor" in form["required"]
    amount = spec["components"]["schemas"]["ClaimIn"]["properties"]["amount_minor"]
    assert amount["type"] == "integer" and amount["minimum"] == 1
    payment = operations[("POST", "/api/v1/campaigns/{campaign_id}/payments")]
    proof = payment["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    assert proof["proof"]["format"] == "binary"

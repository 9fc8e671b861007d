"""Offers over the API: drafting, sending, counter-proposing, deciding until a joint campaign,
withdrawing, discarding, cloning and the discussion — with the pages' roles, field-named
refusals that write nothing, 409 for steps the state does not allow, idempotent retries, and
tenancy (another company's offer, or a partner's unsent draft, answers 404 like a missing one
and never shows in a list)."""

from __future__ import annotations

from typing import Any

import pytest

from comarketing.offers import proposals
from tests.api.conftest import error_of
from tests.offer_helpers import actor, count_rows, make_terms, propose, propose_and_send

PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"


def terms_body(party_ids: list[int], **overrides: Any) -> dict[str, Any]:
    """Valid two-party terms as the API takes them: even shares, one placement."""
    ids = sorted(party_ids)
    share = 10_000 // len(ids)
    shares = {oid: share for oid in ids}
    shares[ids[-1]] += 10_000 - share * len(ids)
    body: dict[str, Any] = {
        "title": "Spring baking week",
        "value_proposition": "Flour and shortening, one recipe card.",
        "audience": "Home bakers",
        "start_date": "2027-03-01",
        "end_date": "2027-04-30",
        "currency": "EUR",
        "total_budget_minor": 100_000,
        "target_reach": 50_000,
        "target_leads": 800,
        "target_revenue_minor": 2_500_000,
        "parties": [
            {
                "organization_id": oid,
                "product_ids": [],
                "budget_share_bp": shares[oid],
                "revenue_share_bp": shares[oid],
            }
            for oid in ids
        ],
        "placements": [
            {
                "channel": "email",
                "owner_organization_id": ids[0],
                "name": "Newsletter",
                "planned_cost_minor": 10_000,
            }
        ],
    }
    body.update(overrides)
    return body


def draft_body(world: Any, **overrides: Any) -> dict[str, Any]:
    return {"partner_ids": [world.b.id], **terms_body([world.a.id, world.b.id]), **overrides}


@pytest.fixture
def bc_offer(app, world) -> int:
    """A B-C offer, sent, carrying the canary: A never sees it."""
    with app.app_context():
        terms = make_terms([world.b.id, world.c.id], title=f"Beta and Gamma {world.canary}")
        return propose_and_send(world.b.email(PM), [world.b.id, world.c.id], terms)


def _money(minor: int) -> dict[str, Any]:
    return {"amount": f"{minor // 100}.{minor % 100:02d}", "currency": "EUR", "minor": minor}


# ---------------------------------------------------------------------------------------------
# The whole journey


def test_an_offer_goes_from_draft_to_a_joint_campaign(world, api_as):
    a_pm, b_pm = api_as(world.a.email(PM), "write"), api_as(world.b.email(PM), "write")
    a_approver = api_as(world.a.email(APPROVER), "write")
    b_approver = api_as(world.b.email(APPROVER), "write")
    body = draft_body(world, expires_on="2027-02-01")
    body["parties"][0]["product_ids"] = [world.a.product_ids[0]]

    created = a_pm.post("/api/v1/offers", json=body)
    assert created.status_code == 201, created.get_json()
    offer = created.get_json()
    offer_id = offer["id"]
    assert offer["status"] == "draft" and offer["status_text"] == "draft — not sent yet"
    assert offer["proposer"] == {"id": world.a.id, "name": world.a.name}
    assert [p["id"] for p in offer["parties"]] == [world.a.id, world.b.id]
    assert offer["expires_at"] == "2027-02-01T23:59:59+00:00"
    (revision,) = offer["revisions"]
    terms = revision["terms"]
    assert terms["total_budget"] == _money(100_000)
    assert terms["targets"]["revenue"] == _money(2_500_000)
    alpha = next(p for p in terms["parties"] if p["organization"]["id"] == world.a.id)
    assert alpha["products"] == [{"id": world.a.product_ids[0], "name": "Alpha Flour Classic"}]
    assert alpha["budget_commitment"] == _money(50_000)
    assert alpha["revenue_target_share"] == _money(1_250_000)
    assert terms["placements"][0]["start_date"] is None
    assert terms["planned_total"] == _money(10_000)
    # A draft is the proposer's alone.
    assert b_pm.get(f"/api/v1/offers/{offer_id}").status_code == 404
    assert b_pm.get("/api/v1/offers").get_json()["items"] == []

    sent = a_pm.post(f"/api/v1/offers/{offer_id}/send", json={"version": offer["version"]})
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["status"] == "sent"
    # A's partner manager proposed: A's approvers decide for A too.
    assert sent.get_json()["can_decide"] is False
    assert {o["id"] for o in sent.get_json()["awaiting"]} == {world.a.id, world.b.id}

    inbox = b_approver.get("/api/v1/offers?waiting_for_me=true").get_json()
    assert [o["id"] for o in inbox["items"]] == [offer_id]
    assert inbox["items"][0]["awaiting_me"] is True and inbox["total"] == 1
    seen = b_approver.get(f"/api/v1/offers/{offer_id}").get_json()
    assert seen["can_decide"] is True and seen["awaiting_me"] is True

    approve = {"revision_number": 1, "decision": "approved"}
    first = b_approver.post(f"/api/v1/offers/{offer_id}/decide", json=approve)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "sent"
    assert b_approver.get("/api/v1/offers?waiting_for_me=true").get_json()["items"] == []
    # One answer per company and revision.
    again = b_approver.post(f"/api/v1/offers/{offer_id}/decide", json=approve)
    assert again.status_code == 409

    last = a_approver.post(f"/api/v1/offers/{offer_id}/decide", json=approve)
    assert last.status_code == 200, last.get_json()
    done = last.get_json()
    assert done["status"] == "approved" and done["campaign_id"] is not None
    assert done["closed_at"] is not None and done["awaiting"] == []
    approvals = {a["organization"]["id"]: a for a in done["revisions"][0]["approvals"]}
    (b_decision,) = approvals[world.b.id]["decisions"]
    assert b_decision["by"] == "Approver B" and b_decision["role"] == "approver"
    assert b_decision["implicit"] is False and approvals[world.b.id]["outcome"] == "approved"
    kinds = [item["text"] for item in done["timeline"]]
    assert kinds[0] == "Draft created" and any("Approved by every party" in k for k in kinds)
    campaign = b_pm.get(f"/api/v1/campaigns/{done['campaign_id']}")
    assert campaign.status_code == 200 and campaign.get_json()["offer_id"] == offer_id


def test_a_counter_proposal_shows_what_changed_and_retires_the_old_revision(app, world, api_as):
    with app.app_context():
        offer_id = propose_and_send(world.a.email(ADMIN), [world.a.id, world.b.id])
    b_pm, b_approver = api_as(world.b.email(PM), "write"), api_as(world.b.email(APPROVER), "write")
    current = b_pm.get(f"/api/v1/offers/{offer_id}").get_json()
    key = current["revisions"][0]["terms"]["placements"][0]["key"]
    body = terms_body([world.a.id, world.b.id], total_budget_minor=120_000, change_note="More")
    body["placements"][0]["key"] = key

    revised = b_pm.post(
        f"/api/v1/offers/{offer_id}/revise", json={**body, "version": current["version"]}
    )

    assert revised.status_code == 200, revised.get_json()
    offer = revised.get_json()
    assert offer["current_revision"] == 2
    second = offer["revisions"][1]
    assert second["author_organization"]["id"] == world.b.id and second["change_note"] == "More"
    assert {"field": "Total budget", "before": "€1,000.00", "after": "€1,200.00"} in [
        {k: c[k] for k in ("field", "before", "after")} for c in second["changes"]
    ]
    # The placement kept its identity: no added or removed rows.
    assert {c["kind"] for c in second["changes"]} == {"changed"}
    stale = b_approver.post(
        f"/api/v1/offers/{offer_id}/decide", json={"revision_number": 1, "decision": "approved"}
    )
    assert stale.status_code == 409
    # The same terms again are no counter-proposal; an old version is a conflict.
    same = b_pm.post(f"/api/v1/offers/{offer_id}/revise", json=body)
    assert same.status_code == 422
    old = b_pm.post(
        f"/api/v1/offers/{offer_id}/revise",
        json={**body, "total_budget_minor": 90_000, "version": current["version"]},
    )
    assert old.status_code == 409


def test_changes_need_a_comment_and_a_rejection_closes_the_offer(app, world, api_as):
    with app.app_context():
        offer_id = propose_and_send(world.a.email(ADMIN), [world.a.id, world.b.id])
    b_approver = api_as(world.b.email(APPROVER), "write")
    url = f"/api/v1/offers/{offer_id}/decide"

    silent = b_approver.post(url, json={"revision_number": 1, "decision": "changes_requested"})
    assert silent.status_code == 422 and error_of(silent)["field"] == "comment"
    unknown = b_approver.post(url, json={"revision_number": 1, "decision": "maybe"})
    assert unknown.status_code == 422 and error_of(unknown)["field"] == "decision"
    asked = b_approver.post(
        url, json={"revision_number": 1, "decision": "changes_requested", "comment": "Less"}
    )
    assert asked.status_code == 200
    assert asked.get_json()["status_text"] == f"changes requested by {world.b.name}"
    # A partner manager may not decide; the proposer's own company approved by proposing.
    assert api_as(world.b.email(PM), "write").post(url, json={}).status_code == 422
    refused = api_as(world.b.email(PM), "write").post(
        url, json={"revision_number": 1, "decision": "approved"}
    )
    assert refused.status_code == 403
    own = api_as(world.a.email(APPROVER), "write").post(
        url, json={"revision_number": 1, "decision": "rejected", "comment": "No"}
    )
    assert own.status_code == 403


def test_withdraw_is_the_proposers_and_a_closed_offer_can_be_cloned(app, world, api_as):
    with app.app_context():
        offer_id = propose_and_send(world.a.email(PM), [world.a.id, world.b.id])
    a_pm, b_pm = api_as(world.a.email(PM), "write"), api_as(world.b.email(PM), "write")

    not_yours = b_pm.post(f"/api/v1/offers/{offer_id}/withdraw", json={})
    assert not_yours.status_code == 403
    early = a_pm.post(f"/api/v1/offers/{offer_id}/clone")
    assert early.status_code == 409
    withdrawn = a_pm.post(f"/api/v1/offers/{offer_id}/withdraw", json={"reason": "Budget cut"})
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert "Budget cut" in withdrawn.get_json()["timeline"][-1]["text"]
    assert a_pm.post(f"/api/v1/offers/{offer_id}/withdraw", json={}).status_code == 409

    cloned = b_pm.post(f"/api/v1/offers/{offer_id}/clone")
    assert cloned.status_code == 201, cloned.get_json()
    copy = cloned.get_json()
    assert copy["status"] == "draft" and copy["cloned_from_id"] == offer_id
    assert copy["proposer"]["id"] == world.b.id and copy["id"] != offer_id
    # The clone is B's draft: A does not see it yet.
    assert a_pm.get(f"/api/v1/offers/{copy['id']}").status_code == 404


def test_a_draft_changes_in_place_until_sent_and_can_be_discarded(app, world, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    offer = a_pm.post("/api/v1/offers", json=draft_body(world)).get_json()
    url = f"/api/v1/offers/{offer['id']}"

    changed = a_pm.open(
        url, "PUT", json=draft_body(world, title="Autumn baking", version=offer["version"])
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["title"] == "Autumn baking"
    assert len(changed.get_json()["revisions"]) == 1
    stale = a_pm.open(url, "PUT", json=draft_body(world, version=offer["version"]))
    assert stale.status_code == 409 and a_pm.get(url).get_json()["title"] == "Autumn baking"
    # Only the proposer's drafts: B's partner manager does not see it at all.
    b_pm = api_as(world.b.email(PM), "write")
    assert b_pm.open(url, "PUT", json=draft_body(world)).status_code == 404

    discarded = a_pm.post(f"{url}/discard")
    assert discarded.status_code == 200 and discarded.get_json()["status"] == "withdrawn"
    assert a_pm.post(f"{url}/send", json={}).status_code == 409
    assert a_pm.open(url, "PUT", json=draft_body(world)).status_code == 409


# ---------------------------------------------------------------------------------------------
# Refusals name the field and write nothing


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"total_budget_minor": 1.5}, "total_budget_minor"),
        ({"total_budget_minor": "1000"}, "total_budget_minor"),
        ({"currency": "XXX"}, "currency"),
        ({"end_date": "2027-02-01"}, "end_date"),
        ({"start_date": "1999-12-31"}, "start_date"),
        ({"partner_ids": []}, "partner_ids"),
        ({"target_leads": -1}, "target_leads"),
        ({"placements": [{"channel": "email"}]}, "placements.0.owner_organization_id"),
        ({"expires_on": "2020-01-01"}, "expires_on"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(app, world, api_as, change, field):
    a_pm = api_as(world.a.email(PM), "write")
    with app.app_context():
        before = count_rows()

    refused = a_pm.post("/api/v1/offers", json=draft_body(world, **change))

    assert refused.status_code == 422, refused.get_json()
    assert error_of(refused)["field"] == field
    with app.app_context():
        assert count_rows() == before


def test_the_services_rules_name_the_apis_fields(app, world, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    uneven = draft_body(world)
    uneven["parties"][0]["budget_share_bp"] = 4_000
    shares = a_pm.post("/api/v1/offers", json=uneven)
    assert shares.status_code == 422 and error_of(shares)["field"] == "parties"
    assert "add up to 90.00%" in error_of(shares)["message"]
    # C is B's partner, not A's.
    stranger = a_pm.post(
        "/api/v1/offers",
        json={"partner_ids": [world.c.id], **terms_body([world.a.id, world.c.id])},
    )
    assert stranger.status_code == 422 and error_of(stranger)["field"] == "partner_ids"
    foreign = draft_body(world)
    foreign["parties"][0]["product_ids"] = [world.b.product_ids[0]]
    product = a_pm.post("/api/v1/offers", json=foreign)
    assert product.status_code == 422 and error_of(product)["field"] == "parties"
    costly = draft_body(world)
    costly["placements"][0]["planned_cost_minor"] = 200_000
    placements = a_pm.post("/api/v1/offers", json=costly)
    assert placements.status_code == 422 and error_of(placements)["field"] == "placements"


def test_roles_and_scopes_are_the_pages(world, api_as):
    body = draft_body(world)
    assert (
        api_as(world.a.email(ANALYST), "write").post("/api/v1/offers", json=body).status_code == 403
    )
    assert (
        api_as(world.a.email(APPROVER), "write").post("/api/v1/offers", json=body).status_code
        == 403
    )
    read = api_as(world.a.email(PM), "read")
    assert read.post("/api/v1/offers", json=body).status_code == 403
    assert read.get("/api/v1/offers").status_code == 200


# ---------------------------------------------------------------------------------------------
# Tenancy


def test_another_companys_offer_answers_404_everywhere_and_lists_never_show_it(
    app, world, api_as, bc_offer
):
    with app.app_context():
        b_draft = propose(world.b.email(PM), [world.a.id, world.b.id])
        ab_sent = propose_and_send(world.a.email(PM), [world.a.id, world.b.id])
    a_admin = api_as(world.a.email(ADMIN), "write")

    for offer_id in (bc_offer, b_draft, 999_999):
        base = f"/api/v1/offers/{offer_id}"
        answers = [
            a_admin.get(base),
            a_admin.get(f"{base}/comments"),
            a_admin.open(base, "PUT", json=draft_body(world)),
            a_admin.post(f"{base}/send", json={}),
            a_admin.post(f"{base}/discard"),
            a_admin.post(f"{base}/revise", json=terms_body([world.a.id, world.b.id])),
            a_admin.post(f"{base}/decide", json={"revision_number": 1, "decision": "approved"}),
            a_admin.post(f"{base}/withdraw", json={}),
            a_admin.post(f"{base}/clone"),
            a_admin.post(f"{base}/comments", json={"body": "Hello"}),
        ]
        for answer in answers:
            assert answer.status_code == 404, (offer_id, answer.request.path, answer.get_json())
            assert error_of(answer)["message"] == "Not found."

    listed = a_admin.get("/api/v1/offers?per_page=100")
    assert [o["id"] for o in listed.get_json()["items"]] == [ab_sent]
    assert world.canary not in listed.get_data(as_text=True)
    by_partner = a_admin.get(f"/api/v1/offers?partner={world.c.id}").get_json()
    assert by_partner["items"] == [] and by_partner["total"] == 0
    c_list = api_as(world.c.email(ADMIN)).get("/api/v1/offers").get_json()
    assert [o["id"] for o in c_list["items"]] == [bc_offer]


def test_lists_filter_and_page(app, world, api_as):
    with app.app_context():
        ids = [propose_and_send(world.a.email(ADMIN), [world.a.id, world.b.id]) for _ in range(3)]
        draft = propose(world.a.email(PM), [world.a.id, world.b.id])
    a_pm = api_as(world.a.email(PM))

    first = a_pm.get("/api/v1/offers?per_page=2").get_json()
    second = a_pm.get("/api/v1/offers?per_page=2&page=2").get_json()
    assert (first["total"], first["has_more"], second["has_more"]) == (4, True, False)
    assert [o["id"] for o in first["items"] + second["items"]] == [draft, *reversed(ids)]
    drafts = a_pm.get("/api/v1/offers?status=draft").get_json()
    assert [o["id"] for o in drafts["items"]] == [draft]
    bad = a_pm.get("/api/v1/offers?status=open")
    assert bad.status_code == 422 and error_of(bad)["field"] == "status"
    # A's admin approved by proposing: nothing waits for A.
    assert a_pm.get("/api/v1/offers?waiting_for_me=true").get_json()["total"] == 0
    b_waiting = api_as(world.b.email(ANALYST)).get("/api/v1/offers?waiting_for_me=true")
    assert b_waiting.get_json()["total"] == 3


# ---------------------------------------------------------------------------------------------
# Discussion and idempotency


def test_comments_are_added_listed_and_limited_to_who_may_comment(app, world, api_as):
    with app.app_context():
        offer_id = propose_and_send(world.a.email(ADMIN), [world.a.id, world.b.id])
    url = f"/api/v1/offers/{offer_id}/comments"
    b_approver = api_as(world.b.email(APPROVER), "write")

    added = b_approver.post(url, json={"body": "Can we start a week later?"})
    assert added.status_code == 201, added.get_json()
    comment = added.get_json()
    assert comment["organization"] == {"id": world.b.id, "name": world.b.name}
    assert comment["author"] == "Approver B" and comment["offer_id"] == offer_id
    for i in range(2):
        api_as(world.a.email(PM), "write").post(url, json={"body": f"Reply {i}"})
    listed = api_as(world.a.email(ANALYST)).get(f"{url}?per_page=2").get_json()
    assert [c["body"] for c in listed["items"]] == ["Can we start a week later?", "Reply 0"]
    assert (listed["total"], listed["has_more"]) == (3, True)
    assert listed["items"][0] == comment
    empty = b_approver.post(url, json={"body": ""})
    assert empty.status_code == 422 and error_of(empty)["field"] == "body"
    assert api_as(world.b.email(ANALYST), "write").post(url, json={"body": "x"}).status_code == 403


def test_a_retried_write_with_the_same_key_writes_once(app, world, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    headers = {"Idempotency-Key": "draft-1"}

    first = a_pm.post("/api/v1/offers", json=draft_body(world), headers=headers)
    again = a_pm.post("/api/v1/offers", json=draft_body(world), headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert a_pm.get("/api/v1/offers").get_json()["total"] == 1
    other = a_pm.post("/api/v1/offers", json=draft_body(world, title="Other"), headers=headers)
    assert other.status_code == 422 and error_of(other)["field"] == "Idempotency-Key"

    offer_id = first.get_json()["id"]
    comment = {"Idempotency-Key": "comment-1"}
    for _ in range(2):
        a_pm.post(f"/api/v1/offers/{offer_id}/comments", json={"body": "Once"}, headers=comment)
    listed = a_pm.get(f"/api/v1/offers/{offer_id}/comments").get_json()
    assert [c["body"] for c in listed["items"]] == ["Once"]
    with app.app_context():
        proposals.send(actor(world.a.email(PM)), offer_id)
    sent = {"Idempotency-Key": "send-1"}
    assert a_pm.post(f"/api/v1/offers/{offer_id}/send", json={}, headers=sent).status_code == 409
    # A refusal is the answer to that request too.
    replay = a_pm.post(f"/api/v1/offers/{offer_id}/send", json={}, headers=sent)
    assert replay.status_code == 409 and replay.headers["Idempotent-Replayed"] == "true"


def test_the_draft_example_in_the_document_is_valid_terms(world):
    from comarketing.api import offer_schemas
    from comarketing.api.offer_schemas import DRAFT_EXAMPLE

    loaded = offer_schemas.OfferDraftIn().load(DRAFT_EXAMPLE)
    shares = [p["budget_share_bp"] for p in loaded["parties"]]
    assert sum(shares) == 10_000
    assert loaded["placements"][0]["planned_cost_minor"] <= loaded["total_budget_minor"]


@pytest.mark.pg_only
def test_two_deciders_of_one_company_at_once_record_one_decision(app, world, api_as):
    """Row locks: B's approver and B's admin answer the same revision at the same moment."""
    from tests.concurrency import at_once

    with app.app_context():
        offer_id = propose_and_send(world.a.email(ADMIN), [world.a.id, world.b.id])
    clients = [api_as(world.b.email(role), "write") for role in (APPROVER, ADMIN)]
    url = f"/api/v1/offers/{offer_id}/decide"
    bodies = [
        {"revision_number": 1, "decision": "approved"},
        {"revision_number": 1, "decision": "rejected", "comment": "No"},
    ]

    answers = at_once(
        app,
        [
            lambda c=client, b=body: c.post(url, json=b).status_code
            for client, body in zip(clients, bodies, strict=True)
        ],
    )

    assert sorted(answers) == [200, 409], answers  # type: ignore[type-var]
    final = clients[0].get(f"/api/v1/offers/{offer_id}").get_json()
    b_side = next(
        a for a in final["revisions"][0]["approvals"] if a["organization"]["id"] == world.b.id
    )
    assert len(b_side["decisions"]) == 1
    assert final["status"] == ("approved" if answers[0] == 200 else "rejected")


def test_lists_and_the_offer_cost_a_fixed_number_of_queries(app, world, api_as):
    """One offer or many on a page, one revision or several: the same statements."""
    from tests.conftest import count_queries

    a_pm = api_as(world.a.email(PM), "write")
    with app.app_context():
        first = propose_and_send(world.a.email(ADMIN), [world.a.id, world.b.id])

    def counted(path: str) -> int:
        with count_queries(app) as statements:
            assert a_pm.get(path).status_code == 200
        return len(statements)

    counted("/api/v1/me")  # the token's first use records its last use: not counted below
    one = (counted("/api/v1/offers"), counted(f"/api/v1/offers/{first}"))
    with app.app_context():
        for _ in range(4):
            propose_and_send(world.a.email(ADMIN), [world.a.id, world.b.id])
    for budget in (110_000, 120_000, 130_000):
        a_pm.post(
            f"/api/v1/offers/{first}/revise",
            json=terms_body([world.a.id, world.b.id], total_budget_minor=budget),
        )
        a_pm.post(f"/api/v1/offers/{first}/comments", json={"body": f"Budget {budget}"})
    many = (counted("/api/v1/offers"), counted(f"/api/v1/offers/{first}"))
    assert many == one, (one, many)

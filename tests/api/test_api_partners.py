"""Partnerships and products over the API: the directory, inviting (the same answer whoever
the address belongs to, the company's allowance shared with the page), answering, cancelling
and ending, and products — with the pages' roles, tenancy and idempotent retries."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from limits import parse

from comarketing.extensions import db
from comarketing.outbox import OutboxMessage
from comarketing.partners.models import Partnership, Product
from tests import factories
from tests.api.conftest import ApiClient, error_of

PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"


def _partnerships(app) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(Partnership)) or 0)


def test_the_directory_lists_partners_with_products_and_never_another_companys(world, api_as):
    a = api_as(world.a.email(ANALYST))

    listed = a.get("/api/v1/partnerships")

    assert listed.status_code == 200
    page = listed.get_json()
    (ab,) = page["items"]
    assert (page["total"], page["has_more"]) == (1, False)
    assert ab["id"] == world.partnership_ab and ab["group"] == "active"
    assert ab["partner"] == {"id": world.b.id, "name": world.b.name}
    assert ab["invited_by_us"] is True and ab["invitee_email"] == world.b.email(PM)
    # B's current products only (its archived one carries the canary).
    assert [p["name"] for p in ab["products"]] == ["Beta Shortening Classic"]
    assert world.canary not in listed.get_data(as_text=True)
    b_side = api_as(world.b.email(PM)).get(f"/api/v1/partnerships/{world.partnership_ab}")
    assert b_side.get_json()["invitee_email"] is None
    assert b_side.get_json()["inviter_email"] is None  # no inviter recorded in the factory
    for missing in (world.partnership_bc, 999_999):
        answer = a.get(f"/api/v1/partnerships/{missing}")
        assert answer.status_code == 404 and error_of(answer)["message"] == "Not found."
        assert a.post(f"/api/v1/partnerships/{missing}/end").status_code in (403, 404)
    assert (
        api_as(world.a.email(PM), "write")
        .post(f"/api/v1/partnerships/{world.partnership_bc}/end")
        .status_code
        == 404
    )


def test_an_invitation_says_the_same_whoever_the_address_belongs_to(app, world, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    answers = {
        email: a_pm.post("/api/v1/partnerships", json={"email": email, "message": "Hi"})
        for email in ("newcomer@new.example", world.c.email(ANALYST), world.b.email(ANALYST))
    }
    shapes = []
    for email, answer in answers.items():
        assert answer.status_code == 201, answer.get_json()
        body = answer.get_json()
        assert body["partner"] is None and body["invitee_email"] == email
        assert body["group"] == "sent" and body["status"] == "pending"
        shapes.append({k: v for k, v in body.items() if k not in ("id", "invitee_email")})
        shapes[-1]["created_at"] = shapes[-1]["expires_at"] = None
    assert shapes[0] == shapes[1] == shapes[2]
    assert world.c.name not in str([a.get_data(as_text=True) for a in answers.values()])
    # The same address again gives the open invitation back.
    again = a_pm.post("/api/v1/partnerships", json={"email": "newcomer@new.example"})
    assert again.get_json()["id"] == answers["newcomer@new.example"].get_json()["id"]
    sent = a_pm.get("/api/v1/partnerships?group=sent").get_json()
    assert sent["total"] == 3
    own = a_pm.post("/api/v1/partnerships", json={"email": world.a.email(ADMIN)})
    assert own.status_code == 422 and error_of(own)["field"] == "email"
    bad = a_pm.post("/api/v1/partnerships", json={"email": "not an address"})
    assert bad.status_code == 422 and error_of(bad)["field"] == "email"
    for role in (APPROVER, ANALYST):
        refused = api_as(world.a.email(role), "write").post(
            "/api/v1/partnerships", json={"email": "x@new.example"}
        )
        assert refused.status_code == 403


def test_an_invitation_is_accepted_declined_cancelled_or_ended_by_the_right_side(
    app, world, api_as
):
    c_pm = api_as(world.c.email(PM), "write")
    a_pm = api_as(world.a.email(PM), "write")
    invited = c_pm.post("/api/v1/partnerships", json={"email": world.a.email(ANALYST)})
    invitation = invited.get_json()["id"]

    received = a_pm.get("/api/v1/partnerships?group=received").get_json()["items"]
    assert [r["id"] for r in received] == [invitation]
    assert received[0]["partner"]["id"] == world.c.id
    assert received[0]["inviter_email"] == world.c.email(PM)
    assert c_pm.post(f"/api/v1/partnerships/{invitation}/accept").status_code == 403
    assert a_pm.post(f"/api/v1/partnerships/{invitation}/cancel").status_code == 403
    assert (
        api_as(world.a.email(ANALYST), "write")
        .post(f"/api/v1/partnerships/{invitation}/accept")
        .status_code
        == 403
    )

    accepted = a_pm.post(f"/api/v1/partnerships/{invitation}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["group"] == "active"
    assert c_pm.get(f"/api/v1/partnerships/{invitation}").get_json()["partner"]["id"] == world.a.id
    assert a_pm.post(f"/api/v1/partnerships/{invitation}/decline").status_code == 409
    ended = c_pm.post(f"/api/v1/partnerships/{invitation}/end")
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"
    assert ended.get_json()["group"] == "past" and ended.get_json()["ended_at"] is not None

    second = c_pm.post("/api/v1/partnerships", json={"email": world.a.email(ADMIN)}).get_json()
    declined = a_pm.post(f"/api/v1/partnerships/{second['id']}/decline")
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    third = c_pm.post("/api/v1/partnerships", json={"email": world.a.email(PM)}).get_json()
    cancelled = c_pm.post(f"/api/v1/partnerships/{third['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    # A cancelled invitation leaves nothing to answer and no name behind on the inviting side.
    assert a_pm.get(f"/api/v1/partnerships/{third['id']}").get_json()["group"] == "past"
    assert c_pm.get(f"/api/v1/partnerships/{second['id']}").get_json()["partner"] is None


def test_invitations_share_the_companys_allowance_with_the_page(make_app, login_as):
    app = make_app(PARTNER_INVITATION_LIMIT_PER_COMPANY="3 per hour")
    with app.app_context():
        world = factories.build_world()
        from comarketing.api import services as tokens
        from tests.api.conftest import actor_for

        _, token = tokens.create_token(
            actor_for(world.a.email(PM)), name="t", scope="write", days=30
        )
        _, b_token = tokens.create_token(
            actor_for(world.b.email(PM)), name="t", scope="write", days=30
        )
        db.session.remove()
    assert parse(app.config["PARTNER_INVITATION_LIMIT_PER_COMPANY"]).amount == 3
    api = ApiClient(app.test_client(), token)
    page = app.test_client()
    page.post("/login", data={"email": world.a.email(ADMIN), "password": factories.TEST_PASSWORD})

    # Refusals do not count; successes do, page and API alike.
    assert api.post("/api/v1/partnerships", json={"email": "nope"}).status_code == 422
    assert api.post("/api/v1/partnerships", json={"email": "x1@new.example"}).status_code == 201
    assert page.post("/partners", data={"email": "x2@new.example"}).status_code == 302
    assert api.post("/api/v1/partnerships", json={"email": "x3@new.example"}).status_code == 201
    refused = api.post("/api/v1/partnerships", json={"email": "x4@new.example"})
    assert refused.status_code == 429 and refused.headers.get("Retry-After")
    assert error_of(refused)["status"] == 429
    assert page.post("/partners", data={"email": "x5@new.example"}).status_code == 429
    assert _partnerships(app) == 2 + 3
    # Another company keeps its own allowance; reads are not limited by it.
    other = ApiClient(app.test_client(), b_token)
    assert other.post("/api/v1/partnerships", json={"email": "y@new.example"}).status_code == 201
    assert api.get("/api/v1/partnerships").status_code == 200


def test_the_api_limits_still_apply_to_invitations(make_app):
    """The invitation's own limit does not replace the API's per-token and failed-auth limits."""
    app = make_app(API_RATE_LIMIT="2 per minute", API_AUTH_FAILURE_LIMIT="2 per minute")
    with app.app_context():
        world = factories.build_world()
        from comarketing.api import services as tokens
        from tests.api.conftest import actor_for

        _, token = tokens.create_token(
            actor_for(world.a.email(PM)), name="t", scope="write", days=30
        )
        db.session.remove()
    api = ApiClient(app.test_client(), token)
    assert api.post("/api/v1/partnerships", json={"email": "z1@new.example"}).status_code == 201
    assert api.post("/api/v1/partnerships", json={"email": "z2@new.example"}).status_code == 201
    assert api.post("/api/v1/partnerships", json={"email": "z3@new.example"}).status_code == 429
    guess = ApiClient(app.test_client(), "cmk_guessed")
    assert [
        guess.post("/api/v1/partnerships", json={"email": "g@new.example"}).status_code
        for _ in range(3)
    ] == [401, 401, 429]
    assert _partnerships(app) == 2 + 2


def test_a_retried_invitation_sends_one_mail(app, world, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    headers = {"Idempotency-Key": "invite-1"}
    before = _partnerships(app)

    for _ in range(2):
        answer = a_pm.post(
            "/api/v1/partnerships", json={"email": "once@new.example"}, headers=headers
        )
        assert answer.status_code == 201

    assert _partnerships(app) == before + 1
    with app.app_context():
        mails = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == "once@new.example")
        ).all()
        assert len(mails) == 1


# ---------------------------------------------------------------------------------------------
# Products


def test_products_are_added_changed_archived_and_restored(app, world, api_as):
    a_pm = api_as(world.a.email(PM), "write")

    created = a_pm.post("/api/v1/products", json={"name": "Rye flour", "category": "Flour"})
    assert created.status_code == 201, created.get_json()
    product = created.get_json()
    assert (product["name"], product["category"], product["archived"]) == (
        "Rye flour",
        "Flour",
        False,
    )
    url = f"/api/v1/products/{product['id']}"
    patched = a_pm.patch(url, json={"description": "Dark and strong"})
    assert patched.status_code == 200
    assert (patched.get_json()["name"], patched.get_json()["description"]) == (
        "Rye flour",
        "Dark and strong",
    )
    taken = a_pm.patch(url, json={"name": "alpha flour classic"})
    assert taken.status_code == 422 and error_of(taken)["field"] == "name"
    empty = a_pm.patch(url, json={"name": ""})
    assert empty.status_code == 422 and error_of(empty)["field"] == "name"

    archived = a_pm.post(f"{url}/archive")
    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    current = a_pm.get("/api/v1/products").get_json()["items"]
    assert [p["name"] for p in current] == ["Alpha Flour Classic"]
    everything = a_pm.get("/api/v1/products?archived=true").get_json()["items"]
    assert [p["name"] for p in everything] == ["Alpha Flour Classic", "Rye flour"]
    a_pm.post("/api/v1/products", json={"name": "Rye flour"})
    clash = a_pm.post(f"{url}/restore")
    assert clash.status_code == 422 and error_of(clash)["field"] == "name"


def test_products_are_the_companys_own(app, world, api_as):
    b_product = world.b.product_ids[0]
    a_admin = api_as(world.a.email(ADMIN), "write")
    for answer in (
        a_admin.patch(f"/api/v1/products/{b_product}", json={"name": "Mine"}),
        a_admin.post(f"/api/v1/products/{b_product}/archive"),
        a_admin.post(f"/api/v1/products/{b_product}/restore"),
    ):
        assert answer.status_code == 404
    listed = a_admin.get("/api/v1/products?archived=true").get_data(as_text=True)
    assert "Beta" not in listed and world.canary not in listed
    analyst = api_as(world.a.email(ANALYST), "write")
    assert analyst.get("/api/v1/products").status_code == 200
    assert analyst.post("/api/v1/products", json={"name": "Nope"}).status_code == 403
    assert (
        api_as(world.a.email(PM)).post("/api/v1/products", json={"name": "Read"}).status_code == 403
    )
    with app.app_context():
        assert db.session.scalar(sa.select(Product).where(Product.name == "Mine")) is None


@pytest.mark.parametrize(
    ("query", "field"), [("group=open", "group"), ("per_page=0", "per_page"), ("page=x", "page")]
)
def test_bad_list_parameters_name_the_parameter(world, api_as, query, field):
    answer = api_as(world.a.email(PM)).get(f"/api/v1/partnerships?{query}")
    assert answer.status_code == 422 and error_of(answer)["field"] == field

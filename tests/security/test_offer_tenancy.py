"""Joint offers across companies (SECURITY.md items 2, 3, 5, 6, 8, 9 and 10), and the query
budget of the offer pages.

The scene (tests/security/conftest.py) holds A's offers with B, B's unsent draft for A, the
A-B-C offer B sent (A and C still to decide), and the B-C offers that A must never reach.
Every refusal is checked twice: by its answer, and by every table of the database staying
exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.errors import Conflict, Forbidden, ValidationFailed
from comarketing.extensions import db
from comarketing.offers import discussion, proposals, reviews
from comarketing.offers.models import Offer, OfferDecision, OfferParty, OfferRevision
from tests import factories
from tests.security.conftest import (
    A_ROLES,
    Scene,
    actor_for,
    client_as,
    load_matrix,
    normalised,
    offer_terms,
    table_digests,
)

BODIES: dict[str, dict[str, Any]] = load_matrix()["bodies"]
OFFER_LINK = re.compile(r'href="/offers/(\d+)"')
CAMPAIGN_LINK = re.compile(r'href="/campaigns/(\d+)"')


def body(scene: Scene, name: str, **changes: str) -> dict[str, str]:
    """A form body of the route matrix (``ab_terms``, ``abc_terms``) with some fields changed."""
    filled = {key: scene.fill(str(value)) for key, value in BODIES[name].items()}
    return {**filled, **{key: scene.fill(value) for key, value in changes.items()}}


def linked_ids(pattern: re.Pattern[str], html: str) -> set[int]:
    return {int(found) for found in pattern.findall(html)}


@contextmanager
def database_unchanged(app: Flask) -> Iterator[None]:
    before = table_digests(app)
    yield
    after = table_digests(app)
    assert after == before, f"changed: {sorted(t for t in before if before[t] != after[t])}"


def rows_of(app: Flask, *tables: str) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of the named tables, keyed by primary key."""
    found: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    with app.app_context(), db.engine.connect() as conn:
        for name in tables:
            table = db.metadata.tables[name]
            keys = list(table.primary_key.columns)
            found[name] = {
                tuple(row[k.name] for k in keys): dict(row)
                for row in conn.execute(sa.select(table)).mappings()
            }
    return found


def added_rows(
    before: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
    after: dict[str, dict[tuple[Any, ...], dict[str, Any]]],
    *,
    changed: set[tuple[str, tuple[Any, ...]]] = frozenset(),  # type: ignore[assignment]
) -> dict[str, list[dict[str, Any]]]:
    """The rows added since ``before``; every earlier row must be untouched (except the
    ``changed`` ones: (table, key)) and none deleted."""
    added: dict[str, list[dict[str, Any]]] = {}
    for name, old_rows in before.items():
        new_rows = after[name]
        assert set(old_rows) <= set(new_rows), f"rows deleted from {name}"
        for key, row in old_rows.items():
            if (name, key) not in changed:
                assert new_rows[key] == row, f"{name} {key} changed"
        added[name] = [row for key, row in new_rows.items() if key not in old_rows]
    return added


def signed_in(app: Flask, email: str) -> Any:
    client = client_as(app, email)
    # The first page that renders a CSRF token stores its secret in the session; get that
    # one-off Set-Cookie out of the way before comparing answers.
    assert client.get("/dashboard").status_code == 200
    return client


# ------------------------------------------------------------------------------------------
# Item 2: another party's offer answers exactly like a missing one, for every step.

# (method, path, form, the action's permission: A roles without it are refused first, with
# the same 403 for any id — existing, foreign or missing — so nothing is learnt either way)
STEPS = [
    ("GET", "/offers/{id}", {}, None),
    ("GET", "/offers/{id}/edit", {}, None),
    ("POST", "/offers/{id}/edit", {"title": "Taken over", "total_budget": "1"}, None),
    ("POST", "/offers/{id}/send", {}, "propose"),
    ("POST", "/offers/{id}/discard", {}, "propose"),
    ("POST", "/offers/{id}/withdraw", {"reason": "Mine now."}, "propose"),
    ("POST", "/offers/{id}/decide", {"revision_number": "1", "decision": "approved"}, "decide"),
    (
        "POST",
        "/offers/{id}/decide",
        {"revision_number": "1", "decision": "rejected", "comment": "No."},
        "decide",
    ),
    ("POST", "/offers/{id}/comments", {"body": "Hello from A"}, "comment"),
    ("POST", "/offers/{id}/clone", {}, "propose"),
]
ALLOWED = {
    "propose": {"admin", "partner_manager"},
    "decide": {"admin", "approver"},
    "comment": {"admin", "partner_manager", "approver"},
}


@pytest.mark.parametrize("target", ["bc_sent_offer", "bc_approved_offer", "ba_draft_offer"])
@pytest.mark.parametrize("role", A_ROLES)
def test_an_offer_a_is_no_party_to_answers_like_a_missing_one(
    app: Flask, scene: Scene, role: str, target: str
) -> None:
    client = signed_in(app, scene.world.a.email(role))
    theirs_id, missing_id = scene.placeholders[target], scene.placeholders["missing_id"]

    with database_unchanged(app):
        for method, path, form, permission in STEPS:
            theirs = client.open(path.format(id=theirs_id), method=method, data=form)
            missing = client.open(path.format(id=missing_id), method=method, data=form)

            where = f"{method} {path} as {role}"
            expected = 404 if permission is None or role in ALLOWED[permission] else 403
            assert theirs.status_code == expected, where
            assert normalised(theirs) == normalised(missing), where
            assert scene.world.canary not in theirs.get_data(as_text=True), where


# ------------------------------------------------------------------------------------------
# Item 3: filtering A's lists by another company shows only offers A is a party to.


def test_offer_lists_filtered_by_a_partner_show_only_offers_a_is_party_to(
    app: Flask, scene: Scene
) -> None:
    p = scene.placeholders
    client = client_as(app, scene.world.a.email("approver"))

    def listed(url: str, pattern: re.Pattern[str] = OFFER_LINK) -> set[int]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert scene.world.canary not in html.replace(scene.world.c.name, ""), url
        return linked_ids(pattern, html)

    # C and A share exactly one offer; B and C's offers stay out of A's list.
    assert listed(f"/offers?partner={p['c_org']}") == {p["abc_sent_offer"]}
    with_b = {"ab_sent_offer", "ab_draft_offer", "ab_approved_offer", "ab_closed_offer"}
    assert listed(f"/offers?partner={p['b_org']}") == {p[k] for k in with_b | {"abc_sent_offer"}}
    # A's own draft, not B's unsent draft for A.
    assert listed(f"/offers?status=draft&partner={p['b_org']}") == {p["ab_draft_offer"]}
    assert listed("/offers?status=approved") == {p["ab_approved_offer"]}
    assert listed(f"/offers?partner={p['missing_id']}") == set()
    # What A must decide: the A-B-C offer only (B decides the offer A sent).
    assert listed("/offers/inbox") == {p["abc_sent_offer"]}
    # A's campaigns: the joint one with B and its own solo one; never B-C or B's or C's solo.
    assert listed("/campaigns", CAMPAIGN_LINK) == {p["ab_campaign"], p["a_solo_campaign"]}


# ------------------------------------------------------------------------------------------
# Item 5: A cannot name another company's product, or a non-partner, in its terms.


def test_naming_another_companys_product_in_as_terms_is_refused_and_nothing_is_written(
    app: Flask, scene: Scene
) -> None:
    p = scene.placeholders
    client = client_as(app, scene.world.a.email("partner_manager"))
    new_offer = f"/offers/new/terms?partner={p['b_org']}"
    attempts = [
        (new_offer, body(scene, "ab_terms", **{"parties-1-products": "{c_product}"})),
        (new_offer, body(scene, "ab_terms", **{"parties-0-products": "{c_product}"})),
        (new_offer, body(scene, "ab_terms", **{"parties-1-products": "{b_archived_product}"})),
        (new_offer, body(scene, "ab_terms", **{"parties-0-products": "{b_product}"})),
        (
            f"/offers/{p['ab_draft_offer']}/edit",
            body(scene, "ab_terms", **{"parties-1-products": "{c_product}"}),
        ),
        (
            f"/offers/{p['ab_sent_offer']}/edit",
            body(scene, "ab_terms", **{"parties-1-products": "{c_product}"}),
        ),
    ]
    with database_unchanged(app):
        for url, form in attempts:
            response = client.post(url, data=form)
            html = response.get_data(as_text=True)
            assert response.status_code == 200, (url, form)
            assert 'data-field-error="products"' in html, (url, form)
            assert scene.world.canary not in html, (url, form)


def test_a_cannot_pick_products_of_c_that_c_did_not_put_in_the_shared_offer(
    app: Flask, scene: Scene
) -> None:
    """A and C are co-parties of the A-B-C offer but not partners: C shared its name and the
    products it named there, not its catalogue. A counter-proposal naming another C product
    by id is refused exactly like a made-up id, so A cannot read C's product names this way;
    B, C's partner, may name it."""
    p = scene.placeholders
    c_product_name = f"Gamma Chips Classic {scene.world.canary}"
    edit = f"/offers/{p['abc_sent_offer']}/edit"
    a_pm = client_as(app, scene.world.a.email("partner_manager"))
    b_pm = client_as(app, scene.world.b.email("partner_manager"))

    assert c_product_name not in a_pm.get(edit).get_data(as_text=True)
    assert c_product_name in b_pm.get(edit).get_data(as_text=True)

    with database_unchanged(app):
        real = a_pm.post(
            edit, data=body(scene, "abc_terms", **{"parties-2-products": "{c_product}"})
        )
        made_up = a_pm.post(
            edit, data=body(scene, "abc_terms", **{"parties-2-products": "{missing_id}"})
        )
    assert real.status_code == made_up.status_code == 200
    assert 'data-field-error="products"' in real.get_data(as_text=True)
    assert normalised(real) == normalised(made_up)
    assert c_product_name not in real.get_data(as_text=True)

    allowed = b_pm.post(
        edit, data=body(scene, "abc_terms", **{"parties-2-products": "{c_product}"})
    )
    assert allowed.status_code == 302
    with app.app_context():
        revision = db.session.scalar(
            sa.select(OfferRevision).where(
                OfferRevision.offer_id == p["abc_sent_offer"], OfferRevision.number == 2
            )
        )
        assert revision is not None
        c_terms = next(t for t in revision.party_terms if t["organization_id"] == p["c_org"])
        assert c_terms["product_ids"] == [p["c_product"]]


def test_naming_a_company_that_is_not_as_partner_as_a_party_is_refused_and_nothing_is_written(
    app: Flask, scene: Scene
) -> None:
    p = scene.placeholders
    client = client_as(app, scene.world.a.email("partner_manager"))
    new_offer = f"/offers/new/terms?partner={p['b_org']}"
    with database_unchanged(app):
        chosen = client.post("/offers/new", data={"partners": str(p["c_org"])})
        assert chosen.status_code == 200
        assert 'data-field-error="partners"' in chosen.get_data(as_text=True)

        # C in the address: dropped; with no partner left, back to choosing partners.
        only_c = client.post(
            f"/offers/new/terms?partner={p['c_org']}",
            data=body(scene, "ab_terms", **{"parties-1-organization_id": "{c_org}"}),
        )
        assert (only_c.status_code, only_c.location) == (302, "/offers/new")

        refused_forms = [
            (new_offer, body(scene, "ab_terms", **{"parties-1-organization_id": "{c_org}"})),
            (
                new_offer,
                body(
                    scene,
                    "ab_terms",
                    **{
                        "parties-1-budget_share": "20",
                        "parties-1-revenue_share": "25",
                        "parties-2-organization_id": "{c_org}",
                        "parties-2-budget_share": "20",
                        "parties-2-revenue_share": "25",
                    },
                ),
            ),
            (new_offer, body(scene, "ab_terms", **{"placements-0-owner": "{c_org}"})),
            (
                f"/offers/{p['ab_draft_offer']}/edit",
                body(scene, "ab_terms", **{"parties-1-organization_id": "{c_org}"}),
            ),
        ]
        for url, form in refused_forms:
            response = client.post(url, data=form)
            html = response.get_data(as_text=True)
            assert response.status_code == 200, (url, form)
            assert "data-field-error=" in html, (url, form)
            assert scene.world.canary not in html, (url, form)

        with app.app_context():
            a_pm = actor_for(scene.world.a.email("partner_manager"))
            c, a = scene.world.c, scene.world.a
            with pytest.raises(ValidationFailed):
                proposals.create_draft(
                    a_pm, partner_ids=[c.id], terms=offer_terms("Hi C", {a.id: [], c.id: []})
                )
            db.session.remove()


# ------------------------------------------------------------------------------------------
# Item 6: fields that are not on the form change nothing.


def extra_fields(scene: Scene) -> dict[str, str]:
    p = scene.placeholders
    return {
        "status": "approved",
        "proposer_organization_id": str(p["b_org"]),
        "id": str(p["ab_sent_offer"]),
        "offer_id": str(p["bc_sent_offer"]),
        "company_ids": str(p["c_org"]),
        "organization_id": str(p["c_org"]),
        "created_by": str(p["b_admin_user_id"]),
        "created_by_id": str(p["b_admin_user_id"]),
        "author_organization_id": str(p["c_org"]),
        "current_revision_number": "9",
        "sent_at": "2020-01-01 00:00:00",
    }


OFFER_TABLES = ("offers", "offer_parties", "offer_revisions", "offer_decisions", "campaigns")


def test_extra_fields_on_a_new_offer_are_ignored(app: Flask, scene: Scene) -> None:
    p, a = scene.placeholders, scene.world.a
    client = client_as(app, a.email("partner_manager"))
    before = rows_of(app, *OFFER_TABLES)

    form = body(scene, "ab_terms") | extra_fields(scene)
    response = client.post(f"/offers/new/terms?partner={p['b_org']}", data=form)

    assert (response.status_code, response.location) == (302, f"/offers/{p['next_offer']}")
    added = added_rows(before, rows_of(app, *OFFER_TABLES))
    [offer] = added["offers"]
    assert (offer["id"], offer["status"], offer["proposer_organization_id"]) == (
        p["next_offer"],
        "draft",
        a.id,
    )
    assert (offer["created_by_id"], offer["sent_at"], offer["current_revision_number"]) == (
        a.user_ids["partner_manager"],
        None,
        1,
    )
    assert {row["organization_id"] for row in added["offer_parties"]} == {a.id, p["b_org"]}
    [revision] = added["offer_revisions"]
    assert (revision["number"], revision["author_organization_id"]) == (1, a.id)
    assert added["offer_decisions"] == added["campaigns"] == []


def test_extra_fields_on_a_draft_edit_are_ignored(app: Flask, scene: Scene) -> None:
    p, a = scene.placeholders, scene.world.a
    draft = p["ab_draft_offer"]
    client = client_as(app, a.email("partner_manager"))
    before = rows_of(app, *OFFER_TABLES)

    form = body(scene, "ab_terms") | extra_fields(scene)
    response = client.post(f"/offers/{draft}/edit", data=form)

    assert (response.status_code, response.location) == (302, f"/offers/{draft}")
    after = rows_of(app, *OFFER_TABLES)
    revision_key = next(
        key for key, row in before["offer_revisions"].items() if row["offer_id"] == draft
    )
    # The draft's row and its single revision change (the terms); its parties are the same
    # two; nothing else moves.
    changed = {("offers", (draft,)), ("offer_revisions", revision_key)}
    added = added_rows(before, after, changed=changed)
    assert not any(added.values()), added
    offer = after["offers"][(draft,)]
    assert (offer["status"], offer["proposer_organization_id"], offer["sent_at"]) == (
        "draft",
        a.id,
        None,
    )
    assert offer["created_by_id"] == a.user_ids["partner_manager"]
    assert after["offer_revisions"][revision_key]["title"] == BODIES["ab_terms"]["title"]
    assert after["offer_revisions"][revision_key]["author_organization_id"] == a.id


def test_extra_fields_on_a_counter_proposal_are_ignored(app: Flask, scene: Scene) -> None:
    p, a = scene.placeholders, scene.world.a
    offer_id = p["abc_sent_offer"]
    client = client_as(app, a.email("partner_manager"))
    before = rows_of(app, *OFFER_TABLES)

    form = body(scene, "abc_terms") | extra_fields(scene)
    response = client.post(f"/offers/{offer_id}/edit", data=form)

    assert (response.status_code, response.location) == (302, f"/offers/{offer_id}")
    after = rows_of(app, *OFFER_TABLES)
    added = added_rows(before, after, changed={("offers", (offer_id,))})
    offer = after["offers"][(offer_id,)]
    assert (offer["status"], offer["current_revision_number"]) == ("sent", 2)
    assert offer["proposer_organization_id"] == p["b_org"]
    [revision] = added["offer_revisions"]
    assert (revision["offer_id"], revision["number"]) == (offer_id, 2)
    assert (revision["author_organization_id"], revision["author_id"]) == (
        a.id,
        a.user_ids["partner_manager"],
    )
    # A partner manager's proposal carries no approval (A's approvers decide on it too), and
    # the posted "implicit" / "user_id" fields change nothing: no decision, no campaign.
    assert added["offer_decisions"] == []
    assert added["offer_parties"] == added["offers"] == added["campaigns"] == []


def test_extra_fields_on_a_decision_are_ignored(app: Flask, scene: Scene) -> None:
    p, a = scene.placeholders, scene.world.a
    offer_id = p["abc_sent_offer"]
    client = client_as(app, a.email("approver"))
    before = rows_of(app, *OFFER_TABLES)
    other_revision = next(
        key[0] for key, row in before["offer_revisions"].items() if row["offer_id"] != offer_id
    )

    form = {"revision_number": "1", "decision": "approved", "comment": "Yes."} | {
        **extra_fields(scene),
        "revision_id": str(other_revision),
        "user_id": str(p["b_approver_user_id"]),
        "implicit": "y",
        "decision_id": "1",
    }
    response = client.post(f"/offers/{offer_id}/decide", data=form)

    assert (response.status_code, response.location) == (302, f"/offers/{offer_id}")
    after = rows_of(app, *OFFER_TABLES)
    added = added_rows(before, after, changed={("offers", (offer_id,))})
    [decision] = added["offer_decisions"]
    revision_1 = next(
        key[0]
        for key, row in before["offer_revisions"].items()
        if row["offer_id"] == offer_id and row["number"] == 1
    )
    assert (decision["offer_id"], decision["revision_id"]) == (offer_id, revision_1)
    assert (decision["organization_id"], decision["user_id"]) == (a.id, a.user_ids["approver"])
    assert (decision["decision"], decision["implicit"]) == ("approved", False)
    # C has not decided: the offer is still waiting, and no campaign exists for it.
    assert after["offers"][(offer_id,)]["status"] == "sent"
    assert added["campaigns"] == added["offers"] == added["offer_revisions"] == []


# ------------------------------------------------------------------------------------------
# Item 8: taking A out of the parties takes the offer (and the campaign) away from A at once.


def test_removing_a_from_the_parties_makes_the_offer_and_campaign_404_for_a(
    app: Flask, scene: Scene
) -> None:
    p, a = scene.placeholders, scene.world.a
    offer_id, campaign_id, missing = p["abc_sent_offer"], p["ab_campaign"], p["missing_id"]
    approver = signed_in(app, a.email("approver"))
    assert approver.get(f"/offers/{offer_id}").status_code == 200
    assert approver.get(f"/campaigns/{campaign_id}").status_code == 200

    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            sa.delete(OfferParty).where(
                OfferParty.offer_id == offer_id, OfferParty.organization_id == a.id
            )
        )
        conn.execute(
            sa.text("DELETE FROM campaign_parties WHERE campaign_id = :c AND organization_id = :o"),
            {"c": campaign_id, "o": a.id},
        )
        # A change made in SQL outside the app raises the data version, as the README tells
        # an operator to (the app's own writes do it in their transaction): pages kept under
        # the old one (another test's, from the same restored scene) are never read again.
        conn.execute(sa.text("UPDATE data_versions SET version = version + 1"))

    with database_unchanged(app):
        for method, path, form in [
            ("GET", "/offers/{id}", {}),
            ("GET", "/offers/{id}/edit", {}),
            ("POST", "/offers/{id}/decide", {"revision_number": "1", "decision": "approved"}),
            ("POST", "/offers/{id}/comments", {"body": "Still here?"}),
        ]:
            gone = approver.open(path.format(id=offer_id), method=method, data=form)
            never = approver.open(path.format(id=missing), method=method, data=form)
            assert gone.status_code == 404, path
            assert normalised(gone) == normalised(never), path
        gone = approver.get(f"/campaigns/{campaign_id}")
        assert normalised(gone) == normalised(approver.get(f"/campaigns/{missing}"))
        assert gone.status_code == 404
        for url in ("/offers", "/offers/inbox", "/dashboard"):
            assert offer_id not in linked_ids(OFFER_LINK, approver.get(url).get_data(as_text=True))
        assert campaign_id not in linked_ids(
            CAMPAIGN_LINK, approver.get("/campaigns").get_data(as_text=True)
        )


# ------------------------------------------------------------------------------------------
# Items 9 and 10: who decides, and on which revision.


def decision_rows(app: Flask, offer_id: int) -> list[tuple[int, int, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OfferRevision.number, OfferDecision.organization_id, OfferDecision.decision)
            .join(OfferRevision, OfferRevision.id == OfferDecision.revision_id)
            .where(OfferDecision.offer_id == offer_id)
            .order_by(OfferDecision.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_the_proposing_company_cannot_approve_its_own_revision(
    app: Flask, scene: Scene, role: str
) -> None:
    p, a = scene.placeholders, scene.world.a
    client = client_as(app, a.email(role))
    with database_unchanged(app):
        for decision in ("approved", "rejected"):
            response = client.post(
                f"/offers/{p['ab_sent_offer']}/decide",
                data={"revision_number": "1", "decision": decision, "comment": "Ours."},
            )
            assert response.status_code == 403
    with app.app_context():
        with pytest.raises(Forbidden):
            reviews.decide(
                actor_for(a.email(role)), p["ab_sent_offer"], revision_number=1, decision="approved"
            )
        db.session.remove()
    assert decision_rows(app, p["ab_sent_offer"]) == [(1, a.id, "approved")]  # by sending


def test_a_counter_proposal_is_decided_by_the_other_parties_only(app: Flask, scene: Scene) -> None:
    """A's admin counter-proposes, approving for A by it: A's approver does not decide again.
    (A partner manager's counter-proposal goes to A's approvers: test_offer_approvers.py.)"""
    p, a, b = scene.placeholders, scene.world.a, scene.world.b
    offer_id = p["abc_sent_offer"]
    a_admin = client_as(app, a.email("admin"))
    assert (
        a_admin.post(f"/offers/{offer_id}/edit", data=body(scene, "abc_terms")).status_code == 302
    )

    with database_unchanged(app):
        own = client_as(app, a.email("approver")).post(
            f"/offers/{offer_id}/decide", data={"revision_number": "2", "decision": "approved"}
        )
        assert own.status_code == 403
    other = client_as(app, b.email("approver")).post(
        f"/offers/{offer_id}/decide", data={"revision_number": "2", "decision": "approved"}
    )
    assert (other.status_code, other.location) == (302, f"/offers/{offer_id}")
    # Revision 2 has A's approval by proposing and B's; C still decides, so no campaign yet.
    revision_2 = [row for row in decision_rows(app, offer_id) if row[0] == 2]
    assert revision_2 == [(2, a.id, "approved"), (2, b.id, "approved")]
    with app.app_context():
        assert db.session.get(Offer, offer_id).status == "sent"  # type: ignore[union-attr]
        db.session.remove()


def test_a_decision_on_a_replaced_revision_is_refused_and_writes_nothing(
    app: Flask, scene: Scene
) -> None:
    p, a, b = scene.placeholders, scene.world.a, scene.world.b
    offer_id = p["abc_sent_offer"]
    with app.app_context():
        proposals.revise(
            actor_for(b.email("partner_manager")),
            offer_id,
            terms=offer_terms(
                "Three brands, revised",
                {a.id: [], b.id: [b.product_ids[0]], scene.world.c.id: []},
                total_budget_minor=2_000_000,
            ),
        )
        db.session.remove()
    decisions_before = decision_rows(app, offer_id)
    client = client_as(app, a.email("approver"))

    with database_unchanged(app):
        stale = client.post(
            f"/offers/{offer_id}/decide",
            data={"revision_number": "1", "decision": "approved"},
        )
    # The HTML form answers the service's 409 with the offer page and the reason.
    assert (stale.status_code, stale.location) == (303, f"/offers/{offer_id}")
    page = client.get(stale.location).get_data(as_text=True)
    assert "Revision 1 is no longer current" in page
    with app.app_context():
        with pytest.raises(Conflict) as refused:
            reviews.decide(
                actor_for(a.email("approver")), offer_id, revision_number=1, decision="approved"
            )
        assert refused.value.status_code == 409
        db.session.remove()
    assert decision_rows(app, offer_id) == decisions_before


def test_bs_decision_comments_reach_a_only_on_offers_a_is_party_to(
    app: Flask, scene: Scene
) -> None:
    p = scene.placeholders
    client = client_as(app, scene.world.a.email("analyst"))
    shared = client.get(f"/offers/{p['ab_approved_offer']}").get_data(as_text=True)
    assert "Beta approves the spring bake-off" in shared
    rejected = client.get(f"/offers/{p['ab_closed_offer']}").get_data(as_text=True)
    assert "Beta cannot fund a winter campaign" in rejected

    private = "Beta wants a bigger budget from Gamma"
    for url in ("/offers", "/offers/inbox", "/dashboard", "/notifications", "/campaigns"):
        assert private not in client.get(url).get_data(as_text=True), url
    assert client.get(f"/offers/{p['bc_sent_offer']}").status_code == 404
    # Control: the comment is on the B-C offer's page for B.
    b_view = client_as(app, scene.world.b.email("analyst")).get(f"/offers/{p['bc_sent_offer']}")
    assert private in b_view.get_data(as_text=True)


# ------------------------------------------------------------------------------------------
# The offer pages run a fixed number of queries, however long the history or the list.


def count_queries(app: Flask, query_counter: Any, email: str, url: str) -> int:
    client = client_as(app, email)
    assert client.get(url).status_code == 200  # first request: one-off session setup
    with query_counter() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def send_offers_from_b_to_a(world: factories.World, count: int) -> list[int]:
    a, b = world.a, world.b
    proposer = actor_for(b.email("partner_manager"))
    ids = []
    for number in range(count):
        terms = offer_terms(f"Offer {number}", {a.id: [a.product_ids[0]], b.id: []})
        offer = proposals.create_draft(proposer, partner_ids=[a.id], terms=terms)
        proposals.send(proposer, offer.id)
        ids.append(offer.id)
    return ids


def test_the_offer_page_runs_as_many_queries_for_six_revisions_as_for_one(
    app: Flask, world: factories.World, query_counter: Any
) -> None:
    a, b = world.a, world.b
    with app.app_context():
        short, long = send_offers_from_b_to_a(world, 2)
        a_approver, a_pm = actor_for(a.email("approver")), actor_for(a.email("partner_manager"))
        b_pm = actor_for(b.email("partner_manager"))
        for number in range(2, 7):
            reviews.decide(
                a_approver,
                long,
                revision_number=number - 1,
                decision="changes_requested",
                comment=f"Round {number}: more budget please",
            )
            discussion.add_comment(a_pm, long, f"A's note {number}")
            discussion.add_comment(b_pm, long, f"B's note {number}")
            budget = 1_000_000 + number * 100_000
            terms = offer_terms(
                f"Offer 1, take {number}",
                {a.id: [a.product_ids[0]], b.id: []},
                total_budget_minor=budget,
            )
            proposals.revise(b_pm, long, terms=terms)
        db.session.remove()

    email = a.email("approver")
    one = count_queries(app, query_counter, email, f"/offers/{short}")
    six = count_queries(app, query_counter, email, f"/offers/{long}")
    assert six == one
    assert one <= 15


def test_the_offer_list_inbox_and_dashboard_run_as_many_queries_for_12_offers_as_for_2(
    app: Flask, world: factories.World, query_counter: Any
) -> None:
    pages = ["/offers", "/offers/inbox", "/dashboard"]
    email = world.a.email("approver")
    with app.app_context():
        send_offers_from_b_to_a(world, 2)
        db.session.remove()
    few = {url: count_queries(app, query_counter, email, url) for url in pages}
    with app.app_context():
        send_offers_from_b_to_a(world, 10)
        db.session.remove()
    many = {url: count_queries(app, query_counter, email, url) for url in pages}

    assert many == few
    # The lists stay small; the home page (issue 18) reads one or two queries per kind of item
    # and part, a fixed number (tests/functional/test_home_page.py counts it at two sizes).
    assert max(few["/offers"], few["/offers/inbox"]) <= 12, few
    assert few["/dashboard"] <= 35, few
    inbox = client_as(app, email).get("/offers/inbox").get_data(as_text=True)
    assert len(linked_ids(OFFER_LINK, inbox)) == 12  # the rows really are there

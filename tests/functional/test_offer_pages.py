"""Offer pages through the test client: the two-step proposal, the terms form's errors, the
offer page (terms, what changed, decisions, discussion), the decision form, the bell and
notifications, mail preferences, the organization's review-days setting, and mail to a real
SMTP server when an offer is sent.

Records are prepared through the services inside short ``app.app_context()`` blocks; no app
context stays pushed while the client makes requests.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from comarketing import notifications
from comarketing.accounts.models import Organization
from comarketing.extensions import db
from comarketing.notifications import Notification
from comarketing.offers import discussion as offer_discussion
from comarketing.offers import proposals, reviews
from comarketing.offers.models import Offer, OfferDecision, OfferRevision
from comarketing.outbox import OutboxMessage
from tests import factories
from tests.offer_helpers import (
    OFFER_TABLES,
    actor,
    count_rows,
    make_terms,
    propose_and_send,
    terms_form_data,
)

PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def rows(app) -> dict[str, int]:
    with app.app_context():
        return count_rows(*OFFER_TABLES)


def sent_offer(app, world, *, three: bool = False, proposer: str = PM) -> int:
    """A sends to B; or, with ``three``, B sends to A and C (their partner managers unless told
    otherwise: then the sender's own approvers decide too)."""
    with app.app_context():
        if three:
            parties = [world.a.id, world.b.id, world.c.id]
            return propose_and_send(world.b.email(proposer), parties)
        return propose_and_send(world.a.email(proposer), [world.a.id, world.b.id])


# ---------------------------------------------------------------------------------------------
# Proposing


def test_proposing_takes_two_steps_and_the_draft_stays_private_until_sent(app, world):
    client = signed_in(app, world.a.email(PM))
    choose = page(client.get("/offers/new"))
    assert world.b.name in choose
    assert world.canary not in choose  # C is not A's partner

    response = client.post("/offers/new", data={"partners": [str(world.b.id)]})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/offers/new/terms?partner={world.b.id}"
    form = page(client.get(response.headers["Location"]))
    assert 'data-testid="terms-form"' in form
    assert f'data-testid="party-{world.b.name}"' in form

    response = client.post(
        f"/offers/new/terms?partner={world.b.id}",
        data=terms_form_data(
            [world.a.id, world.b.id], **{"parties-0-products": [str(world.a.product_ids[0])]}
        ),
    )
    assert response.status_code == 302
    detail = response.headers["Location"]
    offer_id = int(detail.rsplit("/", 1)[1])
    draft = page(client.get(detail))
    assert "Send to partners" in draft and "Alpha Flour Classic" in draft

    partner = signed_in(app, world.b.email(ADMIN))
    assert partner.get(detail).status_code == 404

    assert client.post(f"/offers/{offer_id}/send").status_code == 302
    shown = page(partner.get(detail))
    # A's partner manager proposed: A's approvers decide too.
    assert (
        'data-status="sent">waiting for Alpha Flour&#39;s and Beta Shortening&#39;s approvers<'
        in shown
    )
    assert "Spring baking week" in page(partner.get("/offers/inbox"))


def test_the_terms_page_needs_an_active_partner_to_start_with(app, world):
    client = signed_in(app, world.a.email(PM))
    response = client.get(f"/offers/new/terms?partner={world.c.id}")  # not A's partner
    assert response.status_code == 302
    assert response.headers["Location"] == "/offers/new"
    assert signed_in(app, world.a.email(APPROVER)).get("/offers/new").status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"parties-1-budget_share": "40"}, "budget_shares"),
        ({"parties-0-revenue_share": "50.01"}, "revenue_shares"),
        ({"total_budget": "10.005"}, "total_budget"),
        ({"total_budget": "1e3"}, "total_budget"),
        ({"end_date": "2027-02-28"}, "end_date"),
        ({"parties-0-budget_share": "33.333"}, "parties-0-budget_share"),
        ({"placements-0-owner": ""}, "placements-0-owner"),
        ({"placements-0-planned_cost": "2000"}, "placements"),
    ],
    ids=[
        "budget-shares-90",
        "revenue-shares-100.01",
        "budget-10.005",
        "budget-1e3",
        "end-before-start",
        "share-3-decimals",
        "placement-owner-missing",
        "placements-over-budget",
    ],
)
def test_bad_terms_are_shown_next_to_their_field_and_nothing_is_saved(app, world, overrides, field):
    client = signed_in(app, world.a.email(PM))
    response = client.post(
        f"/offers/new/terms?partner={world.b.id}",
        data=terms_form_data([world.a.id, world.b.id], **overrides),
    )
    assert response.status_code == 200
    assert f'data-field-error="{field}"' in page(response)
    assert rows(app)["offers"] == 0
    assert rows(app)["offer_revisions"] == 0


# ---------------------------------------------------------------------------------------------
# The offer page


def test_the_offer_page_shows_terms_what_changed_decisions_and_the_discussion(app, world):
    a, b, c = world.a.id, world.b.id, world.c.id
    offer_id = sent_offer(app, world, three=True)
    with app.app_context():
        reviews.decide(
            actor(world.a.email(APPROVER)),
            offer_id,
            revision_number=1,
            decision="changes_requested",
            comment="More for Alpha, please.",
        )
        proposals.revise(
            actor(world.a.email(PM)),
            offer_id,
            terms=make_terms(
                [a, b, c],
                total_budget_minor=150_000,
                budget_shares={a: 5000, b: 2500, c: 2500},
                revenue_shares={a: 3333, b: 3333, c: 3334},
                change_note="Alpha takes half.",
            ),
        )
        offer_discussion.add_comment(
            actor(world.c.email(PM)),
            offer_id,
            "<script>alert('x')</script> The brief: https://example.com/brief",
        )

    html = page(signed_in(app, world.c.email(ANALYST)).get(f"/offers/{offer_id}"))

    assert 'data-testid="revision-number">2<' in html
    current = html.split('data-testid="current-terms"', 1)[1].split("</table>", 1)[0]
    assert "€1,500.00" in current and "€1,000.00" not in current
    changed = html.split('data-testid="diff-2"', 1)[1].split("</table>", 1)[0]
    changed_fields = re.findall(r"<tr data-change=\"changed\"><td>([^<]+)</td>", changed)
    assert changed_fields == [
        "Total budget",
        f"{world.a.name}: budget share",
        f"{world.b.name}: budget share",
        f"{world.c.name}: budget share",
    ]
    assert "€1,000.00" in changed and "€1,500.00" in changed
    assert 'data-testid="diff-1"' not in html  # the first proposal has nothing to compare
    decided = html.split('data-testid="decisions"', 1)[1].split("</ul>", 1)[0]
    # A's partner manager proposed revision 2: A's approvers decide on it like B's and C's.
    assert decided.count("waiting for an approver") == 3
    discussion = html.split('data-testid="discussion"', 1)[1]
    assert "More for Alpha, please." in discussion
    assert "Revision 2 proposed: Alpha takes half." in discussion
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in discussion
    link = re.search(r'<a href="https://example.com/brief"([^>]*)>', discussion)
    assert link is not None and re.search(r'rel="[^"]*nofollow', link.group(1))


def decision_form_shown(app, email: str, offer_id: int) -> bool:
    return 'data-testid="decision-form"' in page(signed_in(app, email).get(f"/offers/{offer_id}"))


def test_the_decision_form_is_for_deciders_of_a_party_that_has_not_decided(app, world):
    offer_id = sent_offer(app, world)
    assert decision_form_shown(app, world.b.email(APPROVER), offer_id)
    assert decision_form_shown(app, world.b.email(ADMIN), offer_id)
    assert not decision_form_shown(app, world.b.email(PM), offer_id)
    assert not decision_form_shown(app, world.b.email(ANALYST), offer_id)
    # A's partner manager proposed it: A's own approvers decide on it too.
    assert decision_form_shown(app, world.a.email(APPROVER), offer_id)
    assert not decision_form_shown(app, world.a.email(PM), offer_id)
    # A's admin proposed this one, approving for A by it: nothing left for A to decide.
    by_admin = sent_offer(app, world, proposer=ADMIN)
    assert not decision_form_shown(app, world.a.email(APPROVER), by_admin)
    assert not decision_form_shown(app, world.a.email(ADMIN), by_admin)

    client = signed_in(app, world.b.email(APPROVER))
    refused = client.post(
        f"/offers/{offer_id}/decide",
        data={"revision_number": "1", "decision": "changes_requested", "comment": ""},
    )
    assert refused.status_code == 422
    assert 'data-field-error="comment"' in page(refused)
    assert rows(app)["offer_decisions"] == 1  # only A's admin's approval by sending

    done = client.post(
        f"/offers/{offer_id}/decide",
        data={"revision_number": "1", "decision": "changes_requested", "comment": "Add rye."},
    )
    assert done.status_code == 302
    assert not decision_form_shown(app, world.b.email(ADMIN), offer_id)


def test_a_decision_on_a_replaced_revision_is_refused_through_the_page(app, world):
    offer_id = sent_offer(app, world)
    with app.app_context():
        proposals.revise(
            actor(world.b.email(PM)),
            offer_id,
            terms=make_terms([world.a.id, world.b.id], title="B's version"),
        )
    client = signed_in(app, world.a.email(APPROVER))
    before = rows(app)
    response = client.post(
        f"/offers/{offer_id}/decide", data={"revision_number": "1", "decision": "approved"}
    )
    assert response.status_code == 303
    assert "no longer current" in page(client.get(response.headers["Location"]))
    assert rows(app) == before


def test_a_counter_proposal_from_a_stale_form_answers_409_and_writes_nothing(app, world):
    offer_id = sent_offer(app, world, three=True)
    a, b, c = world.a.id, world.b.id, world.c.id
    client = signed_in(app, world.c.email(PM))
    form = page(client.get(f"/offers/{offer_id}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version is not None
    with app.app_context():  # meanwhile A approves: the offer moved on
        reviews.decide(
            actor(world.a.email(APPROVER)), offer_id, revision_number=1, decision="approved"
        )
    before = rows(app)

    response = client.post(
        f"/offers/{offer_id}/edit",
        data=terms_form_data([a, b, c], title="C's version", version=version.group(1)),
    )

    assert response.status_code == 409
    assert "changed since you opened it" in page(response)
    assert rows(app) == before


def test_a_counter_proposal_through_the_page_becomes_revision_2(app, world):
    offer_id = sent_offer(app, world)
    client = signed_in(app, world.b.email(PM))
    form = page(client.get(f"/offers/{offer_id}/edit"))
    assert 'value="Spring baking week"' in form  # prefilled with the current terms
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version is not None
    response = client.post(
        f"/offers/{offer_id}/edit",
        data=terms_form_data(
            [world.a.id, world.b.id],
            total_budget="1,200.00",
            change_note="A bit more.",
            version=version.group(1),
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        numbers = db.session.scalars(
            sa.select(OfferRevision.number).where(OfferRevision.offer_id == offer_id)
        ).all()
        assert sorted(numbers) == [1, 2]
        assert db.session.get(Offer, offer_id).current_revision_number == 2


def test_the_last_approval_through_the_page_links_the_joint_campaign_for_the_parties_only(
    app, world
):
    offer_id = sent_offer(app, world)
    own = signed_in(app, world.a.email(APPROVER)).post(
        f"/offers/{offer_id}/decide", data={"revision_number": "1", "decision": "approved"}
    )
    assert own.status_code == 302  # A's partner manager proposed: A's approver approves first
    approver = signed_in(app, world.b.email(APPROVER))
    response = approver.post(
        f"/offers/{offer_id}/decide", data={"revision_number": "1", "decision": "approved"}
    )
    assert response.status_code == 302

    html = page(approver.get(f"/offers/{offer_id}"))
    link = re.search(r'href="/campaigns/(\d+)" data-testid="campaign-link"', html)
    assert link is not None
    assert f'data-status="approved">approved — campaign #{link.group(1)}<' in html
    campaign = f"/campaigns/{link.group(1)}"
    for email in (world.a.email(ANALYST), world.b.email(PM)):
        client = signed_in(app, email)
        shown = page(client.get(campaign))
        assert "Spring baking week" in shown and "€500.00" in shown  # each party's 50 %
        assert campaign in page(client.get("/campaigns"))
    outsider = signed_in(app, world.c.email(ADMIN))
    assert outsider.get(campaign).status_code == 404
    assert outsider.get(f"/offers/{offer_id}").status_code == 404
    assert campaign not in page(outsider.get("/campaigns"))


# ---------------------------------------------------------------------------------------------
# Bell, notifications, preferences, organization settings


def unread_badge(html: str) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)<', html)
    return found.group(1) if found else None


def test_the_bell_counts_unread_and_opening_a_notification_marks_it_read(app, world):
    offer_id = sent_offer(app, world)
    client = signed_in(app, world.b.email(PM))
    assert unread_badge(page(client.get("/dashboard"))) == "1"
    listing = page(client.get("/notifications"))
    assert "Alpha Flour proposes: Spring baking week" in listing
    with app.app_context():
        (mine,) = db.session.scalars(
            sa.select(Notification.id).where(Notification.user_id == world.b.user_ids[PM])
        )
        others = db.session.scalar(
            sa.select(Notification.id).where(Notification.user_id == world.b.user_ids[ADMIN])
        )

    # Someone else's notification is not found, and stays unread.
    assert client.post(f"/notifications/{others}/open").status_code == 404
    response = client.post(f"/notifications/{mine}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/offers/{offer_id}"
    assert unread_badge(page(client.get("/dashboard"))) is None
    with app.app_context():
        assert notifications.unread_count(world.b.user_ids[ADMIN]) == 1


def test_preferences_choose_a_channel_per_kind_and_keep_the_bell(app, world):
    client = signed_in(app, world.b.email(PM))
    form = page(client.get("/settings/notifications"))
    # Every kind is offered; what a partner manager acts on comes by mail unless they choose,
    # the rest (reminders to decide: approvers decide; a disabled webhook endpoint: admins
    # act on it) is off until they opt in.
    assert form.count('<option selected value="mail">') == len(notifications.KINDS) - 2
    assert form.count('<option selected value="off">') == 2

    choices = {kind: "app" for kind in notifications.KINDS} | {"offer_approved": "mail"}
    response = client.post("/settings/notifications", data=choices)
    assert response.status_code == 302
    assert page(client.get("/settings/notifications")).count('selected value="mail"') == 1

    sent_offer(app, world)
    with app.app_context():
        assert notifications.preferences(world.b.user_ids[PM], PM) == {
            kind: "mail" if kind == "offer_approved" else "app" for kind in notifications.KINDS
        }
        recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
        assert world.b.email(PM) not in recipients
        assert world.b.email(ADMIN) in recipients
        assert notifications.unread_count(world.b.user_ids[PM]) == 1


def review_days(app, company) -> int:
    with app.app_context():
        organization = db.session.get(Organization, company.id)
        assert organization is not None
        return organization.review_business_days


def test_review_days_are_set_by_admins_only(app, world):
    assert signed_in(app, world.a.email(PM)).get("/settings/organization").status_code == 403
    assert (
        signed_in(app, world.a.email(PM))
        .post("/settings/organization", data={"review_days": "9"})
        .status_code
        == 403
    )
    admin = signed_in(app, world.a.email(ADMIN))
    assert 'value="2"' in page(admin.get("/settings/organization"))

    refused = admin.post("/settings/organization", data={"review_days": "0"})
    assert 'data-field-error="review_days"' in page(refused)
    assert review_days(app, world.a) == 2

    assert admin.post("/settings/organization", data={"review_days": "5"}).status_code == 302
    assert review_days(app, world.a) == 5
    assert review_days(app, world.b) == 2


# ---------------------------------------------------------------------------------------------
# Mail through a real SMTP server


@pytest.mark.slow
def test_sending_an_offer_mails_the_partners_writers_through_smtp(make_app, smtp_server):
    app = make_app(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    with app.app_context():
        world: Any = factories.build_world()
        offer_id = proposals.create_draft(
            actor(world.a.email(PM)),
            partner_ids=[world.b.id],
            terms=make_terms([world.a.id, world.b.id]),
        ).id
    client = signed_in(app, world.a.email(PM))

    assert client.post(f"/offers/{offer_id}/send").status_code == 302

    received = sorted(smtp_server.received, key=lambda m: m.recipients)
    # B's writers, and A's own deciders: a partner manager's proposal needs them too.
    assert [m.recipients for m in received] == sorted(
        [
            [world.a.email(ADMIN)],
            [world.a.email(APPROVER)],
            [world.b.email(ADMIN)],
            [world.b.email(APPROVER)],
            [world.b.email(PM)],
        ]
    )
    for mail in received:
        own = mail.recipients[0].endswith("@a.example")
        assert mail.message["Subject"] == (
            "Alpha Flour's approval needed: Spring baking week"
            if own
            else "Alpha Flour proposes: Spring baking week"
        )
        assert f"http://localhost/offers/{offer_id}\n" in mail.body
    with app.app_context():
        unsent = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))
        )
        assert unsent == 0
        # A partner manager's proposal carries no approval: A's approvers decide on it.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OfferDecision)) == 0

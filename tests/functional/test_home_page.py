"""The home page (issue 18): every kind of pending item appears for exactly the people who can
act on it and disappears once acted on; what the company waits on from others, with whom; the
campaigns running now with the same money and pacing as their own pages; the last quarter's
headline; and a fixed number of queries whatever the data.

The A/B/C world: a user of every role per company; A-B and B-C are partners.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets import balances, claim_responses, payments
from comarketing.budgets import waiting as money
from comarketing.budgets.positions import positions
from comarketing.budgets.settlement import settle
from comarketing.campaigns import milestones
from comarketing.campaigns.models import Campaign
from comarketing.collateral import requests
from comarketing.collateral import reviews as creative
from comarketing.dashboard.campaigns_now import owed_words
from comarketing.dashboard.home import home_page, last_whole_quarter
from comarketing.dashboard.waiting_for_others import waiting_for_others
from comarketing.dashboard.waiting_for_you import waiting_for_you
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.metrics import imports, uploads
from comarketing.offers import proposals, reviews
from comarketing.partners import services as partner_services
from comarketing.reports.campaign_service import campaign_report
from comarketing.reports.pacing_now import pacing_of
from comarketing.timezones import company_today
from tests import campaign_helpers as ch
from tests.collateral.conftest import upload_image
from tests.factories import ROLES, PartnershipFactory
from tests.functional.test_accounts_pages import page, signed_in
from tests.offer_helpers import actor, make_terms, propose_and_send

PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"
EVERYONE = [f"{role}@{key}.example" for key in "abc" for role in ROLES]
RESULTS = (
    "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
    "2027-03-01,Alpha newsletter,1000,800,35,2,0,0,25.10\n"
)


def at(key: str, *roles: str) -> set[str]:
    return {f"{role}@{key}.example" for role in roles}


def waiting(email: str) -> list:
    who = actor(email)
    now = utcnow()
    return waiting_for_you(who, now, company_today(who.user.organization, now)).items


def who_sees(kind: str) -> set[str]:
    """Everyone in the world with an item of ``kind`` waiting for them."""
    return {email for email in EVERYONE if any(i.kind == kind for i in waiting(email))}


# ------------------------------------------------------------------------------------------
# Every kind: exactly the people who can act on it, until it is acted on


def test_an_offer_waits_for_each_companys_deciders_until_they_decide(ctx, world):
    offer_id = propose_and_send(world.a.email(PM), [world.a.id, world.b.id])
    # A partner manager's proposal waits for their own company's deciders too.
    assert who_sees("offer_decision") == at("a", APPROVER, ADMIN) | at("b", APPROVER, ADMIN)

    reviews.decide(actor(world.b.email(APPROVER)), offer_id, revision_number=1, decision="approved")
    assert who_sees("offer_decision") == at("a", APPROVER, ADMIN)

    reviews.decide(actor(world.a.email(ADMIN)), offer_id, revision_number=1, decision="approved")
    assert who_sees("offer_decision") == set()


def test_with_four_eyes_the_proposing_admin_is_not_asked_to_approve_their_own_offer(ctx, world):
    organization = db.session.get(Organization, world.a.id)
    organization.four_eyes = True
    db.session.commit()
    propose_and_send(world.a.email(ADMIN), [world.a.id, world.b.id])
    assert who_sees("offer_decision") == at("a", APPROVER) | at("b", APPROVER, ADMIN)


def test_changes_requested_wait_for_the_authors_proposers_until_revised(ctx, world):
    a, b = world.a.id, world.b.id
    offer_id = propose_and_send(world.a.email(PM), [a, b])
    reviews.decide(
        actor(world.b.email(APPROVER)),
        offer_id,
        revision_number=1,
        decision="changes_requested",
        comment="A smaller budget, please.",
    )
    assert who_sees("offer_revision") == at("a", PM, ADMIN)
    [item] = [i for i in waiting(world.a.email(PM)) if i.kind == "offer_revision"]
    assert world.b.name in item.detail

    proposals.revise(
        actor(world.a.email(PM)), offer_id, terms=make_terms([a, b], total_budget_minor=80_000)
    )
    assert who_sees("offer_revision") == set()


def test_a_creative_review_waits_for_the_other_owners_reviewers(ctx, world):
    campaign = ch.joint_campaign(world)
    asset = upload_image(world, campaign.id)
    assert who_sees("creative_review") == at("b", APPROVER, ADMIN)

    creative.review(actor(world.b.email(APPROVER)), asset.id, version_number=1, decision="approved")
    assert who_sees("creative_review") == set()


def test_a_claim_waits_for_the_other_partys_confirmers_until_confirmed(ctx, world):
    campaign = ch.joint_campaign(world)
    entry = ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 10_000)
    assert who_sees("claim") == at("b", PM, APPROVER, ADMIN)
    [item] = [i for i in waiting(world.b.email(APPROVER)) if i.kind == "claim"]
    assert item.due_at is not None and item.link.anchor.startswith("claim-")
    # When the lists change by the clock alone (kept until then: dashboard.home.waits).
    now = utcnow()
    assert money.claims_to_confirm(actor(world.b.email(APPROVER)), now, 5).next_due == item.due_at
    assert money.claims_awaiting_partners(actor(world.a.email(PM)), now, 5).next_due == item.due_at
    assert money.claims_to_confirm(actor(world.b.email(APPROVER)), item.due_at, 5).next_due == (
        item.due_at
    )
    after = item.due_at + timedelta(seconds=1)
    assert money.claims_awaiting_partners(actor(world.a.email(PM)), after, 5).next_due is None

    ch.confirm_entry(world.b.email(APPROVER), campaign.id, entry.id)
    assert who_sees("claim") == set()


def test_a_payment_waits_for_the_receivers_confirmers_until_answered(ctx, world):
    campaign = ch.joint_campaign(world)
    payment = payments.record_payment(
        actor(world.a.email(PM)),
        campaign.id,
        to_organization_id=world.b.id,
        amount_minor=5_000,
        paid_on=date.today(),
    )
    assert who_sees("payment") == at("b", PM, APPROVER, ADMIN)

    payments.confirm_payment(actor(world.b.email(PM)), campaign.id, payment.payment.id)
    assert who_sees("payment") == set()


def test_an_invitation_waits_for_the_invited_companys_responders(ctx, world):
    invitation = PartnershipFactory(
        inviter_organization_id=world.a.id,
        invitee_organization_id=world.c.id,
        invitee_email=world.c.email(PM),
        status="pending",
    )
    db.session.commit()
    assert who_sees("invitation") == at("c", PM, ADMIN)
    # The inviter waits on the typed address, not on a company name.
    others = waiting_for_others(actor(world.a.email(ANALYST)), utcnow(), date.today()).items
    assert [(w.label, w.waiting_on) for w in others] == [("Partner invitation", world.c.email(PM))]

    partner_services.transition(actor(world.c.email(PM)), invitation.id, "accept")
    assert who_sees("invitation") == set()


def test_a_request_waits_to_be_taken_then_for_its_taker_to_deliver(ctx, world):
    campaign = ch.joint_campaign(world)
    asset = upload_image(world, campaign.id)
    request = requests.create_request(actor(world.b.email(ANALYST)), campaign.id, title="Card")
    assert who_sees("collateral_request") == at("a", PM, ADMIN) | at("b", PM, ADMIN)
    asked = waiting_for_others(actor(world.b.email(ANALYST)), utcnow(), date.today()).items
    assert [w.waiting_on for w in asked] == ["the campaign's marketing teams"]

    requests.take_request(actor(world.a.email(PM)), request.id)
    assert who_sees("collateral_request") == set()
    assert who_sees("collateral_delivery") == at("a", PM)
    asked = waiting_for_others(actor(world.b.email(ANALYST)), utcnow(), date.today()).items
    assert [w.waiting_on for w in asked] == [world.a.name]

    requests.deliver_request(actor(world.a.email(PM)), request.id, asset.id)
    assert who_sees("collateral_delivery") == set()


def test_an_import_waits_for_a_choice_by_the_companys_result_writers(ctx, world):
    campaign = ch.joint_campaign(world)
    upload = uploads.upload(
        actor(world.a.email(PM)),
        io.BytesIO(RESULTS.encode()),
        "results.csv",
        campaign_id=campaign.id,
    )
    assert who_sees("import") == at("a", PM, ADMIN)

    imports.discard(actor(world.a.email(ADMIN)), upload.id)
    assert who_sees("import") == set()


def test_a_milestone_due_soon_waits_for_its_owners_campaign_runners(ctx, world):
    campaign = ch.joint_campaign(world)
    today = date.today()
    late = milestones.add_milestone(
        actor(world.a.email(PM)),
        campaign.id,
        kind="creative_due",
        title="Print files",
        owner_organization_id=world.a.id,
        due_on=today - timedelta(days=1),
    )
    milestones.add_milestone(
        actor(world.a.email(PM)),
        campaign.id,
        kind="launch",
        title="Far away",
        owner_organization_id=world.a.id,
        due_on=today + timedelta(days=60),
    )
    assert who_sees("milestone") == at("a", PM, ADMIN)
    [item] = [i for i in waiting(world.a.email(PM)) if i.kind == "milestone"]
    assert item.title == "Print files" and item.overdue
    # B waits on A for it.
    [other] = waiting_for_others(actor(world.b.email(PM)), utcnow(), today).items
    assert (other.label, other.waiting_on, other.overdue) == (
        "Partner's milestone",
        world.a.name,
        True,
    )

    milestones.complete_milestone(actor(world.b.email(PM)), campaign.id, late.id)
    assert who_sees("milestone") == set()


def test_analysts_and_the_third_company_never_get_anything_to_act_on(ctx, world):
    campaign = ch.joint_campaign(world)
    propose_and_send(world.a.email(PM), [world.a.id, world.b.id])
    ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 10_000)
    upload_image(world, campaign.id)
    requests.create_request(actor(world.b.email(ANALYST)), campaign.id, title="Card")
    for email in [*at("a", ANALYST), *at("b", ANALYST), *at("c", *ROLES)]:
        assert waiting(email) == [], email


# ------------------------------------------------------------------------------------------
# Order, and what the company waits on


def test_items_come_soonest_due_first_and_undated_ones_last(ctx, world):
    campaign = ch.joint_campaign(world)
    propose_and_send(world.a.email(PM), [world.a.id, world.b.id])
    ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 10_000)
    payments.record_payment(
        actor(world.a.email(PM)),
        campaign.id,
        to_organization_id=world.b.id,
        amount_minor=5_000,
        paid_on=date.today(),
    )
    upload_image(world, campaign.id)
    items = waiting(world.b.email(ADMIN))
    assert {i.kind for i in items} == {"offer_decision", "claim", "payment", "creative_review"}
    dated = [i.due_at for i in items if i.due_at is not None]
    assert dated == sorted(dated)
    assert items[-1].kind == "payment"  # a payment has no due time


def test_waiting_for_others_names_who_the_company_waits_on(ctx, world):
    campaign = ch.joint_campaign(world)
    propose_and_send(world.a.email(PM), [world.a.id, world.b.id])
    ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 10_000)
    upload_image(world, campaign.id)
    others = waiting_for_others(actor(world.a.email(ANALYST)), utcnow(), date.today()).items
    # A partner manager's proposal also waits for A's own approvers: others, for an analyst.
    assert {(w.label, w.waiting_on) for w in others} == {
        ("Offer sent", f"{world.a.name}'s approvers, {world.b.name}"),
        ("Expense claim", world.b.name),
        ("Creative review", world.b.name),
    }
    # A's approver has the offer to decide: for her it waits on B only.
    mine = waiting_for_others(actor(world.a.email(APPROVER)), utcnow(), date.today()).items
    assert ("Offer sent", world.b.name) in {(w.label, w.waiting_on) for w in mine}
    assert waiting_for_others(actor(world.c.email(ADMIN)), utcnow(), date.today()).items == []


# ------------------------------------------------------------------------------------------
# Campaigns now: the same figures as the campaign's own pages


def test_campaigns_now_show_spend_pacing_and_what_is_owed(ctx, world):
    campaign = ch.joint_campaign(world)  # 2027-03-01..04-30, A 60 % / B 40 %, reach goal
    entry = ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 10_000)
    ch.confirm_entry(world.b.email(APPROVER), campaign.id, entry.id)
    ch.spend(world.b.email(PM), campaign.id, campaign.b_placement, 2_500)  # pending
    now = datetime(2027, 3, 15, 12, tzinfo=UTC)

    home = home_page(actor(world.a.email(ANALYST)), now)
    assert home.campaigns is not None
    [line] = home.campaigns.lines
    assert line.totals == balances.campaign_totals(campaign.id)
    assert (line.totals.spent_minor, line.totals.committed_minor) == (12_500, 100_000)
    assert line.owed == ["Beta Shortening owes you €40.00"]
    report = campaign_report(actor(world.a.email(ANALYST)), campaign.id, today=date(2027, 3, 15))
    assert line.goals == [g for g in report.goals if g.has_goal]

    seen_by_b = home_page(actor(world.b.email(ANALYST)), now).campaigns
    assert seen_by_b is not None
    assert seen_by_b.lines[0].owed == ["You owe Alpha Flour €40.00"]
    # C is no party: not a line.
    assert home_page(actor(world.c.email(PM)), now).campaigns.lines == []  # type: ignore[union-attr]


def test_positions_of_many_campaigns_equal_each_campaigns_own_balances(ctx, world):
    first = ch.joint_campaign(world, name="First")
    second = ch.joint_campaign(world, name="Second", a_share_bp=5_000)
    confirmed = ch.spend(world.a.email(PM), first.id, first.a_placement, 10_000)
    ch.confirm_entry(world.b.email(APPROVER), first.id, confirmed.id)
    disputed = ch.spend(world.b.email(PM), first.id, first.b_placement, 3_000)
    claim_id = db.session.scalar(
        sa.text("SELECT claim_id FROM claim_versions WHERE ledger_entry_id = :e"),
        {"e": disputed.id},
    )
    claim_responses.dispute_claim(
        actor(world.a.email(APPROVER)), first.id, claim_id, reason="No proof"
    )
    ch.spend(world.b.email(PM), second.id, second.b_placement, 7_000)  # pending
    paid = payments.record_payment(
        actor(world.b.email(PM)),
        first.id,
        to_organization_id=world.a.id,
        amount_minor=1_000,
        paid_on=date.today(),
    )
    payments.confirm_payment(actor(world.a.email(PM)), first.id, paid.payment.id)

    found = positions([first.id, second.id])
    for campaign_id in (first.id, second.id):
        assert found[campaign_id].balances == balances.balances(campaign_id)
        assert found[campaign_id].settlement == balances.settlement(campaign_id)


def test_pacing_of_many_campaigns_equals_each_campaign_reports(ctx, world):
    campaign = ch.joint_campaign(world)
    other = ch.joint_campaign(world, name="Other")
    ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 10_000)
    today = date(2027, 3, 20)
    rows = [db.session.get(Campaign, campaign.id), db.session.get(Campaign, other.id)]
    paced = pacing_of([r for r in rows if r is not None], today)
    for c in (campaign, other):
        report = campaign_report(actor(world.a.email(ANALYST)), c.id, today=today)
        assert paced[c.id] == report.goals


# ------------------------------------------------------------------------------------------
# The page


def test_last_whole_quarter():
    assert last_whole_quarter(date(2026, 12, 6)).start == date(2026, 7, 1)
    assert last_whole_quarter(date(2026, 12, 6)).end == date(2026, 9, 30)
    assert last_whole_quarter(date(2027, 1, 1)).start == date(2026, 10, 1)
    assert last_whole_quarter(date(2027, 3, 31)).end == date(2026, 12, 31)
    assert last_whole_quarter(date(2027, 4, 1)).end == date(2027, 3, 31)


def test_the_page_links_each_item_and_flags_the_overdue(app, world):
    with app.app_context():
        campaign = ch.joint_campaign(world)
        offer_id = propose_and_send(world.a.email(PM), [world.a.id, world.b.id])
        ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 10_000)
        milestones.add_milestone(
            actor(world.b.email(PM)),
            campaign.id,
            kind="creative_due",
            title="Print files",
            owner_organization_id=world.b.id,
            due_on=date.today() - timedelta(days=2),
        )
        db.session.remove()
    html = page(signed_in(app, world.b.email(ADMIN)).get("/dashboard"))
    assert f'href="/offers/{offer_id}"' in html
    assert f'href="/campaigns/{campaign.id}#claim-' in html
    assert f'href="/campaigns/{campaign.id}#milestones"' in html
    assert 'data-testid="overdue-count">1 overdue' in html
    assert "Nothing waits for you" not in html
    quarter = last_whole_quarter(date.today())
    assert (
        f'href="/reports?preset=custom&amp;start={quarter.start.isoformat()}'
        f'&amp;end={quarter.end.isoformat()}"'
    ) in html

    analyst = page(signed_in(app, world.b.email(ANALYST)).get("/dashboard"))
    assert "Nothing waits for you right now." in analyst
    assert 'data-testid="last-quarter"' in analyst


def pile(world, n: int, start: int) -> None:
    """``n`` more items of every kind waiting for A's admin, and ``n`` more campaigns now."""
    today = date.today()
    a, b = world.a.id, world.b.id
    for i in range(start, start + n):
        propose_and_send(world.b.email(PM), [a, b], make_terms([a, b], title=f"Offer {i}"))
        joint = ch.joint_campaign(world, name=f"Joint {i}")
        ch.spend(world.b.email(PM), joint.id, joint.b_placement, 1_000 + i)
        payments.record_payment(
            actor(world.b.email(PM)), joint.id, to_organization_id=a, amount_minor=500,
            paid_on=today,
        )  # fmt: skip
        upload_image(world, joint.id, by=world.b.email(PM))
        requests.create_request(actor(world.b.email(ANALYST)), joint.id, title=f"Card {i}")
        uploads.upload(
            actor(world.a.email(PM)), io.BytesIO(RESULTS.encode()), f"r{i}.csv",
            campaign_id=joint.id,
        )  # fmt: skip
        now = ch.solo_campaign(
            world.a.email(PM), f"Now {i}", start=today, end=today + timedelta(days=20),
            target_leads=100,
        )  # fmt: skip
        milestones.add_milestone(
            actor(world.a.email(PM)), now, kind="launch", title=f"Launch {i}",
            owner_organization_id=a, due_on=today + timedelta(days=i % 10),
        )  # fmt: skip
    PartnershipFactory(
        inviter_organization_id=world.c.id, invitee_organization_id=a,
        invitee_email=world.a.email(PM), status="pending",
    )  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize("email_role", [ADMIN, ANALYST])
def test_the_page_runs_a_fixed_number_of_queries_whatever_the_data(
    app, world, query_counter, email_role
):
    client = signed_in(app, world.a.email(email_role))

    def count() -> tuple[int, str]:
        with query_counter() as statements:
            response = client.get("/dashboard")
        assert response.status_code == 200
        return len(statements), page(response)

    with app.app_context():
        pile(world, 1, 0)
    few, html = count()
    if email_role == ADMIN:
        kinds = {"offer_decision", "claim", "payment", "creative_review", "collateral_request",
                 "import", "milestone", "invitation"}  # fmt: skip
        for kind in kinds:
            assert f'data-kind="{kind}"' in html, kind
    with app.app_context():
        pile(world, 3, 1)
    many, html = count()
    assert html.count('data-testid="campaign-now"') == 4
    assert many == few


def test_what_is_owed_reads_from_the_readers_side():
    # Three parties with equal shares; A paid everything confirmed so far.
    shares = {1: 3_334, 2: 3_333, 3: 3_333}
    squared = settle({1: 30_000}, shares)
    names = {2: "Goldcrest", 3: "Chipcraft"}
    assert owed_words(squared, 1, names, "EUR") == [
        "Goldcrest owes you €99.99",
        "Chipcraft owes you €99.99",
    ]
    assert owed_words(squared, 2, {1: "Millstone", 3: "Chipcraft"}, "EUR") == [
        "You owe Millstone €99.99",
        "Chipcraft owes Millstone €99.99",
    ]
    assert owed_words(settle({}, shares), 1, names, "EUR") == []

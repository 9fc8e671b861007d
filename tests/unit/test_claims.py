"""Expense claims and payments (issue 14), through the services: a claim is pending until every
other party confirms it or its window passes undisputed; a dispute takes it out of everyone's
settlement until it is revised or withdrawn; payments count once their receiver confirms them.
Proof is recognised by content and served to the parties only."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.accounts.models import Organization
from comarketing.budgets import balances, claim_responses, claim_states, claims, payments, proofs
from comarketing.budgets.claim_workflow import ClaimState, PaymentState
from comarketing.budgets.models import AppendOnlyViolation, ClaimResponse, ClaimVersion
from comarketing.budgets.posting import check_money_date
from comarketing.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.outbox import OutboxMessage
from tests.campaign_helpers import (
    ANALYST,
    APPROVER,
    END,
    PM,
    START,
    add_placement,
    assert_ledger_consistent,
    commit,
    joint_campaign,
    solo_campaign,
)
from tests.collateral import samples
from tests.offer_helpers import actor, notified

PAID = date(2026, 11, 30)


def claim(world, campaign, amount=30_000, *, party="a", files=(), **terms):
    company = getattr(world, party)
    placement = campaign.a_placement if party == "a" else campaign.b_placement
    values = {"service_from": START, "service_to": START, "paid_on": PAID, "note": ""} | terms
    return claims.create_claim(
        actor(company.email(PM)),
        campaign.id,
        organization_id=company.id,
        placement_id=placement,
        terms=claims.ClaimTerms(amount_minor=amount, **values),
        proofs=[proofs.ProofUpload(io.BytesIO(data), name) for data, name in files],
    )


def test_a_claim_is_pending_until_the_other_party_confirms_it(app, ctx, world):
    campaign = joint_campaign(world)
    made = claim(world, campaign, files=[(samples.pdf("Invoice 7"), "invoice.pdf")])
    assert made.state is ClaimState.PENDING and made.others == [world.b.id]
    assert [p.content_type for p in made.proofs] == ["application/pdf"]
    # Pending counts against the commitments, not in the settlement.
    totals = balances.campaign_totals(campaign.id)
    assert (totals.pending_minor, totals.confirmed_minor, totals.spent_minor) == (30_000, 0, 30_000)
    assert balances.settlement(campaign.id).transfers == []
    # B's confirmers hear of it, with its due date.
    assert set(notified("claim_to_confirm")) == {world.b.email(r) for r in ("admin", PM, APPROVER)}

    done = claim_responses.confirm_claim(actor(world.b.email(APPROVER)), campaign.id, made.claim.id)
    assert done.state is ClaimState.CONFIRMED
    transfers = balances.settlement(campaign.id).transfers
    assert [(t.from_organization_id, t.to_organization_id, t.amount_minor) for t in transfers] == [
        (world.b.id, world.a.id, 12_000)
    ]
    assert_ledger_consistent(app)


def test_only_the_other_parties_confirmers_answer_and_only_once(ctx, world):
    campaign = joint_campaign(world)
    made = claim(world, campaign)
    with pytest.raises(Forbidden):  # the claimant's own company
        claim_responses.confirm_claim(actor(world.a.email(APPROVER)), campaign.id, made.claim.id)
    with pytest.raises(Forbidden):  # an analyst of the other party
        claim_responses.confirm_claim(actor(world.b.email(ANALYST)), campaign.id, made.claim.id)
    with pytest.raises(NotFound):  # a company that is no party
        claim_responses.confirm_claim(actor(world.c.email("admin")), campaign.id, made.claim.id)
    claim_responses.confirm_claim(actor(world.b.email(PM)), campaign.id, made.claim.id)
    with pytest.raises(Conflict):
        claim_responses.dispute_claim(
            actor(world.b.email(APPROVER)), campaign.id, made.claim.id, reason="Too late"
        )


def test_a_disputed_claim_counts_for_nobody_until_revised_or_withdrawn(app, ctx, world):
    campaign = joint_campaign(world)
    made = claim(world, campaign)
    with pytest.raises(ValidationFailed) as refused:
        claim_responses.dispute_claim(
            actor(world.b.email(APPROVER)), campaign.id, made.claim.id, reason=" "
        )
    assert refused.value.field == "reason"
    disputed = claim_responses.dispute_claim(
        actor(world.b.email(APPROVER)), campaign.id, made.claim.id, reason="No invoice"
    )
    assert disputed.state is ClaimState.DISPUTED
    totals = balances.campaign_totals(campaign.id)
    assert (totals.spent_minor, totals.disputed_minor) == (0, 30_000)
    assert set(notified("claim_disputed")) == {world.a.email("admin"), world.a.email(PM)}
    with pytest.raises(Conflict):  # B answered this version already
        claim_responses.confirm_claim(actor(world.b.email(PM)), campaign.id, made.claim.id)

    # The author revises with proof: a new version, answers start over.
    revised = claims.revise_claim(
        actor(world.a.email(PM)),
        campaign.id,
        made.claim.id,
        amount_minor=25_000,
        proofs=[proofs.ProofUpload(io.BytesIO(samples.png()), "receipt.png")],
    )
    assert (revised.state, revised.version.number, revised.answers) == (ClaimState.PENDING, 2, {})
    assert balances.campaign_totals(campaign.id).pending_minor == 25_000
    assert set(notified("claim_revised")) == {world.b.email(r) for r in ("admin", PM, APPROVER)}
    with pytest.raises(Conflict):  # an answer to the old version
        claim_responses.confirm_claim(
            actor(world.b.email(PM)), campaign.id, made.claim.id, version_number=1
        )
    withdrawn = claims.withdraw_claim(actor(world.a.email(PM)), campaign.id, made.claim.id)
    assert withdrawn.state is ClaimState.WITHDRAWN
    assert balances.campaign_totals(campaign.id).spent_minor == 0
    with pytest.raises(InvalidTransition):
        claims.revise_claim(actor(world.a.email(PM)), campaign.id, made.claim.id, amount_minor=1)
    assert_ledger_consistent(app)


def test_a_revision_must_change_something(ctx, world):
    campaign = joint_campaign(world)
    made = claim(world, campaign)
    with pytest.raises(ValidationFailed):
        claims.revise_claim(
            actor(world.a.email(PM)), campaign.id, made.claim.id, amount_minor=30_000
        )


def test_the_window_passing_confirms_a_claim_nobody_disputed(app, ctx, world):
    campaign = joint_campaign(world)
    with freeze_time("2026-12-07 09:00:00"):  # a Monday
        made = claim(world, campaign)
    # Five business days (B's default): due at the end of the next Monday (B works in UTC).
    assert made.version.confirm_due_at == datetime(2026, 12, 15, 0, 0, tzinfo=UTC)
    day_before = datetime(2026, 12, 13, 9, tzinfo=UTC)
    assert claim_responses.run_claim_deadlines(day_before).auto_confirmed == 0
    run = claim_responses.run_claim_deadlines(made.version.confirm_due_at)
    assert run.auto_confirmed == 1
    status = claim_states.claim_status(campaign.id, made.claim.id)
    assert status is not None and status.state is ClaimState.CONFIRMED
    assert [r.kind for r in status.answers.values()] == ["auto_confirmed"]
    assert world.a.email(PM) in notified("claim_auto_confirmed")
    # Nothing is written twice.
    assert claim_responses.run_claim_deadlines(made.version.confirm_due_at).auto_confirmed == 0
    assert_ledger_consistent(app)


def test_the_longest_window_of_the_other_parties_applies(ctx, world):
    db.session.get(Organization, world.b.id).claim_confirmation_business_days = 10
    db.session.commit()
    campaign = joint_campaign(world)
    with freeze_time("2026-12-07 09:00:00"):
        made = claim(world, campaign)
    assert made.version.confirm_due_at == datetime(2026, 12, 22, 0, 0, tzinfo=UTC)  # end of 21st


def test_the_window_runs_in_the_confirming_companys_calendar_and_mail_shows_its_end(ctx, world):
    b = db.session.get(Organization, world.b.id)
    b.time_zone, b.country, b.claim_confirmation_business_days = "Europe/Berlin", "DE", 2
    db.session.commit()
    campaign = joint_campaign(world)
    with freeze_time("2026-12-23 09:00:00"):  # Wednesday; 25 and 26 Dec are German holidays
        made = claim(world, campaign)
    # The end of Monday 28 Dec in Berlin: 24 Dec counts, Christmas and the weekend do not.
    assert made.version.confirm_due_at == datetime(2026, 12, 28, 23, 0, tzinfo=UTC)
    [body] = db.session.scalars(
        sa.select(OutboxMessage.body).where(
            OutboxMessage.recipient == world.b.email(APPROVER),
            OutboxMessage.kind == "claim_to_confirm",
        )
    ).all()
    assert "dispute it by end of Mon, 28 Dec 2026 (CET);" in body
    assert "for 1 Mar 2027 to 1 Mar 2027 in" in body
    # Silence counts as confirmation at that instant, not before.
    assert (
        claim_responses.run_claim_deadlines(
            datetime(2026, 12, 28, 22, 59, tzinfo=UTC)
        ).auto_confirmed
        == 0
    )
    assert claim_responses.run_claim_deadlines(made.version.confirm_due_at).auto_confirmed == 1


def test_a_solo_campaigns_claim_is_confirmed_at_once(ctx, world):
    campaign_id = solo_campaign(world.a.email(PM))
    placement = add_placement(world.a.email(PM), campaign_id, world.a.id)
    commit(world.a.email(PM), campaign_id, 50_000)
    made = claims.create_claim(
        actor(world.a.email(PM)),
        campaign_id,
        organization_id=world.a.id,
        placement_id=placement,
        terms=claims.ClaimTerms(1_000, START, END, PAID),
    )
    assert made.state is ClaimState.CONFIRMED and made.version.confirm_due_at is None


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"paid_on": date(2099, 1, 1)}, "paid_on"),
        ({"paid_on": date(1999, 12, 31)}, "paid_on"),
        ({"service_from": date(2027, 2, 28)}, "service_from"),
        ({"service_to": date(2027, 5, 1)}, "service_to"),
        ({"service_from": date(2027, 3, 5), "service_to": date(2027, 3, 4)}, "service_to"),
    ],
)
def test_dates_are_checked_by_field(ctx, world, terms, field):
    campaign = joint_campaign(world)
    with pytest.raises(ValidationFailed) as refused:
        claim(world, campaign, **terms)
    assert refused.value.field == field


def test_a_day_that_is_today_somewhere_is_not_the_future():
    with freeze_time("2026-12-06 11:00:00"):  # already 7 December in UTC+14
        assert check_money_date(date(2026, 12, 7), "paid_on") == date(2026, 12, 7)
        with pytest.raises(ValidationFailed):
            check_money_date(date(2026, 12, 8), "paid_on")


def test_proof_is_recognised_by_content_and_size_limited(app, ctx, world):
    campaign = joint_campaign(world)
    with pytest.raises(ValidationFailed) as refused:
        claim(world, campaign, files=[(samples.windows_exe(), "invoice.pdf")])
    assert refused.value.field == "proof"
    app.config["CLAIM_PROOF_MAX_BYTES"] = 10
    with pytest.raises(Exception) as too_large:
        claim(world, campaign, files=[(samples.pdf("A long invoice"), "invoice.pdf")])
    assert getattr(too_large.value, "status_code", None) == 413
    assert balances.campaign_totals(campaign.id).spent_minor == 0


def test_proof_is_served_to_the_parties_only(ctx, world):
    campaign = joint_campaign(world)
    made = claim(world, campaign, files=[(samples.pdf("Invoice"), "../Invoice\r\n.pdf")])
    served = proofs.claim_proof(actor(world.b.email(ANALYST)), campaign.id, made.proofs[0].id)
    assert served.media_type == "application/pdf" and served.download_name == "Invoice.pdf"
    with pytest.raises(NotFound):
        proofs.claim_proof(actor(world.c.email("admin")), campaign.id, made.proofs[0].id)


def test_payments_count_once_the_receiver_confirms_them(app, ctx, world):
    campaign = joint_campaign(world)
    made = claim(world, campaign)
    claim_responses.confirm_claim(actor(world.b.email(APPROVER)), campaign.id, made.claim.id)
    paid = payments.record_payment(
        actor(world.b.email(PM)),
        campaign.id,
        to_organization_id=world.a.id,
        amount_minor=12_000,
        paid_on=PAID,
        reference="SEPA 42",
    )
    assert paid.state is PaymentState.PENDING
    assert balances.settlement(campaign.id).transfers  # not square before A confirms
    assert set(notified("payment_to_confirm")) == {
        world.a.email(r) for r in ("admin", PM, APPROVER)
    }
    with pytest.raises(Forbidden):  # the payer does not confirm its own payment
        payments.confirm_payment(actor(world.b.email(APPROVER)), campaign.id, paid.payment.id)
    done = payments.confirm_payment(actor(world.a.email(APPROVER)), campaign.id, paid.payment.id)
    assert done.state is PaymentState.CONFIRMED
    result = balances.settlement(campaign.id)
    assert result.square and result.transfers == []
    with pytest.raises(InvalidTransition):
        payments.reject_payment(actor(world.a.email(PM)), campaign.id, paid.payment.id, reason="x")
    assert_ledger_consistent(app)


def test_a_rejected_payment_needs_a_reason_and_counts_for_nothing(ctx, world):
    campaign = joint_campaign(world)
    paid = payments.record_payment(
        actor(world.b.email(PM)),
        campaign.id,
        to_organization_id=world.a.id,
        amount_minor=500,
        paid_on=PAID,
    )
    with pytest.raises(ValidationFailed):
        payments.reject_payment(actor(world.a.email(PM)), campaign.id, paid.payment.id, reason="")
    rejected = payments.reject_payment(
        actor(world.a.email(PM)), campaign.id, paid.payment.id, reason="Not on our statement"
    )
    assert rejected.state is PaymentState.REJECTED
    assert balances.settlement(campaign.id).square
    assert world.b.email(PM) in notified("payment_answered")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"to_organization_id": "self"}, "to_organization_id"),
        ({"to_organization_id": "c"}, "to_organization_id"),
        ({"amount_minor": 0}, "amount"),
        ({"paid_on": date(2099, 1, 1)}, "paid_on"),
        ({"currency": "USD"}, "currency"),
    ],
)
def test_a_payment_is_checked_by_field(ctx, world, fields, field):
    campaign = joint_campaign(world)
    to = {"self": world.b.id, "c": world.c.id}.get(fields.pop("to_organization_id", ""), world.a.id)
    values = {"amount_minor": 100, "paid_on": PAID} | fields
    with pytest.raises(ValidationFailed) as refused:
        payments.record_payment(
            actor(world.b.email(PM)), campaign.id, to_organization_id=to, **values
        )
    assert refused.value.field == field


def test_claim_rows_are_never_changed(ctx, world):
    campaign = joint_campaign(world)
    made = claim(world, campaign)
    version = db.session.get(ClaimVersion, made.version.id)
    version.amount_minor = 1
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClaimResponse)) == 0


def test_an_admin_sets_the_companys_confirmation_window(app, client, login_as, world):
    login_as(world.b.email("admin"))
    page = client.get("/settings/organization").get_data(as_text=True)
    assert 'name="claim_days"' in page and 'value="5"' in page
    response = client.post("/settings/organization", data={"review_days": "2", "claim_days": "8"})
    assert response.status_code == 302
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            claim_responses.set_confirmation_days(actor(world.b.email("admin")), 0)
        assert refused.value.field == "claim_days"
        with pytest.raises(Forbidden):
            claim_responses.set_confirmation_days(actor(world.b.email(PM)), 3)
        assert db.session.get(Organization, world.b.id).claim_confirmation_business_days == 8

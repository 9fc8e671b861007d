"""What only PostgreSQL can show about claims and payments: answers given at the same moment
are applied one after another under the campaign's row lock — one outcome, no lost update —
and the append-only trigger of migration 0013 refuses UPDATE and DELETE of their rows."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
import sqlalchemy as sa

from comarketing.budgets import balances, claim_responses, claim_states, commitments, payments
from comarketing.budgets.claim_workflow import ClaimState
from comarketing.campaigns import lifecycle
from comarketing.campaigns.models import Placement
from comarketing.errors import InvalidTransition
from comarketing.extensions import db
from comarketing.money import split_by_shares
from tests.campaign_helpers import (
    APPROVER,
    BUDGET,
    END,
    PM,
    START,
    assert_ledger_consistent,
    confirm_entry,
    joint_campaign,
    spend,
)
from tests.concurrency import at_once
from tests.offer_helpers import actor

pytestmark = pytest.mark.pg_only


def test_two_people_of_a_party_confirming_and_disputing_at_once_give_one_answer(app, world):
    with app.app_context():
        campaign = joint_campaign(world)
        entry = spend(world.a.email(PM), campaign.id, campaign.a_placement, 30_000)
        [status] = claim_states.claim_statuses(campaign.id)
        claim_id = status.claim.id
        db.session.remove()
    outcomes = at_once(
        app,
        [
            lambda: claim_responses.confirm_claim(
                actor(world.b.email(APPROVER)), campaign.id, claim_id
            ),
            lambda: claim_responses.dispute_claim(
                actor(world.b.email(PM)), campaign.id, claim_id, reason="Not ours"
            ),
        ],
    )
    answered = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(answered) == 1 and len(refused) == 1, outcomes
    assert getattr(refused[0], "status_code", None) == 409, refused
    with app.app_context():
        status = claim_states.claim_status(campaign.id, claim_id)
        assert status is not None and len(status.answers) == 1
        assert status.state in (ClaimState.CONFIRMED, ClaimState.DISPUTED)
        assert status.state is answered[0].state  # type: ignore[union-attr]
        db.session.remove()
    assert entry.amount_minor == 30_000
    assert_ledger_consistent(app)


def test_a_payment_recorded_while_a_claim_is_confirmed_loses_nothing(app, world):
    with app.app_context():
        campaign = joint_campaign(world)
        first = spend(world.a.email(PM), campaign.id, campaign.a_placement, 30_000)
        confirm_entry(world.b.email(APPROVER), campaign.id, first.id)
        spend(world.a.email(PM), campaign.id, campaign.a_placement, 20_000)
        second = claim_states.claim_statuses(campaign.id)[0].claim.id
        db.session.remove()
    outcomes = at_once(
        app,
        [
            lambda: claim_responses.confirm_claim(
                actor(world.b.email(APPROVER)), campaign.id, second
            ),
            lambda: payments.record_payment(
                actor(world.b.email(PM)),
                campaign.id,
                to_organization_id=world.a.id,
                amount_minor=12_000,
                paid_on=date(2026, 11, 30),
            ),
        ],
    )
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    with app.app_context():
        [paid] = claim_states.payment_statuses(campaign.id)
        payments.confirm_payment(actor(world.a.email(APPROVER)), campaign.id, paid.payment.id)
        result = balances.settlement(campaign.id)
        # 500.00 confirmed, B bears 40 % = 200.00, paid 120.00: owes 80.00 more.
        assert [(t.from_organization_id, t.amount_minor) for t in result.transfers] == [
            (world.b.id, 8_000)
        ]
        db.session.remove()
    assert_ledger_consistent(app)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE claim_versions SET amount_minor = 1",
        "DELETE FROM claim_responses",
        "UPDATE payments SET amount_minor = 1",
        "DELETE FROM claims",
    ],
)
def test_raw_sql_cannot_rewrite_claims_or_payments(app, world, statement):
    with app.app_context():
        campaign = joint_campaign(world)
        entry = spend(world.a.email(PM), campaign.id, campaign.a_placement, 30_000)
        confirm_entry(world.b.email(APPROVER), campaign.id, entry.id)
        payments.record_payment(
            actor(world.b.email(PM)),
            campaign.id,
            to_organization_id=world.a.id,
            amount_minor=100,
            paid_on=date(2026, 11, 30),
        )
        url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        db.session.remove()
    with psycopg.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.RestrictViolation) as refused:
            conn.execute(statement)
        assert "is append-only" in str(refused.value)


def three_party_campaign(world) -> tuple[int, int]:
    """A joint A+B+C campaign (C's data carries the canary; it is a party here), with the
    commitments split by shares; returns the campaign and A's placement."""
    shares = {world.a.id: 4_000, world.b.id: 3_000, world.c.id: 3_000}
    campaign = lifecycle.create_joint_campaign(
        offer_id=None,
        proposer_organization_id=world.a.id,
        created_by_id=None,
        name="Three brands, one recipe",
        description="",
        start_date=START,
        end_date=END,
        currency="EUR",
        total_budget_minor=BUDGET,
        target_reach=None,
        target_leads=None,
        target_revenue_minor=None,
        parties=[lifecycle.PartyShare(org, bp, bp) for org, bp in shares.items()],
        placements=[lifecycle.PlannedPlacement("email", world.a.id, "Alpha newsletter", 10_000)],
    )
    commitments.record_commitments(
        campaign_id=campaign.id,
        currency="EUR",
        amounts=split_by_shares(BUDGET, shares),
        created_by_id=None,
        note="Agreed shares",
    )
    placement = db.session.scalar(
        sa.select(Placement.id).where(Placement.campaign_id == campaign.id)
    )
    db.session.commit()
    return campaign.id, placement


@pytest.mark.parametrize(
    ("c_answer", "state"), [("dispute", ClaimState.DISPUTED), ("confirm", ClaimState.CONFIRMED)]
)
def test_two_parties_answering_at_once_both_count(app, world, c_answer, state):
    """B confirms while C confirms or disputes, at the same moment: the answers are applied one
    after the other under the campaign's lock, and a dispute is never lost to a confirmation
    that would have completed the claim."""
    with app.app_context():
        campaign_id, placement = three_party_campaign(world)
        spend(world.a.email(PM), campaign_id, placement, 30_000)
        [status] = claim_states.claim_statuses(campaign_id)
        claim_id = status.claim.id
        db.session.remove()
    c_approver = world.c.email(APPROVER)
    if c_answer == "dispute":
        c_call = lambda: claim_responses.dispute_claim(  # noqa: E731
            actor(c_approver), campaign_id, claim_id, reason="Not ours"
        )
    else:
        c_call = lambda: claim_responses.confirm_claim(  # noqa: E731
            actor(c_approver), campaign_id, claim_id
        )
    outcomes = at_once(
        app,
        [
            lambda: claim_responses.confirm_claim(
                actor(world.b.email(APPROVER)), campaign_id, claim_id
            ),
            c_call,
        ],
    )
    b_outcome, c_outcome = outcomes
    assert not isinstance(c_outcome, Exception), outcomes
    # B's confirmation is applied before C's answer, or after a dispute, which it may no
    # longer confirm (409): either way one outcome, and nothing of either is lost.
    b_refused = isinstance(b_outcome, InvalidTransition)
    assert not isinstance(b_outcome, Exception) or (b_refused and c_answer == "dispute"), outcomes
    with app.app_context():
        [status] = claim_states.claim_statuses(campaign_id)
        assert status.state is state
        expected = {world.c.id: "disputed" if c_answer == "dispute" else "confirmed"}
        if not b_refused:
            expected[world.b.id] = "confirmed"
        assert {org: r.kind for org, r in status.answers.items()} == expected
        assert_ledger_consistent(app)

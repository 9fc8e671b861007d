"""What only PostgreSQL can show about claims and payments: answers given at the same moment
are applied one after another under the campaign's row lock — one outcome, no lost update —
and the append-only trigger of migration 0013 refuses UPDATE and DELETE of their rows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import psycopg
import pytest

from comarketing.budgets import balances, claim_responses, claim_states, payments
from comarketing.budgets.claim_workflow import ClaimState
from comarketing.extensions import db
from tests.campaign_helpers import (
    APPROVER,
    PM,
    assert_ledger_consistent,
    confirm_entry,
    joint_campaign,
    spend,
)
from tests.offer_helpers import actor

pytestmark = pytest.mark.pg_only


def at_once(app, calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each gets its own session."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes[index] = calls[index]()
            except Exception as exc:
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


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

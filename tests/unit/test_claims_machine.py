"""A Hypothesis state machine over claims, versions, confirmations, disputes, windows passing
(frozen time), payments and reversals. A model here follows the rules alone; after every step
the services must agree with it, and the invariants hold: settlement balances sum to zero;
confirmed + pending never exceed the commitments (no override is used); nothing is counted
twice; every money figure is an integer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from comarketing.budgets import balances, claim_responses, claim_states, claims, payments
from comarketing.budgets.claim_workflow import ClaimState
from comarketing.budgets.posting import OverBudget
from comarketing.db import utcnow
from comarketing.errors import Conflict, ValidationFailed
from comarketing.extensions import db
from tests.campaign_helpers import APPROVER, PM, START, assert_ledger_consistent, joint_campaign
from tests.offer_helpers import actor

PARTIES = ("a", "b")


def test_claims_and_payments_keep_the_books_straight(app, ctx, world):
    frozen = freeze_time(f"{START.isoformat()} 09:00:00")
    clock = frozen.start()
    try:
        run_state_machine_as_test(
            lambda: _machine(app, world, clock),
            settings=settings(
                max_examples=15,
                stateful_step_count=12,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )
    finally:
        frozen.stop()


def _machine(app: Any, world: Any, clock: Any) -> RuleBasedStateMachine:
    class Books(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.campaign = joint_campaign(world, budget_minor=100_000)
            self.org = {"a": world.a.id, "b": world.b.id}
            self.placement = {"a": self.campaign.a_placement, "b": self.campaign.b_placement}
            # claim id -> [party, amount, state]
            self.claims: dict[int, list[Any]] = {}

        def _pm(self, party: str) -> Any:
            return actor(getattr(world, party).email(PM))

        def _approver(self, party: str) -> Any:
            return actor(getattr(world, party).email(APPROVER))

        def _counted(self) -> int:
            return sum(a for _, a, s in self.claims.values() if s in ("pending", "confirmed"))

        @rule(party=st.sampled_from(PARTIES), amount=st.integers(1, 60_000))
        def claim(self, party: str, amount: int) -> None:
            fits = self._counted() + amount <= 100_000
            try:
                made = claims.create_claim(
                    self._pm(party),
                    self.campaign.id,
                    organization_id=self.org[party],
                    placement_id=self.placement[party],
                    terms=claims.ClaimTerms(amount, START, START, START),
                )
            except OverBudget:
                assert not fits
                return
            assert fits
            self.claims[made.claim.id] = [party, amount, "pending"]

        def _pick(self, data: st.DataObject) -> int | None:
            if not self.claims:
                return None
            return data.draw(st.sampled_from(sorted(self.claims)))

        @rule(data=st.data(), dispute=st.booleans())
        def answer(self, data: st.DataObject, dispute: bool) -> None:
            claim_id = self._pick(data)
            if claim_id is None:
                return
            party, _, state = self.claims[claim_id]
            other = "b" if party == "a" else "a"
            who = self._approver(other)
            try:
                if dispute:
                    claim_responses.dispute_claim(who, self.campaign.id, claim_id, reason="No")
                else:
                    claim_responses.confirm_claim(who, self.campaign.id, claim_id)
            except Conflict:
                assert state != "pending"
                return
            assert state == "pending"
            self.claims[claim_id][2] = "disputed" if dispute else "confirmed"

        @rule(data=st.data(), amount=st.integers(1, 60_000))
        def revise(self, data: st.DataObject, amount: int) -> None:
            claim_id = self._pick(data)
            if claim_id is None:
                return
            party, old, state = self.claims[claim_id]
            counted = self._counted() - (old if state in ("pending", "confirmed") else 0)
            try:
                claims.revise_claim(
                    self._pm(party),
                    self.campaign.id,
                    claim_id,
                    amount_minor=amount,
                    note=f"v{amount}",
                )
            except Conflict:
                assert state == "withdrawn"
                return
            except OverBudget:
                assert counted + amount > 100_000
                return
            except ValidationFailed:  # the same amount and note again: nothing changed
                assert amount == old
                return
            assert state != "withdrawn" and counted + amount <= 100_000
            self.claims[claim_id] = [party, amount, "pending"]

        @rule(data=st.data())
        def withdraw(self, data: st.DataObject) -> None:
            claim_id = self._pick(data)
            if claim_id is None:
                return
            party, _, state = self.claims[claim_id]
            try:
                claims.withdraw_claim(self._pm(party), self.campaign.id, claim_id)
            except Conflict:
                assert state == "withdrawn"
                return
            self.claims[claim_id][2] = "withdrawn"

        @rule(days=st.integers(1, 9))
        def time_passes(self, days: int) -> None:
            now = utcnow() + timedelta(days=days)
            clock.move_to(now)
            claim_responses.run_claim_deadlines()
            for claim_id, (_, _, state) in self.claims.items():
                status = claim_states.claim_status(self.campaign.id, claim_id)
                assert status is not None
                due = status.version.confirm_due_at
                if state == "pending" and due is not None and due <= now:
                    self.claims[claim_id][2] = "confirmed"

        @rule(payer=st.sampled_from(PARTIES), amount=st.integers(1, 50_000), accept=st.booleans())
        def pay(self, payer: str, amount: int, accept: bool) -> None:
            receiver = "b" if payer == "a" else "a"
            made = payments.record_payment(
                self._pm(payer),
                self.campaign.id,
                to_organization_id=self.org[receiver],
                amount_minor=amount,
                paid_on=START,
            )
            if accept:
                payments.confirm_payment(
                    self._approver(receiver), self.campaign.id, made.payment.id
                )
            else:
                payments.reject_payment(
                    self._approver(receiver), self.campaign.id, made.payment.id, reason="No"
                )

        @invariant()
        def books_agree(self) -> None:
            statuses = {s.claim.id: s.state for s in claim_states.claim_statuses(self.campaign.id)}
            assert {k: v[2] for k, v in self.claims.items()} == {
                k: ClaimState(v).value for k, v in statuses.items()
            }
            totals = balances.campaign_totals(self.campaign.id)
            figures = (
                totals.committed_minor,
                totals.confirmed_minor,
                totals.pending_minor,
                totals.disputed_minor,
            )
            assert all(type(x) is int for x in figures)
            by_state = {
                s: sum(a for _, a, st_ in self.claims.values() if st_ == s)
                for s in ("confirmed", "pending", "disputed")
            }
            assert figures[1:] == (by_state["confirmed"], by_state["pending"], by_state["disputed"])
            assert totals.spent_minor <= totals.committed_minor
            result = balances.settlement(self.campaign.id)
            assert sum(p.balance_minor for p in result.positions) == 0
            assert all(type(p.balance_minor) is int for p in result.positions)

        def teardown(self) -> None:
            assert_ledger_consistent(app, [self.campaign.id])
            db.session.remove()

    return Books()

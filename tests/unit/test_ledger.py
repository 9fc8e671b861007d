"""The budget ledger through its services: who may post what, the over-spend guard and the
admin override, reversals, derived balances, burn per day, spend alerts, and the append-only
rule in the ORM. A Hypothesis test drives random sequences of postings against a small model.

The default joint campaign (``tests.campaign_helpers``) is A+B with EUR 1,000.00 committed:
A EUR 600.00 and B EUR 400.00, one placement of each party.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from freezegun import freeze_time
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from comarketing.audit import AuditEvent
from comarketing.budgets import balances, reversals
from comarketing.budgets.balances import PartyBalance, Totals
from comarketing.budgets.models import AppendOnlyViolation, EntryKind, LedgerEntry
from comarketing.budgets.posting import OverBudget
from comarketing.errors import Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.notifications import Notification
from comarketing.outbox import OutboxMessage
from tests import factories
from tests.campaign_helpers import (
    ADMIN,
    ANALYST,
    APPROVER,
    PM,
    add_placement,
    assert_ledger_consistent,
    commit,
    confirm_entry,
    joint_campaign,
    ledger_rows,
    solo_campaign,
    spend,
)
from tests.offer_helpers import actor, count_rows, mail_to, notified

# Everything a ledger posting writes: a refused posting leaves all of them alone.
POSTING_TABLES = (LedgerEntry, AuditEvent, Notification, OutboxMessage)


def entry_of(campaign_id: int, organization_id: int, kind: str = "commitment") -> LedgerEntry:
    found = db.session.scalar(
        sa.select(LedgerEntry)
        .where(
            LedgerEntry.campaign_id == campaign_id,
            LedgerEntry.organization_id == organization_id,
            LedgerEntry.kind == kind,
        )
        .order_by(LedgerEntry.id)
    )
    assert found is not None
    return found


def audit_of(entry_id: int) -> list[tuple[str, int | None, dict[str, Any]]]:
    """(action, organization whose log shows it, details) of the events about a ledger entry."""
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.organization_id, AuditEvent.details)
        .where(AuditEvent.target_type == "ledger_entries", AuditEvent.target_id == entry_id)
        .order_by(AuditEvent.organization_id)
    )
    return [(action, org, details) for action, org, details in rows]


def totals(campaign_id: int) -> tuple[int, int]:
    found = balances.campaign_totals(campaign_id)
    return found.committed_minor, found.spent_minor


# ---------------------------------------------------------------------------------------------
# Who may post


def test_partner_managers_post_for_their_own_party_and_both_parties_log_it(app, ctx, world):
    campaign = joint_campaign(world)
    top_up = commit(world.a.email(PM), campaign.id, 5_000, note=" Extra for print ")
    expense = spend(
        world.b.email(PM), campaign.id, campaign.b_placement, 12_345, occurred_on=date(2026, 11, 5)
    )

    assert (
        top_up.kind,
        top_up.organization_id,
        top_up.amount_minor,
        top_up.currency,
        top_up.note,
        top_up.created_by_id,
        top_up.override_reason,
    ) == ("commitment", world.a.id, 5_000, "EUR", "Extra for print", world.a.user_ids[PM], None)
    assert (
        expense.kind,
        expense.organization_id,
        expense.placement_id,
        expense.amount_minor,
        expense.occurred_on,
        expense.created_by_id,
    ) == (
        "expense",
        world.b.id,
        campaign.b_placement,
        12_345,
        date(2026, 11, 5),
        world.b.user_ids[PM],
    )
    assert totals(campaign.id) == (105_000, 12_345)
    # A shared record: the event shows in the audit log of each party.
    assert [(a, org) for a, org, _ in audit_of(top_up.id)] == [
        ("ledger.commitment", world.a.id),
        ("ledger.commitment", world.b.id),
    ]
    assert [(a, org, d["party"], d["amount_minor"]) for a, org, d in audit_of(expense.id)] == [
        ("ledger.expense", world.a.id, world.b.id, 12_345),
        ("ledger.expense", world.b.id, world.b.id, 12_345),
    ]
    assert_ledger_consistent(app)


def test_a_solo_campaign_takes_entries_from_its_own_company(app, ctx, world):
    campaign_id = solo_campaign(world.a.email(PM))
    placement_id = add_placement(world.a.email(PM), campaign_id, world.a.id)
    commit(world.a.email(PM), campaign_id, 20_000)
    spend(world.a.email(ADMIN), campaign_id, placement_id, 15_000)
    assert totals(campaign_id) == (20_000, 15_000)
    assert balances.settlement(campaign_id).transfers == []
    assert_ledger_consistent(app)


@pytest.mark.parametrize("role", [APPROVER, ANALYST])
def test_approvers_and_analysts_read_but_cannot_post_or_reverse(ctx, world, role):
    campaign = joint_campaign(world)
    own_commitment = entry_of(campaign.id, world.a.id).id
    before = count_rows(*POSTING_TABLES)
    who = world.a.email(role)
    with pytest.raises(Forbidden):
        commit(who, campaign.id, 1_000)
    with pytest.raises(Forbidden):
        spend(who, campaign.id, campaign.a_placement, 1_000)
    with pytest.raises(Forbidden):
        reversals.reverse_entry(actor(who), campaign.id, own_commitment, reason="Wrong amount")
    assert count_rows(*POSTING_TABLES) == before
    # Reading is theirs.
    assert balances.campaign_totals(campaign.id) == Totals(100_000, 0)


def test_a_partner_manager_cannot_post_for_another_party_even_with_a_reason(ctx, world):
    campaign = joint_campaign(world)
    b_commitment = entry_of(campaign.id, world.b.id).id
    before = count_rows(*POSTING_TABLES)
    pm_a = world.a.email(PM)
    with pytest.raises(Forbidden):
        commit(pm_a, campaign.id, 1_000, party=world.b.id, override_reason="B asked me")
    with pytest.raises(Forbidden):
        spend(
            pm_a,
            campaign.id,
            campaign.b_placement,
            1_000,
            party=world.b.id,
            override_reason="B asked me",
        )
    with pytest.raises(Forbidden):
        reversals.reverse_entry(
            actor(pm_a), campaign.id, b_commitment, reason="Too much", override_reason="B asked me"
        )
    assert count_rows(*POSTING_TABLES) == before


def test_a_party_that_is_not_in_the_campaign_is_refused_by_field(ctx, world):
    campaign = joint_campaign(world)
    with pytest.raises(ValidationFailed) as refused:
        commit(world.a.email(ADMIN), campaign.id, 1_000, party=world.c.id, override_reason="x")
    assert refused.value.field == "organization_id"


def test_outsiders_cannot_reach_a_campaign_they_are_not_party_to(ctx, world):
    joint = joint_campaign(world)
    solo = solo_campaign(world.a.email(PM))
    before = count_rows(*POSTING_TABLES)
    with pytest.raises(NotFound):
        commit(world.c.email(PM), joint.id, 1_000)
    with pytest.raises(NotFound):
        commit(world.b.email(PM), solo, 1_000)  # B is A's partner, but not of A's solo campaign
    with pytest.raises(NotFound):
        spend(world.b.email(ADMIN), solo, joint.a_placement, 1_000)
    assert count_rows(*POSTING_TABLES) == before


def test_an_admin_posts_for_another_party_only_with_a_written_reason(app, ctx, world):
    campaign = joint_campaign(world)
    admin_a = world.a.email(ADMIN)
    before = count_rows(*POSTING_TABLES)
    for reason in (None, "", "   "):
        with pytest.raises(ValidationFailed) as refused:
            commit(admin_a, campaign.id, 1_000, party=world.b.id, override_reason=reason)
        assert refused.value.field == "override_reason"
        with pytest.raises(ValidationFailed) as refused:
            spend(
                admin_a,
                campaign.id,
                campaign.b_placement,
                1_000,
                party=world.b.id,
                override_reason=reason,
            )
        assert refused.value.field == "override_reason"
    assert count_rows(*POSTING_TABLES) == before

    entry = commit(
        admin_a,
        campaign.id,
        1_000,
        party=world.b.id,
        override_reason="  B's CFO confirmed by phone  ",
    )
    assert (entry.organization_id, entry.override_reason, entry.created_by_id) == (
        world.b.id,
        "B's CFO confirmed by phone",
        world.a.user_ids[ADMIN],
    )
    assert [(a, org, d["party"], d["override_reason"]) for a, org, d in audit_of(entry.id)] == [
        ("ledger.commitment", world.a.id, world.b.id, "B's CFO confirmed by phone"),
        ("ledger.commitment", world.b.id, world.b.id, "B's CFO confirmed by phone"),
    ]
    assert_ledger_consistent(app)


# ---------------------------------------------------------------------------------------------
# The over-spend guard


def test_an_expense_above_the_commitments_is_refused_and_nothing_is_written(app, ctx, world):
    campaign = joint_campaign(world)
    pm_a, pm_b = world.a.email(PM), world.b.email(PM)
    spend(pm_b, campaign.id, campaign.b_placement, 40_000)
    before = count_rows(*POSTING_TABLES)
    rows = ledger_rows()

    with pytest.raises(OverBudget) as refused:
        spend(pm_a, campaign.id, campaign.a_placement, 60_001)
    assert refused.value.field == "amount"
    assert isinstance(refused.value, ValidationFailed)  # shown next to the field, 422
    assert "€1,000.01" in refused.value.message and "€1,000.00 committed" in refused.value.message
    assert count_rows(*POSTING_TABLES) == before
    assert ledger_rows() == rows

    # Exactly the commitments is fine; one cent more is not.
    spend(pm_a, campaign.id, campaign.a_placement, 60_000)
    assert totals(campaign.id) == (100_000, 100_000)
    with pytest.raises(OverBudget):
        spend(pm_b, campaign.id, campaign.b_placement, 1)
    # More commitments make room again.
    commit(pm_b, campaign.id, 500)
    spend(pm_b, campaign.id, campaign.b_placement, 500)
    assert totals(campaign.id) == (100_500, 100_500)
    assert_ledger_consistent(app)


def test_a_campaign_without_commitments_takes_no_expense(ctx, world):
    campaign_id = solo_campaign(world.a.email(PM))
    placement_id = add_placement(world.a.email(PM), campaign_id, world.a.id)
    with pytest.raises(OverBudget) as refused:
        spend(world.a.email(PM), campaign_id, placement_id, 1)
    assert refused.value.field == "amount"


def test_an_admin_overrides_the_guard_only_with_a_reason_and_it_is_audited(app, ctx, world):
    campaign = joint_campaign(world)
    admin_a = world.a.email(ADMIN)
    within = spend(admin_a, campaign.id, campaign.a_placement, 90_000)
    assert [a for a, _, _ in audit_of(within.id)] == ["ledger.expense", "ledger.expense"]
    before = count_rows(*POSTING_TABLES)
    for reason in (None, "  "):
        with pytest.raises(OverBudget) as refused:
            spend(admin_a, campaign.id, campaign.a_placement, 20_000, override_reason=reason)
        assert refused.value.field == "override_reason"
    assert count_rows(*POSTING_TABLES) == before

    over = spend(
        admin_a,
        campaign.id,
        campaign.a_placement,
        20_000,
        override_reason="Printer invoice came in higher; B agreed",
    )
    assert over.override_reason == "Printer invoice came in higher; B agreed"
    assert totals(campaign.id) == (100_000, 110_000)
    assert [(a, org, d["override_reason"]) for a, org, d in audit_of(over.id)] == [
        ("ledger.expense.override", world.a.id, "Printer invoice came in higher; B agreed"),
        ("ledger.expense.override", world.b.id, "Printer invoice came in higher; B agreed"),
    ]
    # The override does not open the gate for everyone after it.
    with pytest.raises(OverBudget):
        spend(world.b.email(PM), campaign.id, campaign.b_placement, 1)
    assert_ledger_consistent(app)


# ---------------------------------------------------------------------------------------------
# Input checks


def test_an_expense_must_pay_for_a_placement_of_the_same_campaign(ctx, world):
    campaign = joint_campaign(world)
    other = joint_campaign(world, name="Autumn pies")
    solo = solo_campaign(world.a.email(PM))
    solo_placement = add_placement(world.a.email(PM), solo, world.a.id)
    before = count_rows(*POSTING_TABLES)
    for placement_id in (other.a_placement, solo_placement, 10_000_000):
        with pytest.raises(ValidationFailed) as refused:
            spend(world.a.email(PM), campaign.id, placement_id, 1_000)
        assert refused.value.field == "placement_id"
    assert count_rows(*POSTING_TABLES) == before


@pytest.mark.parametrize("currency", ["USD", "GBP", "JPY", "XXX"])
def test_entries_in_another_currency_than_the_campaigns_are_refused(ctx, world, currency):
    campaign = joint_campaign(world)
    before = count_rows(*POSTING_TABLES)
    with pytest.raises(ValidationFailed) as refused:
        commit(world.a.email(PM), campaign.id, 1_000, currency=currency)
    assert refused.value.field == "currency"
    with pytest.raises(ValidationFailed) as refused:
        spend(world.a.email(PM), campaign.id, campaign.a_placement, 1_000, currency=currency)
    assert refused.value.field == "currency"
    assert count_rows(*POSTING_TABLES) == before
    # Naming the campaign's own currency is fine, in any letter case.
    assert commit(world.a.email(PM), campaign.id, 1_000, currency="eur").currency == "EUR"


@pytest.mark.parametrize("amount", [0, -1, -60_000, 12.5, True])
def test_zero_negative_and_non_integer_amounts_are_refused(ctx, world, amount):
    campaign = joint_campaign(world)
    before = count_rows(*POSTING_TABLES)
    with pytest.raises(ValidationFailed) as refused:
        commit(world.a.email(PM), campaign.id, amount)
    assert refused.value.field == "amount"
    with pytest.raises(ValidationFailed) as refused:
        spend(world.a.email(PM), campaign.id, campaign.a_placement, amount)
    assert refused.value.field == "amount"
    assert count_rows(*POSTING_TABLES) == before


# ---------------------------------------------------------------------------------------------
# Reversals


def test_reversals_cancel_commitments_and_expenses_and_say_why(app, ctx, world):
    campaign = joint_campaign(world)
    pm_a = world.a.email(PM)
    top_up = commit(pm_a, campaign.id, 20_000)
    expense = spend(pm_a, campaign.id, campaign.a_placement, 30_000)
    assert totals(campaign.id) == (120_000, 30_000)

    undo_expense = reversals.reverse_entry(
        actor(pm_a), campaign.id, expense.id, reason="  Invoice was cancelled  "
    )
    assert (
        undo_expense.kind,
        undo_expense.reverses_id,
        undo_expense.organization_id,
        undo_expense.amount_minor,
        undo_expense.placement_id,
        undo_expense.note,
    ) == ("reversal", expense.id, world.a.id, 30_000, campaign.a_placement, "Invoice was cancelled")
    assert totals(campaign.id) == (120_000, 0)
    undo_top_up = reversals.reverse_entry(actor(pm_a), campaign.id, top_up.id, reason="Board cut")
    assert totals(campaign.id) == (100_000, 0)
    assert [(a, org, d["reverses"], d["reason"]) for a, org, d in audit_of(undo_top_up.id)] == [
        ("ledger.reversal", world.a.id, top_up.id, "Board cut"),
        ("ledger.reversal", world.b.id, top_up.id, "Board cut"),
    ]
    # The originals stay, marked reversed; nothing was edited.
    rows = {row.entry.id: row for row in balances.ledger(campaign.id)}
    assert rows[expense.id].reversed and rows[top_up.id].reversed
    assert not rows[undo_expense.id].reversed
    assert rows[expense.id].entry.amount_minor == 30_000
    assert_ledger_consistent(app)


def test_a_reversal_needs_a_reason_and_cannot_be_reversed_or_repeated(app, ctx, world):
    campaign = joint_campaign(world)
    pm_a = world.a.email(PM)
    expense = spend(pm_a, campaign.id, campaign.a_placement, 30_000)
    before = count_rows(*POSTING_TABLES)
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            reversals.reverse_entry(actor(pm_a), campaign.id, expense.id, reason=reason)
        assert refused.value.field == "reason"
    assert count_rows(*POSTING_TABLES) == before

    reversal = reversals.reverse_entry(actor(pm_a), campaign.id, expense.id, reason="Duplicate")
    before = count_rows(*POSTING_TABLES)
    with pytest.raises(ValidationFailed) as refused:
        reversals.reverse_entry(actor(pm_a), campaign.id, expense.id, reason="Again")
    assert refused.value.field == "entry_id"
    with pytest.raises(ValidationFailed) as refused:
        reversals.reverse_entry(actor(pm_a), campaign.id, reversal.id, reason="Undo the undo")
    assert refused.value.field == "entry_id"
    assert count_rows(*POSTING_TABLES) == before
    assert totals(campaign.id) == (100_000, 0)
    assert_ledger_consistent(app)


def test_reversing_an_entry_of_another_campaign_is_not_found(ctx, world):
    campaign = joint_campaign(world)
    other = joint_campaign(world, name="Autumn pies")
    foreign = entry_of(other.id, world.a.id).id
    with pytest.raises(NotFound):
        reversals.reverse_entry(actor(world.a.email(PM)), campaign.id, foreign, reason="x")
    with pytest.raises(NotFound):
        reversals.reverse_entry(actor(world.a.email(PM)), campaign.id, 10_000_000, reason="x")


def test_withdrawing_a_commitment_below_the_spend_is_refused_unless_an_admin_says_why(
    app, ctx, world
):
    campaign = joint_campaign(world)
    spend(world.a.email(PM), campaign.id, campaign.a_placement, 90_000)
    b_commitment = entry_of(campaign.id, world.b.id).id
    a_commitment = entry_of(campaign.id, world.a.id).id
    before = count_rows(*POSTING_TABLES)
    with pytest.raises(OverBudget) as refused:
        reversals.reverse_entry(actor(world.b.email(PM)), campaign.id, b_commitment, reason="Cut")
    assert refused.value.field == "entry_id"
    with pytest.raises(OverBudget):
        reversals.reverse_entry(
            actor(world.a.email(ADMIN)), campaign.id, a_commitment, reason="Cut"
        )
    assert count_rows(*POSTING_TABLES) == before
    assert totals(campaign.id) == (100_000, 90_000)

    # Withdrawing what leaves enough is fine: commit more, then withdraw a part.
    extra = commit(world.b.email(PM), campaign.id, 15_000)
    reversals.reverse_entry(actor(world.b.email(PM)), campaign.id, extra.id, reason="Not needed")
    # An admin with a written reason may leave the campaign overspent; it stays on record.
    reversals.reverse_entry(
        actor(world.a.email(ADMIN)),
        campaign.id,
        a_commitment,
        reason="A withdraws its share",
        override_reason="Agreed at the steering meeting",
    )
    assert totals(campaign.id) == (40_000, 90_000)
    assert_ledger_consistent(app)


# ---------------------------------------------------------------------------------------------
# Reading: balances, totals, burn, settlement, the ledger itself


@freeze_time("2027-03-15 12:00:00")
def test_balances_totals_and_spend_by_day_are_exact_sums_of_the_entries(app, ctx, world):
    campaign = joint_campaign(world)
    a, b = world.a.id, world.b.id
    pm_a, pm_b = world.a.email(PM), world.b.email(PM)
    spend(pm_a, campaign.id, campaign.a_placement, 10_001, occurred_on=date(2027, 3, 2))
    spend(pm_b, campaign.id, campaign.b_placement, 20_002, occurred_on=date(2027, 3, 2))
    spend(pm_a, campaign.id, campaign.b_placement, 5_005, occurred_on=date(2027, 3, 9))
    commit(pm_b, campaign.id, 7_777, occurred_on=date(2027, 3, 1))
    mistake = spend(pm_b, campaign.id, campaign.b_placement, 40)  # today: 2027-03-15
    reversals.reverse_entry(actor(pm_b), campaign.id, mistake.id, reason="Typo")

    assert balances.balances(campaign.id) == {
        a: PartyBalance(committed_minor=60_000, pending_minor=15_006, organization_id=a),
        b: PartyBalance(committed_minor=47_777, pending_minor=20_002, organization_id=b),
    }
    assert balances.balances(campaign.id)[b].remaining_minor == 27_775
    assert balances.campaign_totals(campaign.id) == Totals(107_777, pending_minor=35_008)
    assert balances.campaign_totals(campaign.id).remaining_minor == 72_769
    # Commitments are not spend; spend counts on the service days (here the campaign's first
    # day, the default), not the day paid; a reversed claim drops out.
    assert balances.spend_by_day(campaign.id) == [(date(2027, 3, 1), 35_008)]
    assert_ledger_consistent(app)


def test_a_reversal_counts_against_the_period_of_what_it_reverses(ctx, world):
    """Issue 14: a correction never shows as negative spend on the day it is posted."""
    campaign = joint_campaign(world)
    pm_a = world.a.email(PM)
    with freeze_time("2027-03-02 09:00:00"):
        expense = spend(
            pm_a,
            campaign.id,
            campaign.a_placement,
            9_000,
            occurred_on=date(2027, 3, 2),
            service=(date(2027, 3, 2),) * 2,
        )
    assert balances.spend_by_day(campaign.id) == [(date(2027, 3, 2), 9_000)]
    with freeze_time("2027-03-20 09:00:00"):
        reversals.reverse_entry(actor(pm_a), campaign.id, expense.id, reason="Refunded")
    assert balances.spend_by_day(campaign.id) == []


def test_the_settlement_squares_what_each_party_paid_against_its_share(ctx, world):
    campaign = joint_campaign(world)  # A 60 %, B 40 %
    claimed = spend(world.a.email(PM), campaign.id, campaign.a_placement, 30_000)
    # A pending claim counts for nobody's settlement (issue 14).
    assert balances.settlement(campaign.id).transfers == []
    confirm_entry(world.b.email(APPROVER), campaign.id, claimed.id)
    result = balances.settlement(campaign.id)
    assert [(p.organization_id, p.paid_minor, p.share_minor) for p in result.positions] == [
        (world.a.id, 30_000, 18_000),
        (world.b.id, 0, 12_000),
    ]
    assert [
        (t.from_organization_id, t.to_organization_id, t.amount_minor) for t in result.transfers
    ] == [(world.b.id, world.a.id, 12_000)]

    claimed = spend(world.b.email(PM), campaign.id, campaign.b_placement, 20_001)
    confirm_entry(world.a.email(APPROVER), campaign.id, claimed.id)
    result = balances.settlement(campaign.id)
    # 50,001 spent: A bears 30,000.60 -> 30,001 (largest remainder), B 20,000.
    assert [p.share_minor for p in result.positions] == [30_001, 20_000]
    assert [
        (t.from_organization_id, t.to_organization_id, t.amount_minor) for t in result.transfers
    ] == [(world.a.id, world.b.id, 1)]


def test_the_ledger_lists_entries_newest_first_with_names(ctx, world):
    campaign = joint_campaign(world)
    expense = spend(world.b.email(PM), campaign.id, campaign.b_placement, 1_500)
    reversal = reversals.reverse_entry(
        actor(world.b.email(PM)), campaign.id, expense.id, reason="Wrong campaign"
    )
    rows = balances.ledger(campaign.id)
    assert [
        (r.entry.id, r.entry.kind, r.party, r.placement, r.reversed, r.author) for r in rows[:2]
    ] == [
        (
            reversal.id,
            "reversal",
            "Beta Shortening",
            "Beta social post",
            False,
            "Partner Manager B",
        ),
        (expense.id, "expense", "Beta Shortening", "Beta social post", True, "Partner Manager B"),
    ]
    # The commitments recorded at approval have no author in this direct build.
    assert {(r.entry.kind, r.party, r.author) for r in rows[2:]} == {
        ("commitment", "Alpha Flour", None),
        ("commitment", "Beta Shortening", None),
    }


# ---------------------------------------------------------------------------------------------
# Append-only in the ORM (PostgreSQL's trigger: tests/functional/test_ledger_postgres.py)


def test_the_orm_refuses_to_update_or_delete_a_ledger_entry(ctx, world):
    campaign = joint_campaign(world)
    entry = entry_of(campaign.id, world.a.id)
    before = ledger_rows()

    entry.amount_minor = 1
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    db.session.rollback()

    db.session.delete(entry)
    with pytest.raises(AppendOnlyViolation):
        db.session.commit()
    db.session.rollback()
    assert ledger_rows() == before


# ---------------------------------------------------------------------------------------------
# Spend alerts


def test_spend_alerts_go_out_once_at_80_and_once_at_100_percent(ctx, world):
    campaign = joint_campaign(world)  # EUR 1,000.00 committed
    pm_a, pm_b = world.a.email(PM), world.b.email(PM)
    # Admins and partner managers of every party; approvers and analysts are not told.
    told = sorted(c.email(role) for c in (world.a, world.b) for role in (ADMIN, PM))

    spend(pm_a, campaign.id, campaign.a_placement, 79_999)
    assert notified("budget_alert") == [] and mail_to("budget_alert") == []

    spend(pm_a, campaign.id, campaign.a_placement, 1)  # exactly 80 %
    assert notified("budget_alert") == told
    assert mail_to("budget_alert") == told
    titles = set(db.session.scalars(sa.select(Notification.title)))
    assert "Budget 80% spent: Spring baking week" in titles

    # Going further below 100 %, dipping under 80 % and back: no second 80 % alert.
    extra = spend(pm_b, campaign.id, campaign.b_placement, 15_000)
    reversals.reverse_entry(actor(pm_b), campaign.id, extra.id, reason="Wrong invoice")
    spend(pm_b, campaign.id, campaign.b_placement, 10_000)
    assert notified("budget_alert") == told

    spend(pm_b, campaign.id, campaign.b_placement, 10_000)  # exactly 100 %
    assert notified("budget_alert") == sorted(told * 2)
    assert mail_to("budget_alert") == sorted(told * 2)
    last = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.kind == "budget_alert")
        .order_by(OutboxMessage.id)
    ).all()[-1]
    assert last.subject == "Budget fully spent: Spring baking week"
    assert "€1,000.00 of €1,000.00 committed (100%)" in last.body
    assert f"http://localhost/campaigns/{campaign.id}" in last.body

    # Past 100 % with an override: nothing more.
    spend(world.a.email(ADMIN), campaign.id, campaign.a_placement, 5_000, override_reason="Agreed")
    assert len(notified("budget_alert")) == len(told) * 2
    links = set(
        db.session.scalars(sa.select(Notification.link).where(Notification.kind == "budget_alert"))
    )
    assert links == {f"/campaigns/{campaign.id}#budget"}


def test_an_expense_jumping_past_100_percent_sends_the_100_percent_alert_only(ctx, world):
    campaign = joint_campaign(world)
    spend(world.a.email(PM), campaign.id, campaign.a_placement, 100_000)
    titles = list(
        db.session.scalars(
            sa.select(Notification.title).where(Notification.kind == "budget_alert").distinct()
        )
    )
    assert titles == ["Budget fully spent: Spring baking week"]
    assert len(notified("budget_alert")) == 4


# ---------------------------------------------------------------------------------------------
# Property: random postings keep the ledger consistent


_party = st.sampled_from(["a", "b"])
_operation = st.one_of(
    st.tuples(st.just("commit"), _party, st.integers(min_value=1, max_value=40_000)),
    # Expenses twice as often, and smaller, so that they often fit and the spend gets near the
    # commitments (where reversing a commitment must be refused).
    st.tuples(st.just("expense"), _party, st.integers(min_value=1, max_value=20_000)),
    st.tuples(st.just("expense"), _party, st.integers(min_value=1, max_value=20_000)),
    # Which earlier entry to reverse: an index into the entries so far, modulo their number.
    st.tuples(st.just("reverse"), _party, st.integers(min_value=0, max_value=1_000)),
)


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    operations=st.lists(_operation, max_size=15),
    budget=st.integers(min_value=0, max_value=60_000),
    a_share=st.integers(min_value=0, max_value=10_000),
)
def test_random_postings_keep_the_ledger_consistent(
    app, ctx, world: factories.World, operations, budget, a_share
):
    """Each example gets its own campaign. A model here decides, from the rules alone, whether
    each posting must be accepted, and the services must agree; after every step the derived
    totals equal the model's sums, and at the end every ledger invariant holds."""
    campaign = joint_campaign(world, budget_minor=budget, a_share_bp=a_share)
    org = {"a": world.a.id, "b": world.b.id}
    pm = {"a": world.a.email(PM), "b": world.b.email(PM)}
    placement = {"a": campaign.a_placement, "b": campaign.b_placement}
    party_of = {v: k for k, v in org.items()}
    # The model: every entry as [id, kind, party, amount, reversed?].
    entries: list[list[Any]] = [
        [e.id, e.kind, party_of[e.organization_id], e.amount_minor, False]
        for e in db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.campaign_id == campaign.id)
        )
    ]
    committed = sum(e[3] for e in entries)
    spent = 0

    for kind, party, value in operations:
        outcome = "accepted"
        if kind == "commit":
            entry = commit(pm[party], campaign.id, value)
            entries.append([entry.id, "commitment", party, value, False])
            committed += value
        elif kind == "expense":
            if spent + value > committed:
                outcome = "over budget"
                with pytest.raises(OverBudget):
                    spend(pm[party], campaign.id, placement[party], value)
            else:
                entry = spend(pm[party], campaign.id, placement[party], value)
                entries.append([entry.id, "expense", party, value, False])
                spent += value
        elif entries:
            target = entries[value % len(entries)]
            target_id, target_kind, owner, amount, was_reversed = target
            kind = f"reverse {target_kind}"
            call = partial(
                reversals.reverse_entry,
                actor(pm[owner]),
                campaign.id,
                target_id,
                reason="Random correction",
            )
            if target_kind == EntryKind.REVERSAL.value or was_reversed:
                outcome = "refused"
                with pytest.raises(ValidationFailed) as refused:
                    call()
                assert refused.value.field == "entry_id"
            elif target_kind == "commitment" and committed - amount < spent:
                outcome = "over budget"
                with pytest.raises(OverBudget):
                    call()
            else:
                entry = call()
                target[4] = True
                entries.append([entry.id, "reversal", owner, amount, False])
                if target_kind == "commitment":
                    committed -= amount
                else:
                    spent -= amount
        # pytest --hypothesis-show-statistics shows how often each outcome was exercised.
        event(f"{kind}: {outcome}")
        assert totals(campaign.id) == (committed, spent)
        assert spent <= committed

    assert_ledger_consistent(app, [campaign.id])

"""The home page's money lists read their first items and their counts, not the whole pile: a
long campaign's claims (one per placement and month, for years) cost the page nothing more.

What it shows must be what reading every item would show: the same first items in the same
order, the same count and the same number overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time

from comarketing.budgets import payments
from comarketing.budgets import waiting as money
from comarketing.dashboard.waiting_for_others import waiting_for_others
from comarketing.dashboard.waiting_for_you import EARLIEST, SHOWN, waiting_for_you
from comarketing.timezones import company_today
from tests import campaign_helpers as ch
from tests.functional.test_accounts_pages import page, signed_in
from tests.offer_helpers import actor

PM, APPROVER = "partner_manager", "approver"
FIRST = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday
EVERY = 10_000  # rows "every item": more than any pile here


def pile_up(world, claims: int) -> int:
    """``claims`` claims by B and by A, each posted on its own day from FIRST (so each has its
    own due time) in a shuffled order (ids do not follow due times), one more each that the
    other company confirmed (an answer to some version must not hide the others), and three
    payments from B to A; returns the joint campaign's id."""
    assert claims % 7
    campaign = ch.joint_campaign(world)
    for day in ((7 * n) % claims for n in range(claims)):
        with freeze_time(FIRST + timedelta(days=day)):
            ch.spend(world.b.email(PM), campaign.id, campaign.b_placement, 1_000 + day)
            ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 900 + day)
    answered_by_a = ch.spend(world.b.email(PM), campaign.id, campaign.b_placement, 700)
    ch.confirm_entry(world.a.email(APPROVER), campaign.id, answered_by_a.id)
    answered_by_b = ch.spend(world.a.email(PM), campaign.id, campaign.a_placement, 600)
    ch.confirm_entry(world.b.email(APPROVER), campaign.id, answered_by_b.id)
    for _ in range(3):
        payments.record_payment(
            actor(world.b.email(PM)),
            campaign.id,
            to_organization_id=world.a.id,
            amount_minor=500,
            paid_on=FIRST.date(),
        )
    return campaign.id


def reference(waits: list[money.MoneyWait]) -> list[str]:
    """Every wait's anchor, soonest due first and then the oldest, as the page sorts
    (``sort_key``: the undated after the dated)."""
    ordered = sorted(waits, key=lambda w: (w.due_at is None, w.due_at or EARLIEST, w.since))
    return [f"{w.kind}-{w.id}" for w in ordered]


def test_the_first_items_and_the_counts_are_those_of_every_item(ctx, world):
    pile_up(world, SHOWN + 5)
    now = FIRST + timedelta(days=20)  # about half the claims are past their due time
    approver = actor(world.a.email(APPROVER))
    claims = money.claims_to_confirm(approver, now, EVERY)
    paid = money.payments_to_confirm(approver, EVERY)
    assert (claims.total, paid.total) == (SHOWN + 5, 3) == (len(claims.waits), len(paid.waits))
    late = sum(1 for w in claims.waits if w.due_at is not None and w.due_at < now)
    assert 0 < late < claims.total and claims.overdue == late

    listing = waiting_for_you(approver, now, company_today(approver.user.organization, now))
    assert listing.total == SHOWN + 5 + 3
    assert listing.overdue == late
    assert listing.more == listing.total - SHOWN
    every = reference([*claims.waits, *paid.waits])
    assert [item.link.anchor for item in listing.shown] == every[:SHOWN]
    # The overdue flags of the items shown agree with the count.
    assert sum(1 for item in listing.shown if item.overdue) == min(late, SHOWN)

    # The company's own claims that B has not answered, from A's side.
    manager = actor(world.a.email(PM))
    awaiting = money.claims_awaiting_partners(manager, now, EVERY)
    assert awaiting.total == SHOWN + 5 and awaiting.overdue == late
    assert all(w.companies == (world.b.name,) for w in awaiting.waits)
    others = waiting_for_others(manager, now, now.date())
    assert (others.total, others.overdue, others.more) == (SHOWN + 5, late, 5)
    shown = [w.link.anchor for w in others.shown]
    assert shown == reference(awaiting.waits)[:SHOWN]


def test_the_page_says_how_many_wait_and_shows_the_first(app, world):
    with app.app_context():
        campaign_id = pile_up(world, SHOWN + 2)
    html = page(signed_in(app, world.a.email(APPROVER)).get("/dashboard"))
    assert f'data-testid="waiting-count">{SHOWN + 2 + 3}</span>' in html
    assert html.count('data-kind="claim"') + html.count('data-kind="payment"') == SHOWN
    assert 'data-testid="waiting-more">and 5 more' in html
    assert f'href="/campaigns/{campaign_id}#claim-' in html
    manager = page(signed_in(app, world.a.email(PM)).get("/dashboard"))
    assert 'data-testid="waiting-other-more">and 2 more' in manager

"""The partner statement (issue 14): every joint campaign with one partner, per currency —
committed, claimed (confirmed / pending / disputed), paid and received, and the net owed —
checked against an independent recomputation from the campaign services, in a bounded number
of queries; another company's statement answers 404 like a missing one; CSV and XLSX exports
are formula-safe."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from comarketing.budgets import balances, claim_responses, payments, statement
from comarketing.budgets.claim_states import payment_statuses
from comarketing.budgets.claim_workflow import PaymentState
from comarketing.budgets.models import ClaimVersion
from comarketing.budgets.statement_lines import Side
from comarketing.campaigns import lifecycle
from comarketing.campaigns.models import Placement
from comarketing.db import utcnow
from comarketing.errors import NotFound
from comarketing.extensions import db
from tests.campaign_helpers import APPROVER, END, PM, START, commit, joint_campaign, spend
from tests.offer_helpers import actor
from tests.security.conftest import normalised


def _claim(world, campaign, party, amount):
    company = getattr(world, party)
    placement = campaign.a_placement if party == "a" else campaign.b_placement
    return spend(company.email(PM), campaign.id, placement, amount)


def _claim_id(entry):
    return db.session.scalar(
        sa.select(ClaimVersion.claim_id).where(ClaimVersion.ledger_entry_id == entry.id)
    )


def _pay(world, campaign_id, payer, payee, amount, *, answer="confirm"):
    made = payments.record_payment(
        actor(getattr(world, payer).email(PM)),
        campaign_id,
        to_organization_id=getattr(world, payee).id,
        amount_minor=amount,
        paid_on=utcnow().date(),
        reference="Bank transfer",
    )
    receiver = actor(getattr(world, payee).email(APPROVER))
    if answer == "confirm":
        payments.confirm_payment(receiver, campaign_id, made.payment.id)
    elif answer == "reject":
        payments.reject_payment(receiver, campaign_id, made.payment.id, reason="Not received")
    return made


def busy_campaign(world, name="Spring baking week"):
    """A+B 60/40 of EUR 1,000.00: A's EUR 300.00 confirmed, A's EUR 20.00 disputed, B's EUR
    50.00 pending; B paid A EUR 100.00 (confirmed), A's EUR 5.00 to B was rejected."""
    campaign = joint_campaign(world, name=name)
    b_approver = actor(world.b.email(APPROVER))
    confirmed = _claim(world, campaign, "a", 30_000)
    claim_responses.confirm_claim(b_approver, campaign.id, _claim_id(confirmed))
    disputed = _claim(world, campaign, "a", 2_000)
    claim_responses.dispute_claim(b_approver, campaign.id, _claim_id(disputed), reason="No proof")
    _claim(world, campaign, "b", 5_000)
    _pay(world, campaign.id, "b", "a", 10_000)
    _pay(world, campaign.id, "a", "b", 500, answer="reject")
    return campaign


def recomputed(campaign_id, me, partner):
    """The same figures from the campaign page's services (claims' states derived in Python,
    one campaign at a time): what the statement must agree with."""
    party = balances.balances(campaign_id)
    settled = balances.settlement(campaign_id, party)
    confirmed = [
        s.payment for s in payment_statuses(campaign_id) if s.state is PaymentState.CONFIRMED
    ]

    def side(org, to):
        b = party.get(org)
        paid = sum(
            p.amount_minor
            for p in confirmed
            if (p.from_organization_id, p.to_organization_id) == (org, to)
        )
        if b is None:
            return Side(paid_minor=paid)
        return Side(b.committed_minor, b.confirmed_minor, b.pending_minor, b.disputed_minor, paid)

    net = sum(
        t.amount_minor if t.to_organization_id == me else -t.amount_minor
        for t in settled.transfers
        if {t.from_organization_id, t.to_organization_id} == {me, partner}
    )
    return side(me, partner), side(partner, me), net, settled.square


def test_the_statement_agrees_with_the_campaign_figures(ctx, world):
    campaign = busy_campaign(world)
    a, b = world.a.id, world.b.id
    seen = statement.partner_statement(actor(world.a.email("analyst")), b)
    [line] = seen.lines
    # By hand: B's share of the EUR 300.00 confirmed is EUR 120.00; it paid EUR 100.00.
    assert line.mine == Side(60_000, 30_000, 0, 2_000, 0)
    assert line.theirs == Side(40_000, 0, 5_000, 0, 10_000)
    assert line.net_minor == 2_000 and not line.square
    assert (line.mine, line.theirs, line.net_minor, line.square) == recomputed(campaign.id, a, b)
    # B's statement with A mirrors it.
    mirror = statement.partner_statement(actor(world.b.email(PM)), a).lines[0]
    assert (mirror.mine, mirror.theirs, mirror.net_minor) == (line.theirs, line.mine, -2_000)
    [total] = seen.totals
    assert (total.currency, total.net_minor, total.campaigns) == ("EUR", 2_000, 1)
    assert not seen.square


def test_square_once_the_balance_is_paid(ctx, world):
    campaign = joint_campaign(world)
    entry = _claim(world, campaign, "a", 30_000)
    claim_responses.confirm_claim(actor(world.b.email(APPROVER)), campaign.id, _claim_id(entry))
    assert (
        statement.partner_statement(actor(world.a.email(PM)), world.b.id).lines[0].net_minor
        == 12_000
    )
    _pay(world, campaign.id, "b", "a", 12_000, answer=None)  # recorded, not yet confirmed
    assert not statement.partner_statement(actor(world.a.email(PM)), world.b.id).square
    pending = payment_statuses(campaign.id)[0].payment.id
    payments.confirm_payment(actor(world.a.email(APPROVER)), campaign.id, pending)
    seen = statement.partner_statement(actor(world.a.email(PM)), world.b.id)
    assert seen.square and seen.totals[0].net_minor == 0


def test_a_multi_party_campaign_counts_only_the_pairwise_transfers(ctx, world):
    a, b, c = world.a.id, world.b.id, world.c.id
    three = lifecycle.create_joint_campaign(
        offer_id=None,
        proposer_organization_id=a,
        created_by_id=None,
        name="Three-way picnic",
        description="",
        start_date=START,
        end_date=END,
        currency="EUR",
        total_budget_minor=90_000,
        target_reach=None,
        target_leads=None,
        target_revenue_minor=None,
        parties=[
            lifecycle.PartyShare(org, bp, bp) for org, bp in ((a, 3_334), (b, 3_333), (c, 3_333))
        ],
        placements=[lifecycle.PlannedPlacement("email", a, "Alpha list", 10_000)],
    )
    db.session.commit()
    placement = db.session.scalar(sa.select(Placement.id).where(Placement.campaign_id == three.id))
    commit(world.a.email("admin"), three.id, 90_000, override_reason="Covers all")
    entry = spend(world.a.email(PM), three.id, placement, 9_000)
    for company in (world.b, world.c):
        claim_responses.confirm_claim(actor(company.email(APPROVER)), three.id, _claim_id(entry))
    _pay(world, three.id, "b", "a", 3_000)
    [line] = statement.partner_statement(actor(world.a.email(PM)), b).lines
    assert line.multi_party and line.net_minor == 0 and not line.square  # C still owes A
    assert (line.mine, line.theirs, line.net_minor, line.square) == recomputed(three.id, a, b)


def test_a_bounded_number_of_queries_whatever_the_number_of_campaigns(
    app, ctx, world, query_counter
):
    busy_campaign(world, "First")
    who = actor(world.a.email(PM))
    with query_counter() as one:
        statement.partner_statement(who, world.b.id)
    for n in range(3):
        busy_campaign(world, f"More {n}")
    who = actor(world.a.email(PM))  # a fresh actor: no reload of an expired user
    with query_counter() as four:
        seen = statement.partner_statement(who, world.b.id)
    assert len(seen.lines) == 4
    # The partner, the campaigns, their shares, the ledger, the claims, the payments.
    assert len(four) == len(one) == 6


def test_only_partners_have_a_statement(ctx, world):
    busy_campaign(world)
    a_pm = actor(world.a.email(PM))
    for other in (world.c.id, world.a.id, 10_000_000):  # not a partner, itself, missing
        with pytest.raises(NotFound):
            statement.partner_statement(a_pm, other)


# ---------------------------------------------------------------------------------------------
# The page and its exports


def test_the_page_links_campaigns_and_a_non_partner_is_a_404(app, world, login_as):
    with app.app_context():
        campaign = busy_campaign(world, '=HYPERLINK("http://x")')
    client = login_as(world.a.email("analyst"))
    page = client.get(f"/partners/{world.b.id}/statement")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Beta Shortening owes you €20.00" in html
    assert f'href="/campaigns/{campaign.id}"' in html
    assert "Everyone is square" not in html
    directory = client.get("/partners").get_data(as_text=True)
    assert f'href="/partners/{world.b.id}/statement"' in directory
    missing = client.get("/partners/10000000/statement")
    other = client.get(f"/partners/{world.c.id}/statement")
    assert missing.status_code == other.status_code == 404
    # The same page, but for the sign-out form's CSRF token: signed with a timestamp, it
    # differs when the two requests fall in different seconds.
    assert normalised(missing) == normalised(other)
    assert world.canary not in other.get_data(as_text=True)
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/partners/{world.c.id}/statement.{fmt}").status_code == 404


def test_exports_are_attachments_with_numbers_and_no_formulas(app, world, login_as):
    with app.app_context():
        busy_campaign(world, '=HYPERLINK("http://x")')
    client = login_as(world.a.email(PM))
    got = client.get(f"/partners/{world.b.id}/statement.csv")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    first, total = rows
    assert first["Campaign"].startswith("'=")
    assert first["You: committed"] == "600.00" and first["Beta Shortening paid you"] == "100.00"
    assert first["Owed to you by Beta Shortening (negative: you owe)"] == "20.00"
    assert total["Campaign"] == "Total EUR (1 campaigns)"
    book = client.get(f"/partners/{world.b.id}/statement.xlsx")
    assert book.status_code == 200 and "attachment" in book.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(book.get_data())).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value == 20 for c in cells)  # money stays a number

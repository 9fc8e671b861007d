"""The partner statement's arithmetic, without a database: one line per campaign seen from one
company towards one partner, totals per currency, and "square" only when every balance is
zero."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from comarketing.budgets.settlement import settle
from comarketing.budgets.statement_lines import (
    CampaignFacts,
    PartySums,
    Side,
    build_statement,
    campaign_line,
    owed_phrase,
)

A, B, C = 1, 2, 3


def facts(campaign_id=10, *, currency="EUR", shares=None, sums=None, payments=()):
    return CampaignFacts(
        campaign_id=campaign_id,
        name=f"Campaign {campaign_id}",
        currency=currency,
        status="active",
        shares_bp=shares or {A: 6_000, B: 4_000},
        sums=sums or {},
        payments=payments,
    )


def test_a_two_party_line_nets_the_whole_balance_and_counts_payments_between_the_two():
    line = campaign_line(
        A,
        B,
        facts(
            sums={
                A: PartySums(60_000, 30_000, 0, 2_000),
                B: PartySums(40_000, 0, 5_000, 0),
            },
            payments=[(B, A, 10_000)],
        ),
    )
    # Confirmed 300.00 split 60/40: B's share 120.00, minus the 100.00 it paid: B owes 20.00.
    assert line.net_minor == 2_000
    assert line.mine == Side(60_000, 30_000, 0, 2_000, 0)
    assert line.theirs == Side(40_000, 0, 5_000, 0, 10_000)
    assert not line.square and not line.multi_party
    assert owed_phrase(line.net_minor, "EUR", "Beta", square=line.square) == "Beta owes you €20.00"
    # Seen from B, the same campaign says the opposite.
    mirrored = campaign_line(
        B, A, facts(sums={A: PartySums(60_000, 30_000, 0, 2_000)}, payments=[(B, A, 10_000)])
    )
    assert mirrored.net_minor == -2_000
    assert owed_phrase(-2_000, "EUR", "Alpha", square=False) == "You owe Alpha €20.00"


def test_square_only_when_every_balance_of_the_campaign_is_zero():
    paid_up = facts(sums={A: PartySums(confirmed_minor=30_000)}, payments=[(B, A, 12_000)])
    line = campaign_line(A, B, paid_up)
    assert (line.net_minor, line.square) == (0, True)
    statement = build_statement(A, B, "Beta", [paid_up])
    assert statement.square and statement.totals[0].square
    assert owed_phrase(0, "EUR", "Beta", square=True) == "Everyone is square"
    # No campaign at all is nothing to square, not "square".
    assert not build_statement(A, B, "Beta", []).square


def test_a_multi_party_campaign_shows_only_the_pairwise_transfers():
    # A paid 90.00 of a three-way, even campaign; B and C each owe A 30.00.
    shares = {A: 3_334, B: 3_333, C: 3_333}
    three = facts(shares=shares, sums={A: PartySums(confirmed_minor=9_000)})
    line = campaign_line(A, B, three)
    assert line.multi_party and line.party_count == 3
    assert line.net_minor == 3_000
    assert [(t.from_organization_id, t.to_organization_id) for t in line.transfers] == [(B, A)]
    # B pays A its share: nothing left between A and B, yet C still owes A: not square.
    after = facts(
        shares=shares, sums={A: PartySums(confirmed_minor=9_000)}, payments=[(B, A, 3_000)]
    )
    between = campaign_line(A, B, after)
    assert (between.net_minor, between.square) == (0, False)
    total = build_statement(A, B, "Beta", [after]).totals[0]
    assert total.open_elsewhere
    assert "balances with other parties are open" in owed_phrase(0, "EUR", "Beta", square=False)


def test_totals_are_per_currency_and_never_added_across():
    eur1 = facts(1, sums={A: PartySums(50_000, 10_000)})
    eur2 = facts(2, sums={B: PartySums(20_000, 5_000)})
    usd = facts(3, currency="USD", sums={A: PartySums(7_000, 1_000)})
    statement = build_statement(A, B, "Beta", [eur1, eur2, usd])
    eur, usd_total = statement.totals
    assert (eur.currency, eur.campaigns, usd_total.currency, usd_total.campaigns) == (
        "EUR",
        2,
        "USD",
        1,
    )
    assert eur.mine.committed_minor == 50_000 and eur.theirs.committed_minor == 20_000
    assert eur.net_minor == statement.lines[0].net_minor + statement.lines[1].net_minor
    assert usd_total.mine.confirmed_minor == 1_000


amounts = st.integers(min_value=0, max_value=10**9)


@given(
    a_paid=amounts,
    b_paid=amounts,
    c_paid=amounts,
    a_share=st.integers(min_value=0, max_value=10_000),
    payments=st.lists(
        st.tuples(
            st.sampled_from([A, B, C]), st.sampled_from([A, B, C]), st.integers(1, 10**8)
        ).filter(lambda p: p[0] != p[1]),
        max_size=4,
    ),
    three=st.booleans(),
)
def test_the_two_sides_mirror_and_two_party_nets_equal_the_balance(
    a_paid, b_paid, c_paid, a_share, payments, three
):
    rest = 10_000 - a_share
    shares = {A: a_share, B: rest // 2, C: rest - rest // 2} if three else {A: a_share, B: rest}
    sums = {A: PartySums(confirmed_minor=a_paid), B: PartySums(confirmed_minor=b_paid)}
    if three:
        sums[C] = PartySums(confirmed_minor=c_paid)
    campaign = facts(shares=shares, sums=sums, payments=payments)
    mine, theirs = campaign_line(A, B, campaign), campaign_line(B, A, campaign)
    assert mine.net_minor == -theirs.net_minor
    assert mine.square == theirs.square
    assert isinstance(mine.net_minor, int)
    if not three:
        paid = {org: s.confirmed_minor for org, s in sums.items()}
        balance = {
            p.organization_id: p.balance_minor for p in settle(paid, shares, payments).positions
        }
        assert mine.net_minor == balance[A]

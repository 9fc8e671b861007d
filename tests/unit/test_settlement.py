"""Settlement arithmetic: exact, deterministic, and it always squares every party."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from comarketing.budgets.settlement import settle
from comarketing.money import SHARE_TOTAL


def test_two_parties_one_paid_everything():
    result = settle({1: 100_000}, {1: 5000, 2: 5000})
    assert [
        (p.organization_id, p.paid_minor, p.share_minor, p.balance_minor) for p in result.positions
    ] == [(1, 100_000, 50_000, 50_000), (2, 0, 50_000, -50_000)]
    assert [
        (t.from_organization_id, t.to_organization_id, t.amount_minor) for t in result.transfers
    ] == [(2, 1, 50_000)]


def test_odd_cents_go_deterministically():
    result = settle({1: 100, 2: 0, 3: 0}, {1: 3334, 2: 3333, 3: 3333})
    assert [p.share_minor for p in result.positions] == [34, 33, 33]
    assert sum(t.amount_minor for t in result.transfers) == 66


def test_nobody_spent_anything_means_nothing_to_settle():
    result = settle({}, {1: 6000, 2: 4000})
    assert result.transfers == []
    assert result.total_spent_minor == 0


@st.composite
def scenario(draw):
    count = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(
        draw(st.lists(st.integers(0, SHARE_TOTAL), min_size=count - 1, max_size=count - 1))
    )
    bounds = [0, *cuts, SHARE_TOTAL]
    shares = {i + 1: bounds[i + 1] - bounds[i] for i in range(count)}
    paid = {i + 1: draw(st.integers(min_value=0, max_value=10**12)) for i in range(count)}
    return paid, shares


@given(scenario())
def test_transfers_square_every_party(case):
    paid, shares = case
    result = settle(paid, shares)
    total = sum(paid.values())
    assert sum(p.share_minor for p in result.positions) == total
    net = {p.organization_id: p.paid_minor for p in result.positions}
    for transfer in result.transfers:
        assert transfer.amount_minor > 0
        net[transfer.from_organization_id] += transfer.amount_minor
        net[transfer.to_organization_id] -= transfer.amount_minor
    # After the transfers each party has borne exactly its agreed share of the spend.
    assert net == {p.organization_id: p.share_minor for p in result.positions}
    assert len(result.transfers) <= max(len(shares) - 1, 0)
    assert settle(paid, dict(reversed(list(shares.items())))) == result

"""Who owes whom: square what each party paid (its confirmed claims) with its agreed share of
the spend, after the payments between the parties that their receivers confirmed.

Pure functions over integers (minor units), so the arithmetic is exact and testable alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from comarketing.money import split_by_shares


@dataclass(frozen=True)
class PartyPosition:
    organization_id: int
    paid_minor: int  # its confirmed claims
    share_minor: int  # its agreed share of everything spent (claimed and confirmed) so far
    sent_minor: int = 0  # confirmed payments it made to other parties
    received_minor: int = 0  # confirmed payments it received from them

    @property
    def balance_minor(self) -> int:
        """Positive: the others owe this party. Negative: it owes them."""
        return self.paid_minor - self.share_minor + self.sent_minor - self.received_minor


@dataclass(frozen=True)
class Transfer:
    from_organization_id: int
    to_organization_id: int
    amount_minor: int


@dataclass(frozen=True)
class Settlement:
    positions: list[PartyPosition]
    transfers: list[Transfer]

    @property
    def total_spent_minor(self) -> int:
        return sum(p.paid_minor for p in self.positions)

    @property
    def square(self) -> bool:
        """Everyone is square only when every balance is zero."""
        return all(p.balance_minor == 0 for p in self.positions)


def settle(
    paid: dict[int, int],
    budget_shares_bp: dict[int, int],
    payments: Iterable[tuple[int, int, int]] = (),
) -> Settlement:
    """Positions and the transfers that square them.

    ``paid``: minor units each party paid (confirmed claims); parties that paid nothing may be
    absent. ``budget_shares_bp``: the agreed shares, summing to 10000. ``payments``: confirmed
    payments (from, to, amount) between parties; a payment to or from a non-party is ignored.
    The total spent is split by share with the largest-remainder rule (so the shares sum to the
    total exactly and the split is deterministic); debtors then pay creditors, largest first,
    ties broken by organization id — at most (parties - 1) transfers.
    """
    parties = sorted(budget_shares_bp)
    total = sum(paid.get(p, 0) for p in parties)
    shares = split_by_shares(total, budget_shares_bp)
    sent: dict[int, int] = defaultdict(int)
    received: dict[int, int] = defaultdict(int)
    for payer, payee, amount in payments:
        if payer in budget_shares_bp and payee in budget_shares_bp:
            sent[payer] += amount
            received[payee] += amount
    positions = [PartyPosition(p, paid.get(p, 0), shares[p], sent[p], received[p]) for p in parties]

    creditors = sorted(
        ([p.organization_id, p.balance_minor] for p in positions if p.balance_minor > 0),
        key=lambda item: (-item[1], item[0]),
    )
    debtors = sorted(
        ([p.organization_id, -p.balance_minor] for p in positions if p.balance_minor < 0),
        key=lambda item: (-item[1], item[0]),
    )
    transfers: list[Transfer] = []
    ci = di = 0
    while ci < len(creditors) and di < len(debtors):
        creditor, debtor = creditors[ci], debtors[di]
        amount = min(creditor[1], debtor[1])
        transfers.append(Transfer(debtor[0], creditor[0], amount))
        creditor[1] -= amount
        debtor[1] -= amount
        if creditor[1] == 0:
            ci += 1
        if debtor[1] == 0:
            di += 1
    return Settlement(positions, transfers)

"""The partner statement's arithmetic: from each joint campaign's sums (per party: committed,
confirmed, pending, disputed; the agreed budget shares; the confirmed payments between parties)
to one line per campaign and one total per currency, seen from one company ("you") towards one
partner ("them").

Pure functions over integers (minor units), tested without a database; ``statement`` gathers
the sums in SQL. What is owed between the two on a campaign is what its settlement proposes
between them (``settle``): on a two-party campaign the whole balance, on a multi-party one the
pairwise transfers only — the rest is owed to or by the other parties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from comarketing.budgets.settlement import Transfer, settle
from comarketing.money import format_money


@dataclass(frozen=True)
class PartySums:
    """One party's money on one campaign, net of reversals."""

    committed_minor: int = 0
    confirmed_minor: int = 0
    pending_minor: int = 0
    disputed_minor: int = 0


@dataclass(frozen=True)
class CampaignFacts:
    """What the database holds for one joint campaign of the two companies."""

    campaign_id: int
    name: str
    currency: str
    status: str
    shares_bp: Mapping[int, int]  # every party's agreed budget share
    sums: Mapping[int, PartySums]  # per party; a party with no entries may be absent
    payments: Iterable[tuple[int, int, int]] = ()  # confirmed (from, to, amount), any parties


@dataclass(frozen=True)
class Side:
    """One company's column of the statement: its money on the campaign (or in a currency)."""

    committed_minor: int = 0
    confirmed_minor: int = 0
    pending_minor: int = 0
    disputed_minor: int = 0
    paid_minor: int = 0  # confirmed payments it made to the other company of the statement

    def __add__(self, other: Side) -> Side:
        return Side(
            self.committed_minor + other.committed_minor,
            self.confirmed_minor + other.confirmed_minor,
            self.pending_minor + other.pending_minor,
            self.disputed_minor + other.disputed_minor,
            self.paid_minor + other.paid_minor,
        )


@dataclass(frozen=True)
class Line:
    campaign_id: int
    name: str
    currency: str
    status: str
    party_count: int
    mine: Side
    theirs: Side
    # Positive: the partner owes you; negative: you owe the partner (what settlement proposes).
    net_minor: int
    transfers: list[Transfer]  # the settlement's transfers between the two companies
    square: bool  # every balance of the campaign is zero, the other parties' included

    @property
    def multi_party(self) -> bool:
        return self.party_count > 2


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    mine: Side
    theirs: Side
    net_minor: int
    campaigns: int
    square: bool  # every balance of every campaign in this currency is zero

    @property
    def open_elsewhere(self) -> bool:
        """Nothing owed between the two, yet some campaign still has open balances with its
        other parties: never called "square"."""
        return self.net_minor == 0 and not self.square


@dataclass
class Statement:
    organization_id: int
    partner_id: int
    partner_name: str
    lines: list[Line] = field(default_factory=list)
    totals: list[CurrencyTotal] = field(default_factory=list)

    @property
    def square(self) -> bool:
        """Everyone is square only when there is something to square and every balance of
        every campaign in the statement is zero."""
        return bool(self.lines) and all(line.square for line in self.lines)


def _side(sums: PartySums | None, paid_minor: int) -> Side:
    sums = sums or PartySums()
    return Side(
        sums.committed_minor,
        sums.confirmed_minor,
        sums.pending_minor,
        sums.disputed_minor,
        paid_minor,
    )


def campaign_line(me: int, partner: int, facts: CampaignFacts) -> Line:
    """One campaign seen from ``me`` towards ``partner``."""
    payments = list(facts.payments)
    paid = {org: sums.confirmed_minor for org, sums in facts.sums.items()}
    settlement = settle(paid, dict(facts.shares_bp), payments)
    between = [
        t
        for t in settlement.transfers
        if {t.from_organization_id, t.to_organization_id} == {me, partner}
    ]
    net = sum(t.amount_minor if t.to_organization_id == me else -t.amount_minor for t in between)
    i_paid = sum(a for payer, payee, a in payments if (payer, payee) == (me, partner))
    they_paid = sum(a for payer, payee, a in payments if (payer, payee) == (partner, me))
    return Line(
        campaign_id=facts.campaign_id,
        name=facts.name,
        currency=facts.currency,
        status=facts.status,
        party_count=len(facts.shares_bp),
        mine=_side(facts.sums.get(me), i_paid),
        theirs=_side(facts.sums.get(partner), they_paid),
        net_minor=net,
        transfers=between,
        square=settlement.square,
    )


def currency_totals(lines: Iterable[Line]) -> list[CurrencyTotal]:
    """One total per currency (never added across currencies), in currency order."""
    grouped: dict[str, list[Line]] = {}
    for line in lines:
        grouped.setdefault(line.currency, []).append(line)
    totals = []
    for currency in sorted(grouped):
        group = grouped[currency]
        mine, theirs = Side(), Side()
        for line in group:
            mine, theirs = mine + line.mine, theirs + line.theirs
        totals.append(
            CurrencyTotal(
                currency=currency,
                mine=mine,
                theirs=theirs,
                net_minor=sum(line.net_minor for line in group),
                campaigns=len(group),
                square=all(line.square for line in group),
            )
        )
    return totals


def build_statement(
    me: int, partner: int, partner_name: str, campaigns: Iterable[CampaignFacts]
) -> Statement:
    lines = [campaign_line(me, partner, facts) for facts in campaigns]
    return Statement(me, partner, partner_name, lines, currency_totals(lines))


def owed_phrase(net_minor: int, currency: str, partner_name: str, *, square: bool) -> str:
    """What is owed, in words: one way, or square only when every balance is zero."""
    if net_minor > 0:
        return f"{partner_name} owes you {format_money(net_minor, currency)}"
    if net_minor < 0:
        return f"You owe {partner_name} {format_money(-net_minor, currency)}"
    if square:
        return "Everyone is square"
    return f"Nothing owed between you and {partner_name}; balances with other parties are open"

"""The home page's "Campaigns now": the company's planned and active campaigns running today
or starting within 30 days, each with its spend against the commitments, the pacing of its
goals and what is owed between the parties.

A fixed number of queries whatever the number of campaigns: the list (``campaigns.waiting``),
the money of all of them at once (``budgets.positions``, the same figures as the campaign
page) and their pacing (``reports.pacing_now``, the same as the campaign report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from comarketing.budgets.balances import Totals
from comarketing.budgets.positions import positions
from comarketing.budgets.settlement import Settlement
from comarketing.campaigns import waiting as campaign_work
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.money import format_money
from comarketing.reports.campaign_pacing import GoalPacing, Timeline
from comarketing.reports.pacing_now import pacing_of

SHOWN = 25


@dataclass(frozen=True)
class CampaignLine:
    campaign: Campaign
    partners: list[str]
    timeline: Timeline
    totals: Totals
    goals: list[GoalPacing]  # only the goals set
    owed: list[str]  # transfers that square the confirmed spend, in words

    @property
    def spent_percent(self) -> int | None:
        committed = self.totals.committed_minor
        if committed <= 0:
            return None
        return round(100 * self.totals.spent_minor / committed)


@dataclass(frozen=True)
class CampaignsNow:
    lines: list[CampaignLine]
    total: int  # how many campaigns there are in all (at most SHOWN are listed)


def owed_words(settlement: Settlement, me: int, names: dict[int, str], currency: str) -> list[str]:
    """The transfers that square the campaign, from the reader's side."""

    def who(org: int) -> str:
        return "You" if org == me else names.get(org, "A party")

    words = []
    for t in settlement.transfers:
        payee = "you" if t.to_organization_id == me else names.get(t.to_organization_id, "a party")
        verb = "owe" if t.from_organization_id == me else "owes"
        money = format_money(t.amount_minor, currency)
        words.append(f"{who(t.from_organization_id)} {verb} {payee} {money}")
    return words


def campaigns_now(actor: Actor, today: date) -> CampaignsNow:
    current, total = campaign_work.current(actor, today, limit=SHOWN)
    campaigns = [c.campaign for c in current]
    money = positions([c.id for c in campaigns])
    goals = pacing_of(campaigns, today)
    lines = []
    for row in current:
        c = row.campaign
        position = money[c.id]
        lines.append(
            CampaignLine(
                campaign=c,
                partners=sorted(row.partners.values()),
                timeline=Timeline(c.start_date, c.end_date, today),
                totals=position.totals,
                goals=[g for g in goals[c.id] if g.has_goal],
                owed=owed_words(
                    position.settlement, actor.organization_id, row.partners, c.currency
                ),
            )
        )
    return CampaignsNow(lines, total)

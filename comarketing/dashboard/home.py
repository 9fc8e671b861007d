"""One home page per person, built from their role and company (issue 18):

- **Waiting for you** — every item this person can act on, soonest due first
  (``waiting_for_you``);
- **Waiting for others** — what the company sent and waits on, with whom
  (``waiting_for_others``);
- **Campaigns now** — running and next-30-days campaigns with spend against commitments, goal
  pacing and what is owed (``campaigns_now``);
- **Last quarter** — the joint vs solo headline of the last whole quarter (the ROI
  dashboard's ``headline.for_board``), for every role that may read reports.

Sits to the right of every domain package and only reads through their services. A fixed
number of queries whatever the amount of data: one or two per part, none per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from comarketing.campaigns import cache
from comarketing.context import Actor
from comarketing.dashboard.campaigns_now import CampaignLine, CampaignsNow, campaigns_now
from comarketing.dashboard.waiting_for_others import Waiting, waiting_for_others
from comarketing.dashboard.waiting_for_you import Item, Listing, waiting_for_you
from comarketing.db import utcnow
from comarketing.policy import Action, can
from comarketing.reports import headline, page_figures, services
from comarketing.timezones import company_today


def last_whole_quarter(today: date) -> services.Period:
    """The last calendar quarter that has ended by ``today``."""
    first_month = (today.month - 1) // 3 * 3 + 1  # this quarter's
    end = date(today.year, first_month, 1).toordinal() - 1
    last = date.fromordinal(end)
    start = date(last.year, last.month - 2, 1)
    return services.Period(start, last, "custom")


class LastQuarter:
    """The last whole quarter's joint vs solo headline. Its figures are read only when the
    page's block showing them is not kept (``cache.fragments``; the home page's view)."""

    def __init__(self, actor: Actor, period: services.Period) -> None:
        self.period = period
        self._actor = actor

    @cached_property
    def _figures(self) -> page_figures.BoardHeadlines:
        # Cached per company, quarter and data version (reports.page_figures).
        return page_figures.board_headlines(self._actor, self.period)

    @property
    def board(self) -> services.Dashboard:
        return self._figures.board

    @property
    def headlines(self) -> list[headline.Headline]:
        return self._figures.headlines

    @property
    def label(self) -> str:
        start = self.period.start
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"


class CampaignsToday:
    """The "Campaigns now" panel, read only when the page's block showing it is not kept
    (``campaigns.cache``: it shows campaigns, their money and results, all under the data
    version, as of the company's day)."""

    def __init__(self, actor: Actor, today: date) -> None:
        self.today = today
        self._actor = actor

    @cached_property
    def _now(self) -> CampaignsNow:
        return campaigns_now(self._actor, self.today)

    @property
    def lines(self) -> list[CampaignLine]:
        return self._now.lines

    @property
    def total(self) -> int:
        return self._now.total


Waits = tuple[Listing[Item], Listing[Waiting]]


def _read_waits(actor: Actor, now: datetime, today: date) -> cache.Until[Waits]:
    mine = waiting_for_you(actor, now, today)
    theirs = waiting_for_others(actor, now, today)
    return cache.Until((mine, theirs), cache.first_from(now, mine.changes_at, theirs.changes_at))


def waits(actor: Actor, now: datetime, today: date) -> cache.Until[Waits]:
    """What waits for this person and on their company's partners: kept per person (their
    role and four-eyes make it theirs), company day and data version (offers, materials,
    invitations, imports, claims and payments, milestones all raise it), until the clock
    changes it."""
    return cache.until(
        actor.organization_id,
        "home-waiting",
        (actor.user_id, actor.user.role, today),
        lambda: _read_waits(actor, now, today),
        now,
    )


@dataclass(frozen=True)
class HomePage:
    # Each list shows its first SHOWN items (soonest due first) and says how many more there
    # are: a page's cost does not grow with a long campaign's pile of claims to confirm.
    waiting_for_you: Listing[Item]
    waiting_for_others: Listing[Waiting]
    campaigns: CampaignsToday | None
    last_quarter: LastQuarter | None
    changes_at: datetime | None = None  # the lists', by the clock alone


def home_page(actor: Actor, now: datetime | None = None) -> HomePage:
    now = now or utcnow()
    today = company_today(actor.user.organization, now)
    campaigns = None
    quarter = None
    if can(actor.user, Action.VIEW_CAMPAIGNS):
        campaigns = CampaignsToday(actor, today)
        quarter = LastQuarter(actor, last_whole_quarter(today))
    found = waits(actor, now, today)
    return HomePage(
        waiting_for_you=found.value[0],
        waiting_for_others=found.value[1],
        campaigns=campaigns,
        last_quarter=quarter,
        changes_at=found.changes_at,
    )

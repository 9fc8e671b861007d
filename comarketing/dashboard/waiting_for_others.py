"""The home page's "Waiting for others": what the company sent and waits on, and with whom.

Offers its company proposed that partners have not answered, creative versions partners have
not reviewed, its claims and payments partners have not confirmed, invitations not answered,
partners' milestones due soon and the materials this person asked for. One query per kind
(two for money), soonest due first, then the oldest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from comarketing.budgets import waiting as money
from comarketing.campaigns import waiting as campaign_work
from comarketing.campaigns.cache import first_from
from comarketing.collateral import waiting as collateral
from comarketing.context import Actor
from comarketing.dashboard.waiting_for_you import SHOWN, Link, Listing, sort_key
from comarketing.money import format_money
from comarketing.offers import waiting as offers
from comarketing.partners import waiting as invitations


@dataclass(frozen=True)
class Waiting:
    label: str
    title: str
    link: Link
    waiting_on: str  # the companies (or address) it waits on
    detail: str = ""
    due_at: datetime | None = None
    due_on: date | None = None
    overdue: bool = False
    since: datetime | None = None


def _names(companies: tuple[str, ...]) -> str:
    return ", ".join(companies)


def _money(actor: Actor, now: datetime) -> tuple[list[Waiting], int, int, datetime | None]:
    """The first ``SHOWN`` of the company's claims and payments partners have not answered,
    how many in all, how many overdue, the first due time to come."""
    piles = (
        money.claims_awaiting_partners(actor, now, SHOWN),
        money.payments_awaiting_partners(actor, SHOWN),
    )
    items = [
        Waiting("Expense claim" if m.kind == "claim" else "Payment",
                f"{format_money(m.amount_minor, m.currency)} · {m.campaign}",
                Link("campaigns.detail", {"campaign_id": m.campaign_id}, f"{m.kind}-{m.id}"),
                _names(m.companies),
                "their confirmation" if m.kind == "claim" else "confirmation of receipt",
                m.due_at, overdue=bool(m.due_at and m.due_at < now), since=m.since)
        for pile in piles for m in pile.waits
    ]  # fmt: skip
    changes = first_from(now, *(p.next_due for p in piles))
    return items, sum(p.total for p in piles), sum(p.overdue for p in piles), changes


def waiting_for_others(actor: Actor, now: datetime, today: date) -> Listing[Waiting]:
    """Soonest due first; money as in ``waiting_for_you`` (its first ``SHOWN`` and counts)."""
    items = [
        Waiting("Offer sent", o.title, Link("offers.detail", {"offer_id": o.offer_id}),
                _names(o.companies), "their decision", o.due_at,
                overdue=bool(o.due_at and o.due_at < now), since=o.since)
        for o in offers.awaiting_partners(actor)
    ]  # fmt: skip
    items += [
        Waiting("Creative review", f"{r.title} (version {r.version})",
                Link("collateral.asset", {"asset_id": r.asset_id}), _names(r.companies),
                "their review", r.due_at, overdue=bool(r.due_at and r.due_at < now),
                since=r.since)
        for r in collateral.reviews_awaiting_partners(actor)
    ]  # fmt: skip
    items += [
        Waiting("Partner invitation", i.email, Link("partners.directory"), i.email,
                "an answer", i.expires_at, since=i.sent_at)
        for i in invitations.awaiting_answer(actor)
    ]  # fmt: skip
    items += [
        Waiting("Partner's milestone", m.title,
                Link("campaigns.detail", {"campaign_id": m.campaign_id}, "milestones"),
                m.owner, m.campaign, due_on=m.due_on, overdue=m.due_on < today)
        for m in campaign_work.partner_milestones_due(actor, today)
    ]  # fmt: skip
    items += [
        Waiting("Material requested", r.title,
                Link("collateral.library", {"campaign_id": r.campaign_id}, "requests"),
                r.company if r.status == "taken" else "the campaign's marketing teams",
                f"{r.campaign} · {'being made' if r.status == 'taken' else 'not taken yet'}",
                since=r.since)
        for r in collateral.my_open_requests(actor)
    ]  # fmt: skip
    first_money, money_total, money_overdue, money_changes = _money(actor, now)
    return Listing(
        sorted([*items, *first_money], key=lambda item: sort_key(item, actor)),
        total=len(items) + money_total,
        overdue=sum(1 for item in items if item.overdue) + money_overdue,
        changes_at=first_from(now, money_changes, *(item.due_at for item in items)),
    )

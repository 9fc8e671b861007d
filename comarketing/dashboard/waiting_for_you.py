"""The home page's "Waiting for you": every item this person can act on, soonest due first.

Each kind comes from its own package, which asks the policy whether this person's role may act
on it (an approver gets offers to decide and creative reviews; a partner manager invitations,
requests, imports and milestones; both confirm money). One query per kind (two for money),
whatever the number of items. Items without a due time (payments, requests, imports) follow the
dated ones, oldest first. A link is an endpoint, its arguments and an anchor: the template
builds the URL.

Money piles up with a campaign's history (a claim per placement and month, for years): its
kinds give their first ``SHOWN`` items and their counts (``budgets.waiting``), so the page reads
the same number of rows whatever the pile. The first ``SHOWN`` of the merged list are the same
as if every item had been read: no item of a kind can come before that kind's own first ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, Protocol, TypeVar

from comarketing.budgets import waiting as money
from comarketing.campaigns import waiting as campaign_work
from comarketing.campaigns.cache import first_from
from comarketing.collateral import waiting as collateral
from comarketing.context import Actor
from comarketing.metrics import waiting as imports
from comarketing.money import format_money
from comarketing.offers import waiting as offers
from comarketing.partners import waiting as invitations
from comarketing.partners.services import PartnerView
from comarketing.timezones import UTC_ZONE, company_zone

KIND_LABELS = {
    "offer_decision": "Offer to decide",
    "offer_revision": "Changes requested",
    "creative_review": "Creative review",
    "claim": "Expense claim to confirm",
    "payment": "Payment to confirm",
    "invitation": "Partner invitation",
    "collateral_request": "Material requested",
    "collateral_delivery": "Material to deliver",
    "import": "Import waiting for a choice",
    "milestone": "Milestone due",
}


# The items a list shows; it says how many more there are.
SHOWN = 25
T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    """Soonest due first: every item of the few kinds, the first ``SHOWN`` of the long ones
    (money); how many wait in all, and how many of them are overdue. ``changes_at``: the
    first instant after which the clock alone changes it (an item falls due, an invitation
    expires), None when none will; a new day changes what milestones show too."""

    items: list[T]
    total: int
    overdue: int
    changes_at: datetime | None = None

    @property
    def shown(self) -> list[T]:
        return self.items[:SHOWN]

    @property
    def more(self) -> int:
        return max(self.total - SHOWN, 0)


@dataclass(frozen=True)
class Link:
    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)
    anchor: str = ""


@dataclass(frozen=True)
class Invitation:
    """An invitation to answer from the home page: plain values, kept between requests."""

    partnership_id: int
    partner_name: str
    inviter_email: str | None


@dataclass(frozen=True)
class Item:
    kind: str
    title: str
    link: Link
    detail: str = ""
    due_at: datetime | None = None  # an instant, shown in the reader's zone
    due_on: date | None = None  # a calendar day (milestones)
    overdue: bool = False
    since: datetime | None = None
    paid_on: date | None = None  # claims and payments: when the money was paid
    invitation: Invitation | None = None  # for the accept / decline buttons

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def testid(self) -> str:
        return f"waiting-{self.kind}"


def end_of_day(day: date, actor: Actor) -> datetime:
    """The instant a day ends in the company's zone: when a milestone due that day is late."""
    zone = company_zone(actor.user.organization)
    return datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC_ZONE)


class Dated(Protocol):
    @property
    def due_at(self) -> datetime | None: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def since(self) -> datetime | None: ...


EARLIEST = datetime.min.replace(tzinfo=UTC_ZONE)


def sort_key(item: Dated, actor: Actor) -> tuple[bool, datetime, datetime]:
    """Soonest due first (a day is due at its end in the company's zone); then the undated,
    oldest first."""
    due = item.due_at or (end_of_day(item.due_on, actor) if item.due_on else None)
    return (due is None, due or EARLIEST, item.since or EARLIEST)


def _offers(actor: Actor, now: datetime) -> list[Item]:
    items = [
        Item("offer_decision", o.title, Link("offers.detail", {"offer_id": o.offer_id}),
             due_at=o.due_at, overdue=bool(o.due_at and o.due_at < now), since=o.since)
        for o in offers.to_decide(actor)
    ]  # fmt: skip
    items += [
        Item("offer_revision", o.title, Link("offers.detail", {"offer_id": o.offer_id}),
             detail="asked by " + ", ".join(o.companies) + ": propose a new revision or withdraw",
             since=o.since)
        for o in offers.to_revise(actor)
    ]  # fmt: skip
    return items


def _collateral(actor: Actor, now: datetime) -> list[Item]:
    items = [
        Item("creative_review", f"{r.title} (version {r.version})",
             Link("collateral.asset", {"asset_id": r.asset_id}),
             detail=r.campaign or "draft on an offer",
             due_at=r.due_at, overdue=bool(r.due_at and r.due_at < now), since=r.since)
        for r in collateral.to_review(actor)
    ]  # fmt: skip
    for r in collateral.requests_to_take(actor):
        taken = r.status == "taken"
        items.append(
            Item("collateral_delivery" if taken else "collateral_request", r.title,
                 Link("collateral.library", {"campaign_id": r.campaign_id}, "requests"),
                 detail=r.campaign if taken else f"{r.campaign} · asked by {r.company}",
                 since=r.since)
        )  # fmt: skip
    return items


def _money(actor: Actor, now: datetime) -> tuple[list[Item], int, int, datetime | None]:
    """The first ``SHOWN`` claims and payments to confirm, how many in all, how many overdue,
    the first due time to come."""
    piles = money.claims_to_confirm(actor, now, SHOWN), money.payments_to_confirm(actor, SHOWN)
    items = [
        Item(m.kind, f"{format_money(m.amount_minor, m.currency)} from {m.companies[0]}",
             Link("campaigns.detail", {"campaign_id": m.campaign_id}, f"{m.kind}-{m.id}"),
             detail=m.campaign, paid_on=m.on,
             due_at=m.due_at, overdue=bool(m.due_at and m.due_at < now), since=m.since)
        for pile in piles for m in pile.waits
    ]  # fmt: skip
    changes = first_from(now, *(p.next_due for p in piles))
    return items, sum(p.total for p in piles), sum(p.overdue for p in piles), changes


def _invitation(view: PartnerView) -> Invitation:
    name = view.partner.name if view.partner else ""
    return Invitation(view.partnership.id, name, view.inviter_email)


def _the_rest(actor: Actor, today: date) -> list[Item]:
    items = [
        Item("invitation", f"{v.partner.name if v.partner else ''} invites you to co-market",
             Link("partners.directory"), due_at=v.partnership.expires_at,
             since=v.partnership.created_at, invitation=_invitation(v))
        for v in invitations.to_answer(actor)
    ]  # fmt: skip
    items += [
        Item("import", i.filename or f"Import #{i.import_id}",
             Link("metrics.show_import", {"import_id": i.import_id}),
             detail=" · ".join(p for p in (i.campaign, f"uploaded by {i.uploaded_by}") if p),
             since=i.since)
        for i in imports.to_choose(actor)
    ]  # fmt: skip
    items += [
        Item("milestone", m.title, Link("campaigns.detail", {"campaign_id": m.campaign_id},
             "milestones"), detail=m.campaign, due_on=m.due_on, overdue=m.due_on < today)
        for m in campaign_work.milestones_due(actor, today)
    ]  # fmt: skip
    return items


def waiting_for_you(actor: Actor, now: datetime, today: date) -> Listing[Item]:
    few = [*_offers(actor, now), *_collateral(actor, now), *_the_rest(actor, today)]
    first_money, money_total, money_overdue, money_changes = _money(actor, now)
    return Listing(
        sorted([*few, *first_money], key=lambda item: sort_key(item, actor)),
        total=len(few) + money_total,
        overdue=sum(1 for item in few if item.overdue) + money_overdue,
        changes_at=first_from(now, money_changes, *(item.due_at for item in few)),
    )

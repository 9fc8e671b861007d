"""The calendar's filters — campaign, partner, channel, owner — read from query parameters.

A value that does not name something the organization may filter by (a typo, a campaign of
another company, a channel that does not exist) is dropped with a message for its field, and the
calendar shows everything for that field: a filter never fails the page, and "not yours" reads
exactly like "does not exist".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from comarketing.campaigns import clashes, listing
from comarketing.campaigns.models import CHANNEL_CHOICES, Campaign
from comarketing.context import Actor
from comarketing.extensions import db

OWNER_CHOICES = [("mine", "Mine"), ("partners", "Partners'")]
FIELDS = ("campaign", "partner", "channel", "owner")


@dataclass(frozen=True)
class CalendarFilters:
    campaign_id: int | None = None
    partner_id: int | None = None
    channel: str | None = None
    owner: str | None = None  # "mine" or "partners"

    def as_args(self) -> dict[str, str]:
        """The query parameters that give these filters (for links to other periods)."""
        values = {
            "campaign": self.campaign_id,
            "partner": self.partner_id,
            "channel": self.channel,
            "owner": self.owner,
        }
        return {key: str(value) for key, value in values.items() if value is not None}

    @property
    def active(self) -> bool:
        return bool(self.as_args())


@dataclass
class FilterChoices:
    campaigns: list[tuple[int, str]] = field(default_factory=list)
    partners: list[tuple[int, str]] = field(default_factory=list)
    channels: list[tuple[str, str]] = field(default_factory=lambda: list(CHANNEL_CHOICES))
    owners: list[tuple[str, str]] = field(default_factory=lambda: list(OWNER_CHOICES))


def _id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def read(
    actor: Actor, raw: Mapping[str, str], first: date, last: date
) -> tuple[CalendarFilters, FilterChoices, dict[str, str]]:
    """The filters named by ``raw``, the choices offered, and a message per refused field.

    The campaign list holds the campaigns running in ``first`` .. ``last`` plus the chosen one
    (two queries in all, whatever the number of campaigns).
    """
    me = actor.organization_id
    errors: dict[str, str] = {}
    wanted = {name: (raw.get(name) or "").strip() for name in FIELDS}

    campaign_id = _id(wanted["campaign"])
    running = clashes.running_campaign_ids(me)
    overlapping = sa.and_(Campaign.start_date <= last, Campaign.end_date >= first)
    shown = overlapping if campaign_id is None else sa.or_(overlapping, Campaign.id == campaign_id)
    campaigns = db.session.execute(
        sa.select(Campaign.id, Campaign.name)
        .where(Campaign.id.in_(running), shown)
        .order_by(Campaign.name, Campaign.id)
    ).all()
    choices = FilterChoices(
        campaigns=[(cid, name) for cid, name in campaigns],
        partners=[(org.id, org.name) for org in listing.partner_choices(actor)],
    )
    if wanted["campaign"] and campaign_id not in {cid for cid, _ in choices.campaigns}:
        errors["campaign"] = "No such campaign of yours: showing every campaign."
        campaign_id = None

    partner_id = _id(wanted["partner"])
    if wanted["partner"] and partner_id not in {pid for pid, _ in choices.partners}:
        errors["partner"] = "No such partner: showing every partner."
        partner_id = None

    channel: str | None = wanted["channel"] or None
    if channel is not None and channel not in {value for value, _ in choices.channels}:
        errors["channel"] = "No such channel: showing every channel."
        channel = None

    owner: str | None = wanted["owner"] or None
    if owner is not None and owner not in {value for value, _ in OWNER_CHOICES}:
        errors["owner"] = "Choose mine or partners': showing both."
        owner = None

    return CalendarFilters(campaign_id, partner_id, channel, owner), choices, errors

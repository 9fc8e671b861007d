"""The calendar feed's iCalendar (RFC 5545) text: an all-day event for every campaign,
placement and milestone. Pure: takes records, returns text. Escaping, line folding and the date
and time formats are the ``icalendar`` package's.

Campaign, placement and milestone days are calendar dates agreed between the parties, not
instants: they are all-day (floating) events, the same days for every reader. What *is* an
instant — when a milestone was marked done — is written in the reader's zone with its
abbreviation, and the calendar names that zone (``X-WR-TIMEZONE``) for the app to default to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from comarketing.campaigns.models import Channel, MilestoneKind


@dataclass(frozen=True)
class PlacementEntry:
    placement: Any  # a Placement
    campaign_name: str
    owner_name: str
    clashes: Sequence[str] = ()  # one line per clash, already worded


@dataclass(frozen=True)
class MilestoneEntry:
    milestone: Any  # a Milestone
    campaign_name: str
    owner_name: str = ""
    clashes: Sequence[str] = ()


def channel_label(value: str) -> str:
    try:
        return Channel(value).label
    except ValueError:
        return value


def _event(
    uid: str, summary: str, start: date, end_inclusive: date, description: str, stamp: datetime
) -> Event:
    event = Event()
    event.add("uid", f"{uid}@comarketing")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    # DTEND of an all-day event is exclusive.
    event.add("dtend", end_inclusive + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    return event


def _lines(*parts: str) -> str:
    return "\n".join(part for part in parts if part)


def render(
    campaigns: Iterable[Any],
    milestones: Iterable[tuple[Any, str] | MilestoneEntry],
    placements: Iterable[PlacementEntry] = (),
    zone: ZoneInfo | None = None,
) -> str:
    tz = zone or ZoneInfo("UTC")
    stamp = datetime.now(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//Comarketing//Campaign calendar//EN")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Comarketing campaigns")
    calendar.add("x-wr-timezone", tz.key)
    for campaign in campaigns:
        calendar.add_component(
            _event(
                f"campaign-{campaign.id}",
                f"{campaign.name} ({campaign.kind})",
                campaign.start_date,
                campaign.end_date,
                f"Status: {campaign.status}",
                stamp,
            )
        )
    for entry in placements:
        p, channel = entry.placement, channel_label(entry.placement.channel)
        event = _event(
            f"placement-{p.id}",
            f"{p.name} — {channel} · {entry.campaign_name}",
            p.start_date,
            p.end_date,
            _lines(
                f"{channel} placement of {entry.owner_name} in {entry.campaign_name}",
                *(f"Clash: {line}" for line in entry.clashes),
            ),
            stamp,
        )
        event.add("categories", [channel])
        calendar.add_component(event)
    for item in milestones:
        mentry = item if isinstance(item, MilestoneEntry) else MilestoneEntry(*item)
        m = mentry.milestone
        done = " (done)" if m.done_at else ""
        blackout = getattr(m, "kind", "") == MilestoneKind.BLACKOUT.value
        owner = f" of {mentry.owner_name}" if mentry.owner_name else ""
        calendar.add_component(
            _event(
                f"milestone-{m.id}",
                f"{m.title}{done} — {mentry.campaign_name}",
                m.due_on,
                m.due_on,
                _lines(
                    f"Milestone of {mentry.campaign_name}"
                    + (f", owned by {mentry.owner_name}" if mentry.owner_name else "")
                    if not blackout
                    else f"Blackout{owner}: no placements of {mentry.campaign_name} on this day",
                    f"Done {m.done_at.astimezone(tz):%d %b %Y, %H:%M %Z}" if m.done_at else "",
                    *(f"Clash: {line}" for line in mentry.clashes),
                ),
                stamp,
            )
        )
    # Unsorted: the properties stay in the order added (UID, DTSTAMP, DTSTART, ...).
    return calendar.to_ical(sorted=False).decode()

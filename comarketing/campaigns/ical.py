"""The calendar feed's iCalendar (RFC 5545) text: an all-day event for every campaign and
every milestone. Pure: takes records, returns text. Escaping, line folding and the date and
time formats are the ``icalendar`` package's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event


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


def render(campaigns: Iterable[Any], milestones: Iterable[tuple[Any, str]]) -> str:
    stamp = datetime.now(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", "-//Comarketing//Campaign calendar//EN")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Comarketing campaigns")
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
    for milestone, campaign_name in milestones:
        done = " (done)" if milestone.done_at else ""
        calendar.add_component(
            _event(
                f"milestone-{milestone.id}",
                f"{milestone.title}{done} — {campaign_name}",
                milestone.due_on,
                milestone.due_on,
                f"Milestone of {campaign_name}",
                stamp,
            )
        )
    # Unsorted: the properties stay in the order added (UID, DTSTAMP, DTSTART, ...).
    return calendar.to_ical(sorted=False).decode()

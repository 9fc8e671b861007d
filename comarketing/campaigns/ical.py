"""A minimal RFC 5545 writer for the calendar feed: all-day events for campaigns and
milestones. Pure: takes records, returns text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


def _event(
    uid: str, summary: str, start: date, end_inclusive: date, description: str, stamp: str
) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}@comarketing",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_day(start)}",
        # DTEND of an all-day event is exclusive.
        f"DTEND;VALUE=DATE:{_day(end_inclusive + timedelta(days=1))}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(description)}",
        "END:VEVENT",
    ]


def render(campaigns: Iterable[Any], milestones: Iterable[tuple[Any, str]]) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Comarketing//Campaign calendar//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Comarketing campaigns",
    ]
    for campaign in campaigns:
        lines += _event(
            f"campaign-{campaign.id}",
            f"{campaign.name} ({campaign.kind})",
            campaign.start_date,
            campaign.end_date,
            f"Status: {campaign.status}",
            stamp,
        )
    for milestone, campaign_name in milestones:
        done = " (done)" if milestone.done_at else ""
        lines += _event(
            f"milestone-{milestone.id}",
            f"{milestone.title}{done} — {campaign_name}",
            milestone.due_on,
            milestone.due_on,
            f"Milestone of {campaign_name}",
            stamp,
        )
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"

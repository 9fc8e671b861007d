"""Every event type, its meaning and the fields of its ``data``: the one list the services'
payloads are checked against, the OpenAPI document's ``webhooks`` and the README describe.

Fields carry ids and the few facts a receiving system needs; names of people never travel.
Amounts are integer minor units with their ISO currency; dates are ISO 8601 (``2026-12-06``),
times ISO 8601 in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


def _int(description: str, *, nullable: bool = False) -> Schema:
    return {"type": ["integer", "null"] if nullable else "integer", "description": description}


def _str(description: str, *, nullable: bool = False, fmt: str | None = None) -> Schema:
    schema: Schema = {"type": ["string", "null"] if nullable else "string"}
    if fmt:
        schema["format"] = fmt
    schema["description"] = description
    return schema


def _enum(description: str, values: list[str]) -> Schema:
    return {"type": "string", "enum": values, "description": description}


def _bool(description: str) -> Schema:
    return {"type": "boolean", "description": description}


def _ids(description: str) -> Schema:
    return {"type": "array", "items": {"type": "integer"}, "description": description}


@dataclass(frozen=True)
class EventType:
    description: str
    fields: dict[str, Schema]


OFFER = {"offer_id": _int("The offer.")}
REVISION = {"revision": _int("The revision's number (1, 2, ...).")}
CAMPAIGN = {"campaign_id": _int("The campaign.")}
MONEY = {
    "amount_minor": _int("Amount in minor units (cents)."),
    "currency": _str("ISO 4217 code."),
}
PARTNER = {
    "partnership_id": _int("The partnership."),
    "partner_organization_id": _int(
        "The other company (null while an invitation you sent is unanswered).", nullable=True
    ),
    "partner_name": _str("The other company's name (null when unknown to you).", nullable=True),
}
PLACEMENT = {
    "placement_id": _int("The placement."),
    **CAMPAIGN,
    "name": _str("The placement's name."),
    "channel": _str("email, social, search, display, packaging, retail, event, ..."),
    "owner_organization_id": _int("The party whose channel or audience it is."),
    "start_date": _str("First day.", fmt="date"),
    "end_date": _str("Last day.", fmt="date"),
    "planned_cost_minor": _int("Planned cost in minor units of the campaign's currency."),
    "currency": _str("The campaign's currency (ISO 4217)."),
}
CAMPAIGN_STATUS = {
    **CAMPAIGN,
    "kind": _enum("Joint (with partners) or solo (your company alone).", ["joint", "solo"]),
    "status": _enum("After the change.", ["planned", "active", "completed", "cancelled"]),
}
CLAIM = {
    "claim_id": _int("The expense claim."),
    **CAMPAIGN,
    "version": _int("The claim's version (a revision makes a new one)."),
}
ASSET = {
    "asset_id": _int("The collateral asset."),
    "version": _int("The asset's version number."),
}

TYPES: dict[str, EventType] = {
    "partnership.invited": EventType(
        "An invitation to partner: sent by your company, or received from another.",
        {
            **PARTNER,
            "direction": _enum("Sent by your company or received.", ["sent", "received"]),
            "invitee_email": _str(
                "The address your company invited (sent only; null when received).",
                nullable=True,
            ),
        },
    ),
    "partnership.accepted": EventType("An invitation was accepted: you are partners.", PARTNER),
    "partnership.ended": EventType(
        "A partnership was ended by one of the two companies.",
        {**PARTNER, "ended_by_organization_id": _int("The company that ended it.")},
    ),
    "offer.sent": EventType(
        "A joint offer was sent to its parties for review.",
        {
            **OFFER,
            **REVISION,
            "title": _str("The revision's title."),
            "proposer_organization_id": _int("The company that proposed the offer."),
            "party_organization_ids": _ids("Every party of the offer."),
            "review_due_at": _str("When the review is due.", nullable=True, fmt="date-time"),
        },
    ),
    "offer.revised": EventType(
        "A party proposed changed terms: a new revision to review.",
        {
            **OFFER,
            **REVISION,
            "title": _str("The revision's title."),
            "author_organization_id": _int("The company that proposed the revision."),
            "review_due_at": _str("When the review is due.", nullable=True, fmt="date-time"),
        },
    ),
    "offer.decided": EventType(
        "A party decided on a revision.",
        {
            **OFFER,
            **REVISION,
            "organization_id": _int("The deciding company."),
            "decision": _enum("Its decision.", ["approved", "changes_requested", "rejected"]),
            "comment": _str("The decider's comment (may be empty)."),
        },
    ),
    "offer.approved": EventType(
        "Every party approved the current revision; the joint campaign was created.",
        {**OFFER, **REVISION, "campaign_id": _int("The joint campaign created from it.")},
    ),
    "offer.comment_added": EventType(
        "A comment was added to an offer's discussion.",
        {
            **OFFER,
            "comment_id": _int("The comment."),
            "organization_id": _int("The author's company."),
            "body": _str("The comment's text."),
        },
    ),
    "campaign.created": EventType(
        "A campaign was created (a joint one from an approved offer, or your own solo one).",
        {
            **CAMPAIGN_STATUS,
            "name": _str("The campaign's name."),
            "offer_id": _int("The offer it came from (joint campaigns).", nullable=True),
            "start_date": _str("First day.", fmt="date"),
            "end_date": _str("Last day.", fmt="date"),
            "currency": _str("ISO 4217 code."),
        },
    ),
    "campaign.started": EventType("A campaign became active.", CAMPAIGN_STATUS),
    "campaign.completed": EventType("A campaign was completed.", CAMPAIGN_STATUS),
    "campaign.cancelled": EventType("A campaign was cancelled.", CAMPAIGN_STATUS),
    "placement.created": EventType("A placement was added to a campaign.", PLACEMENT),
    "placement.changed": EventType("A placement's details changed (new values).", PLACEMENT),
    "claim.submitted": EventType(
        "An expense claim (or a new version of one) awaits the other parties' confirmation.",
        {
            **CLAIM,
            "placement_id": _int("The placement the expense was for."),
            "organization_id": _int("The company that paid and claims it."),
            **MONEY,
            "service_from": _str("First day of the service period.", fmt="date"),
            "service_to": _str("Last day of the service period.", fmt="date"),
            "confirm_due_at": _str(
                "When silence counts as confirmation (null on a solo campaign).",
                nullable=True,
                fmt="date-time",
            ),
        },
    ),
    "claim.confirmed": EventType(
        "Parties confirmed a claim's version (automatically when their window passed).",
        {
            **CLAIM,
            "confirmed_by_organization_ids": _ids("The companies that confirmed it now."),
            "automatic": _bool("True when the confirmation window passed in silence."),
        },
    ),
    "claim.disputed": EventType(
        "A party disputed a claim's version; it counts for nobody until revised or withdrawn.",
        {**CLAIM, "organization_id": _int("The disputing company."), "reason": _str("Why.")},
    ),
    "claim.withdrawn": EventType(
        "The claiming company withdrew its claim.",
        {**CLAIM, "organization_id": _int("The company that withdrew it.")},
    ),
    "payment.recorded": EventType(
        "A payment between two parties was recorded; the receiver confirms it.",
        {
            "payment_id": _int("The payment."),
            **CAMPAIGN,
            "from_organization_id": _int("The paying company."),
            "to_organization_id": _int("The receiving company."),
            **MONEY,
            "paid_on": _str("The day it was paid.", fmt="date"),
        },
    ),
    "payment.confirmed": EventType(
        "The receiving company confirmed it received the payment.",
        {
            "payment_id": _int("The payment."),
            **CAMPAIGN,
            "to_organization_id": _int("The receiving company."),
        },
    ),
    "results.imported": EventType(
        "Your company stored daily results (a file, the grid or the API).",
        {
            "import_id": _int("The import."),
            "source": _enum("A file, the form grid or the API.", ["file", "form", "api"]),
            "campaign_id": _int("The campaign a file was uploaded for.", nullable=True),
            "rows_read": _int("Rows read."),
            "rows_written": _int("Days newly stored."),
            "rows_replaced": _int("Days whose stored figures were replaced."),
            "rows_unchanged": _int("Days already stored with the same figures."),
        },
    ),
    "goal.reached": EventType(
        "A campaign's results reached one of its goals.",
        {
            **CAMPAIGN,
            "goal": _enum("Which goal.", ["reach", "leads", "revenue"]),
            "target": _int("The goal (revenue in minor units of the campaign's currency)."),
        },
    ),
    "collateral.submitted": EventType(
        "A version of a material was sent for the parties' creative review.",
        {
            **ASSET,
            "title": _str("The asset's title."),
            "campaign_id": _int("Its campaign (null for a draft on an offer).", nullable=True),
            "offer_id": _int("Its offer (drafts).", nullable=True),
            "author_organization_id": _int("The company that made the version."),
            "review_due_at": _str("When the review is due.", nullable=True, fmt="date-time"),
        },
    ),
    "collateral.approved": EventType(
        "A party approved a material's version.",
        {
            **ASSET,
            "organization_id": _int("The approving company."),
            "ready": _bool("True when every party has now approved it."),
        },
    ),
    "collateral.changes_requested": EventType(
        "A party asked for changes to a material's version.",
        {
            **ASSET,
            "organization_id": _int("The company asking."),
            "comment": _str("What to change."),
        },
    ),
    "review.overdue": EventType(
        "The review of an offer's revision is past its due date without every decision.",
        {
            **OFFER,
            **REVISION,
            "review_due_at": _str("When it was due.", fmt="date-time"),
            "waiting_for_organization_ids": _ids("The parties whose decision is missing."),
        },
    ),
}

# Sent by the "send test event" button only; never stored as an event or shown in the feed.
TEST_TYPE = "webhook.test"

"""Payloads of the events whose records have many fields, built from the records the services
hold (read by attribute: the packages that own those models sit to the right of this one).
Each returns what every recipient may see, or ``{organization_id: data}`` where it differs."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from comarketing.extensions import db

_organizations = sa.table("organizations", sa.column("id"), sa.column("name"))


def _names(ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        sa.select(_organizations.c.id, _organizations.c.name).where(_organizations.c.id.in_(ids))
    ).all()
    return {int(i): str(n) for i, n in rows}


def partnership_invited(partnership: Any) -> dict[int, dict[str, Any]]:
    """The inviter sees the address it typed (never which company has it, until accepted);
    an invitee company already on the platform sees who invites it."""
    inviter, invitee = partnership.inviter_organization_id, partnership.invitee_organization_id
    payloads: dict[int, dict[str, Any]] = {
        inviter: {
            "partnership_id": partnership.id,
            "direction": "sent",
            "partner_organization_id": None,
            "partner_name": None,
            "invitee_email": partnership.invitee_email,
        }
    }
    if invitee is not None:
        payloads[invitee] = {
            "partnership_id": partnership.id,
            "direction": "received",
            "partner_organization_id": inviter,
            "partner_name": _names([inviter]).get(inviter),
            "invitee_email": None,
        }
    return payloads


def partnership_between(partnership: Any, *, ended: bool = False) -> dict[int, dict[str, Any]]:
    """Each of the two companies hears of the other (accepted, ended)."""
    sides = [partnership.inviter_organization_id, partnership.invitee_organization_id]
    names = _names(sides)
    payloads = {}
    for me, other in (sides, sides[::-1]):
        data = {
            "partnership_id": partnership.id,
            "partner_organization_id": other,
            "partner_name": names.get(other),
        }
        if ended:
            data["ended_by_organization_id"] = partnership.ended_by_organization_id
        payloads[me] = data
    return payloads


def campaign(campaign: Any) -> dict[str, Any]:
    return {
        "campaign_id": campaign.id,
        "kind": campaign.kind,
        "status": campaign.status,
        "name": campaign.name,
        "offer_id": campaign.offer_id,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "currency": campaign.currency,
    }


def placement(placement: Any, currency: str) -> dict[str, Any]:
    return {
        "placement_id": placement.id,
        "campaign_id": placement.campaign_id,
        "name": placement.name,
        "channel": placement.channel,
        "owner_organization_id": placement.owner_organization_id,
        "start_date": placement.start_date,
        "end_date": placement.end_date,
        "planned_cost_minor": placement.planned_cost_minor,
        "currency": currency,
    }


def claim_version(claim: Any, version: Any) -> dict[str, Any]:
    return {
        "claim_id": claim.id,
        "campaign_id": claim.campaign_id,
        "version": version.number,
        "placement_id": claim.placement_id,
        "organization_id": claim.organization_id,
        "amount_minor": version.amount_minor,
        "currency": version.currency,
        "service_from": version.service_from,
        "service_to": version.service_to,
        "confirm_due_at": version.confirm_due_at,
    }


def payment(payment: Any) -> dict[str, Any]:
    return {
        "payment_id": payment.id,
        "campaign_id": payment.campaign_id,
        "from_organization_id": payment.from_organization_id,
        "to_organization_id": payment.to_organization_id,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "paid_on": payment.paid_on,
    }


def metric_import(metric_import: Any) -> dict[str, Any]:
    return {
        "import_id": metric_import.id,
        "source": metric_import.source,
        "campaign_id": metric_import.campaign_id,
        "rows_read": metric_import.rows_read,
        "rows_written": metric_import.rows_written,
        "rows_replaced": metric_import.rows_replaced,
        "rows_unchanged": metric_import.rows_unchanged,
    }

"""Results by mail: each company's intake address for a campaign, and who may mail to it.

A company imports the results of its own placements, so an address belongs to one campaign and
one company (``IntakeAddress``): in a joint campaign each party has its own, and a file mailed
to A's address only ever becomes an import of A, matched against A's placements. Partner
managers and admins (``Action.WRITE_METRICS``) see, create, regenerate and change it; the last
of them to do so is the person mailed files are imported as (:mod:`intake_receive`).
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

from comarketing.accounts.models import User
from comarketing.campaigns.access import get_visible_campaign
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.metrics.intake_models import IntakeAddress
from comarketing.metrics.placements import owned_placements
from comarketing.policy import Action, authorize, can
from comarketing.unit_of_work import transactional

LOCAL_PREFIX = "results+"
MAX_SENDERS = 20


def intake_domain() -> str | None:
    """The domain of intake addresses, lower case; None when results by mail are off."""
    domain = (current_app.config.get("INTAKE_DOMAIN") or "").strip().lower()
    return domain or None


def address_text(token: str, domain: str) -> str:
    return f"{LOCAL_PREFIX}{token}@{domain}"


def new_token() -> str:
    """128 random bits as 26 lower-case base32 characters (no padding): safe in any mail
    system's local part, whatever it does to case."""
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def token_of(recipient: str) -> str | None:
    """The token of ``results+<token>@INTAKE_DOMAIN`` (None for any other address)."""
    local, at, domain = (recipient or "").strip().strip("<>").rpartition("@")
    if not at or domain.lower() != intake_domain() or not local.lower().startswith(LOCAL_PREFIX):
        return None
    token = local[len(LOCAL_PREFIX) :].lower()
    return token if token.isalnum() and len(token) <= 40 else None


@dataclass
class IntakePage:
    """What the campaign's "Results by mail" page shows to one company."""

    campaign: Campaign
    domain: str | None  # None: INTAKE_DOMAIN is not set, the feature is off
    address: str | None  # None: not created yet
    senders: list[str]
    managed_by: str  # the name mailed files are imported as ("" when nobody)
    manager_may_import: bool  # False: that person can no longer sign in or write results
    owns_placements: bool


def _campaign(actor: Actor, campaign_id: int) -> Campaign:
    authorize(actor.user, Action.WRITE_METRICS)
    return get_visible_campaign(actor, campaign_id)


def _row(organization_id: int, campaign_id: int) -> IntakeAddress | None:
    return db.session.scalar(
        sa.select(IntakeAddress).where(
            IntakeAddress.campaign_id == campaign_id,
            IntakeAddress.organization_id == organization_id,
        )
    )


def page(actor: Actor, campaign_id: int) -> IntakePage:
    campaign = _campaign(actor, campaign_id)
    row = _row(actor.organization_id, campaign.id)
    domain = intake_domain()
    manager = db.session.get(User, row.managed_by_id) if row and row.managed_by_id else None
    return IntakePage(
        campaign=campaign,
        domain=domain,
        address=address_text(row.token, domain) if row and domain else None,
        senders=list(row.senders) if row else [],
        managed_by=manager.name if manager else "",
        manager_may_import=manager is not None and can(manager, Action.WRITE_METRICS),
        owns_placements=bool(owned_placements(actor.organization_id, campaign_id=campaign.id)),
    )


def _audit(actor: Actor, row: IntakeAddress, what: str, **details: Any) -> None:
    from comarketing import audit

    audit.record(
        f"metrics.intake_{what}",
        actor=actor,
        organization_ids=[actor.organization_id],
        target=row,
        campaign_id=row.campaign_id,
        **details,
    )


@transactional
def new_address(actor: Actor, campaign_id: int) -> IntakeAddress:
    """Create the company's address for the campaign, or give it a new token: the old address
    stops working at once (mail to it is refused like mail to an address that never was)."""
    campaign = _campaign(actor, campaign_id)
    if intake_domain() is None:
        raise ValidationFailed("Results by mail are not set up on this server.", field="address")
    row = _row(actor.organization_id, campaign.id)
    regenerated = row is not None
    if row is None:
        row = IntakeAddress(campaign_id=campaign.id, organization_id=actor.organization_id)
        row.senders = []
        db.session.add(row)
    row.token = new_token()
    row.managed_by_id = actor.user_id
    row.updated_at = utcnow()
    db.session.flush()
    _audit(actor, row, "address", regenerated=regenerated)
    db.session.commit()
    return row


def parse_senders(text: str) -> list[str]:
    """Addresses typed one a line (or separated by commas), as ``ads@x.com`` or as a From line
    shows them (``Google Ads <ads@x.com>``), checked and lower-cased; ValidationFailed on
    ``senders`` naming the first that is not an address."""
    found: list[str] = []
    for item in re.split(r"[\r\n,;]+", text or ""):
        item = item.strip()
        if not item:
            continue
        try:
            address = validate_email(
                parseaddr(item)[1] or item, check_deliverability=False
            ).normalized.lower()
        except EmailNotValidError as exc:
            raise ValidationFailed(
                f"“{item[:80]}” is not a mail address: {exc}", field="senders"
            ) from exc
        if address not in found:
            found.append(address)
    if len(found) > MAX_SENDERS:
        raise ValidationFailed(
            f"At most {MAX_SENDERS} sender addresses; {len(found)} were given.", field="senders"
        )
    return found


@transactional
def set_senders(actor: Actor, campaign_id: int, text: str) -> IntakeAddress:
    """Replace the allowed senders of the company's address for the campaign."""
    campaign = _campaign(actor, campaign_id)
    row = _row(actor.organization_id, campaign.id)
    if row is None:
        raise ValidationFailed("Create the address first.", field="senders")
    row.senders = parse_senders(text)
    row.managed_by_id = actor.user_id
    row.updated_at = utcnow()
    _audit(actor, row, "senders", senders=len(row.senders))
    db.session.commit()
    return row


@dataclass(frozen=True)
class Mailbox:
    """A known intake address, as the mail server sees it."""

    address_id: int
    campaign_id: int
    organization_id: int
    senders: frozenset[str]
    manager: User

    def allows(self, sender: str | None) -> bool:
        return bool(sender) and (sender or "").strip().strip("<>").lower() in self.senders


def mailbox(recipient: str) -> Mailbox | None:
    """The intake address a recipient names, if it exists and can import now: its manager may
    still sign in and write results. None otherwise — whichever reason, the same None, so the
    mail server's answer tells nobody which tokens exist."""
    token = token_of(recipient)
    if token is None:
        return None
    row = db.session.scalar(sa.select(IntakeAddress).where(IntakeAddress.token == token))
    if row is None or row.managed_by_id is None:
        return None
    manager = db.session.get(User, row.managed_by_id)
    if manager is None or manager.organization_id != row.organization_id:
        return None
    if not can(manager, Action.WRITE_METRICS):
        return None
    return Mailbox(
        row.id, row.campaign_id, row.organization_id, frozenset(row.senders or []), manager
    )

"""The audit log in words: "Pat Partner-Manager changed Ana Analyst's role from analyst to
approver" instead of ``user.role_changed, users #4``.

One phrase per action in :data:`PHRASES`; the names they need (people, companies, campaigns,
offers ...) are read for a whole page of events in one query, whatever its length. An action
without a phrase, or an old event missing a detail its phrase needs, falls back to a plain
generic sentence, so the log never fails to show an event.

Sits beside :mod:`comarketing.audit`, below every domain package: other packages' tables are
named here (``sa.table``), never imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from comarketing.audit import AuditEvent
from comarketing.extensions import db
from comarketing.money import format_money
from comarketing.policy import ROLE_LABELS


@dataclass(frozen=True)
class AuditLine:
    event: AuditEvent
    sentence: str


# Placeholders: {actor}; {target} (the record, named and quoted as fits its kind) and
# {target_s} (its possessive); {campaign}, {placement}, {party} (named from the ids in the
# details); {partner} (the other company of a partnership); {amount} (in the campaign's
# currency); {old}/{new}/{role} (roles and statuses in words); any other key of the details.
PHRASES: dict[str, str] = {
    "auth.signed_in": "{actor} signed in",
    "auth.signed_out": "{actor} signed out",
    "auth.sign_in_failed": "A sign-in as {actor} failed ({reason})",
    "auth.sign_up_attempted": "Someone tried to sign up a new company with {actor}'s address",
    "auth.password_changed": "{actor} changed their password",
    "auth.reset_requested": "{actor} asked for a password reset link",
    "auth.reset_requested_unknown": "Someone asked to reset the password of {actor}, "
    "which has no account",
    "auth.password_reset": "{actor} reset their password with a link",
    "user.invited": "{actor} invited {email} to join as {role}",
    "user.joined": "{actor} joined as {role}",
    "user.invitation_revoked": "{actor} revoked the invitation of {target}",
    "user.role_changed": "{actor} changed {target_s} role from {old} to {new}",
    "user.deactivated": "{actor} deactivated {target}",
    "user.reactivated": "{actor} reactivated {target}",
    "user.created_by_operator": "{actor} created the account of {target} as {role}",
    "organization.created": "{actor} created the company {name}",
    "organization.review_days_changed": "{actor} set the offer review window to {days} "
    "business days",
    "organization.claim_days_changed": "{actor} set the claim confirmation window to {days} "
    "business days",
    "organization.audience_minimum_changed": "{actor} set the minimum audience count to {count}",
    "organization.four_eyes_changed": "{actor} turned four-eyes approval {on_off}",
    "api_token.created": "{actor} created the API token “{name}” ({scope})",
    "api_token.revoked": "{actor} revoked the API token “{name}”",
    "calendar_feed.created": "{actor} created a calendar feed link",
    "calendar_feed.revoked": "{actor} revoked their calendar feed link",
    "partnership.invited": "{actor} invited {partner} to become a partner",
    "partnership.invitation_claimed": "{actor} accepted {partner}'s partner invitation",
    "partnership.accepted": "{actor} accepted the partnership with {partner}",
    "partnership.declined": "{actor} declined the partnership with {partner}",
    "partnership.cancelled": "{actor} cancelled the partner invitation to {partner}",
    "partnership.ended": "{actor} ended the partnership with {partner}",
    "product.created": "{actor} added the product {target}",
    "product.updated": "{actor} edited the product {target}",
    "product.archived": "{actor} archived the product {target}",
    "product.restored": "{actor} restored the product {target}",
    "offer.created": "{actor} started the offer draft {target}",
    "offer.draft_edited": "{actor} edited the offer draft {target}",
    "offer.sent": "{actor} sent the offer {target} (revision {revision})",
    "offer.revised": "{actor} revised the offer {target} (revision {revision})",
    "offer.withdrawn": "{actor} withdrew the offer {target}",
    "offer.discarded": "{actor} discarded the offer draft {target}",
    "offer.cloned": "{actor} copied an offer into the new draft {target}",
    "offer.commented": "{actor} commented on the offer {target}",
    "offer.expired": "The offer {target} expired before every party decided",
    "offer.approved": "{actor} approved revision {revision} of the offer {target}",
    "offer.changes_requested": "{actor} requested changes to revision {revision} of the "
    "offer {target}",
    "offer.rejected": "{actor} rejected revision {revision} of the offer {target}",
    "offer.approved_by_all": "Every party approved the offer {target}: it became "
    "{campaign}",
    "campaign.created": "{actor} created the campaign {target}",
    "campaign.updated": "{actor} edited the campaign {target}",
    "campaign.status_changed": "{actor} changed the campaign {target} from {old} to {new}",
    "campaign.universe_set": "{actor} set the audience universe of the campaign {target}",
    "placement.created": "{actor} added the placement {target} to {campaign}",
    "placement.updated": "{actor} edited the placement {target} of {campaign}",
    "placement.flight_reach": "{actor} set the flight reach of the placement {target} "
    "of {campaign}",
    "placement.name_added": "{actor} remembered the platform name {target} for a placement "
    "of {campaign}",
    "placement.name_removed": "{actor} removed a platform name from a placement of {campaign}",
    "milestone.created": "{actor} added the milestone {target} to {campaign}",
    "milestone.done": "{actor} marked the milestone {target} of {campaign} done",
    "collateral.requested": "{actor} asked for the material {target}",
    "collateral.request_taken": "{actor} took on the material request {target}",
    "collateral.request_delivered": "{actor} delivered the material request {target}",
    "collateral.asset_created": "{actor} uploaded the material {target}",
    "collateral.version_added": "{actor} uploaded version {version} of the material {target}",
    "collateral.approved": "{actor} approved version {version} of the material {target}",
    "collateral.changes_requested": "{actor} requested changes to version {version} of the "
    "material {target}",
    "metrics.upload": "{actor} uploaded the results file {target}",
    "metrics.import": "{actor} imported the results file {target} ({rows} rows read)",
    "metrics.upsert": "{actor} entered results of the placement {placement}",
    "metrics.delete": "{actor} deleted {days} days of results of the placement {placement}",
    "audience.placement_uploaded": "{actor} uploaded an audience file for the placement "
    "{target}",
    "audience.list_created": "{actor} uploaded the audience list {target}",
    "audience.list_replaced": "{actor} replaced the audience list {target}",
    "audience.list_deleted": "{actor} deleted the audience list “{name}”",
    "ledger.commitment": "{actor} recorded {party}'s commitment of {amount} to {campaign}",
    "ledger.expense": "{actor} recorded an expense of {amount} paid by {party} in {campaign}",
    "ledger.expense.override": "{actor} recorded an expense of {amount} paid by {party} in "
    "{campaign}, past the commitments (override: {override_reason})",
    "ledger.reversal": "{actor} reversed a ledger entry of {campaign}",
    "claim.confirmed": "{actor} confirmed an expense claim in {campaign}",
    "claim.disputed": "{actor} disputed an expense claim in {campaign}",
    "claim.auto_confirmed": "An expense claim in {campaign} was confirmed automatically when "
    "its confirmation window closed",
    "payment.recorded": "{actor} recorded a payment of {amount} in {campaign}",
    "payment.confirmed": "{actor} confirmed receiving a payment in {campaign}",
    "payment.rejected": "{actor} rejected a payment in {campaign}",
}

# How a record of each kind is named in a sentence; kinds not listed are named by their number.
KIND_WORDS = {
    "users": "",
    "organizations": "",
    "partnerships": "the partnership with",
    "campaigns": "campaign",
    "placements": "placement",
    "offers": "offer",
    "products": "product",
    "milestones": "milestone",
    "collateral_assets": "material",
    "collateral_requests": "material request",
    "metric_imports": "results file",
    "audience_lists": "audience list",
}
# Titles the company chose are quoted; people and companies are not.
_UNQUOTED = {"users", "organizations", "partnerships", "user_invitations"}
_REASONS = {"bad_credentials": "wrong email or password", "inactive": "account deactivated"}
_ACTORS = {"system": "Comarketing", "operator": "An operator"}
_ROLE_WORDS = {role.value: label.lower() for role, label in ROLE_LABELS.items()}

_t = sa.table
_c = sa.column
_NAMED = {
    "users": _t("users", _c("id"), _c("name")),
    "organizations": _t("organizations", _c("id"), _c("name")),
    "placements": _t("placements", _c("id"), _c("name")),
    "products": _t("products", _c("id"), _c("name")),
    "milestones": _t("milestones", _c("id"), _c("title")),
    "collateral_assets": _t("collateral_assets", _c("id"), _c("title")),
    "collateral_requests": _t("collateral_requests", _c("id"), _c("title")),
    "metric_imports": _t("metric_imports", _c("id"), _c("filename")),
    "audience_lists": _t("audience_lists", _c("id"), _c("name")),
    "placement_names": _t("placement_names", _c("id"), _c("name")),
    "user_invitations": _t("user_invitations", _c("id"), _c("email")),
}
_CAMPAIGNS = _t("campaigns", _c("id"), _c("name"), _c("currency"))
_OFFERS = _t("offers", _c("id"), _c("current_revision_number"))
_REVISIONS = _t("offer_revisions", _c("offer_id"), _c("number"), _c("title"))
_PARTNERSHIPS = _t(
    "partnerships",
    _c("id"),
    _c("inviter_organization_id"),
    _c("invitee_organization_id"),
    _c("invitee_email"),
)
_ORGANIZATIONS = _NAMED["organizations"]

Names = dict[tuple[str, int], tuple[str, str | None]]


def describe(events: Sequence[AuditEvent], viewer_organization_id: int) -> list[AuditLine]:
    """Each event with its sentence, names read in one query (none for an empty page)."""
    names = _names(_wanted(events), viewer_organization_id)
    return [AuditLine(event, sentence(event, names)) for event in events]


def sentence(event: AuditEvent, names: Names) -> str:
    """The event in words; a generic sentence when its phrase is unknown or cannot be filled."""
    values = _values(event, names)
    phrase = PHRASES.get(event.action)
    if phrase is not None:
        try:
            return _capitalised(phrase.format_map(values))
        except (KeyError, IndexError, ValueError):
            pass
    words = event.action.replace(".", ": ", 1).replace("_", " ").replace(".", " ")
    target = values.get("target_kind", "")
    return _capitalised(f"{values['actor']} — {words}" + (f" ({target})" if target else ""))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _wanted(events: Iterable[AuditEvent]) -> dict[str, set[int]]:
    """The ids to name, by table."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.actor_user_id is not None:
            wanted["users"].add(event.actor_user_id)
        if event.target_type and event.target_id is not None:
            wanted[event.target_type].add(event.target_id)
        details = event.details or {}
        for key, kind in (
            ("campaign_id", "campaigns"),
            ("placement_id", "placements"),
            ("party", "organizations"),
        ):
            if (number := _int(details.get(key))) is not None:
                wanted[kind].add(number)
    return wanted


def _names(wanted: Mapping[str, set[int]], viewer_organization_id: int) -> Names:
    """(table, id) -> (name, currency for campaigns), in one UNION ALL query."""
    kind = sa.String(40)
    parts: list[sa.Select[Any]] = []
    for table_name, ids in wanted.items():
        if not ids:
            continue
        label = sa.cast(sa.literal(table_name), kind).label("kind")
        if table_name in _NAMED:
            table = _NAMED[table_name]
            name_column = next(c for c in table.c if c.name != "id")
            parts.append(
                sa.select(
                    label,
                    table.c.id,
                    sa.cast(name_column, sa.String).label("name"),
                    sa.cast(sa.null(), sa.String).label("extra"),
                ).where(table.c.id.in_(sorted(ids)))
            )
        elif table_name == "campaigns":
            parts.append(
                sa.select(
                    label,
                    _CAMPAIGNS.c.id,
                    sa.cast(_CAMPAIGNS.c.name, sa.String),
                    sa.cast(_CAMPAIGNS.c.currency, sa.String),
                ).where(_CAMPAIGNS.c.id.in_(sorted(ids)))
            )
        elif table_name == "offers":
            parts.append(
                sa.select(
                    label,
                    _OFFERS.c.id,
                    sa.cast(_REVISIONS.c.title, sa.String),
                    sa.cast(sa.null(), sa.String),
                )
                .join(
                    _REVISIONS,
                    sa.and_(
                        _REVISIONS.c.offer_id == _OFFERS.c.id,
                        _REVISIONS.c.number == _OFFERS.c.current_revision_number,
                    ),
                )
                .where(_OFFERS.c.id.in_(sorted(ids)))
            )
        elif table_name == "partnerships":
            other = sa.case(
                (
                    _PARTNERSHIPS.c.inviter_organization_id == viewer_organization_id,
                    _PARTNERSHIPS.c.invitee_organization_id,
                ),
                else_=_PARTNERSHIPS.c.inviter_organization_id,
            )
            parts.append(
                sa.select(
                    label,
                    _PARTNERSHIPS.c.id,
                    sa.cast(
                        sa.func.coalesce(_ORGANIZATIONS.c.name, _PARTNERSHIPS.c.invitee_email),
                        sa.String,
                    ),
                    sa.cast(sa.null(), sa.String),
                )
                .outerjoin(_ORGANIZATIONS, _ORGANIZATIONS.c.id == other)
                .where(_PARTNERSHIPS.c.id.in_(sorted(ids)))
            )
    if not parts:
        return {}
    rows = db.session.execute(sa.union_all(*parts)).all()
    return {(row[0], row[1]): (row[2], row[3]) for row in rows}


def _values(event: AuditEvent, names: Names) -> dict[str, Any]:
    details = dict(event.details or {})
    values: dict[str, Any] = {key: value for key, value in details.items() if value is not None}

    def name(kind: str, number: Any) -> str | None:
        found = names.get((kind, number)) if _int(number) is not None else None
        return found[0] if found else None

    def quoted(kind: str, number: Any) -> str | None:
        text = name(kind, number)
        if text is None:
            return None
        return text if kind in _UNQUOTED else f"“{text}”"

    values["actor"] = (
        name("users", event.actor_user_id)
        or _ACTORS.get(event.actor_email or "")
        or event.actor_email
        or "Someone"
    )
    if event.target_type:
        target = quoted(event.target_type, event.target_id)
        word = KIND_WORDS.get(event.target_type, event.target_type.replace("_", " "))
        if target is not None:
            values["target"] = target
            values["target_s"] = f"{target}'s"
            values["target_kind"] = f"{word} {target}".strip()
        elif event.target_id is not None:
            values["target_kind"] = f"{word or event.target_type} #{event.target_id}"
        if event.target_type == "partnerships":
            values["partner"] = target or details.get("email") or "a company"
    campaign_id = details.get("campaign_id")
    if event.target_type == "campaigns":
        campaign_id = event.target_id
    if (campaign := quoted("campaigns", campaign_id)) is not None:
        values["campaign"] = f"the campaign {campaign}"
        currency = names[("campaigns", campaign_id)][1]
        if _int(details.get("amount_minor")) is not None and currency:
            values["amount"] = format_money(details["amount_minor"], currency)
    if (placement := quoted("placements", details.get("placement_id"))) is not None:
        values["placement"] = placement
    if (party := name("organizations", details.get("party"))) is not None:
        values["party"] = party
    for key in ("role", "old", "new"):
        if key in values:
            values[key] = _in_words(str(values[key]))
    if "reason" in values:
        values["reason"] = _REASONS.get(str(values["reason"]), str(values["reason"]))
    if "enabled" in details:
        values["on_off"] = "on" if details["enabled"] else "off"
    return values


def _in_words(code: str) -> str:
    """A role or status code as a reader says it: "partner_manager" -> "partner manager"."""
    label = _ROLE_WORDS.get(code)
    return label if label is not None else code.replace("_", " ")

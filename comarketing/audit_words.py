"""The audit log in words: "Pat Partner-Manager changed Ana Analyst's role from analyst to
approver" instead of ``user.role_changed, users #4``.

One phrase per action (:data:`comarketing.audit_phrases.PHRASES`); the names they need
(people, companies, campaigns, offers ...) are read for a whole page of events in one query,
whatever its length. An action
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
from comarketing.audit_phrases import KIND_WORDS, PHRASES
from comarketing.extensions import db
from comarketing.money import format_money
from comarketing.policy import ROLE_LABELS


@dataclass(frozen=True)
class AuditLine:
    event: AuditEvent
    sentence: str


# Titles the company chose are quoted; people and companies are not.
_UNQUOTED = {"users", "organizations", "partnerships", "user_invitations"}
_REASONS = {"bad_credentials": "wrong email or password", "inactive": "account deactivated"}
_ACTORS = {"system": "Comarketing", "operator": "An operator"}
_ROLE_WORDS = {role.value: label.lower() for role, label in ROLE_LABELS.items()}

_t = sa.table
_c = sa.column
_USERS = _t("users", _c("id"), _c("name"), _c("organization_id"))
_NAMED = {
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
_SIMPLE = {**_NAMED, "users": _USERS, "campaigns": _CAMPAIGNS}
_OFFERS = _t("offers", _c("id"), _c("current_revision_number"))
_REVISIONS = _t("offer_revisions", _c("offer_id"), _c("number"), _c("title"))
_PARTNERSHIPS = _t(
    "partnerships",
    _c("id"),
    _c("inviter_organization_id"),
    _c("invitee_organization_id"),
    _c("invitee_email"),
    _c("status"),
)
# An inviter learns which company an address belongs to only once it accepted (issue 17: an
# invitation tells nothing about other companies); until then the address names it.
_KNOWN_TO_INVITER = ("active", "ended")
_ORGANIZATIONS = _NAMED["organizations"]

Names = dict[tuple[str, int], tuple[str, str | None]]


def describe(events: Sequence[AuditEvent], viewer_organization_id: int) -> list[AuditLine]:
    """Each event with its sentence, names read in one query (none for an empty page)."""
    if not events:
        return []
    wanted = _wanted(events)
    wanted["organizations"].add(viewer_organization_id)
    names = _names(wanted, viewer_organization_id)
    return [AuditLine(event, sentence(event, names, viewer_organization_id)) for event in events]


def sentence(event: AuditEvent, names: Names, viewer_organization_id: int | None = None) -> str:
    """The event in words; a generic sentence when its phrase is unknown or cannot be filled."""
    values = _values(event, names, viewer_organization_id)
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
    """(table, id) -> (name, extra), in one UNION ALL query; extra is a campaign's currency,
    a person's company id (as text), else None."""
    kind = sa.String(40)
    parts: list[sa.Select[Any]] = []
    for table_name, ids in wanted.items():
        if not ids:
            continue
        label = sa.cast(sa.literal(table_name), kind).label("kind")
        if table_name in _SIMPLE:
            # Columns (id, name[, extra]): a person's company id, a campaign's currency.
            table = _SIMPLE[table_name]
            _id, name_column, *extra = table.c
            parts.append(
                sa.select(
                    label,
                    _id,
                    sa.cast(name_column, sa.String).label("name"),
                    sa.cast(extra[0] if extra else sa.null(), sa.String).label("extra"),
                ).where(_id.in_(sorted(ids)))
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
            p = _PARTNERSHIPS.c
            invited_by_viewer = p.inviter_organization_id == viewer_organization_id
            other = sa.case(
                (invited_by_viewer, p.invitee_organization_id), else_=p.inviter_organization_id
            )
            named = sa.or_(sa.not_(invited_by_viewer), p.status.in_(_KNOWN_TO_INVITER))
            parts.append(
                sa.select(
                    label,
                    p.id,
                    sa.cast(sa.func.coalesce(_ORGANIZATIONS.c.name, p.invitee_email), sa.String),
                    sa.cast(sa.null(), sa.String),
                )
                .outerjoin(_ORGANIZATIONS, sa.and_(_ORGANIZATIONS.c.id == other, named))
                .where(p.id.in_(sorted(ids)))
            )
    if not parts:
        return {}
    rows = db.session.execute(sa.union_all(*parts)).all()
    return {(row[0], row[1]): (row[2], row[3]) for row in rows}


def _values(event: AuditEvent, names: Names, viewer: int | None) -> dict[str, Any]:
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
            values["partner"] = _partner(event, names, viewer, target or details.get("email"))
    campaign_id = (
        event.target_id if event.target_type == "campaigns" else _int(details.get("campaign_id"))
    )
    if campaign_id is not None and (campaign := names.get(("campaigns", campaign_id))):
        values["campaign"] = f"the campaign “{campaign[0]}”"
        amount, currency = _int(details.get("amount_minor")), campaign[1]
        if amount is not None and currency:
            values["amount"] = format_money(amount, currency)
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


def _partner(event: AuditEvent, names: Names, viewer: int | None, other: str | None) -> str:
    """The company on the other side of a partnership from the one who acted: the other party
    as the reader may know it when the reader's company acted, else the reader's company."""
    acting = names.get(("users", event.actor_user_id)) if event.actor_user_id else None
    if viewer is not None and acting is not None and acting[1] != str(viewer):
        own = names.get(("organizations", viewer))
        if own is not None:
            return own[0]
    return other or "a company"


def _in_words(code: str) -> str:
    """A role or status code as a reader says it: "partner_manager" -> "partner manager"."""
    label = _ROLE_WORDS.get(code)
    return label if label is not None else code.replace("_", " ")

"""Who may do what. The one place permissions live.

Two layers:

* **Role permissions** — ``ROLE_PERMISSIONS`` maps each role to the actions it may take.
  Services call :func:`authorize` with the acting user before they write anything.
* **Record scope** — which records a user can see at all. Services build every query from
  the acting user's organization (see :func:`visible_to`), so a record of another
  organization is simply not found: "not yours" and "does not exist" answer the same 404.

This module sits below every domain package and imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

from comarketing.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    PARTNER_MANAGER = "partner_manager"
    APPROVER = "approver"
    ANALYST = "analyst"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Admin",
    Role.PARTNER_MANAGER: "Partner manager",
    Role.APPROVER: "Approver",
    Role.ANALYST: "Analyst",
}


class Action(StrEnum):
    MANAGE_USERS = "users.manage"
    VIEW_AUDIT_LOG = "audit.view"
    VIEW_PRODUCTS = "products.view"
    MANAGE_PRODUCTS = "products.manage"
    VIEW_PARTNERSHIPS = "partnerships.view"
    INVITE_PARTNER = "partnerships.invite"
    RESPOND_TO_PARTNERSHIP = "partnerships.respond"
    END_PARTNERSHIP = "partnerships.end"
    MANAGE_ORGANIZATION = "organization.manage"
    VIEW_OFFERS = "offers.view"
    PROPOSE_OFFER = "offers.propose"
    DECIDE_OFFER = "offers.decide"
    COMMENT_ON_OFFER = "offers.comment"
    VIEW_CAMPAIGNS = "campaigns.view"
    MANAGE_CAMPAIGNS = "campaigns.manage"
    POST_LEDGER_ENTRIES = "budgets.post"
    OVERRIDE_BUDGET = "budgets.override"
    CONFIRM_MONEY = "budgets.confirm"
    WRITE_METRICS = "metrics.write"
    VIEW_COLLATERAL = "collateral.view"
    MANAGE_COLLATERAL = "collateral.manage"
    REVIEW_COLLATERAL = "collateral.review"
    REQUEST_COLLATERAL = "collateral.request"
    MANAGE_WEBHOOKS = "webhooks.manage"


_EVERYONE = frozenset(Role)

ROLE_PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.VIEW_AUDIT_LOG: frozenset({Role.ADMIN}),
    Action.VIEW_PRODUCTS: _EVERYONE,
    Action.MANAGE_PRODUCTS: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Action.VIEW_PARTNERSHIPS: _EVERYONE,
    Action.INVITE_PARTNER: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Action.RESPOND_TO_PARTNERSHIP: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Action.END_PARTNERSHIP: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Action.MANAGE_ORGANIZATION: frozenset({Role.ADMIN}),
    Action.VIEW_OFFERS: _EVERYONE,
    # Partner managers write terms (propose, counter-propose, withdraw); approvers decide.
    # Admins may do both for their own company. Analysts read.
    Action.PROPOSE_OFFER: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Action.DECIDE_OFFER: frozenset({Role.ADMIN, Role.APPROVER}),
    Action.COMMENT_ON_OFFER: frozenset({Role.ADMIN, Role.PARTNER_MANAGER, Role.APPROVER}),
    Action.VIEW_CAMPAIGNS: _EVERYONE,
    # Placements, milestones, status and solo campaigns: the people who run campaigns.
    Action.MANAGE_CAMPAIGNS: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    # Partner managers post for their own party; admins may also post for another party of a
    # joint campaign or past the budget guard, but only with a written reason.
    Action.POST_LEDGER_ENTRIES: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Action.OVERRIDE_BUDGET: frozenset({Role.ADMIN}),
    # Confirming or disputing a partner's expense claim, and confirming or rejecting a payment
    # received, is done for a company by its approvers, admins and partner managers.
    Action.CONFIRM_MONEY: frozenset({Role.ADMIN, Role.APPROVER, Role.PARTNER_MANAGER}),
    # Results of a placement are written by its owning party's partner managers (and admins);
    # every party of the campaign reads them (VIEW_CAMPAIGNS).
    Action.WRITE_METRICS: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    # Collateral: every party's users read and download it, and anyone (sales included) may
    # ask for a new material or +1 a request. The marketing side (partner managers, admins)
    # uploads, versions and takes requests; approvers (and admins) review creative.
    Action.VIEW_COLLATERAL: _EVERYONE,
    Action.MANAGE_COLLATERAL: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Action.REVIEW_COLLATERAL: frozenset({Role.ADMIN, Role.APPROVER}),
    Action.REQUEST_COLLATERAL: _EVERYONE,
    # Webhook endpoints send the company's events to other systems: admins only.
    Action.MANAGE_WEBHOOKS: frozenset({Role.ADMIN}),
}


# What each role may do, worked out once (every page asks for the signed-in user's).
_ACTIONS_OF: dict[Role, frozenset[Action]] = {
    role: frozenset(action for action in Action if role in ROLE_PERMISSIONS[action])
    for role in Role
}


class Subject(Protocol):
    """What the policy needs to know about a user."""

    role: str
    organization_id: int

    @property
    def is_active(self) -> bool: ...


def can(user: Subject | None, action: Action) -> bool:
    if user is None or not getattr(user, "is_active", False):
        return False
    try:
        role = Role(user.role)
    except ValueError:
        return False
    return role in ROLE_PERMISSIONS[action]


def authorize(user: Subject | None, action: Action) -> None:
    """Raise :class:`Forbidden` unless ``user`` may take ``action``."""
    if not can(user, action):
        raise Forbidden(f"Your role does not allow this ({action.value}).")


def is_party(user: Subject, organization_ids: Iterable[int | None]) -> bool:
    """True when the user's organization is one of the parties of a shared record."""
    return user.organization_id in set(organization_ids)


def visible_to(user: Subject, organization_ids: Iterable[int | None]) -> bool:
    """Scope check for a record already loaded: callers turn False into NotFound, not Forbidden,
    so that a record of another organization is indistinguishable from a missing one."""
    return is_party(user, organization_ids)


def allowed_actions(user: Subject | None) -> frozenset[Action]:
    """Everything the user may do; templates use it to show only what will work."""
    if user is None or not getattr(user, "is_active", False):
        return frozenset()
    try:
        return _ACTIONS_OF[Role(user.role)]
    except ValueError:
        return frozenset()


# Who hears of each kind of notification without asking: the roles that act on it (approvers
# what they decide, partner managers what they run) and, for goals, the analysts who read
# results. Callers name the people involved (the parties' active users); anyone among them whose
# role is not listed hears only after opting in on their preferences page.
_OFFER_PEOPLE = ROLE_PERMISSIONS[Action.PROPOSE_OFFER] | ROLE_PERMISSIONS[Action.DECIDE_OFFER]
NOTIFICATION_AUDIENCE: dict[str, frozenset[Role]] = {
    "offer_received": _OFFER_PEOPLE,
    "offer_revised": _OFFER_PEOPLE,
    "offer_decision": _OFFER_PEOPLE,
    "offer_approved": _OFFER_PEOPLE,
    "offer_closed": _OFFER_PEOPLE,
    "offer_comment": ROLE_PERMISSIONS[Action.COMMENT_ON_OFFER],
    "review_reminder": ROLE_PERMISSIONS[Action.DECIDE_OFFER],
    "review_overdue": _OFFER_PEOPLE,
    # Only those who can commit more budget or stop spending can act on a budget alarm.
    "budget_alert": ROLE_PERMISSIONS[Action.POST_LEDGER_ENTRIES],
    "claim_to_confirm": ROLE_PERMISSIONS[Action.CONFIRM_MONEY],
    "claim_disputed": ROLE_PERMISSIONS[Action.POST_LEDGER_ENTRIES],
    "claim_auto_confirmed": ROLE_PERMISSIONS[Action.CONFIRM_MONEY],
    "claim_revised": ROLE_PERMISSIONS[Action.CONFIRM_MONEY],
    "payment_to_confirm": ROLE_PERMISSIONS[Action.CONFIRM_MONEY],
    "payment_answered": ROLE_PERMISSIONS[Action.POST_LEDGER_ENTRIES],
    "collateral_review": ROLE_PERMISSIONS[Action.REVIEW_COLLATERAL]
    | ROLE_PERMISSIONS[Action.MANAGE_COLLATERAL],
    # Whoever asked for a material hears of it, whatever their role.
    "collateral_request": ROLE_PERMISSIONS[Action.REQUEST_COLLATERAL],
    "goal_reached": ROLE_PERMISSIONS[Action.MANAGE_CAMPAIGNS] | frozenset({Role.ANALYST}),
    "webhook_disabled": ROLE_PERMISSIONS[Action.MANAGE_WEBHOOKS],
    # Results by mail: those who write results (and set up the intake address) act on them.
    "results_mail_waiting": ROLE_PERMISSIONS[Action.WRITE_METRICS],
    "results_mail_result": ROLE_PERMISSIONS[Action.WRITE_METRICS],
}


def hears_by_default(role: str, kind: str) -> bool:
    """True when a person in ``role`` receives notifications of ``kind`` without opting in."""
    try:
        return Role(role) in NOTIFICATION_AUDIENCE.get(kind, frozenset())
    except ValueError:
        return False

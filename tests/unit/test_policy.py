"""The role/permission table, checked against an explicit copy written out here.

The expected table is deliberately not derived from ``ROLE_PERMISSIONS``: a change to the
policy module must be matched by a change here, so no permission widens unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from comarketing.accounts.models import User
from comarketing.errors import Forbidden
from comarketing.policy import Action, Role, allowed_actions, authorize, can, visible_to

EXPECTED: dict[str, set[str]] = {
    "admin": {
        "users.manage",
        "audit.view",
        "products.view",
        "products.manage",
        "partnerships.view",
        "partnerships.invite",
        "partnerships.respond",
        "partnerships.end",
        "organization.manage",
        "offers.view",
        "offers.propose",
        "offers.decide",
        "offers.comment",
        "campaigns.view",
        "campaigns.manage",
        "budgets.post",
        "budgets.override",
        "budgets.confirm",
        "metrics.write",
        "collateral.view",
        "collateral.manage",
        "collateral.review",
        "collateral.request",
        "webhooks.manage",
    },
    "partner_manager": {
        "products.view",
        "products.manage",
        "partnerships.view",
        "partnerships.invite",
        "partnerships.respond",
        "partnerships.end",
        "offers.view",
        "offers.propose",
        "offers.comment",
        "campaigns.view",
        "campaigns.manage",
        "budgets.post",
        "budgets.confirm",
        "metrics.write",
        "collateral.view",
        "collateral.manage",
        "collateral.request",
    },
    "approver": {
        "products.view",
        "partnerships.view",
        "offers.view",
        "offers.decide",
        "offers.comment",
        "campaigns.view",
        "budgets.confirm",
        "collateral.view",
        "collateral.review",
        "collateral.request",
    },
    "analyst": {
        "products.view",
        "partnerships.view",
        "offers.view",
        "campaigns.view",
        "collateral.view",
        "collateral.request",
    },
}
ALL_ACTIONS = [
    "users.manage",
    "audit.view",
    "products.view",
    "products.manage",
    "partnerships.view",
    "partnerships.invite",
    "partnerships.respond",
    "partnerships.end",
    "organization.manage",
    "offers.view",
    "offers.propose",
    "offers.decide",
    "offers.comment",
    "campaigns.view",
    "campaigns.manage",
    "budgets.post",
    "budgets.override",
    "budgets.confirm",
    "metrics.write",
    "collateral.view",
    "collateral.manage",
    "collateral.review",
    "collateral.request",
    "webhooks.manage",
]
TABLE = [
    pytest.param(role, action, action in allowed, id=f"{role}-{action}")
    for role, allowed in EXPECTED.items()
    for action in ALL_ACTIONS
]


@dataclass
class FakeUser:
    """Just what the policy reads (the Subject protocol)."""

    role: str
    organization_id: int = 1
    active: bool = True

    @property
    def is_active(self) -> bool:
        return self.active


def test_expected_table_names_every_action_and_role_of_the_module():
    # A new action or role in the module must be added to the table above, or this fails.
    assert {a.value for a in Action} == set(ALL_ACTIONS)
    assert {r.value for r in Role} == set(EXPECTED)


@pytest.mark.parametrize(("role", "action", "allowed"), TABLE)
def test_role_permission(role, action, allowed):
    user = FakeUser(role=role)
    assert can(user, Action(action)) is allowed
    if allowed:
        authorize(user, Action(action))
    else:
        with pytest.raises(Forbidden):
            authorize(user, Action(action))


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_allowed_actions_lists_exactly_the_role_row(role):
    assert {a.value for a in allowed_actions(FakeUser(role=role))} == EXPECTED[role]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_inactive_user_can_do_nothing(role):
    user = FakeUser(role=role, active=False)
    assert allowed_actions(user) == frozenset()
    for action in Action:
        with pytest.raises(Forbidden):
            authorize(user, action)


def test_deactivated_real_user_model_can_do_nothing():
    # The User model exposes `active` through Flask-Login's `is_active`; the policy must use it.
    user = User(role="admin", active=False, organization_id=1)
    assert allowed_actions(user) == frozenset()
    user.active = True
    assert {a.value for a in allowed_actions(user)} == EXPECTED["admin"]


@pytest.mark.parametrize("role", ["owner", "", "ADMIN", "superuser"])
def test_unknown_role_can_do_nothing(role):
    user = FakeUser(role=role)
    assert allowed_actions(user) == frozenset()
    with pytest.raises(Forbidden):
        authorize(user, Action.VIEW_PRODUCTS)


def test_no_user_can_do_nothing():
    assert allowed_actions(None) == frozenset()
    with pytest.raises(Forbidden):
        authorize(None, Action.VIEW_PARTNERSHIPS)


def test_record_scope_is_the_users_organization_only():
    user = FakeUser(role="admin", organization_id=7)
    assert visible_to(user, [7, 9])
    assert visible_to(user, [3, 7])
    assert not visible_to(user, [3, 9])
    assert not visible_to(user, [3, None])

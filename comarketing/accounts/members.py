"""The organization's people: listing colleagues, changing their roles, deactivating and
reactivating them (an organization always keeps one active admin), and its audit log."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing import audit
from comarketing.accounts.models import Organization, User
from comarketing.accounts.validation import parse_role
from comarketing.audit import AuditEvent
from comarketing.audit_words import AuditLine, describe
from comarketing.context import Actor
from comarketing.errors import Conflict, NotFound
from comarketing.extensions import db
from comarketing.policy import Action, Role, authorize


def list_users(actor: Actor) -> list[User]:
    authorize(actor.user, Action.MANAGE_USERS)
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.organization_id == actor.organization_id)
            .order_by(User.active.desc(), User.name)
        )
    )


def _colleague(actor: Actor, user_id: int) -> User:
    """A user of the actor's organization, or NotFound.

    The organization row is locked first: role changes and deactivations within one
    organization then run one at a time, so two admins demoting each other at the same moment
    cannot both pass the last-admin check."""
    db.session.execute(
        sa.select(Organization.id).where(Organization.id == actor.organization_id).with_for_update()
    )
    user = db.session.scalar(
        sa.select(User)
        .where(User.id == user_id, User.organization_id == actor.organization_id)
        # OF users: the eagerly joined organization sits on the nullable side of an outer
        # join, which PostgreSQL refuses to lock.
        .with_for_update(of=User)
    )
    if user is None:
        raise NotFound()
    return user


def _other_active_admins(organization_id: int, excluding_user_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(
                User.organization_id == organization_id,
                User.role == Role.ADMIN.value,
                User.active,
                User.id != excluding_user_id,
            )
        )
        or 0
    )


def change_role(actor: Actor, user_id: int, role: str) -> User:
    authorize(actor.user, Action.MANAGE_USERS)
    user = _colleague(actor, user_id)
    new_role = parse_role(role)
    if user.role == new_role.value:
        return user
    if user.role == Role.ADMIN.value and _other_active_admins(user.organization_id, user.id) == 0:
        raise Conflict("An organization needs at least one active admin.")
    old_role = user.role
    user.role = new_role.value
    audit.record("user.role_changed", actor=actor, target=user, old=old_role, new=new_role.value)
    db.session.commit()
    return user


def set_active(actor: Actor, user_id: int, *, active: bool) -> User:
    authorize(actor.user, Action.MANAGE_USERS)
    user = _colleague(actor, user_id)
    if user.active == active:
        return user
    if (
        not active
        and user.role == Role.ADMIN.value
        and _other_active_admins(user.organization_id, user.id) == 0
    ):
        raise Conflict("An organization needs at least one active admin.")
    user.active = active
    if not active:
        user.rotate_session_token()
    audit.record("user.reactivated" if active else "user.deactivated", actor=actor, target=user)
    db.session.commit()
    return user


def audit_log(actor: Actor, *, page: int, per_page: int) -> tuple[list[AuditEvent], bool]:
    """One page of the organization's audit log, newest first, and whether there is more."""
    authorize(actor.user, Action.VIEW_AUDIT_LOG)
    rows = list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.organization_id == actor.organization_id)
            .order_by(AuditEvent.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def audit_log_in_words(actor: Actor, *, page: int, per_page: int) -> tuple[list[AuditLine], bool]:
    """The same page with each event as a sentence; the names are read in one more query."""
    events, has_more = audit_log(actor, page=page, per_page=per_page)
    return describe(events, actor.organization_id), has_more

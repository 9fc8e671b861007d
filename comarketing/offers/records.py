"""What every write on an offer shares: recording a step and making it stick.

The lifecycle step (checked against ``workflow.py``), the version check against a stale form,
the event row of the offer's timeline, the notification to the parties' people, and the commit.
Concurrent writers are serialised by a row lock on the offer (PostgreSQL, see
``access.load``) and, on every backend, by its version counter: a writer that lost the race
gets Conflict (409) from ``committing``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from comarketing import notifications
from comarketing.accounts.models import User, reading_zone
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Conflict
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.mail_text import framed
from comarketing.notifications import About, Body, Recipient
from comarketing.offers import workflow
from comarketing.offers.models import Offer, OfferEvent, OfferRevision
from comarketing.policy import ROLE_PERMISSIONS, Action, Role

# Whom an offer's news concerns. A request to decide: the policy's deciders. News for the
# company (sent, revised, decided, closed, commented): all its people, of whom the policy's
# notification audience and each person's opt-ins decide who hears it (notifications.notify).
DECIDERS = tuple(sorted(ROLE_PERMISSIONS[Action.DECIDE_OFFER]))
EVERYONE = tuple(Role)


@contextmanager
def committing() -> Iterator[None]:
    """Commit at the end; a concurrent writer that got there first turns into Conflict."""
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(
            "Someone else changed this offer at the same moment. "
            "Reload the page to see the current state."
        ) from exc
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Conflict("This was already recorded by someone else. Reload the page.") from exc


def touch(offer: Offer, step: str) -> None:
    """Take a lifecycle step (or raise InvalidTransition) and bump the offer's version."""
    offer.status = workflow.next_status(offer.status, step).value
    offer.updated_at = utcnow()  # an UPDATE of the row bumps the version counter


def check_version(offer: Offer, expected_version: int | None) -> None:
    """Refuse a change made on a form opened before the offer last changed."""
    if expected_version is not None and expected_version != offer.version:
        raise Conflict(
            "This offer changed since you opened it. Reload to see the current "
            "terms, then make your change again."
        )


def add_event(
    offer: Offer,
    actor: Actor | None,
    action: str,
    summary: str = "",
    revision_number: int | None = None,
) -> None:
    """One line of the offer's timeline; ``actor`` None for the system (deadlines)."""
    db.session.add(
        OfferEvent(
            offer_id=offer.id,
            organization_id=actor.organization_id if actor else None,
            user_id=actor.user_id if actor else None,
            action=action,
            summary=summary[:300],
            revision_number=revision_number,
        )
    )


def _people(
    organization_ids: Sequence[int], roles: Sequence[Role], exclude_user_id: int | None = None
) -> list[Recipient]:
    rows = db.session.execute(
        sa.select(User.id, User.email, reading_zone()).where(
            User.organization_id.in_(organization_ids),
            User.active,
            User.role.in_([r.value for r in roles]),
        )
    )
    return [Recipient(uid, email, tz) for uid, email, tz in rows if uid != exclude_user_id]


def notify(
    offer: Offer,
    *,
    kind: str,
    title: str,
    text: Body,
    organization_ids: Sequence[int],
    roles: Sequence[Role],
    exclude_user_id: int | None,
) -> None:
    """Tell the active people in these roles of these organizations, linking to the offer."""
    link = absolute_url("offers.detail", offer_id=offer.id)
    offer_title = db.session.scalar(
        sa.select(OfferRevision.title).where(
            OfferRevision.offer_id == offer.id,
            OfferRevision.number == offer.current_revision_number,
        )
    )
    notifications.notify(
        _people(organization_ids, roles, exclude_user_id),
        kind=kind,
        title=title,
        body=framed(text, link),
        link=f"/offers/{offer.id}",
        about=About("offer", offer.id, offer_title or ""),
    )

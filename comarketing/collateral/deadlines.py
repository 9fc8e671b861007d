"""Creative review deadlines (cron, with the offers' reminders): one reminder a business day
before a version is due, and one overdue notice once it is late, to the companies that have not
decided yet. Each is sent once per version: the version remembers it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from comarketing.accounts import work_days
from comarketing.collateral import reviews
from comarketing.collateral.access import IS_CURRENT_VERSION, OPEN_OFFER, asset_party_ids
from comarketing.collateral.common import DECIDERS, MARKETING, notify_asset, people
from comarketing.collateral.models import (
    CollateralAsset,
    CollateralVersion,
    ReviewStatus,
)
from comarketing.dates_format import format_deadline
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.notifications import Body
from comarketing.offers.models import Offer
from comarketing.unit_of_work import transactional


@dataclass
class ReminderRun:
    """How many versions were reminded and flagged overdue in one run."""

    reminded: int = 0
    overdue: int = 0


@transactional
def run_deadlines(now: datetime | None = None) -> ReminderRun:
    """Remind the waiting reviewers one business day before a version is due and flag it once
    overdue. Each goes once: the version remembers it was sent."""
    now = now or utcnow()
    result = ReminderRun()
    for asset, version in _versions_in_review():
        due = version.review_due_at
        assert due is not None
        decided = reviews.decided_organization_ids(version.id)
        waiting = [p for p in asset_party_ids(asset.id) if p not in decided]
        if not waiting:
            continue
        if now >= due:
            version.overdue_notice_sent_at = now
            version.reminder_sent_at = version.reminder_sent_at or now
            notify_asset(
                asset,
                people(waiting, DECIDERS) + people([version.author_organization_id], MARKETING),
                kind="review_overdue",
                title=f"Overdue review: {asset.title}",
                text=_overdue_text(asset.title, version.number, due),
            )
            result.overdue += 1
        elif version.reminder_sent_at is None and work_days.reminder_due(now, due, waiting):
            version.reminder_sent_at = now
            notify_asset(
                asset,
                people(waiting, DECIDERS),
                kind="review_reminder",
                title=f"Review due soon: {asset.title}",
                text=_reminder_text(asset.title, version.number, due),
            )
            result.reminded += 1
    db.session.commit()
    return result


def _overdue_text(name: str, number: int, due: datetime) -> Body:
    return lambda tz: (
        f"The creative review of \u201c{name}\u201d (version {number}) was due "
        f"{format_deadline(due, tz)} and is now overdue."
    )


def _reminder_text(name: str, number: int, due: datetime) -> Body:
    return lambda tz: (
        f"Your creative review of \u201c{name}\u201d (version {number}) is due "
        f"{format_deadline(due, tz)}."
    )


def _versions_in_review() -> Sequence[sa.Row[CollateralAsset, CollateralVersion]]:
    """Current versions sent for review, not yet flagged overdue, locked (skipping those another
    run holds)."""
    return db.session.execute(
        sa.select(CollateralAsset, CollateralVersion)
        .join(CollateralVersion, IS_CURRENT_VERSION)
        .where(
            CollateralAsset.status == ReviewStatus.IN_REVIEW.value,
            CollateralVersion.review_due_at.is_not(None),
            CollateralVersion.overdue_notice_sent_at.is_(None),
            # A draft whose offer closed is a record: nobody can review it any more.
            sa.or_(
                CollateralAsset.campaign_id.is_not(None),
                CollateralAsset.offer_id.in_(
                    sa.select(Offer.id).where(Offer.status.in_(OPEN_OFFER))
                ),
            ),
        )
        .with_for_update(of=CollateralVersion, skip_locked=True)
    ).all()

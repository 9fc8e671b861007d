"""The review window and what happens when it runs out.

Each company chooses how many business days it gives itself to review (``set_review_days``);
a sent revision is due after the longest window among the parties that decide — the author's
own company among them when its proposer's approval does not count alone (``review_due``).
The cron run (``run_deadlines``, ``flask send-reminders``) reminds one business day before,
flags a review once it is overdue, and expires offers past their expiry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from comarketing import audit, events
from comarketing.accounts import company_settings, work_days
from comarketing.accounts.models import Organization
from comarketing.context import Actor
from comarketing.dates_format import format_deadline
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.offers import approvals, workflow
from comarketing.offers.access import offer_party_ids
from comarketing.offers.models import Offer, OfferRevision, OfferStatus
from comarketing.offers.records import DECIDERS, EVERYONE, add_event, notify
from comarketing.unit_of_work import transactional


def review_due(sent_at: datetime, deciding_org_ids: Sequence[int]) -> datetime:
    """When a revision sent now must be decided by these organizations: the end of the n-th
    business day in each deciding company's zone and holidays, the latest of them."""
    # One due date per revision, so no company gets less time than it configured.
    return work_days.deadline(sent_at, deciding_org_ids, "review_business_days", default=2)


@transactional
def set_review_days(actor: Actor, days: int) -> Organization:
    return company_settings.set_business_days(
        actor,
        "review_business_days",
        days,
        field="review_days",
        event="organization.review_days_changed",
    )


@dataclass
class ReminderRun:
    reminded: int = 0
    overdue: int = 0
    expired: int = 0


@transactional
def run_deadlines(now: datetime | None = None) -> ReminderRun:
    """Remind one business day before a review is due, flag it once it is overdue, and close
    offers past their expiry. Each mail goes once: the revision remembers it was sent."""
    now = now or utcnow()
    result = ReminderRun()
    for offer, revision in _sent_offers_locked():
        parties = offer_party_ids(offer.id)
        waiting = _waiting_for(revision, parties)
        if offer.expires_at is not None and offer.expires_at <= now:
            _expire(offer, revision, parties, now)
            result.expired += 1
            continue
        due = revision.review_due_at
        if due is None or not waiting:
            continue
        if now >= due and revision.overdue_notice_sent_at is None:
            _flag_overdue(offer, revision, due, parties, now)
            result.overdue += 1
        elif (
            now < due
            and revision.reminder_sent_at is None
            and work_days.reminder_due(now, due, waiting)
        ):
            _remind(offer, revision, due, waiting, now)
            result.reminded += 1
    db.session.commit()
    return result


def _sent_offers_locked() -> Sequence[sa.Row[Offer, OfferRevision]]:
    """Sent offers with their current revision; a revision another run holds is skipped."""
    return db.session.execute(
        sa.select(Offer, OfferRevision)
        .join(
            OfferRevision,
            sa.and_(
                OfferRevision.offer_id == Offer.id,
                OfferRevision.number == Offer.current_revision_number,
            ),
        )
        .where(Offer.status == OfferStatus.SENT.value)
        .with_for_update(of=OfferRevision, skip_locked=True)
    ).all()


def _waiting_for(revision: OfferRevision, parties: Sequence[int]) -> list[int]:
    """The parties whose answer on the revision is still missing (the author's company too,
    when its proposer could not approve by proposing or four eyes asks for a second)."""
    return [
        party
        for party, state in approvals.approvals_on(revision, parties).items()
        if state.outcome is None
    ]


def _expire(offer: Offer, revision: OfferRevision, parties: Sequence[int], now: datetime) -> None:
    offer.status = workflow.next_status(offer.status, "expire").value
    offer.closed_at = now
    offer.updated_at = now
    add_event(
        offer,
        None,
        "expired",
        "Expired without a decision from every party",
        revision.number,
    )
    audit.record("offer.expired", organization_ids=parties, target=offer, actor_email="system")
    notify(
        offer,
        kind="offer_closed",
        title=f"Expired: {revision.title}",
        text=f"\u201c{revision.title}\u201d expired before every party decided.",
        organization_ids=parties,
        roles=EVERYONE,
        exclude_user_id=None,
    )


def _flag_overdue(
    offer: Offer, revision: OfferRevision, due: datetime, parties: Sequence[int], now: datetime
) -> None:
    revision.overdue_notice_sent_at = now
    revision.reminder_sent_at = revision.reminder_sent_at or now
    add_event(offer, None, "overdue", "Review overdue", revision.number)
    events.raise_(
        "review.overdue",
        parties,
        offer_id=offer.id,
        revision=revision.number,
        review_due_at=due,
        waiting_for_organization_ids=_waiting_for(revision, parties),
    )
    notify(
        offer,
        kind="review_overdue",
        title=f"Overdue: {revision.title}",
        text=lambda tz: (
            f"The review of \u201c{revision.title}\u201d (revision "
            f"{revision.number}) was due {format_deadline(due, tz)} and is now overdue."
        ),
        organization_ids=parties,
        roles=EVERYONE,
        exclude_user_id=None,
    )


def _remind(
    offer: Offer, revision: OfferRevision, due: datetime, waiting: Sequence[int], now: datetime
) -> None:
    revision.reminder_sent_at = now
    notify(
        offer,
        kind="review_reminder",
        title=f"Due soon: {revision.title}",
        text=lambda tz: (
            f"Your decision on \u201c{revision.title}\u201d (revision "
            f"{revision.number}) is due {format_deadline(due, tz)}."
        ),
        organization_ids=waiting,
        roles=DECIDERS,
        # The proposer never decides on their own revision (four eyes waits for another).
        exclude_user_id=revision.author_id,
    )

"""The discussion on an offer: comments from any party, mailed to the others once sent.

Comments on a draft stay with the proposer; once the offer is sent, every party's people hear
of a new comment. Comments and timeline events are shown together by ``offer_page.offer_view``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from comarketing import audit, events
from comarketing.accounts.models import Organization, User
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.offers import workflow
from comarketing.offers.access import current_revision, load, offer_party_ids
from comarketing.offers.models import OfferComment, OfferStatus
from comarketing.offers.records import EVERYONE, committing, notify
from comarketing.offers.terms import MAX_COMMENT, clean_text
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional


@transactional
def add_comment(actor: Actor, offer_id: int, body: str) -> OfferComment:
    authorize(actor.user, Action.COMMENT_ON_OFFER)
    offer = load(actor, offer_id, lock=True)
    workflow.next_status(offer.status, "comment")
    body = clean_text(
        body, field_name="body", label="Comment", max_length=MAX_COMMENT, required=True
    )
    comment = OfferComment(
        offer_id=offer.id, organization_id=actor.organization_id, author_id=actor.user_id, body=body
    )
    db.session.add(comment)
    offer.updated_at = utcnow()
    parties = offer_party_ids(offer.id)
    revision = current_revision(offer)
    audit.record("offer.commented", actor=actor, target=offer)
    db.session.flush()  # the comment's id, for the event
    events.raise_(
        "offer.comment_added",
        parties if offer.status != OfferStatus.DRAFT.value else [offer.proposer_organization_id],
        offer_id=offer.id,
        comment_id=comment.id,
        organization_id=actor.organization_id,
        body=body,
    )
    if offer.status != OfferStatus.DRAFT.value:
        notify(
            offer,
            kind="offer_comment",
            title=f"New comment on \u201c{revision.title}\u201d",
            text=f"{actor.user.name} of {actor.user.organization.name} wrote:\n\n{body}",
            organization_ids=parties,
            roles=EVERYONE,
            exclude_user_id=actor.user_id,
        )
    with committing():
        pass
    return comment


@dataclass(frozen=True)
class CommentRow:
    comment: OfferComment
    organization: str
    author: str  # "" when the author's account was removed


@dataclass
class CommentPage:
    rows: list[CommentRow]
    page: int
    total: int
    has_more: bool


def comments_page(actor: Actor, offer_id: int, *, page: int = 1, per_page: int = 25) -> CommentPage:
    """An offer's comments, oldest first (as the offer page's discussion), a page at a time."""
    authorize(actor.user, Action.VIEW_OFFERS)
    offer = load(actor, offer_id)
    where = OfferComment.offer_id == offer.id
    total = db.session.scalar(sa.select(sa.func.count()).where(where)) or 0
    rows = db.session.execute(
        sa.select(OfferComment, Organization.name, User.name, User.organization_id)
        .join(Organization, Organization.id == OfferComment.organization_id)
        .outerjoin(User, User.id == OfferComment.author_id)
        .where(where)
        .order_by(OfferComment.created_at, OfferComment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    parties = offer_party_ids(offer.id)
    return CommentPage(
        [
            # A person's name only while they work at a party (as the offer page shows it).
            CommentRow(c, org, author if author and author_org in parties else "")
            for c, org, author, author_org in rows
        ],
        page,
        total,
        page * per_page < total,
    )

"""Which offers an organization sees, and loading an offer — always through its parties.

An offer is only ever loaded through its parties, so a non-party gets NotFound: the same as a
missing offer. Drafts stay the proposer's alone until sent. The packages to the right
(collateral drafts) use ``visible_offer_ids`` and ``offer_party_ids`` to follow exactly the
offers' own visibility.
"""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.offers.models import Offer, OfferParty, OfferRevision


def _visible_to(organization_id: int) -> sa.ColumnElement[bool]:
    mine = sa.select(OfferParty.offer_id).where(OfferParty.organization_id == organization_id)
    # Drafts are the proposer's alone until sent — and stay so when discarded unsent (status
    # "withdrawn"): the partners never received them.
    return sa.and_(
        Offer.id.in_(mine),
        sa.or_(
            Offer.sent_at.is_not(None),
            Offer.proposer_organization_id == organization_id,
        ),
    )


def visible(organization_id: int) -> sa.Select[Offer]:
    """The offers this organization may see, as a query to narrow down further."""
    return sa.select(Offer).where(_visible_to(organization_id))


def visible_offer_ids(organization_id: int) -> sa.Select[int]:
    """The ids of the offers this organization may see, as a subquery for ``IN``: the packages
    to the right (collateral drafts) follow exactly the offers' own visibility."""
    return sa.select(Offer.id).where(_visible_to(organization_id))


def load(actor: Actor, offer_id: int, *, lock: bool = False) -> Offer:
    """The offer if the actor's organization may see it, else NotFound."""
    query = visible(actor.organization_id).where(Offer.id == offer_id)
    if lock:
        # populate_existing: the offer may already sit in this session (the edit page loads it
        # first); the values read under the lock must replace those stale ones, or a version
        # check passes on old data and the write fails later as an unhandled StaleDataError.
        query = query.with_for_update().execution_options(populate_existing=True)
    offer = db.session.scalar(query)
    if offer is None:
        raise NotFound()
    return offer


def offer_party_ids(offer_id: int) -> list[int]:
    """The organizations taking part in an offer, by id (collateral drafts use it too)."""
    return sorted(
        db.session.scalars(
            sa.select(OfferParty.organization_id).where(OfferParty.offer_id == offer_id)
        )
    )


def current_revision(offer: Offer) -> OfferRevision:
    """The offer's current revision (a draft's only one)."""
    revision = db.session.scalar(
        sa.select(OfferRevision).where(
            OfferRevision.offer_id == offer.id,
            OfferRevision.number == offer.current_revision_number,
        )
    )
    if revision is None:
        raise NotFound()
    return revision

"""Helpers every collateral capability shares, below all of them: cleaning free text, the
commit that turns a lost race into Conflict, and who gets told what about an asset."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from comarketing import notifications
from comarketing.accounts.models import User, reading_zone
from comarketing.campaigns.models import Campaign
from comarketing.collateral.models import CollateralAsset
from comarketing.errors import Conflict, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.mail_text import framed
from comarketing.notifications import About, Body, Recipient
from comarketing.offers.models import Offer, OfferRevision
from comarketing.policy import ROLE_PERMISSIONS, Action, Role

MAX_COMMENT = 5000
MAX_DESCRIPTION = 5000
# Who is told, as the policy says: those who review creative, and those who make it.
DECIDERS = tuple(sorted(ROLE_PERMISSIONS[Action.REVIEW_COLLATERAL]))
MARKETING = tuple(sorted(ROLE_PERMISSIONS[Action.MANAGE_COLLATERAL]))


def clean_text(value: str, field_name: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed("This field is required.", field=field_name)
    if len(value) > limit:
        raise ValidationFailed(f"At most {limit} characters.", field=field_name)
    return value


@contextmanager
def committing() -> Iterator[None]:
    """Commit at the end; a concurrent writer that got there first turns into Conflict."""
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(
            "Someone else changed this asset at the same moment. Reload the page."
        ) from exc
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Conflict("This was already recorded by someone else. Reload the page.") from exc


def people(
    organization_ids: Sequence[int], roles: Sequence[Role], exclude_user_id: int | None = None
) -> list[Recipient]:
    if not organization_ids:
        return []
    rows = db.session.execute(
        sa.select(User.id, User.email, reading_zone()).where(
            User.organization_id.in_(organization_ids),
            User.active,
            User.role.in_([r.value for r in roles]),
        )
    )
    return [Recipient(uid, email, tz) for uid, email, tz in rows if uid != exclude_user_id]


def notify_asset(
    asset: CollateralAsset, recipients: list[Recipient], *, kind: str, title: str, text: Body
) -> None:
    link = absolute_url("collateral.asset", asset_id=asset.id)
    notifications.notify(
        recipients,
        kind=kind,
        title=title,
        body=framed(text, link),
        link=f"/collateral/assets/{asset.id}",
        about=about_asset(asset),
    )


def about_campaign(campaign_id: int) -> About:
    """What a notice about a campaign's material is grouped under: the campaign."""
    name = db.session.scalar(sa.select(Campaign.name).where(Campaign.id == campaign_id))
    return About("campaign", campaign_id, name or "")


def about_asset(asset: CollateralAsset) -> About | None:
    """A material belongs to a campaign, or (a draft material) to an offer."""
    if asset.campaign_id is not None:
        return about_campaign(asset.campaign_id)
    if asset.offer_id is None:
        return None
    title = db.session.scalar(
        sa.select(OfferRevision.title)
        .join(Offer, Offer.id == OfferRevision.offer_id)
        .where(Offer.id == asset.offer_id, OfferRevision.number == Offer.current_revision_number)
    )
    return About("offer", asset.offer_id, title or "")

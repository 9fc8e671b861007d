"""Helpers every collateral capability shares, below all of them: cleaning free text, the
commit that turns a lost race into Conflict, and who gets told what about an asset."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from comarketing import notifications
from comarketing.accounts.models import User, reading_zone
from comarketing.collateral.models import CollateralAsset
from comarketing.errors import Conflict, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.mail_text import framed
from comarketing.notifications import Body, Recipient
from comarketing.policy import Role

MAX_COMMENT = 5000
MAX_DESCRIPTION = 5000
DECIDERS = (Role.ADMIN, Role.APPROVER)
MARKETING = (Role.ADMIN, Role.PARTNER_MANAGER)


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
    )

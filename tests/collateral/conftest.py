"""Helpers for the collateral tests: actors of the A/B/C world, a joint A-B campaign, and
assets made through the real services."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from comarketing.accounts.models import User
from comarketing.campaigns import lifecycle
from comarketing.collateral import assets
from comarketing.context import Actor, Origin
from comarketing.extensions import db
from comarketing.money import SHARE_TOTAL
from tests.collateral import samples


def actor(email: str) -> Actor:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return Actor(user, Origin())


def joint_campaign(world, name: str = "Alpha and Beta spring") -> int:
    """An A-B joint campaign (made directly by the campaigns service, as offer approval does)."""
    half = SHARE_TOTAL // 2
    campaign = lifecycle.create_joint_campaign(
        name=name,
        description="",
        proposer_organization_id=world.a.id,
        offer_id=None,
        start_date=date(2030, 3, 1),
        end_date=date(2030, 4, 30),
        currency="EUR",
        total_budget_minor=100_000,
        target_reach=None,
        target_leads=None,
        target_revenue_minor=None,
        parties=[
            lifecycle.PartyShare(world.a.id, half, half),
            lifecycle.PartyShare(world.b.id, half, half),
        ],
        placements=[],
        created_by_id=world.a.user_ids["partner_manager"],
    )
    db.session.commit()
    return campaign.id


def upload_image(world, campaign_id: int, *, title: str = "Shelf banner", by: str | None = None):
    data = assets.AssetInput(title=title, audience="customers", party_ids=[world.a.id, world.b.id])
    first = assets.VersionInput(stream=io.BytesIO(samples.png()), filename="banner.png")
    return assets.create_asset(
        actor(by or world.a.email("partner_manager")), campaign_id, data, first
    )


@pytest.fixture
def ab_campaign(app, world) -> int:
    with app.app_context():
        campaign_id = joint_campaign(world)
        db.session.remove()
    return campaign_id


# The security suite's scene (A/B/C records, C's with the canary) for the tenancy tests here.
from tests.security.conftest import restore_engine, scene  # noqa: E402, F401

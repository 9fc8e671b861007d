"""The collateral report of a campaign or of a company: downloads per party, what is never
used since it became ready, and how long review took. Counted in SQL (GROUP BY), a fixed number
of queries whatever the number of assets or downloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.collateral.access import campaign_ids_of, visible_campaign
from comarketing.collateral.models import CollateralAsset, CollateralUsage, ReviewStatus
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.policy import Action, authorize


@dataclass
class AssetUsage:
    asset_id: int
    title: str
    campaign_id: int
    campaign_name: str
    status: str
    audience: str
    created_at: datetime
    ready_at: datetime | None
    downloads: int
    uses_since_ready: int
    by_party: dict[int, int] = field(default_factory=dict)

    @property
    def is_ready(self) -> bool:
        return self.status == ReviewStatus.READY.value

    @property
    def hours_to_ready(self) -> float | None:
        if self.ready_at is None:
            return None
        return round((self.ready_at - self.created_at).total_seconds() / 3600, 1)


@dataclass
class CollateralReport:
    title: str
    parties: list[tuple[int, str]]
    rows: list[AssetUsage]

    @property
    def ready(self) -> list[AssetUsage]:
        return [r for r in self.rows if r.is_ready]

    @property
    def ready_unused(self) -> list[AssetUsage]:
        """Ready assets nobody downloaded or opened since they became ready."""
        return [r for r in self.ready if r.uses_since_ready == 0]

    @property
    def ready_unused_share(self) -> float | None:
        ready = self.ready
        return len(self.ready_unused) / len(ready) if ready else None

    @property
    def median_hours_to_ready(self) -> float | None:
        hours = [r.hours_to_ready for r in self.rows if r.hours_to_ready is not None]
        return round(median(hours), 1) if hours else None

    @property
    def total_downloads(self) -> int:
        return sum(r.downloads for r in self.rows)


def _report(title: str, campaign_ids: sa.Select[int] | list[int]) -> CollateralReport:
    since_ready = sa.func.coalesce(
        sa.func.sum(
            sa.case(
                (
                    sa.and_(
                        CollateralAsset.ready_at.is_not(None),
                        CollateralUsage.created_at >= CollateralAsset.ready_at,
                    ),
                    1,
                ),
                else_=0,
            )
        ),
        0,
    )
    assets = db.session.execute(
        sa.select(
            CollateralAsset.id,
            CollateralAsset.title,
            CollateralAsset.campaign_id,
            Campaign.name,
            CollateralAsset.status,
            CollateralAsset.audience,
            CollateralAsset.created_at,
            CollateralAsset.ready_at,
            sa.func.count(CollateralUsage.id),
            since_ready,
        )
        .join(Campaign, Campaign.id == CollateralAsset.campaign_id)
        .outerjoin(CollateralUsage, CollateralUsage.asset_id == CollateralAsset.id)
        .where(CollateralAsset.campaign_id.in_(campaign_ids))
        .group_by(
            CollateralAsset.id,
            CollateralAsset.title,
            CollateralAsset.campaign_id,
            Campaign.name,
            CollateralAsset.status,
            CollateralAsset.audience,
            CollateralAsset.created_at,
            CollateralAsset.ready_at,
        )
    ).all()
    rows = {
        asset_id: AssetUsage(
            asset_id, title, cid, cname, status, audience, created, ready, int(n), int(since)
        )
        for asset_id, title, cid, cname, status, audience, created, ready, n, since in assets
    }
    for asset_id, organization_id, count in db.session.execute(
        sa.select(CollateralUsage.asset_id, CollateralUsage.organization_id, sa.func.count())
        .where(CollateralUsage.campaign_id.in_(campaign_ids))
        .group_by(CollateralUsage.asset_id, CollateralUsage.organization_id)
    ):
        if asset_id in rows:
            rows[asset_id].by_party[organization_id] = int(count)
    parties = [
        (org_id, name)
        for org_id, name in db.session.execute(
            sa.select(Organization.id, Organization.name)
            .where(
                Organization.id.in_(
                    sa.select(CampaignParty.organization_id).where(
                        CampaignParty.campaign_id.in_(campaign_ids)
                    )
                )
            )
            .order_by(Organization.name)
        )
    ]
    ordered = sorted(rows.values(), key=lambda r: (-r.downloads, r.title.lower(), r.asset_id))
    return CollateralReport(title, parties, ordered)


def campaign_report(actor: Actor, campaign_id: int) -> CollateralReport:
    campaign = visible_campaign(actor, campaign_id)
    return _report(campaign.name, [campaign.id])


def organization_report(actor: Actor) -> CollateralReport:
    """Every campaign the company takes part in; partners' downloads of shared assets count."""
    authorize(actor.user, Action.VIEW_COLLATERAL)
    mine = campaign_ids_of(actor.organization_id)
    return _report(actor.user.organization.name, mine)

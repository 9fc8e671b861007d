"""The import history of a company: every import newest first, and one import by id.

An import of another company is NotFound, like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from comarketing.accounts.models import User
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.metrics.models import MetricImport, ReplacedDay


@dataclass
class HistoryRow:
    metric_import: MetricImport
    author: str | None
    replaced_days: int
    campaign_id: int | None = None
    campaign_name: str | None = None


def history(actor: Actor, *, limit: int = 100) -> list[HistoryRow]:
    """Every import of the actor's company, newest first, with its campaign, in one query.

    A file is uploaded for one campaign (``campaign_id``); a write from the grid or the API
    names its placement in the settings, whose campaign it is. Imports from before uploads
    were per campaign name neither: their campaign is not known, and none is guessed.
    """
    replaced = (
        sa.select(sa.func.count(ReplacedDay.id))
        .where(ReplacedDay.import_id == MetricImport.id)
        .scalar_subquery()
    )
    placement_campaign = (
        sa.select(Placement.campaign_id)
        .where(Placement.id == MetricImport.settings["placement_id"].as_integer())
        .scalar_subquery()
    )
    campaign_id = sa.func.coalesce(MetricImport.campaign_id, placement_campaign)
    rows = db.session.execute(
        sa.select(MetricImport, User.name, replaced, Campaign.id, Campaign.name)
        .outerjoin(User, User.id == MetricImport.created_by_id)
        .outerjoin(Campaign, Campaign.id == campaign_id)
        .where(MetricImport.organization_id == actor.organization_id)
        .order_by(MetricImport.id.desc())
        .limit(limit)
    ).all()
    return [
        HistoryRow(m, author, int(count), campaign_id, campaign_name)
        for m, author, count, campaign_id, campaign_name in rows
    ]


def get_import(actor: Actor, import_id: int) -> MetricImport:
    metric_import = db.session.scalar(
        sa.select(MetricImport).where(
            MetricImport.id == import_id,
            MetricImport.organization_id == actor.organization_id,
        )
    )
    if metric_import is None:
        raise NotFound()
    return metric_import

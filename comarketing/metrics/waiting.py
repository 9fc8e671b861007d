"""Result imports that wait for a choice, for the home page: files of the company uploaded and
previewed but neither confirmed nor discarded, for those who may write results.

One query, whatever the number of imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from comarketing.accounts.models import User
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.metrics.models import ImportStatus, MetricImport
from comarketing.policy import Action, can


@dataclass(frozen=True)
class ImportWait:
    import_id: int
    filename: str
    campaign: str  # "" for an import from before uploads named their campaign
    uploaded_by: str
    since: datetime


def to_choose(actor: Actor) -> list[ImportWait]:
    if not can(actor.user, Action.WRITE_METRICS):
        return []
    rows = db.session.execute(
        sa.select(
            MetricImport.id,
            MetricImport.filename,
            Campaign.name,
            User.name,
            MetricImport.created_at,
        )
        .outerjoin(Campaign, Campaign.id == MetricImport.campaign_id)
        .outerjoin(User, User.id == MetricImport.created_by_id)
        .where(
            MetricImport.organization_id == actor.organization_id,
            MetricImport.status == ImportStatus.PREVIEW.value,
        )
        .order_by(MetricImport.created_at, MetricImport.id)
    ).all()
    return [ImportWait(int(i), f or "", c or "", u or "", at) for i, f, c, u, at in rows]

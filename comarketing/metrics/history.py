"""The import history of a company: every import newest first, and one import by id.

An import of another company is NotFound, like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from comarketing.accounts.models import User
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.metrics.models import MetricImport, ReplacedDay


@dataclass
class HistoryRow:
    metric_import: MetricImport
    author: str | None
    replaced_days: int


def history(actor: Actor, *, limit: int = 100) -> list[HistoryRow]:
    """Every import of the actor's company, newest first, in one query."""
    replaced = (
        sa.select(sa.func.count(ReplacedDay.id))
        .where(ReplacedDay.import_id == MetricImport.id)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(MetricImport, User.name, replaced)
        .outerjoin(User, User.id == MetricImport.created_by_id)
        .where(MetricImport.organization_id == actor.organization_id)
        .order_by(MetricImport.id.desc())
        .limit(limit)
    ).all()
    return [HistoryRow(m, author, int(count)) for m, author, count in rows]


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

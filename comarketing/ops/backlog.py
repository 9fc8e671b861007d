"""Work waiting outside the request, counted in the database (the truth every process shares)."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.metrics.models import MetricImport
from comarketing.outbox import OutboxMessage


def counts() -> list[tuple[str, str, int]]:
    """(metric name, help, value) for each backlog, in two queries."""
    mail = db.session.execute(
        sa.select(
            sa.func.count().filter(OutboxMessage.attempts == 0),
            sa.func.count().filter(OutboxMessage.attempts > 0),
        ).where(OutboxMessage.sent_at.is_(None))
    ).one()
    imports: dict[str, int] = {
        status: count
        for status, count in db.session.execute(
            sa.select(MetricImport.status, sa.func.count())
            .where(MetricImport.status.in_(("queued", "running")))
            .group_by(MetricImport.status)
        )
    }
    return [
        ("mail_queued", "Mail waiting for its first delivery attempt.", int(mail[0])),
        (
            "mail_retrying",
            "Mail whose delivery failed at least once and waits again.",
            int(mail[1]),
        ),
        ("imports_queued", "Confirmed result imports waiting to run.", imports.get("queued", 0)),
        ("imports_running", "Result imports running now.", imports.get("running", 0)),
    ]

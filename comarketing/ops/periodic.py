"""The periodic rounds the scheduler queues (``comarketing/jobs/schedule.py``), one handler
each. Each is idempotent on its own (a reminder, an overdue notice, a digest item records that
it was sent, in the transaction that queues its mail), and the job key names the period, so a
round run twice sends nothing twice. The ``flask send-reminders`` / ``send-digests`` /
``uploads purge`` commands run the same code by hand.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

from flask import current_app

from comarketing.jobs import handler


def _plain(result: Any) -> dict[str, Any]:
    return asdict(result) if is_dataclass(result) and not isinstance(result, type) else {}


@handler("periodic.reminders")
def reminders(payload: dict[str, Any]) -> dict[str, Any]:
    """Review reminders, overdue notices and expiries of offers and collateral, and expense
    claims confirmed by their window passing."""
    from comarketing.budgets.claim_responses import run_claim_deadlines
    from comarketing.collateral.deadlines import run_deadlines as run_collateral_deadlines
    from comarketing.offers.deadlines import run_deadlines

    return {
        "offers": _plain(run_deadlines()),
        "collateral": _plain(run_collateral_deadlines()),
        "claims": _plain(run_claim_deadlines()),
    }


@handler("periodic.digests")
def digests(payload: dict[str, Any]) -> dict[str, Any]:
    from comarketing.notification_digests import send_digests

    return {"digests": send_digests()}


@handler("periodic.uploads_purge")
def purge_uploads(payload: dict[str, Any]) -> dict[str, Any]:
    from comarketing.metrics import retention

    age = retention.parse_age(str(current_app.config["METRICS_UPLOAD_RETENTION"]))
    return _plain(retention.purge(age))

"""The periodic rounds, each queued as a job whose key names its period: however often beat
fires (or however many beats run by mistake), each round runs once per period, and its
handler is idempotent besides (a reminder already sent is not sent again).

The handlers live with the work (``comarketing/ops/periodic.py``, ``comarketing/jobs/mail.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

# kind -> period in seconds
PERIODIC: dict[str, int] = {
    # Review reminders, overdue notices, offer expiries, claims confirmed by their window.
    "periodic.reminders": 3600,
    "periodic.digests": 24 * 3600,
    "periodic.uploads_purge": 24 * 3600,
    # Mail that has no delivery job (queued before the upgrade, or by hand).
    "periodic.mail_retry": 300,
}
# Beat asks at least this often, so a restarted scheduler does not delay a round a whole period.
ASK_EVERY_SECONDS = 300


def period_key(kind: str, now: datetime) -> str:
    period = PERIODIC[kind]
    return f"{kind}:{int(now.timestamp()) // period}"


def beat_schedule(sweep_seconds: float) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {
        "sweep": {"task": "comarketing.sweep", "schedule": sweep_seconds},
    }
    for kind, period in PERIODIC.items():
        entries[kind] = {
            "task": "comarketing.periodic",
            "schedule": float(min(period, ASK_EVERY_SECONDS)),
            "args": (kind,),
        }
    return entries

"""What happens after a mailed results file became an import: it waits for a person (they are
told), or it runs and the result — days stored, or every error — goes back to the company's
partner managers (a notification, by mail through the outbox unless they chose otherwise).

The result is sent by a job of its own (``intake.reply``), queued in the transaction that
confirms the import: it waits until the import has finished (woken by the import's job as it
ends, and checking every half minute besides), and
its notification commits together with the job's "done", so a retry never mails twice.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from comarketing import notifications
from comarketing.accounts.models import User, reading_zone
from comarketing.campaigns.models import Campaign
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import Job, JobStatus, enqueue, handler, runner
from comarketing.links import absolute_url
from comarketing.metrics.imports import IMPORT_JOB, IMPORT_JOB_ATTEMPTS, import_job_key
from comarketing.metrics.models import ImportStatus, MetricImport
from comarketing.notifications import About, Recipient
from comarketing.policy import ROLE_PERMISSIONS, Action

REPLY_KIND = "intake.reply"
CHECK_AGAIN = timedelta(seconds=30)
GIVE_UP_AFTER = timedelta(days=1)
LISTED_ERRORS = 20


def _people(organization_id: int) -> list[Recipient]:
    """The company's people who write results (the policy's roles), active."""
    rows = db.session.execute(
        sa.select(User.id, User.email, reading_zone()).where(
            User.organization_id == organization_id,
            User.active,
            User.role.in_([r.value for r in ROLE_PERMISSIONS[Action.WRITE_METRICS]]),
        )
    )
    return [Recipient(uid, email, tz or "") for uid, email, tz in rows]


def _campaign(metric_import: MetricImport) -> tuple[str, About | None]:
    campaign = db.session.get(Campaign, metric_import.campaign_id or 0)
    if campaign is None:
        return "a campaign", None
    return campaign.name, About("campaign", campaign.id, campaign.name)


def _tell(metric_import: MetricImport, kind: str, title: str, text: str) -> None:
    _, about = _campaign(metric_import)
    link = absolute_url("metrics.show_import", import_id=metric_import.id)
    notifications.notify(
        _people(metric_import.organization_id),
        kind=kind,
        title=title,
        body=f"Hello,\n\n{text}\n\n{link}\n",
        link=f"/metrics/imports/{metric_import.id}",
        about=about,
    )


def waiting(metric_import: MetricImport, reasons: list[str]) -> None:
    """The import waits at its preview: tell the partner managers why (in the caller's
    transaction)."""
    name, _ = _campaign(metric_import)
    listed = "\n".join(f"- {reason}" for reason in reasons)
    _tell(
        metric_import,
        "results_mail_waiting",
        f"Results by mail wait for you: {metric_import.filename} for {name}",
        f"{metric_import.filename} came by mail from {metric_import.sender} for {name}. "
        f"Nothing is stored until someone answers on its preview:\n\n{listed}",
    )


def expect_result(metric_import: MetricImport) -> None:
    """Queue the reply in the caller's transaction (the one that confirms the import)."""
    enqueue(
        REPLY_KIND,
        {"import_id": metric_import.id},
        key=f"intake-reply:{metric_import.id}",
        organization_id=metric_import.organization_id,
    )


def wake(import_id: int) -> None:
    """The import has just finished (its job's transaction): a reply waiting for it runs now,
    not at its next half-minute check."""
    job = db.session.scalar(
        sa.select(Job).where(Job.key == f"intake-reply:{import_id}", Job.status == JobStatus.QUEUED)
    )
    if job is not None:
        job.run_after = utcnow()


def queue_to_refuse(metric_import: MetricImport) -> None:
    """A file whose rows have errors is queued without confirm's check, so the run reads every
    row, lists every error and stores nothing (what a stale page's confirmation gets)."""
    metric_import.settings = {**metric_import.settings, "post_costs": False}
    metric_import.status = ImportStatus.QUEUED.value
    # Its run is a background job, queued with it as a confirmed upload's is.
    enqueue(
        IMPORT_JOB,
        {"import_id": metric_import.id},
        key=import_job_key(metric_import.id),
        organization_id=metric_import.organization_id,
        max_attempts=IMPORT_JOB_ATTEMPTS,
    )
    db.session.commit()


def hand_over() -> None:
    """After a message: with ``JOBS_BACKEND`` inline (tests, one process) run the due jobs
    here, as a request would — the import, the reply and their mail. With a queue, the commits
    already handed them to the workers."""
    if current_app.config.get("JOBS_BACKEND", "inline") == "inline":
        runner.drain()


def _errors_text(metric_import: MetricImport) -> str:
    lines = [
        f"- row {e.get('row', '?')}, {e.get('column') or 'the row'}: "
        f"{str(e.get('value', ''))[:60]!r} {e.get('reason', '')}"
        for e in (metric_import.errors or [])[:LISTED_ERRORS]
    ]
    more = metric_import.error_count - len(lines)
    if more > 0:
        lines.append(f"- and {more:,} more (the import's page lists them)")
    return "\n".join(lines)


def result(metric_import: MetricImport) -> None:
    """Tell the partner managers how a mailed file's import ended (caller's transaction)."""
    name, _ = _campaign(metric_import)
    file = metric_import.filename
    came = f"{file} came by mail from {metric_import.sender} for {name}."
    status = metric_import.status
    if status == ImportStatus.SUCCEEDED.value:
        title = f"Results by mail imported: {file} for {name}"
        text = (
            f"{came} It was imported: {metric_import.rows_read:,} rows read, "
            f"{metric_import.rows_written:,} days stored ({metric_import.rows_replaced:,} "
            f"replaced, {metric_import.rows_unchanged:,} unchanged), "
            f"{metric_import.rows_skipped:,} total or summary lines skipped."
        )
        if metric_import.message:
            text += f"\n\n{metric_import.message}"
    elif status == ImportStatus.FAILED.value:
        title = f"Results by mail refused: {file} for {name}, nothing stored"
        text = f"{came} {metric_import.message}\n\n{_errors_text(metric_import)}".rstrip()
    else:
        title = f"Results by mail not imported: {file} for {name}"
        text = f"{came} {metric_import.message or 'It was not imported.'}"
    _tell(metric_import, "results_mail_result", title, text)


@handler(REPLY_KIND)
def reply(payload: dict[str, object]) -> dict[str, object] | None:
    """Mail the result once the import has finished (idempotent: this job's "done" commits
    with the notification it adds)."""
    import_id = payload.get("import_id")
    metric_import = db.session.get(MetricImport, import_id if isinstance(import_id, int) else 0)
    if metric_import is None:
        return {"sent": False, "why": "no such import"}
    if metric_import.status in (ImportStatus.QUEUED.value, ImportStatus.RUNNING.value):
        if utcnow() - metric_import.created_at > GIVE_UP_AFTER:
            raise runner.GiveUp("the import did not finish within a day")
        raise runner.Retry(CHECK_AGAIN, "the import has not finished yet")
    if metric_import.status in (ImportStatus.PREVIEW.value, ImportStatus.DISCARDED.value):
        return {"sent": False, "why": metric_import.status}
    result(metric_import)
    return {"sent": True, "status": metric_import.status}

"""The "Background jobs" page (company admins): their company's jobs, queued, running, failed
with the error, done; retry a failed one."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing.accounts.forms import ConfirmForm
from comarketing.errors import DomainError
from comarketing.jobs import admin as job_admin
from comarketing.web import abort_for, current_actor

# A blueprint of its own: the ops one (readiness, metrics) is exempt from CSRF, this is not.
bp = Blueprint("jobs_admin", __name__)
STATUSES = [str(s) for s in job_admin.SHOWN]


@bp.route("/settings/jobs")
@login_required
def background_jobs() -> ResponseReturnValue:
    status = request.args.get("status")
    status = status if status in STATUSES else None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    try:
        listing = job_admin.company_jobs(
            current_actor(), status=status, page=page, per_page=current_app.config["PER_PAGE"]
        )
    except DomainError as exc:
        abort_for(exc)
    return render_template(
        "ops/jobs.html",
        listing=listing,
        status=status,
        statuses=STATUSES,
        page=page,
        labels=job_admin.KIND_LABELS,
        retry_form=ConfirmForm(),
    )


@bp.route("/settings/jobs/<int:job_id>/retry", methods=["POST"])
@login_required
def retry_job(job_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        job_admin.retry(current_actor(), job_id)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
        return redirect(url_for("jobs_admin.background_jobs", status="failed"))
    flash(f"Job #{job_id} is queued again.", "success")
    return redirect(url_for("jobs_admin.background_jobs", status="failed"))

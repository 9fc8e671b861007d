"""Pages: a placement's results (with the entry grid), file upload with preview, import history."""

from __future__ import annotations

import csv
import io
import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectChoice

from comarketing import submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.errors import DomainError
from comarketing.metrics import (
    choices,
    columns,
    exports,
    history,
    jobs,
    placements,
    results,
    uploads,
)
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.dates import DATE_ORDERS
from comarketing.metrics.forms import (
    ConfirmImportForm,
    RememberNameForm,
    SettingsForm,
    UploadForm,
)
from comarketing.metrics.models import ImportStatus
from comarketing.policy import Action, can
from comarketing.spreadsheets import safe_cell
from comarketing.web import abort_for, current_actor

bp = Blueprint("metrics", __name__)


def csv_response(rows: list[list[str]], header: list[str], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _too_large_page() -> ResponseReturnValue:
    """A results file over the limit: a page that names the limit (not the generic 413)."""
    limit = uploads.size_label(int(current_app.config["METRICS_UPLOAD_MAX_BYTES"]))
    message = (
        f"That file is larger than allowed: a results file may be at most {limit}. "
        "Export fewer days or columns (or split the file) and upload again."
    )
    return render_template("errors/error.html", status=413, title="Too large", message=message), 413


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    # Werkzeug refuses a body over the upload limit before the view runs (CSRF reads the form).
    if request.endpoint == "metrics.imports":
        return _too_large_page()
    return render_template(
        "errors/error.html",
        status=413,
        title="Too large",
        message="That upload or form is larger than allowed.",
    ), 413


@bp.route("/metrics/imports", methods=["GET", "POST"])
@login_required
def imports() -> ResponseReturnValue:
    actor = current_actor()
    form = UploadForm()
    may_write = can(actor.user, Action.WRITE_METRICS)
    form.campaign_id.choices = [
        SelectChoice(str(c.id), f"{c.name} ({c.start_date} to {c.end_date})")
        for c in (placements.upload_campaigns(actor) if may_write else [])
    ]
    if request.method == "GET" and request.args.get("campaign_id", "").isdigit():
        form.campaign_id.data = request.args["campaign_id"][:12]
    if request.method == "POST":
        if not may_write:
            abort(403)
        if (first := submissions.earlier(form, actor.user_id)) is not None:
            return first
        chosen = _chosen_campaign(form) if form.validate_on_submit() else None
        if chosen is not None:
            upload = form.file.data
            try:
                # The upload's own page is known once it is stored (set below).
                submissions.record(form, actor.user_id, url_for("metrics.imports"))
                metric_import = uploads.upload(
                    actor, upload.stream, upload.filename, campaign_id=chosen
                )
            except submissions.AlreadySubmitted as exc:
                return submissions.replay(exc.result_url)
            except DomainError as exc:
                if exc.status_code == 413:
                    return _too_large_page()
                if exc.status_code in (403, 404):
                    abort_for(exc)
                wrong = form.campaign_id if exc.field == "campaign_id" else form.file
                wrong.errors = [exc.message]
            else:
                result = url_for("metrics.show_import", import_id=metric_import.id)
                submissions.set_result(form, actor.user_id, result)
                return redirect(result)
    status = 422 if form.errors else 200
    return render_template(
        "metrics/imports.html",
        form=form,
        may_write=may_write,
        history=history.history(actor),
        action_form=ConfirmForm(),
    ), status


def _chosen_campaign(form: UploadForm) -> int | None:
    """The campaign id typed in the form (any id: the service answers 404 for one that is not
    the company's); None, with the field's message, when it is no id at all."""
    value = form.campaign_id.data or ""
    if value.isdigit() and len(value) <= 12:
        return int(value)
    form.campaign_id.errors = ["Choose one of the campaigns listed."]
    return None


def _settings_form(preview: metric_imports.Preview) -> SettingsForm:
    settings = preview.metric_import.settings
    form = SettingsForm(
        date_order=settings.get("date_order", "iso") or "",
        decimal=settings.get("decimal", "."),
        placement_id=str(settings.get("placement_id") or ""),
    )
    form.placement_id.choices = [SelectChoice("", "From the placement column")] + [
        SelectChoice(str(info.id), f"{info.name} (#{info.id})")
        for info in preview.placements.values()
    ]
    return form


def _remember_form(preview: metric_imports.Preview) -> RememberNameForm:
    form = RememberNameForm()
    form.placement_id.choices = [
        SelectChoice(str(info.id), f"{info.name} (#{info.id})")
        for info in preview.placements.values()
    ]
    return form


@bp.route("/metrics/imports/<int:import_id>")
@login_required
def show_import(import_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        metric_import = history.get_import(actor, import_id)
        if metric_import.status == ImportStatus.PREVIEW.value:
            preview = metric_imports.preview(actor, import_id)
            return render_template(
                "metrics/preview.html",
                preview=preview,
                settings_form=_settings_form(preview),
                # Ticked when "post costs" was set on the upload (the API remembers it).
                confirm_form=ConfirmImportForm(
                    post_costs=bool(preview.metric_import.settings.get("post_costs"))
                ),
                action_form=ConfirmForm(),
                fields=columns.FIELD_LABELS,
                date_orders=DATE_ORDERS,
                result_answers=results.ANSWERS,
                blockers=preview.blockers(post_costs=False),
                may_write=can(actor.user, Action.WRITE_METRICS),
                name_form=_remember_form(preview),
            )
    except DomainError as exc:
        abort_for(exc)
    return render_template(
        "metrics/import.html",
        metric_import=metric_import,
        progress=jobs.get_progress(import_id),
    )


@bp.route("/metrics/imports/<int:import_id>/progress")
@login_required
def import_progress(import_id: int) -> ResponseReturnValue:
    try:
        metric_import = history.get_import(current_actor(), import_id)
    except DomainError as exc:
        abort_for(exc)
    progress = jobs.get_progress(import_id) or {}
    return jsonify(
        status=metric_import.status,
        finished=ImportStatus(metric_import.status).finished,
        progress=progress.get("progress", 1.0 if metric_import.finished_at else 0.0),
        rows=progress.get("rows", metric_import.rows_read),
        state=progress.get("state"),
    )


@bp.route("/metrics/imports/<int:import_id>/settings", methods=["POST"])
@login_required
def import_settings(import_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = SettingsForm()
    form.placement_id.choices = []
    if not form.validate_on_submit():
        abort(400)
    headers_count = int(request.form.get("columns", "0") or 0)
    mapping = [request.form.get(f"column-{i}", "") for i in range(min(headers_count, 500))]
    placement = form.placement_id.data or ""
    try:
        metric_imports.change_settings(
            actor,
            import_id,
            mapping=mapping,
            date_order=form.date_order.data or None,
            decimal=form.decimal.data or ".",
            placement_id=int(placement) if placement.isdigit() else None,
        )
    except DomainError as exc:
        if exc.status_code in (403, 404, 409):
            abort_for(exc)
        flash(exc.message, "danger")
    return redirect(url_for("metrics.show_import", import_id=import_id))


@bp.route("/metrics/imports/<int:import_id>/choices", methods=["POST"])
@login_required
def import_choices(import_id: int) -> ResponseReturnValue:
    """The preview's questions: the date order, what unknown result indicators count."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    given = request.form.get("indicators", "")
    count = min(int(given), 200) if re.fullmatch("[0-9]{1,4}", given) else 0
    indicators = {
        request.form.get(f"indicator-{i}", ""): request.form.get(f"meaning-{i}", "")
        for i in range(count)
        if f"meaning-{i}" in request.form
    }
    try:
        choices.choose(
            current_actor(),
            import_id,
            date_order=request.form.get("date_order") or None,
            indicators=indicators,
        )
    except DomainError as exc:
        if exc.status_code in (403, 404, 409):
            abort_for(exc)
        flash(exc.message, "danger")
    return redirect(url_for("metrics.show_import", import_id=import_id))


@bp.route("/metrics/imports/<int:import_id>/confirm", methods=["POST"])
@login_required
def confirm_import(import_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        metric_imports.confirm(
            actor,
            import_id,
            post_costs=bool(form.post_costs.data),
            import_again=bool(form.import_again.data),
        )
    except DomainError as exc:
        if exc.status_code in (403, 404, 409):
            abort_for(exc)
        flash(exc.message, "danger")
        return redirect(url_for("metrics.show_import", import_id=import_id))
    return redirect(url_for("metrics.show_import", import_id=import_id))


@bp.route("/metrics/imports/<int:import_id>/discard", methods=["POST"])
@login_required
def discard_import(import_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        metric_imports.discard(current_actor(), import_id)
    except DomainError as exc:
        abort_for(exc)
    flash("Upload discarded; nothing was imported.", "info")
    return redirect(url_for("metrics.imports"))


@bp.route("/metrics/imports/<int:import_id>/replaced.csv")
@login_required
def replaced_csv(import_id: int) -> ResponseReturnValue:
    try:
        metric_import, rows = exports.replaced_days(current_actor(), import_id)
    except DomainError as exc:
        abort_for(exc)
    return csv_response(
        rows, exports.EXPORT_HEADER, f"import-{metric_import.id}-replaced-values.csv"
    )

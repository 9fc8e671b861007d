"""Pages: a placement's results (with the entry grid), file upload with preview, import history."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required
from wtforms import SelectChoice

from comarketing.accounts.forms import ConfirmForm
from comarketing.errors import DomainError
from comarketing.metrics import columns, entry, exports, history, jobs, placements, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.dates import DATE_ORDERS
from comarketing.metrics.forms import ConfirmImportForm, GridForm, SettingsForm, UploadForm
from comarketing.metrics.models import ImportSource, ImportStatus
from comarketing.money import format_money
from comarketing.policy import Action, can
from comarketing.spreadsheets import safe_cell
from comarketing.web import abort_for, current_actor

bp = Blueprint("metrics", __name__)

GRID_FIELDS = (*columns.COUNT_COLUMNS, *columns.MONEY_COLUMNS)


# ---------------------------------------------------------------------------------------------
# A placement's results


def _month(text: str | None, first: date, last: date) -> date:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        chosen = date(year, month, 1)
    except ValueError:
        chosen = min(max(date.today(), first), last).replace(day=1)
    return min(max(chosen, first.replace(day=1)), last.replace(day=1))


def _month_days(month: date, first: date, last: date) -> list[date]:
    following = (month + timedelta(days=32)).replace(day=1)
    return [
        month + timedelta(days=n)
        for n in range((following - month).days)
        if first <= month + timedelta(days=n) <= last
    ]


def ledger_change(delta_minor: int, currency: str) -> str:
    """ " The budget ledger changed by +€2.00." (nothing when it did not change)."""
    if not delta_minor:
        return ""
    sign = "+" if delta_minor > 0 else "\u2212"
    return f" The budget ledger changed by {sign}{format_money(abs(delta_minor), currency)}."


def _grid_values(days: list[Any], currency: str) -> dict[str, dict[str, str]]:
    values = {}
    for day in days:
        values[day.day.isoformat()] = {
            **{f: exports.figure_text(day, f) for f in columns.COUNT_COLUMNS},
            "revenue": exports.money_text(day.revenue_minor, currency),
            "cost": exports.money_text(day.cost_minor, currency),
        }
    return values


@bp.route("/campaigns/<int:campaign_id>/placements/<int:placement_id>", methods=["GET", "POST"])
@login_required
def placement(campaign_id: int, placement_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        view = placements.get_placement(actor, placement_id)
    except DomainError as exc:
        abort_for(exc)
    if view.campaign.id != campaign_id:
        abort(404)
    first, last = view.placement.start_date, view.placement.end_date
    month = _month(request.values.get("month"), first, last)
    days = _month_days(month, first, last)
    form = GridForm()
    cell_errors: dict[tuple[str, str], str] = {}
    grid_error = None
    stored = placements.placement_days(actor, placement_id, days[0], days[-1]) if days else []
    values = _grid_values(stored, view.campaign.currency)
    if request.method == "POST":
        if not view.can_write:
            abort(403)
        if not form.validate_on_submit():
            abort(400)
        entered = _entered_days(days, values)
        if not entered:
            grid_error = "Enter at least one day's figures."
        else:
            try:
                saved = entry.upsert_days(
                    actor,
                    placement_id,
                    entered,
                    source=ImportSource.FORM,
                    post_costs=bool(form.post_costs.data),
                )
            except entry.RowsInvalid as exc:
                for item in exc.errors:
                    day_key = entered[item["row"]]["day"]
                    cell_errors[(day_key, item["column"])] = f"{item['value']} {item['reason']}"
                grid_error = exc.message
            except DomainError as exc:
                if exc.status_code in (403, 404):
                    abort_for(exc)
                grid_error = exc.message
            else:
                flash(
                    f"Saved {len(entered)} day(s)."
                    + ledger_change(saved.costs_posted_minor, view.campaign.currency),
                    "success",
                )
                return redirect(
                    url_for(
                        "metrics.placement",
                        campaign_id=campaign_id,
                        placement_id=placement_id,
                        month=month.strftime("%Y-%m"),
                    )
                )
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    status = 422 if grid_error else 200
    return render_template(
        "metrics/placement.html",
        view=view,
        totals=placements.placement_totals(placement_id),
        spend_minor=placements.placement_spend(placement_id),
        month=month,
        days=days,
        values=values,
        fields=GRID_FIELDS,
        labels=columns.FIELD_LABELS,
        form=form,
        stored_days={d.day.isoformat() for d in stored},
        cell_errors=cell_errors,
        grid_error=grid_error,
        previous=previous if previous >= first.replace(day=1) else None,
        following=following if following <= last else None,
    ), status


def _entered_days(days: list[date], values: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The grid's typed cells, kept in ``values`` to show again; the days with any figure."""
    entered = []
    for day in days:
        key = day.isoformat()
        cells = {f: request.form.get(f"{key}-{f}", "").strip() for f in GRID_FIELDS}
        values[key] = cells
        if any(cells.values()):
            entered.append({"day": key, **cells})
    return entered


@bp.route(
    "/campaigns/<int:campaign_id>/placements/<int:placement_id>/days/remove", methods=["POST"]
)
@login_required
def remove_days(campaign_id: int, placement_id: int) -> ResponseReturnValue:
    actor = current_actor()
    if not GridForm().validate_on_submit():
        abort(400)
    try:
        days = [date.fromisoformat(value) for value in request.form.getlist("remove")]
    except ValueError:
        abort(400)
    month = (request.form.get("month") or "")[:7]
    try:
        view = placements.get_placement(actor, placement_id)
        if view.campaign.id != campaign_id:
            abort(404)
        removed = entry.delete_days(actor, placement_id, days)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
    else:
        flash(
            f"Removed {removed.rows_replaced} day(s); their figures stay in the import history.",
            "success",
        )
    return redirect(
        url_for(
            "metrics.placement",
            campaign_id=campaign_id,
            placement_id=placement_id,
            month=month or None,
        )
    )


def _csv_response(rows: list[list[str]], header: list[str], filename: str) -> Response:
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


@bp.route("/campaigns/<int:campaign_id>/placements/<int:placement_id>/metrics.csv")
@login_required
def placement_csv(campaign_id: int, placement_id: int) -> ResponseReturnValue:
    try:
        placement, rows = exports.placement_export(current_actor(), placement_id)
    except DomainError as exc:
        abort_for(exc)
    if placement.campaign_id != campaign_id:
        abort(404)
    return _csv_response(rows, exports.EXPORT_HEADER, f"placement-{placement.id}-results.csv")


# ---------------------------------------------------------------------------------------------
# Files


@bp.route("/metrics/imports", methods=["GET", "POST"])
@login_required
def imports() -> ResponseReturnValue:
    actor = current_actor()
    form = UploadForm()
    may_write = can(actor.user, Action.WRITE_METRICS)
    if request.method == "POST":
        if not may_write:
            abort(403)
        if form.validate_on_submit():
            upload = form.file.data
            try:
                metric_import = uploads.upload(actor, upload.stream, upload.filename)
            except DomainError as exc:
                if exc.status_code in (403, 404, 413):
                    abort_for(exc)
                form.file.errors = [exc.message]
            else:
                return redirect(url_for("metrics.show_import", import_id=metric_import.id))
    status = 422 if form.errors else 200
    return render_template(
        "metrics/imports.html",
        form=form,
        may_write=may_write,
        history=history.history(actor),
        action_form=ConfirmForm(),
    ), status


def _settings_form(preview: metric_imports.Preview) -> SettingsForm:
    settings = preview.metric_import.settings
    form = SettingsForm(
        date_order=settings.get("date_order", "iso"),
        decimal=settings.get("decimal", "."),
        placement_id=str(settings.get("placement_id") or ""),
    )
    form.placement_id.choices = [SelectChoice("", "From the placement column")] + [
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
                confirm_form=ConfirmImportForm(),
                action_form=ConfirmForm(),
                fields=columns.FIELD_LABELS,
                date_orders=DATE_ORDERS,
                may_write=can(actor.user, Action.WRITE_METRICS),
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
            date_order=form.date_order.data or "iso",
            decimal=form.decimal.data or ".",
            placement_id=int(placement) if placement.isdigit() else None,
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
        metric_import = metric_imports.confirm(
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
    if metric_import.status == ImportStatus.QUEUED.value:
        jobs.submit(metric_import.id)
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
    return _csv_response(
        rows, exports.EXPORT_HEADER, f"import-{metric_import.id}-replaced-values.csv"
    )

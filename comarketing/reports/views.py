"""The ROI dashboard page, its chart data and its exports (CSV and XLSX of every table)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing import dates_allowed
from comarketing.campaigns import cache
from comarketing.campaigns.models import Channel
from comarketing.errors import DomainError, ValidationFailed
from comarketing.policy import Action, authorize
from comarketing.reports import (
    campaign_service,
    campaign_tables,
    dedup,
    exports,
    page_figures,
    people,
    services,
    tables,
    workbooks,
)
from comarketing.reports.exports import Table
from comarketing.template_helpers import page_zone
from comarketing.timezones import company_today
from comarketing.web import abort_for, current_actor

bp = Blueprint("reports", __name__)


def _date(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed("Use a date like 2026-03-31.", field=name) from exc
    dates_allowed.check_day(day, name)
    return day


def _shown(name: str) -> date | None:
    """A date the form carried unedited (a hidden field): unreadable means none."""
    return dates_allowed.parse_day(request.args.get(name))


def _int(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def _request() -> tuple[services.Period, services.Filters]:
    preset = request.args.get("preset") or None
    if preset not in services.PRESETS:
        preset = None
    start, end = _date("start"), _date("end")
    # The form carries the period it showed: From/To left as shown mean "the preset chosen",
    # From/To edited mean Custom (services.period_for), whether or not the select was switched.
    if preset != "custom" and (start, end) == (_shown("shown_start"), _shown("shown_end")):
        start = end = None
    period = services.period_for(preset, start, end, today=_today())
    channel = request.args.get("channel") or None
    filters = services.Filters(
        partner_id=_int("partner"),
        channel=channel if channel in {c.value for c in Channel} else None,
        campaign_id=_int("campaign"),
    )
    return period, filters


def _today() -> date:
    """Presets count back from the company's today, in its time zone."""
    return company_today(current_actor().user.organization)


def _board() -> tuple[services.Dashboard | None, str | None]:
    try:
        period, filters = _request()
        return services.dashboard(current_actor(), period, filters), None
    except ValidationFailed as exc:
        return None, exc.message


@bp.route("/reports")
@login_required
def dashboard() -> ResponseReturnValue:
    actor = current_actor()

    def link(campaign_id: int) -> str:
        return url_for("reports.campaign_report", campaign_id=campaign_id)

    try:
        authorize(actor.user, Action.VIEW_CAMPAIGNS)  # before anything kept is shown
        try:
            period, filters = _request()
            error = None
        except ValidationFailed as exc:
            period = services.period_for(services.DEFAULT_PRESET, today=_today())
            filters, error = services.Filters(), exc.message
    except DomainError as exc:
        abort_for(exc)
    query = request.query_string.decode("ascii", "ignore")
    # The figures are read only when the page's block is not kept: under the company's data
    # version, the query (its links), the reader's zone, today (the presets' labels) and the
    # period and filters shown.
    figures = cache.Later(lambda: page_figures.dashboard_figures(actor, period, filters, link))
    scope = ("reports.dashboard", query, page_zone().key, _today(), period, filters, error)
    return render_template(
        "reports/dashboard.html",
        figures=figures,
        error=error,
        titles=tables.TABLES,
        display=tables.display,
        note=tables.note,
        presets=services.preset_labels(_today()),
        period_rule=services.PERIOD_RULE,
        people_explained=people.EXPLAINED,
        channels=list(Channel),
        query=query,
        cached=cache.fragments(actor.organization_id, scope),
    ), (422 if error else 200)


def _dedup_table(board: services.Dashboard) -> Table:
    return dedup.table(dedup.dashboard_figures(current_actor(), board))


# The dashboard's tables, and its deduplicated-reach figures, as files.
EXPORTS = {**tables.BUILDERS, "dedup": _dedup_table}


@bp.route("/reports/<any(headline, channel, partner, month, dedup):table>.<any(csv, xlsx):fmt>")
@login_required
def export(table: str, fmt: str) -> ResponseReturnValue:
    try:
        board, error = _board()
        if board is None:
            abort(422, description=error)
        built = EXPORTS[table](board)
    except DomainError as exc:
        abort_for(exc)
    name = exports.file_name(
        "comarketing",
        built.name,
        board.period.start.isoformat(),
        board.period.end.isoformat(),
        extension=fmt,
    )
    if fmt == "csv":
        return _file(exports.to_csv(built), exports.CSV_MIME, name)
    about = workbooks.dashboard_about(board, _company())
    return _file(workbooks.to_xlsx(built, about), exports.XLSX_MIME, name)


@bp.route("/reports/all.xlsx")
@login_required
def export_all() -> ResponseReturnValue:
    """Every table of the dashboard (and deduplicated reach) in one workbook, after "About"."""
    try:
        board, error = _board()
        if board is None:
            abort(422, description=error)
        built = [build(board) for build in EXPORTS.values()]
    except DomainError as exc:
        abort_for(exc)
    titles = [TITLES[key] for key in EXPORTS]
    about = workbooks.dashboard_about(board, _company())
    name = exports.file_name(
        "comarketing",
        "reach-and-roi",
        board.period.start.isoformat(),
        board.period.end.isoformat(),
        extension="xlsx",
    )
    return _file(workbooks.workbook(built, about, titles), exports.XLSX_MIME, name)


TITLES = {**tables.TABLES, "dedup": "Deduplicated reach"}


def _company() -> str:
    return current_actor().user.organization.name


def _file(body: bytes, mime: str, name: str) -> Response:
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# ---------------------------------------------------------------------------------------------
# The campaign report (issue 6): goal pacing, trend, placement rankings, burn-down, settlement,
# and every table as CSV and XLSX. Another company's campaign answers 404 like a missing one.

CAMPAIGN_TABLES = ", ".join(f'"{key}"' for key in campaign_tables.BUILDERS)


@bp.route("/campaigns/<int:campaign_id>/report")
@login_required
def campaign_report(campaign_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        page = page_figures.campaign_page(actor, campaign_id)
        chart_data = page.chart_data
    except DomainError as exc:
        abort_for(exc)
    # The report and its tables are read only by the blocks not in the cache (``page``).
    return render_template(
        "reports/campaign.html",
        campaign=page.campaign,
        page=page,
        titles=campaign_tables.TABLES,
        display=campaign_tables.display,
        note=tables.note,
        chart_data=chart_data,
        cached=cache.fragments(actor.organization_id, (campaign_id, page_zone().key)),
    )


@bp.route(
    f"/campaigns/<int:campaign_id>/report/<any({CAMPAIGN_TABLES}):table>.<any(csv, xlsx):fmt>"
)
@login_required
def campaign_export(campaign_id: int, table: str, fmt: str) -> ResponseReturnValue:
    try:
        report = campaign_service.campaign_report(current_actor(), campaign_id)
    except DomainError as exc:
        abort_for(exc)
    built = campaign_tables.BUILDERS[table](report)
    name = exports.file_name(
        "comarketing",
        f"campaign-{report.campaign.id}",
        report.campaign.name,
        built.name,
        extension=fmt,
    )
    if fmt == "csv":
        return _file(exports.to_csv(built), exports.CSV_MIME, name)
    about = workbooks.campaign_about(report, _company())
    return _file(workbooks.to_xlsx(built, about), exports.XLSX_MIME, name)


@bp.route("/campaigns/<int:campaign_id>/report/all.xlsx")
@login_required
def campaign_export_all(campaign_id: int) -> ResponseReturnValue:
    """Every table of the campaign report in one workbook, after "About"."""
    try:
        report = campaign_service.campaign_report(current_actor(), campaign_id)
    except DomainError as exc:
        abort_for(exc)
    built = [build(report) for build in campaign_tables.BUILDERS.values()]
    titles = list(campaign_tables.TABLES[key] for key in campaign_tables.BUILDERS)
    about = workbooks.campaign_about(report, _company())
    name = exports.file_name(
        "comarketing", f"campaign-{report.campaign.id}", report.campaign.name, extension="xlsx"
    )
    return _file(workbooks.workbook(built, about, titles), exports.XLSX_MIME, name)

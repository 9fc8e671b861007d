"""A placement's results page: the month grid (enter, correct and remove days) and its CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf.csrf import generate_csrf

from comarketing import dates_format, submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.campaigns import cache, clashes, platform_names
from comarketing.context import Actor
from comarketing.errors import DomainError
from comarketing.metrics import (
    columns,
    entry,
    exports,
    placements,
)
from comarketing.metrics.forms import (
    GridForm,
    PlatformNameForm,
)
from comarketing.metrics.models import ImportSource
from comarketing.metrics.views import bp, csv_response
from comarketing.money import format_money
from comarketing.template_helpers import page_zone, request_permissions
from comarketing.timezones import company_today
from comarketing.web import abort_for, current_actor

GRID_FIELDS = (*columns.COUNT_COLUMNS, *columns.MONEY_COLUMNS)

# ---------------------------------------------------------------------------------------------
# A placement's results (the blueprint is metrics.views.bp)


def _month(text: str | None, first: date, last: date, today: date) -> date:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        chosen = date(year, month, 1)
    except ValueError:
        chosen = min(max(today, first), last).replace(day=1)
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
    month = _month(
        request.values.get("month"), first, last, company_today(current_actor().user.organization)
    )
    days = _month_days(month, first, last)
    form = GridForm()
    cell_errors: dict[tuple[str, str], str] = {}
    grid_error = None
    typed: tuple[list[Any], dict[str, dict[str, str]]] | None = None
    if request.method == "POST":
        if not view.can_write:
            abort(403)
        if not form.validate_on_submit():
            abort(400)
        stored = placements.days_of(view, days[0], days[-1]) if days else []
        values = _grid_values(stored, view.campaign.currency)
        typed = stored, values  # shown again with what was typed, should it be refused
        result = url_for(
            "metrics.placement",
            campaign_id=campaign_id,
            placement_id=placement_id,
            month=month.strftime("%Y-%m"),
        )
        if (repeat := submissions.earlier(form, actor.user_id)) is not None:
            return repeat
        entered = _entered_days(days, values)
        if not entered:
            grid_error = "Enter at least one day's figures."
        else:
            try:
                submissions.record(form, actor.user_id, result)
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
            except submissions.AlreadySubmitted as exc:
                return submissions.replay(exc.result_url)
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
                return redirect(result)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    status = 422 if grid_error else 200
    # The page is kept whole: its days, totals, spend, clashes, platform names and audience
    # are read only when it is not (they raise the parties' data version); the forms'
    # one-time tokens are put back as this request's. A refused grid shows what was typed:
    # not kept.
    shown = cache.Later(lambda: _shown(actor, view, days, typed))
    scope = (
        "placement",
        placement_id,
        month,
        view.can_write,
        tuple(sorted(str(action) for action in request_permissions())),  # the audience panel's
        page_zone().key,  # the audience's upload times
        str(dates_format.locale()),
    )
    audience_token = submissions.new_token()
    secrets = [generate_csrf(), str(form.submission_token.data), audience_token]
    return render_template(
        "metrics/placement.html",
        view=view,
        shown=shown,
        cached=cache.fragments(actor.organization_id, scope, secrets=secrets)
        if typed is None
        else cache.unkept,
        audience_token=audience_token,
        month=month,
        days=days,
        fields=GRID_FIELDS,
        labels=columns.FIELD_LABELS,
        form=form,
        cell_errors=cell_errors,
        grid_error=grid_error,
        previous=previous if previous >= first.replace(day=1) else None,
        following=following if following <= last else None,
        platform_names=cache.Later(
            lambda: platform_names.names_of([placement_id]).get(placement_id, [])
        ),
        name_form=PlatformNameForm(),
        action_form=ConfirmForm(),
    ), status


@dataclass(frozen=True)
class _Shown:
    values: dict[str, dict[str, str]]  # day -> field -> the text its cell shows
    stored_days: set[str]
    totals: placements.Totals
    spend_minor: int
    clashes: list[clashes.Clash]


def _shown(
    actor: Actor,
    view: placements.PlacementView,
    days: list[date],
    typed: tuple[list[Any], dict[str, dict[str, str]]] | None,
) -> _Shown:
    if typed is None:
        stored = placements.days_of(view, days[0], days[-1]) if days else []
        typed = stored, _grid_values(stored, view.campaign.currency)
    stored, values = typed
    placement_id = view.placement.id
    return _Shown(
        values=values,
        stored_days={d.day.isoformat() for d in stored},
        totals=placements.placement_totals(placement_id),
        spend_minor=placements.placement_spend(placement_id),
        clashes=clashes.of_placement(actor.organization_id, view.placement),
    )


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


@bp.route("/campaigns/<int:campaign_id>/placements/<int:placement_id>/metrics.csv")
@login_required
def placement_csv(campaign_id: int, placement_id: int) -> ResponseReturnValue:
    try:
        placement, rows = exports.placement_export(current_actor(), placement_id)
    except DomainError as exc:
        abort_for(exc)
    if placement.campaign_id != campaign_id:
        abort(404)
    return csv_response(rows, exports.EXPORT_HEADER, f"placement-{placement.id}-results.csv")


# ---------------------------------------------------------------------------------------------
# Files

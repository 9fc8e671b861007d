"""Campaign list, solo campaigns, status, placements, milestones and the calendar.

The campaign page itself shows the budget, so it is registered by ``budgets/views.py`` (the
right-most package whose data it shows) on this same blueprint.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from wtforms import SelectChoice

from comarketing import dates_allowed, dates_format, submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.campaigns import (
    access,
    cache,
    feeds,
    forms,
    lifecycle,
    listing,
    milestones,
    placements,
    schedule,
)
from comarketing.campaigns.models import CHANNEL_CHOICES, CampaignKind, CampaignStatus
from comarketing.errors import DomainError
from comarketing.links import absolute_url
from comarketing.money import to_decimal_string
from comarketing.policy import Action, can
from comarketing.web import abort_for, attach_error, current_actor

bp = Blueprint("campaigns", __name__)


def _date_arg(name: str) -> date | None:
    return dates_allowed.parse_day(request.args.get(name))


@bp.route("/campaigns")
@login_required
def index() -> ResponseReturnValue:
    actor = current_actor()
    filters = listing.CampaignFilters(
        kind=request.args.get("kind") or None,
        status=request.args.get("status") or None,
        partner_id=request.args.get("partner", type=int),
        starts_after=_date_arg("from"),
        ends_before=_date_arg("to"),
    )
    if not can(current_user, Action.VIEW_CAMPAIGNS):
        abort(403)
    number = request.args.get("page", 1, type=int)
    return render_template(
        "campaigns/index.html",
        # Read only when their blocks are not kept: the campaigns and their partners' names
        # raise the company's data version; the blocks are kept per filters and query string.
        listing=cache.Later(lambda: listing.list_campaigns(actor, filters, page=number)),
        partners=cache.Later(lambda: listing.partner_choices(actor)),
        cached=cache.fragments(
            actor.organization_id,
            ("campaigns", filters, request.query_string, str(dates_format.locale())),
        ),
        filters=filters,
        kinds=[k.value for k in CampaignKind],
        statuses=[s.value for s in CampaignStatus],
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    if not can(current_user, Action.MANAGE_CAMPAIGNS):
        abort(403)
    form = forms.CampaignForm()
    user_id = current_actor().user_id
    if (first := submissions.earlier(form, user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            # The new campaign's page is known once it exists (set below).
            submissions.record(form, user_id, url_for("campaigns.index"))
            campaign = lifecycle.create_solo_campaign(current_actor(), form.to_input())
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash("Solo campaign created. Only your company sees it.", "success")
            result = url_for("campaigns.detail", campaign_id=campaign.id)
            submissions.set_result(form, user_id, result)
            return redirect(result)
    return render_template("campaigns/campaign_form.html", form=form, campaign=None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        campaign = access.get_visible_campaign(actor, campaign_id)
    except DomainError as exc:
        abort_for(exc)
    if not can(actor.user, Action.MANAGE_CAMPAIGNS) or campaign.kind != CampaignKind.SOLO.value:
        abort(403)
    form = forms.CampaignForm(obj=campaign)
    if request.method == "GET":
        form.total_budget.data = to_decimal_string(campaign.total_budget_minor, campaign.currency)
        if campaign.target_revenue_minor is not None:
            form.target_revenue.data = to_decimal_string(
                campaign.target_revenue_minor, campaign.currency
            )
    if form.validate_on_submit():
        try:
            lifecycle.update_campaign(actor, campaign_id, form.to_input())
        except DomainError as exc:
            if exc.status_code in (403, 404):
                abort_for(exc)
            attach_error(form, exc)
        else:
            flash("Campaign saved.", "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign_id))
    return render_template("campaigns/campaign_form.html", form=form, campaign=campaign)


@bp.route("/campaigns/<int:campaign_id>/<any(activate, complete, cancel):step>", methods=["POST"])
@login_required
def change_status(campaign_id: int, step: str) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        campaign = lifecycle.change_status(current_actor(), campaign_id, step)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
    else:
        flash(f"Campaign {campaign.status}.", "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


def _party_options(view: listing.CampaignView, only: int | None = None) -> list[SelectChoice]:
    return [
        SelectChoice(org.id, org.name) for org, _ in view.parties if only is None or org.id == only
    ]


def _placement_page(campaign_id: int, placement_id: int | None) -> ResponseReturnValue:
    actor = current_actor()
    try:
        view = listing.get_campaign(actor, campaign_id)
        placement = (
            placements.get_placement(actor, campaign_id, placement_id) if placement_id else None
        )
    except DomainError as exc:
        abort_for(exc)
    if not can(actor.user, Action.MANAGE_CAMPAIGNS):
        abort(403)
    if placement is not None and placement.owner_organization_id != actor.organization_id:
        abort(403)
    form = forms.PlacementForm(obj=placement)
    # People manage their own company's placements only.
    form.owner_organization_id.choices = _party_options(view, only=actor.organization_id)
    campaign = view.campaign
    if request.method == "GET" and placement is not None:
        form.planned_cost.data = to_decimal_string(placement.planned_cost_minor, campaign.currency)
    result = url_for("campaigns.detail", campaign_id=campaign_id) + "#placements"
    if placement is None and (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            data = form.to_input(campaign.currency)
            if placement is None:
                submissions.record(form, actor.user_id, result)
                saved = placements.add_placement(actor, campaign_id, data)
            else:
                saved = placements.update_placement(actor, campaign_id, placement.id, data)
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                abort_for(exc)
            attach_error(form, exc)
        else:
            flash("Placement saved.", "success")
            if data.flight_reach is not None and saved.flight_reach is None:
                flash(
                    "The flight reach was cleared: it described the placement's old dates. "
                    "Enter the platform's reach for the new flight once it is reported.",
                    "warning",
                )
            return redirect(result)
    return render_template(
        "campaigns/placement_form.html", form=form, view=view, placement=placement
    )


@bp.route("/campaigns/<int:campaign_id>/placements/new", methods=["GET", "POST"])
@login_required
def new_placement(campaign_id: int) -> ResponseReturnValue:
    return _placement_page(campaign_id, None)


@bp.route(
    "/campaigns/<int:campaign_id>/placements/<int:placement_id>/edit", methods=["GET", "POST"]
)
@login_required
def edit_placement(campaign_id: int, placement_id: int) -> ResponseReturnValue:
    return _placement_page(campaign_id, placement_id)


@bp.route("/campaigns/<int:campaign_id>/milestones/<int:milestone_id>/done", methods=["POST"])
@login_required
def complete_milestone(campaign_id: int, milestone_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        milestones.complete_milestone(current_actor(), campaign_id, milestone_id)
    except DomainError as exc:
        abort_for(exc)
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id) + "#milestones")


# ------------------------------------------------------------------------------------------
# Calendar


@bp.route("/calendar")
@login_required
def calendar() -> ResponseReturnValue:
    return _calendar_page(feed_url=None)


def _calendar_page(feed_url: str | None) -> ResponseReturnValue:
    """The month (``?month=YYYY-MM``) or the week (``?week=YYYY-MM-DD``, any day of it) with the
    filters in the query string; an unreadable period falls back to today's, with a message."""
    actor = current_actor()
    today = schedule.reader_today(actor.user)
    errors: dict[str, str] = {}
    week_text = (request.args.get("week") or "").strip()
    month_text = (request.args.get("month") or "").strip()
    if week_text:
        mode = schedule.WEEK
        anchor = dates_allowed.parse_day(week_text)
        if anchor is None:
            errors["week"] = f"Give the week as a day (YYYY-MM-DD). {dates_allowed.OUT_OF_RANGE}"
    else:
        mode = schedule.MONTH
        anchor = dates_allowed.parse_month(month_text) if month_text else today
        if anchor is None:
            errors["month"] = f"Give the month as YYYY-MM. {dates_allowed.OUT_OF_RANGE}"
    view = schedule.build(actor, mode, anchor or today, request.args, today, errors)
    return render_template(
        "campaigns/calendar.html",
        view=view,
        # The clashes and the grid: HTML kept with the calendar they show (its version and
        # arguments), written in the app's date locale.
        cached=cache.fragments(actor.organization_id, ("calendar", str(dates_format.locale()))),
        channel_labels=dict(CHANNEL_CHOICES),
        has_feed=feeds.has_calendar_feed(actor),
        action_form=ConfirmForm(),
        feed_url=feed_url,
    )


@bp.route("/calendar/feed", methods=["POST"])
@login_required
def create_feed() -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = feeds.create_calendar_feed(current_actor())
    # Shown once, on this response only; the page never shows it again.
    return _calendar_page(feed_url=absolute_url("campaigns.feed", token=token))


@bp.route("/calendar/feed/revoke", methods=["POST"])
@login_required
def revoke_feed() -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    feeds.revoke_calendar_feed(current_actor())
    flash("The calendar feed address was revoked.", "success")
    return redirect(url_for("campaigns.calendar"))


@bp.route("/calendar/feed/<token>.ics")
def feed(token: str) -> ResponseReturnValue:
    try:
        body = feeds.calendar_feed(token)
    except DomainError as exc:
        abort_for(exc)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="comarketing.ics"'},
    )

"""The signed-in home page: what needs this user's attention.

Sits to the right of every domain package: it only reads through their services.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from comarketing import dates_format, notification_inbox, notifications
from comarketing.accounts import calendars, company_settings
from comarketing.accounts.forms import ConfirmForm
from comarketing.budgets import claim_responses
from comarketing.campaigns import cache
from comarketing.dashboard.forms import (
    MarkReadForm,
    NotificationFilterForm,
    NotificationPreferencesForm,
)
from comarketing.dashboard.home import home_page
from comarketing.errors import DomainError
from comarketing.health import check_database
from comarketing.offers import approvals as offer_approvals
from comarketing.offers import deadlines as offer_deadlines
from comarketing.offers.forms import ReviewDaysForm
from comarketing.policy import Action, can
from comarketing.template_helpers import page_zone
from comarketing.web import abort_for, attach_error, current_actor, safe_next_url

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def home() -> Response:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return redirect(url_for("accounts.login"))


@bp.route("/dashboard")
@login_required
def index() -> ResponseReturnValue:
    actor = current_actor()
    home = home_page(actor)
    # Every block kept like the report pages' tables, until the company's data changes: the
    # lists per person until the clock changes them too, the campaigns running now and the
    # last quarter per company day; each in the reader's time zone and language.
    quarter, campaigns = home.last_quarter, home.campaigns
    scope = (
        "home",
        actor.user_id,
        actor.user.role,
        cache.instant(home.changes_at),
        quarter.period if quarter else None,
        campaigns.today if campaigns else None,
        page_zone().key,
        str(dates_format.locale()),
    )
    return render_template(
        "dashboard/index.html",
        home=home,
        action_form=ConfirmForm(),
        cached=cache.fragments(actor.organization_id, scope, secrets=[generate_csrf()]),
    )


@bp.route("/healthz")
def health() -> tuple[dict[str, str], int]:
    check_database()  # an unreachable database answers 503 through the error handler
    return {"status": "ok"}, 200


# ------------------------------------------------------------------------------------------
# Notifications and personal / organization settings


@bp.route("/notifications")
@login_required
def notifications_page() -> ResponseReturnValue:
    form = NotificationFilterForm(request.args)
    form.set_choices(notification_inbox.subjects(current_user.id))
    filters, page = notification_inbox.InboxFilter(), 1
    if form.validate():
        filters = notification_inbox.InboxFilter(
            kind=form.kind.data or None,
            unread_only=bool(form.unread.data),
            subject=notification_inbox.Subject.parse(form.subject.data)
            if form.subject.data
            else None,
        )
        page = form.page.data or 1
    args = {k: v for k, v in request.args.items() if k in ("kind", "subject", "unread") and v}
    return render_template(
        "dashboard/notifications.html",
        inbox=notification_inbox.inbox(current_user.id, filters, page),
        filter_form=form,
        args=args,
        action_form=ConfirmForm(),
        read_form=MarkReadForm(),
    )


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_notification(notification_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        item = notifications.mark_read(current_user.id, notification_id)
    except DomainError as exc:
        abort_for(exc)
    return redirect(safe_next_url(item.link, "dashboard.notifications_page"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all_notifications() -> ResponseReturnValue:
    """Everything, or one group when the form names a kind and/or a subject."""
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        subject = notification_inbox.Subject.parse(form.subject.data) if form.subject.data else None
        notification_inbox.mark_all_read(
            current_user.id, kind=form.kind.data or None, subject=subject
        )
    except DomainError as exc:
        abort_for(exc)
    return redirect(url_for("dashboard.notifications_page"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def mail_preferences() -> ResponseReturnValue:
    form = NotificationPreferencesForm()
    form.set_choices(current_user.role)
    if form.validate_on_submit():
        try:
            notifications.set_preferences(current_user.id, current_user.role, form.choices())
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash("Notification preferences saved.", "success")
            return redirect(url_for("dashboard.mail_preferences"))
    if request.method == "GET":
        for kind, channel in notifications.preferences(current_user.id, current_user.role).items():
            form[kind].data = channel.value
    return render_template("dashboard/mail_preferences.html", form=form)


@bp.route("/settings/organization", methods=["GET", "POST"])
@login_required
def organization_settings() -> ResponseReturnValue:
    if not can(current_user, Action.MANAGE_ORGANIZATION):
        abort(403)
    form = ReviewDaysForm()
    if form.validate_on_submit():
        try:
            # First: a zone or country refused leaves every other setting as it was.
            if form.time_zone.data is not None:
                calendars.set_company_calendar(
                    current_actor(),
                    time_zone=form.time_zone.data,
                    country=form.country.data or "",
                )
            offer_deadlines.set_review_days(current_actor(), int(form.review_days.data or 0))
            offer_approvals.set_four_eyes(current_actor(), bool(form.four_eyes.data))
            if form.claim_days.data is not None:
                claim_responses.set_confirmation_days(current_actor(), int(form.claim_days.data))
            if form.audience_minimum.data is not None:
                company_settings.set_audience_minimum(
                    current_actor(), int(form.audience_minimum.data)
                )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash("Saved.", "success")
            return redirect(url_for("dashboard.organization_settings"))
    if request.method == "GET":
        form.review_days.data = current_user.organization.review_business_days
        form.four_eyes.data = current_user.organization.four_eyes
        form.claim_days.data = current_user.organization.claim_confirmation_business_days
        form.audience_minimum.data = current_user.organization.audience_minimum
        form.time_zone.data = current_user.organization.time_zone
        form.country.data = current_user.organization.country
    return render_template("dashboard/organization_settings.html", form=form)

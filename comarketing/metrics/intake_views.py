"""The "Results by mail" page of a campaign: the company's intake address, its allowed senders
and how to have an ad platform mail its reports there (:mod:`comarketing.metrics.intake`)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing.accounts.forms import ConfirmForm
from comarketing.errors import DomainError
from comarketing.metrics import intake
from comarketing.metrics.forms import IntakeSendersForm
from comarketing.metrics.views import bp
from comarketing.web import abort_for, current_actor


def _page(campaign_id: int, form: IntakeSendersForm | None = None) -> ResponseReturnValue:
    try:
        shown = intake.page(current_actor(), campaign_id)
    except DomainError as exc:
        abort_for(exc)
    if form is None:
        form = IntakeSendersForm(senders="\n".join(shown.senders))
    status = 422 if form.errors else 200
    return render_template(
        "metrics/intake.html", page=shown, form=form, action_form=ConfirmForm()
    ), status


@bp.route("/metrics/campaigns/<int:campaign_id>/by-mail")
@login_required
def intake_page(campaign_id: int) -> ResponseReturnValue:
    return _page(campaign_id)


@bp.route("/metrics/campaigns/<int:campaign_id>/by-mail/address", methods=["POST"])
@login_required
def intake_address(campaign_id: int) -> ResponseReturnValue:
    """Create the address, or replace it with a new one (the old one stops at once)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        intake.new_address(current_actor(), campaign_id)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
    else:
        flash("The intake address is ready; any earlier address of yours no longer works.", "info")
    return redirect(url_for("metrics.intake_page", campaign_id=campaign_id))


@bp.route("/metrics/campaigns/<int:campaign_id>/by-mail/senders", methods=["POST"])
@login_required
def intake_senders(campaign_id: int) -> ResponseReturnValue:
    form = IntakeSendersForm()
    if form.validate_on_submit():
        try:
            intake.set_senders(current_actor(), campaign_id, form.senders.data or "")
        except DomainError as exc:
            if exc.status_code in (403, 404):
                abort_for(exc)
            form.senders.errors = [exc.message]
        else:
            flash("Allowed senders saved.", "info")
            return redirect(url_for("metrics.intake_page", campaign_id=campaign_id))
    return _page(campaign_id, form)

"""Pages: a placement's audience upload, the organization's existing-audience lists and the
upload history, and a campaign's target universe.

The placement, campaign and dashboard pages show these through small includes; their figures
come from the template helpers registered here (``audience_panel``, ``campaign_audience``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing import submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.audiences import figures, services
from comarketing.audiences.forms import AudienceUploadForm, NewListForm, UniverseForm
from comarketing.errors import DomainError
from comarketing.metrics import placements
from comarketing.policy import Action, can
from comarketing.web import abort_for, current_actor

bp = Blueprint("audiences", __name__)


def _refusal(form: Any, exc: DomainError) -> None:
    if exc.status_code in (403, 404):
        abort_for(exc)
    if isinstance(exc, services.AudienceRejected):
        rows = ", ".join(f"row {e['row']}: {e['reason']}" for e in exc.errors[:10])
        form.file.errors = [f"{exc.message} {rows}".strip()]
        return
    target = getattr(form, exc.field or "", None) or form.file
    target.errors = [exc.message]


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    def audience_panel(view: placements.PlacementView, token: str) -> dict[str, Any]:
        # The placement page's view: the placement was read (and its access checked) there;
        # the upload form's one-time token too (the page may be kept: it puts it back).
        return {
            "audience": services.audience_of(current_actor(), view),
            "audience_form": AudienceUploadForm(prefix="audience", submission_token=token),
        }

    def campaign_audience(campaign_id: int) -> dict[str, Any]:
        actor = current_actor()
        reach = figures.campaign_reach(actor, campaign_id)
        return {
            "reach": reach,
            "universe_form": UniverseForm(universe=reach.universe),
            "can_set_universe": can(actor.user, Action.MANAGE_CAMPAIGNS),
        }

    return {"audience_panel": audience_panel, "campaign_audience": campaign_audience}


@bp.route("/placements/<int:placement_id>/audience", methods=["POST"])
@login_required
def placement_upload(placement_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = AudienceUploadForm(prefix="audience")
    try:
        view = placements.get_placement(actor, placement_id)
    except DomainError as exc:
        abort_for(exc)
    back = url_for("metrics.placement", campaign_id=view.campaign.id, placement_id=placement_id)
    if not view.can_write:
        abort(403)
    if (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "danger")
        return redirect(back + "#audience")
    upload = form.file.data
    try:
        submissions.record(form, actor.user_id, back + "#audience")
        row = services.upload_for_placement(
            actor, placement_id, upload.stream, upload.filename, form.options()
        )
    except submissions.AlreadySubmitted as exc:
        return submissions.replay(exc.result_url)
    except DomainError as exc:
        submissions.forget(form, actor.user_id)
        _refusal(form, exc)
        flash(" ".join(form.file.errors or form.column.errors or [exc.message]), "danger")
        return redirect(back + "#audience")
    flash(f"Audience stored: {row.message}, about {row.distinct_estimate:,} people.", "success")
    return redirect(back + "#audience")


@bp.route("/audiences", methods=["GET", "POST"])
@login_required
def lists() -> ResponseReturnValue:
    actor = current_actor()
    form = NewListForm(prefix="new")
    may_write = services.may_upload(actor)
    if request.method == "POST":
        if not may_write:
            abort(403)
        if (first := submissions.earlier(form, actor.user_id)) is not None:
            return first
        if form.validate_on_submit():
            upload = form.file.data
            try:
                submissions.record(form, actor.user_id, url_for("audiences.lists"))
                row = services.create_list(
                    actor, form.name.data or "", upload.stream, upload.filename, form.options()
                )
            except submissions.AlreadySubmitted as exc:
                return submissions.replay(exc.result_url)
            except DomainError as exc:
                submissions.forget(form, actor.user_id)
                if exc.field == "name":
                    form.name.errors = [exc.message]
                else:
                    _refusal(form, exc)
            else:
                flash(f"List created: {row.message}.", "success")
                return redirect(url_for("audiences.lists"))
    try:
        rows = services.list_lists(actor)
        history = services.history(actor)
    except DomainError as exc:
        abort_for(exc)
    return render_template(
        "audiences/lists.html",
        form=form,
        rows=rows,
        history=history,
        may_write=may_write,
        replace_form=AudienceUploadForm(prefix="replace"),
        action_form=ConfirmForm(),
    ), (422 if form.errors else 200)


@bp.route("/audiences/<int:list_id>/replace", methods=["POST"])
@login_required
def replace_list(list_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = AudienceUploadForm(prefix="replace")
    try:
        services.get_list(actor, list_id)
    except DomainError as exc:
        abort_for(exc)
    if (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if not form.validate_on_submit():
        flash("Choose a file.", "danger")
        return redirect(url_for("audiences.lists"))
    upload = form.file.data
    try:
        submissions.record(form, actor.user_id, url_for("audiences.lists"))
        row = services.replace_list(actor, list_id, upload.stream, upload.filename, form.options())
    except submissions.AlreadySubmitted as exc:
        return submissions.replay(exc.result_url)
    except DomainError as exc:
        submissions.forget(form, actor.user_id)
        _refusal(form, exc)
        flash(" ".join(form.file.errors or form.column.errors or [exc.message]), "danger")
    else:
        flash(f"List replaced: {row.message}.", "success")
    return redirect(url_for("audiences.lists"))


@bp.route("/audiences/<int:list_id>/delete", methods=["POST"])
@login_required
def delete_list(list_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_list(current_actor(), list_id)
    except DomainError as exc:
        abort_for(exc)
    flash("List deleted.", "info")
    return redirect(url_for("audiences.lists"))


@bp.route("/campaigns/<int:campaign_id>/universe", methods=["POST"])
@login_required
def set_universe(campaign_id: int) -> ResponseReturnValue:
    form = UniverseForm()
    if not form.validate_on_submit():
        flash("Give a whole number of people (or leave it empty).", "danger")
    else:
        try:
            services.set_target_universe(current_actor(), campaign_id, form.universe.data)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                abort_for(exc)
            flash(exc.message, "danger")
        else:
            flash("Target universe saved.", "success")
    return redirect(url_for("reports.campaign_report", campaign_id=campaign_id) + "#reach")

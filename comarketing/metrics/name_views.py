"""Pages that remember platform names for placements: from an upload's preview (a name the
file uses) and on the placement page (add and remove)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing.accounts.forms import ConfirmForm
from comarketing.campaigns import platform_names
from comarketing.errors import DomainError
from comarketing.metrics import names
from comarketing.metrics.forms import PlatformNameForm, RememberNameForm
from comarketing.metrics.views import bp
from comarketing.web import abort_for, current_actor


def _refused(exc: DomainError) -> None:
    """403/404/409 are pages; a refused name is a message above the form."""
    if exc.status_code in (403, 404, 409):
        abort_for(exc)
    flash(exc.message, "danger")


@bp.route("/metrics/imports/<int:import_id>/names", methods=["POST"])
@login_required
def remember_name(import_id: int) -> ResponseReturnValue:
    form = RememberNameForm()
    form.placement_id.choices = []
    if not form.validate_on_submit():
        abort(400)
    chosen = form.placement_id.data or ""
    try:
        saved = names.remember_from_preview(
            current_actor(),
            import_id,
            name=form.name.data or "",
            placement_id=int(chosen) if chosen.isdigit() and len(chosen) < 12 else None,
            platform=form.platform.data or "",
        )
    except DomainError as exc:
        _refused(exc)
    else:
        flash(f"“{saved.name}” now finds this placement; the preview was checked again.", "success")
    return redirect(url_for("metrics.show_import", import_id=import_id, _anchor="names"))


def _back(campaign_id: int, placement_id: int) -> ResponseReturnValue:
    return redirect(
        url_for(
            "metrics.placement",
            campaign_id=campaign_id,
            placement_id=placement_id,
            _anchor="platform-names",
        )
    )


@bp.route("/campaigns/<int:campaign_id>/placements/<int:placement_id>/names", methods=["POST"])
@login_required
def add_platform_name(campaign_id: int, placement_id: int) -> ResponseReturnValue:
    form = PlatformNameForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        saved = platform_names.add_name(
            current_actor(),
            campaign_id,
            placement_id,
            form.name.data or "",
            form.platform.data or "",
        )
    except DomainError as exc:
        _refused(exc)
    else:
        flash(f"Rows naming “{saved.name}” now find this placement.", "success")
    return _back(campaign_id, placement_id)


@bp.route(
    "/campaigns/<int:campaign_id>/placements/<int:placement_id>/names/<int:name_id>/remove",
    methods=["POST"],
)
@login_required
def remove_platform_name(campaign_id: int, placement_id: int, name_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        platform_names.remove_name(current_actor(), campaign_id, placement_id, name_id)
    except DomainError as exc:
        _refused(exc)
    else:
        flash("Name removed; rows carrying it no longer find this placement.", "info")
    return _back(campaign_id, placement_id)

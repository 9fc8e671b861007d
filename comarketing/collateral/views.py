"""Collateral pages: the library of a campaign, the drafts on an offer, an asset with its
versions and reviews, downloads (POST: each one is counted, and GET never writes), requests and
the reports."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from comarketing import submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.accounts.models import Organization
from comarketing.campaigns import cache
from comarketing.collateral import (
    access,
    assets,
    downloads,
    drafts,
    queries,
    reports,
    requests,
    reviews,
)
from comarketing.collateral.forms import (
    AssetForm,
    DeliverForm,
    FetchForm,
    RequestForm,
    ReviewForm,
    VersionForm,
)
from comarketing.collateral.models import CollateralAsset
from comarketing.dates_format import locale
from comarketing.db import utcnow
from comarketing.errors import DomainError
from comarketing.policy import Action, can
from comarketing.template_helpers import page_zone
from comarketing.web import abort_for, attach_error, current_actor

bp = Blueprint("collateral", __name__)

# A stored file is someone else's content: it may not run script, load anything or be framed.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def thumbnail_url(data: bytes | None) -> str | None:
    if not data:
        return None
    return "data:image/webp;base64," + base64.b64encode(data).decode("ascii")


@bp.app_template_global()
def collateral_thumbnail(data: bytes | None) -> str | None:
    return thumbnail_url(data)


def _version_input(form: AssetForm | VersionForm) -> assets.VersionInput:
    upload = form.file.data
    has_file = upload is not None and bool(getattr(upload, "filename", ""))
    return assets.VersionInput(
        stream=upload.stream if has_file else None,
        filename=upload.filename if has_file else None,
        link=form.link.data or "",
        note=form.note.data or "",
    )


def _refuse_or_attach(form: FlaskForm, exc: DomainError) -> None:
    # 403/404/409 and 413 are answers about the request, not about a field.
    if exc.status_code in (403, 404, 409, 413):
        abort_for(exc)
    attach_error(form, exc, "file")


@bp.route("/collateral")
@login_required
def index() -> ResponseReturnValue:
    actor = current_actor()
    try:
        overview, changes_at = queries.overview_shown(actor, utcnow())
    except DomainError as exc:
        abort_for(exc)
    # Kept as HTML for the company until its data changes or a review falls due, in the
    # reader's zone and language.
    scope = ("collateral", cache.instant(changes_at), page_zone().key, str(locale()))
    return render_template(
        "collateral/index.html",
        shown=overview,
        cached=cache.fragments(actor.organization_id, scope),
    )


def _asset_form(parties: Sequence[Organization]) -> AssetForm:
    form = AssetForm()
    form.parties.choices = [SelectChoice(o.id, o.name) for o in parties]
    if request.method == "GET":
        form.parties.data = [o.id for o in parties]
    return form


def _asset_input(form: AssetForm) -> assets.AssetInput:
    return assets.AssetInput(
        title=form.title.data or "",
        description=form.description.data or "",
        audience=form.audience.data or "",
        party_ids=list(form.parties.data or []),
    )


def _create_on_post(
    form: AssetForm, may_manage: bool, create: Callable[[], CollateralAsset]
) -> ResponseReturnValue | None:
    """A posted new asset (on a campaign or an offer): its page, or None to show the form
    again with the refusal next to its field."""
    if request.method != "POST":
        return None
    if not may_manage:
        abort(403)
    user_id = current_actor().user_id
    if (first := submissions.earlier(form, user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            # The asset's page is known once it exists: until then a repeat goes to the library.
            submissions.record(form, user_id, request.path)
            asset = create()
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            _refuse_or_attach(form, exc)
        else:
            result = url_for("collateral.asset", asset_id=asset.id)
            submissions.set_result(form, user_id, result)
            return redirect(result, 303)
    return None


@bp.route("/campaigns/<int:campaign_id>/collateral", methods=["GET", "POST"])
@login_required
def library(campaign_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        view = queries.library(actor, campaign_id)
    except DomainError as exc:
        abort_for(exc)
    form = _asset_form(view.parties)
    may_manage = can(actor.user, Action.MANAGE_COLLATERAL)
    created = _create_on_post(
        form,
        may_manage,
        lambda: assets.create_asset(actor, campaign_id, _asset_input(form), _version_input(form)),
    )
    if created is not None:
        return created
    return render_template(
        "collateral/library.html",
        view=view,
        form=form,
        request_form=RequestForm(formdata=None),
        action_form=ConfirmForm(),
        deliver_form=DeliverForm(formdata=None),
        fetch_form=FetchForm(formdata=None),
        may_manage=may_manage,
        may_request=can(actor.user, Action.REQUEST_COLLATERAL),
    ), (422 if form.errors or form.form_errors else 200)


@bp.route("/offers/<int:offer_id>/collateral", methods=["GET", "POST"])
@login_required
def offer_drafts(offer_id: int) -> ResponseReturnValue:
    """Materials drafted on an offer: prepared while the terms are negotiated, reviewed once the
    offer is sent, and part of the joint campaign's library once it is approved."""
    actor = current_actor()
    try:
        view = queries.offer_drafts(actor, offer_id)
    except DomainError as exc:
        abort_for(exc)
    form = _asset_form(view.parties)
    may_manage = can(actor.user, Action.MANAGE_COLLATERAL)
    created = _create_on_post(
        form,
        may_manage,
        lambda: drafts.create_offer_asset(
            actor, offer_id, _asset_input(form), _version_input(form)
        ),
    )
    if created is not None:
        return created
    return render_template(
        "collateral/offer_drafts.html",
        view=view,
        form=form,
        fetch_form=FetchForm(formdata=None),
        may_manage=may_manage,
    ), (422 if form.errors or form.form_errors else 200)


@bp.route("/collateral/assets/<int:asset_id>")
@login_required
def asset(asset_id: int) -> ResponseReturnValue:
    return _asset_page(asset_id)


def _asset_page(
    asset_id: int,
    *,
    version_form: VersionForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    actor = current_actor()
    try:
        view = queries.asset_view(actor, asset_id)
    except DomainError as exc:
        abort_for(exc)
    if review_form is None:
        review_form = ReviewForm(formdata=None, version=view.card.asset.current_version_number)
    return render_template(
        "collateral/asset.html",
        view=view,
        version_form=version_form or VersionForm(formdata=None),
        review_form=review_form,
        fetch_form=FetchForm(formdata=None),
    ), status


@bp.route("/collateral/assets/<int:asset_id>/versions", methods=["POST"])
@login_required
def new_version(asset_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = VersionForm()
    result = url_for("collateral.asset", asset_id=asset_id)
    if (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, actor.user_id, result)
            assets.add_version(actor, asset_id, _version_input(form))
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            _refuse_or_attach(form, exc)
        else:
            return redirect(result, 303)
    return _asset_page(asset_id, version_form=form, status=422)


@bp.route("/collateral/assets/<int:asset_id>/review", methods=["POST"])
@login_required
def review(asset_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            reviews.review(
                actor,
                asset_id,
                version_number=form.version.data or 0,
                decision=form.decision.data or "",
                comment=form.comment.data or "",
            )
        except DomainError as exc:
            if exc.status_code in (403, 404, 409):
                abort_for(exc)
            attach_error(form, exc, "comment")
        else:
            return redirect(url_for("collateral.asset", asset_id=asset_id), 303)
    return _asset_page(asset_id, review_form=form, status=422)


def _fetch(asset_id: int, action: str) -> Response:
    form = FetchForm()
    if not form.validate_on_submit():
        abort(400)
    version = form.version.data or ""
    number = int(version) if version.isdigit() and 0 < int(version) < 2**31 else None
    try:
        served = downloads.fetch(current_actor(), asset_id, action=action, version_number=number)
    except DomainError as exc:
        abort_for(exc)
    if served.link:
        return redirect(served.link, 303)  # type: ignore[return-value]
    assert served.path is not None and served.file_type is not None
    response = send_file(
        served.path,
        mimetype=served.file_type.media_type,
        as_attachment=not served.inline,
        download_name=served.download_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/collateral/assets/<int:asset_id>/download", methods=["POST"])
@login_required
def download(asset_id: int) -> ResponseReturnValue:
    return _fetch(asset_id, "download")


@bp.route("/collateral/assets/<int:asset_id>/open", methods=["POST"])
@login_required
def open_asset(asset_id: int) -> ResponseReturnValue:
    """Images and PDF open in the browser; other files download; a link is followed."""
    return _fetch(asset_id, "open")


# ---------------------------------------------------------------------------------------------
# Requests


@bp.route("/campaigns/<int:campaign_id>/collateral/requests", methods=["POST"])
@login_required
def new_request(campaign_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = RequestForm()
    result = url_for("collateral.library", campaign_id=campaign_id) + "#requests"
    if (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, actor.user_id, result)
            requests.create_request(
                actor,
                campaign_id,
                title=form.title.data or "",
                description=form.description.data or "",
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            abort_for(exc)
        return redirect(result, 303)
    try:
        access.visible_campaign(actor, campaign_id)
    except DomainError as exc:
        abort_for(exc)
    abort(422, description="Say what material you need.")


def _request_step(request_id: int, step: str) -> ResponseReturnValue:
    actor = current_actor()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if step == "vote":
            found = requests.vote(actor, request_id)
        else:
            found = requests.take_request(actor, request_id)
    except DomainError as exc:
        abort_for(exc)
    return redirect(url_for("collateral.library", campaign_id=found.campaign_id) + "#requests", 303)


@bp.route("/collateral/requests/<int:request_id>/vote", methods=["POST"])
@login_required
def vote(request_id: int) -> ResponseReturnValue:
    return _request_step(request_id, "vote")


@bp.route("/collateral/requests/<int:request_id>/take", methods=["POST"])
@login_required
def take(request_id: int) -> ResponseReturnValue:
    return _request_step(request_id, "take")


@bp.route("/collateral/requests/<int:request_id>/deliver", methods=["POST"])
@login_required
def deliver(request_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = DeliverForm()
    if (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if not form.validate_on_submit() or not form.asset_id.data:
        abort(422, description="Choose the asset that answers the request.")
    try:
        # The request's campaign is known once it is delivered: until then a repeat is sent
        # to the company's collateral report.
        submissions.record(form, actor.user_id, url_for("collateral.organization_report"))
        found = requests.deliver_request(actor, request_id, form.asset_id.data)
    except submissions.AlreadySubmitted as exc:
        return submissions.replay(exc.result_url)
    except DomainError as exc:
        abort_for(exc)
    result = url_for("collateral.library", campaign_id=found.campaign_id) + "#requests"
    submissions.set_result(form, actor.user_id, result)
    return redirect(result, 303)


# ---------------------------------------------------------------------------------------------
# Reports


@bp.route("/campaigns/<int:campaign_id>/collateral/report")
@login_required
def campaign_report(campaign_id: int) -> ResponseReturnValue:
    try:
        report = reports.campaign_report(current_actor(), campaign_id)
    except DomainError as exc:
        abort_for(exc)
    return render_template("collateral/report.html", report=report, campaign_id=campaign_id)


@bp.route("/collateral/report")
@login_required
def organization_report() -> ResponseReturnValue:
    try:
        report = reports.organization_report(current_actor())
    except DomainError as exc:
        abort_for(exc)
    return render_template("collateral/report.html", report=report, campaign_id=None)

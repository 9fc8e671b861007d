"""Webhook pages (company admins): the endpoints, one endpoint with its delivery log, and the
actions on it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing import submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.db import utcnow
from comarketing.errors import DomainError, ValidationFailed
from comarketing.events import TYPES
from comarketing.web import abort_for, attach_error, current_actor
from comarketing.webhooks import endpoints
from comarketing.webhooks.forms import EndpointForm
from comarketing.webhooks.models import WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/settings/webhooks")


def _render_list(form: EndpointForm, *, secret: str | None = None) -> str:
    try:
        items = endpoints.list_endpoints(current_actor())
    except DomainError as exc:
        abort_for(exc)
    return render_template(
        "webhooks/index.html",
        endpoints=items,
        form=form,
        types=TYPES,
        new_secret=secret,
    )


@bp.route("", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    form = EndpointForm()
    if request.method == "GET":
        form.event_types.data = list(TYPES)
    user_id = current_actor().user_id
    if (first := submissions.earlier(form, user_id)) is not None:
        return first  # a repeated post: the endpoint it made, its secret not shown again
    if form.validate_on_submit():
        try:
            submissions.record(form, user_id, url_for("webhooks.index"))
            endpoint, secret = endpoints.create_endpoint(
                current_actor(),
                url=form.url.data or "",
                description=form.description.data or "",
                event_types=form.event_types.data or [],
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            if not isinstance(exc, ValidationFailed):
                abort_for(exc)
            attach_error(form, exc)
        else:
            submissions.set_result(
                form, user_id, url_for("webhooks.detail", endpoint_id=endpoint.id)
            )
            # Shown on this response only: no page shows the secret again.
            fresh = EndpointForm(formdata=None)
            fresh.event_types.data = list(TYPES)
            return _render_list(fresh, secret=secret)
    return _render_list(form)


def _render_detail(
    endpoint: WebhookEndpoint, form: EndpointForm, *, secret: str | None = None
) -> str:
    actor = current_actor()
    return render_template(
        "webhooks/detail.html",
        endpoint=endpoint,
        form=form,
        action_form=ConfirmForm(),
        events=endpoints.recent_events(actor, endpoint),
        attempts=endpoints.delivery_log(actor, endpoint),
        types=TYPES,
        new_secret=secret,
        now=utcnow(),
        log_days=endpoints.LOG_DAYS,
    )


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@login_required
def detail(endpoint_id: int) -> ResponseReturnValue:
    try:
        endpoint = endpoints.get_endpoint(current_actor(), endpoint_id)
    except DomainError as exc:
        abort_for(exc)
    form = EndpointForm(obj=endpoint if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            endpoints.update_endpoint(
                current_actor(),
                endpoint_id,
                url=form.url.data or "",
                description=form.description.data or "",
                event_types=form.event_types.data or [],
            )
        except DomainError as exc:
            if not isinstance(exc, ValidationFailed):
                abort_for(exc)
            attach_error(form, exc)
        else:
            flash("The endpoint was saved.", "success")
            return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    return _render_detail(endpoint, form)


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@login_required
def rotate(endpoint_id: int) -> ResponseReturnValue:
    _confirmed()
    try:
        endpoint, secret = endpoints.rotate_secret(current_actor(), endpoint_id)
    except DomainError as exc:
        abort_for(exc)
    return _render_detail(endpoint, EndpointForm(obj=endpoint), secret=secret)


@bp.route("/<int:endpoint_id>/enable", methods=["POST"])
@login_required
def enable(endpoint_id: int) -> ResponseReturnValue:
    return _set_enabled(endpoint_id, True)


@bp.route("/<int:endpoint_id>/disable", methods=["POST"])
@login_required
def disable(endpoint_id: int) -> ResponseReturnValue:
    return _set_enabled(endpoint_id, False)


def _set_enabled(endpoint_id: int, enabled: bool) -> ResponseReturnValue:
    _confirmed()
    try:
        endpoints.set_enabled(current_actor(), endpoint_id, enabled=enabled)
    except DomainError as exc:
        abort_for(exc)
    flash("The endpoint is enabled." if enabled else "The endpoint is disabled.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@login_required
def delete(endpoint_id: int) -> ResponseReturnValue:
    _confirmed()
    try:
        endpoints.delete_endpoint(current_actor(), endpoint_id)
    except DomainError as exc:
        abort_for(exc)
    flash("The endpoint was deleted; it receives nothing more.", "success")
    return redirect(url_for("webhooks.index"))


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@login_required
def send_test(endpoint_id: int) -> ResponseReturnValue:
    _confirmed()
    try:
        message_id = endpoints.send_test(current_actor(), endpoint_id)
    except DomainError as exc:
        abort_for(exc)
    flash(f"A test event ({message_id}) was sent; its attempt is in the log below.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/events/<event_id>/redeliver", methods=["POST"])
@login_required
def redeliver(endpoint_id: int, event_id: str) -> ResponseReturnValue:
    _confirmed()
    try:
        event = endpoints.redeliver(current_actor(), endpoint_id, event_id)
    except ValidationFailed as exc:
        flash(exc.message, "danger")
        return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
    except DomainError as exc:
        abort_for(exc)
    flash(f"{event.type} ({event.public_id}) was queued for redelivery.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))

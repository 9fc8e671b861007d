"""The signed-in home page: what needs this user's attention.

Sits to the right of every domain package: it only reads through their services.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from comarketing.accounts.forms import ConfirmForm
from comarketing.health import check_database
from comarketing.partners import services as partners
from comarketing.web import current_actor

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
    return render_template(
        "dashboard/index.html",
        invitations=partners.pending_received(actor),
        action_form=ConfirmForm(),
    )


@bp.route("/healthz")
def health() -> tuple[dict[str, str], int]:
    check_database()  # an unreachable database answers 503 through the error handler
    return {"status": "ok"}, 200

"""Campaign pages (the campaigns issue extends them with placements, ledger and calendar)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing.budgets import services as budgets
from comarketing.campaigns import services
from comarketing.errors import DomainError
from comarketing.web import abort_for, current_actor

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    return render_template(
        "campaigns/index.html", campaigns=services.list_campaigns(current_actor())
    )


@bp.route("/<int:campaign_id>")
@login_required
def detail(campaign_id: int) -> ResponseReturnValue:
    try:
        view = services.get_campaign(current_actor(), campaign_id)
    except DomainError as exc:
        abort_for(exc)
    return render_template(
        "campaigns/detail.html", view=view, balances=budgets.balances(view.campaign.id)
    )

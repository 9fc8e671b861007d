"""Partner directory, partnership invitations and products."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from comarketing import submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.errors import DomainError, NotFound
from comarketing.extensions import limiter
from comarketing.partners import forms, invitations, services
from comarketing.policy import Action, can
from comarketing.web import (
    abort_for,
    attach_error,
    current_actor,
    current_origin,
    form_went_through,
)

bp = Blueprint("partners", __name__)

_JOIN_COMPANY_TOKEN = "join_company_token"  # noqa: S105 (a session key name)


def _company_key() -> str:
    return f"company:{current_user.organization_id if current_user.is_authenticated else 0}"


@bp.route("/partners", methods=["GET", "POST"])
@login_required
# Shared with the API's invitations (api/partners.py): one allowance per company.
@limiter.shared_limit(
    lambda: current_app.config["PARTNER_INVITATION_LIMIT_PER_COMPANY"],
    scope="partner-invitation-company",
    key_func=_company_key,
    methods=["POST"],
    deduct_when=form_went_through,
)
def directory() -> ResponseReturnValue:
    actor = current_actor()
    form = forms.InvitePartnerForm()
    if request.method == "POST":
        if not can(actor.user, Action.INVITE_PARTNER):
            abort(403)
        if (first := submissions.earlier(form, actor.user_id)) is not None:
            return first
        if form.validate_on_submit():
            try:
                submissions.record(form, actor.user_id, url_for("partners.directory"))
                invitations.invite_partner(
                    actor, email=form.email.data or "", message=form.message.data or ""
                )
            except submissions.AlreadySubmitted as exc:
                return submissions.replay(exc.result_url)
            except DomainError as exc:
                if exc.status_code in (403, 404):
                    abort_for(exc)
                attach_error(form, exc)
            else:
                flash(f"Invitation sent to {form.email.data}.", "success")
                return redirect(url_for("partners.directory"))
    listing = services.directory(actor)
    return render_template(
        "partners/directory.html", form=form, listing=listing, action_form=ConfirmForm()
    )


@bp.route(
    "/partners/<int:partnership_id>/<any(accept, decline, cancel, end):step>", methods=["POST"]
)
@login_required
def change(partnership_id: int, step: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        partnership = services.transition(current_actor(), partnership_id, step)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
    else:
        flash(f"Partnership {partnership.status}.", "success")
    return redirect(url_for("partners.directory"))


@bp.route("/partners/join/<token>")
def join_link(token: str) -> Response:
    session[_JOIN_COMPANY_TOKEN] = token
    return redirect(url_for("partners.join"))


@bp.route("/partners/join", methods=["GET", "POST"])
def join() -> ResponseReturnValue:
    token = session.get(_JOIN_COMPANY_TOKEN, "")
    try:
        partnership, inviter, inviter_email = invitations.join_invitation_details(token)
    except NotFound as exc:
        return render_template("accounts/link_invalid.html", message=exc.message), 404
    if current_user.is_authenticated:
        return render_template(
            "accounts/sign_out_first.html",
            message=f"This invitation from {inviter.name} is for creating a new company account.",
        )
    form = forms.JoinCompanyForm()
    if form.validate_on_submit():
        try:
            user = invitations.join_as_new_company(
                token,
                organization_name=form.organization_name.data or "",
                name=form.name.data or "",
                password=form.password.data or "",
                origin=current_origin(),
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            session.clear()
            login_user(user)
            flash(f"Welcome! {inviter.name} is waiting for your answer below.", "success")
            return redirect(url_for("partners.directory"))
    return render_template(
        "partners/join.html",
        form=form,
        partnership=partnership,
        inviter=inviter,
        inviter_email=inviter_email,
    )


# ------------------------------------------------------------------------------------------
# Products


@bp.route("/products")
@login_required
def products() -> ResponseReturnValue:
    show_archived = request.args.get("archived") == "1"
    items = services.list_products(current_actor(), include_archived=show_archived)
    return render_template(
        "partners/products.html",
        products=items,
        show_archived=show_archived,
        action_form=ConfirmForm(),
    )


@bp.route("/products/new", methods=["GET", "POST"])
@login_required
def new_product() -> ResponseReturnValue:
    if not can(current_user, Action.MANAGE_PRODUCTS):
        abort(403)
    form = forms.ProductForm()
    if (first := submissions.earlier(form, current_actor().user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, current_actor().user_id, url_for("partners.products"))
            services.create_product(
                current_actor(),
                name=form.name.data or "",
                category=form.category.data or "",
                description=form.description.data or "",
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash("Product added.", "success")
            return redirect(url_for("partners.products"))
    return render_template("partners/product_form.html", form=form, product=None)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@login_required
def edit_product(product_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        product = services.get_own_product(actor, product_id)
    except DomainError as exc:
        abort_for(exc)
    if not can(actor.user, Action.MANAGE_PRODUCTS):
        abort(403)
    form = forms.ProductForm(obj=product)
    if form.validate_on_submit():
        try:
            services.update_product(
                actor,
                product_id,
                name=form.name.data or "",
                category=form.category.data or "",
                description=form.description.data or "",
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash("Product saved.", "success")
            return redirect(url_for("partners.products"))
    return render_template("partners/product_form.html", form=form, product=product)


@bp.route("/products/<int:product_id>/<any(archive, restore):step>", methods=["POST"])
@login_required
def archive_product(product_id: int, step: str) -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_product_archived(current_actor(), product_id, archived=(step == "archive"))
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
    else:
        flash("Product archived." if step == "archive" else "Product restored.", "success")
    return redirect(url_for("partners.products"))

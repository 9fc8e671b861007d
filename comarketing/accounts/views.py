"""Sign-in, sign-up, passwords and the admin's user management pages."""

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
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from comarketing import submissions
from comarketing.accounts import (
    calendars,
    credentials,
    forms,
    invitations,
    login_limits,
    members,
    self_signup,
    signin,
)
from comarketing.errors import DomainError, InvalidCredentials, NotFound
from comarketing.extensions import limiter
from comarketing.web import (
    abort_for,
    attach_error,
    current_actor,
    current_origin,
    form_went_through,
    safe_next_url,
)

bp = Blueprint("accounts", __name__)

_RESET_TOKEN = "password_reset_token"  # noqa: S105 (a session key name)
_JOIN_TOKEN = "join_token"  # noqa: S105 (a session key name)
_SIGNUP_TOKEN = "signup_token"  # noqa: S105 (a session key name)


def _login_failed(response: Response) -> bool:
    # Only failures count towards the limit: a successful sign-in redirects, and a refusal by
    # the per-account limits (login_limits) is no new guess.
    return request.method == "POST" and response.status_code not in (302, 429)


def _form_email_key() -> str:
    # The address typed, as the services normalise it (case and spaces do not make a new one).
    return "email:" + (request.form.get("email") or "").strip().lower()[:254]


def _sign_up_mailed(response: Response) -> bool:
    # Only a form that went through (and so mailed someone) counts towards its limit.
    return (
        request.method == "POST"
        and response.status_code == 302
        and not current_user.is_authenticated
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_login_failed,
    scope="login-ip",
)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = forms.LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email, address = form.email.data or "", get_remote_address()
        login_limits.check(email, address)
        try:
            user = signin.authenticate(
                email=email, password=form.password.data or "", origin=current_origin()
            )
        except InvalidCredentials as exc:
            login_limits.record_failure(email, address)
            form.form_errors.append(exc.message)
        else:
            session.clear()  # a fresh session at sign-in: nothing carried over from before
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next_url(form.next.data))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    signin.sign_out(current_actor())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGNUP_LIMIT_PER_IP"],
    key_func=get_remote_address,
    methods=["POST"],
    deduct_when=_sign_up_mailed,
    scope="signup-ip",
)
@limiter.limit(
    lambda: current_app.config["SIGNUP_LIMIT_PER_ADDRESS"],
    key_func=_form_email_key,
    methods=["POST"],
    deduct_when=_sign_up_mailed,
    scope="signup-address",
)
def signup() -> ResponseReturnValue:
    if not current_app.config["SIGNUP_ENABLED"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = forms.SignupForm()
    if form.validate_on_submit():
        try:
            self_signup.request_sign_up(
                organization_name=form.organization_name.data or "",
                name=form.name.data or "",
                email=form.email.data or "",
                origin=current_origin(),
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            # The same words whether or not the address has an account: the mail differs.
            flash(f"Check your mail: we sent the next step to {form.email.data}.", "info")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/signup/confirm/<token>")
def signup_confirm_link(token: str) -> Response:
    session[_SIGNUP_TOKEN] = token
    return redirect(url_for("accounts.signup_confirm"))


@bp.route("/signup/confirm", methods=["GET", "POST"])
def signup_confirm() -> ResponseReturnValue:
    token = session.get(_SIGNUP_TOKEN, "")
    try:
        wanted = self_signup.confirmed_request(token)
    except NotFound as exc:
        if not current_app.config["SIGNUP_ENABLED"]:
            abort(404)
        return render_template("accounts/link_invalid.html", message=exc.message), 404
    if current_user.is_authenticated:
        return render_template(
            "accounts/sign_out_first.html",
            message="This link is for creating a new company account.",
        )
    form = forms.FinishSignupForm()
    if form.validate_on_submit():
        try:
            user = self_signup.complete_sign_up(
                token, password=form.password.data or "", origin=current_origin()
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            session.clear()
            login_user(user)
            flash(f"Welcome! {user.organization.name} is set up and you are its admin.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("accounts/signup_confirm.html", form=form, wanted=wanted)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = credentials.change_password(
                current_actor(),
                current_password=form.current_password.data or "",
                new_password=form.new_password.data or "",
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            # Other sessions died with the old token; keep this one by signing in afresh.
            session.clear()
            login_user(user)
            flash("Password changed. Your other sessions were signed out.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/time-zone", methods=["GET", "POST"])
@login_required
def time_zone() -> ResponseReturnValue:
    form = forms.TimeZoneForm()
    form.offer(current_user.organization.time_zone)
    if form.validate_on_submit():
        try:
            calendars.set_own_time_zone(current_actor(), form.time_zone.data or None)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            flash("Saved: times are shown in your chosen zone.", "success")
            return redirect(url_for("accounts.time_zone"))
    if request.method == "GET":
        form.time_zone.data = current_user.time_zone or ""
    return render_template("accounts/time_zone.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMIT"], methods=["POST"], scope="password-reset"
)
def forgot_password() -> ResponseReturnValue:
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        credentials.request_password_reset(form.email.data or "", current_origin())
        flash("If an account exists for that email, a reset link is on its way.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>")
def reset_password_link(token: str) -> Response:
    # Move the secret out of the address bar (and out of history and referrers) at once.
    session[_RESET_TOKEN] = token
    return redirect(url_for("accounts.reset_password"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password() -> ResponseReturnValue:
    token = session.get(_RESET_TOKEN, "")
    try:
        credentials.check_reset_token(token)
    except NotFound as exc:
        return render_template("accounts/link_invalid.html", message=exc.message), 404
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            credentials.reset_password(token, form.password.data or "", current_origin())
        except DomainError as exc:
            attach_error(form, exc)
        else:
            session.clear()
            logout_user()
            flash("Your password was reset. Sign in with the new one.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/join/<token>")
def join_link(token: str) -> Response:
    session[_JOIN_TOKEN] = token
    return redirect(url_for("accounts.join"))


@bp.route("/join", methods=["GET", "POST"])
def join() -> ResponseReturnValue:
    token = session.get(_JOIN_TOKEN, "")
    try:
        invitation = invitations.open_user_invitation(token)
    except NotFound as exc:
        return render_template("accounts/link_invalid.html", message=exc.message), 404
    if current_user.is_authenticated:
        # A GET must not sign anyone out: a link from someone else could otherwise end the
        # session of whoever clicks it.
        return render_template(
            "accounts/sign_out_first.html",
            message=f"This invitation is for creating a new account at "
            f"{invitation.organization.name}.",
        )
    form = forms.JoinForm()
    if form.validate_on_submit():
        try:
            user = invitations.accept_user_invitation(
                token,
                name=form.name.data or "",
                password=form.password.data or "",
                origin=current_origin(),
            )
        except DomainError as exc:
            attach_error(form, exc)
        else:
            session.clear()
            login_user(user)
            flash(f"Welcome to {user.organization.name}!", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("accounts/join.html", form=form, invitation=invitation)


# ------------------------------------------------------------------------------------------
# Admin: users and audit log


@bp.route("/settings/users", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["USER_INVITATION_LIMIT_PER_ADDRESS"],
    key_func=_form_email_key,
    methods=["POST"],
    deduct_when=form_went_through,
    scope="user-invitation-address",
)
def users() -> ResponseReturnValue:
    actor = current_actor()
    form = forms.InviteUserForm()
    if (first := submissions.earlier(form, actor.user_id)) is not None:
        return first
    if form.validate_on_submit():
        try:
            submissions.record(form, actor.user_id, url_for("accounts.users"))
            invitations.invite_user(actor, email=form.email.data or "", role=form.role.data or "")
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                abort_for(exc)
            attach_error(form, exc)
        else:
            flash(f"Invitation sent to {form.email.data}.", "success")
            return redirect(url_for("accounts.users"))
    try:
        people = members.list_users(actor)
        open_invitations = invitations.list_open_invitations(actor)
    except DomainError as exc:
        abort_for(exc)
    return render_template(
        "accounts/users.html",
        form=form,
        people=people,
        invitations=open_invitations,
        role_choices=forms.ROLE_CHOICES,
        action_form=forms.ConfirmForm(),
    )


def _admin_action(action: str, user_id: int) -> Response:
    actor = current_actor()
    try:
        if action == "role":
            form = forms.ChangeRoleForm()
            if not form.validate_on_submit():
                abort(400)
            members.change_role(actor, user_id, form.role.data or "")
            flash("Role changed.", "success")
        else:
            if not forms.ConfirmForm().validate_on_submit():
                abort(400)
            members.set_active(actor, user_id, active=(action == "reactivate"))
            flash("User reactivated." if action == "reactivate" else "User deactivated.", "success")
    except DomainError as exc:
        if exc.status_code in (403, 404):
            abort_for(exc)
        flash(exc.message, "danger")
    return redirect(url_for("accounts.users"))


@bp.route("/settings/users/<int:user_id>/role", methods=["POST"])
@login_required
def change_role(user_id: int) -> Response:
    return _admin_action("role", user_id)


@bp.route("/settings/users/<int:user_id>/deactivate", methods=["POST"])
@login_required
def deactivate(user_id: int) -> Response:
    return _admin_action("deactivate", user_id)


@bp.route("/settings/users/<int:user_id>/reactivate", methods=["POST"])
@login_required
def reactivate(user_id: int) -> Response:
    return _admin_action("reactivate", user_id)


@bp.route("/settings/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(invitation_id: int) -> Response:
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        invitations.revoke_invitation(current_actor(), invitation_id)
    except DomainError as exc:
        abort_for(exc)
    flash("Invitation revoked.", "success")
    return redirect(url_for("accounts.users"))


@bp.route("/settings/audit")
@login_required
def audit_log() -> ResponseReturnValue:
    page = request.args.get("page", 1, type=int) or 1
    page = max(page, 1)
    try:
        lines, has_more = members.audit_log_in_words(
            current_actor(), page=page, per_page=current_app.config["PER_PAGE"]
        )
    except DomainError as exc:
        abort_for(exc)
    return render_template("accounts/audit_log.html", lines=lines, page=page, has_more=has_more)

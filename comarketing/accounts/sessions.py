"""Flask-Login wiring: the session cookie carries a rotating token, not the user id.

The id that Flask-Login keeps in the session and copies into the remember-me cookie is
``<session token>.<issued at, Unix seconds>`` (``User.sign_in_id``), signed with the app's key.
A remember-me cookie is only HMAC-signed and would otherwise be accepted for as long as the
token lives, whatever expiry the browser was told: a copied cookie must stop working after
REMEMBER_COOKIE_DURATION on the server too. Sign-out, a password change and deactivation
rotate the token and end every copy at once.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, current_app
from flask_login import LoginManager

from comarketing import template_helpers
from comarketing.accounts import signin
from comarketing.accounts.models import User

# A cookie stamped a little in the future comes from a clock a little ahead, not from a forger
# (the stamp is signed): allow that much.
CLOCK_SKEW_SECONDS = 300


def configure_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # "basic" marks a session non-fresh when IP/agent change; "strong" would sign people out
    # whenever a mobile network changes their address.
    login_manager.session_protection = "basic"
    login_manager.id_attribute = "sign_in_id"

    @login_manager.user_loader
    def load_user(sign_in_id: str) -> User | None:
        token = live_session_token(sign_in_id, now=time.time())
        found = signin.load_session_user_and_unread(token) if token else None
        if found is None:
            return None
        user, unread = found
        template_helpers.remember_unread(user.id, unread)
        return user


def sign_in_lifetime() -> float:
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    if isinstance(duration, timedelta):
        return duration.total_seconds()
    return float(duration)


def live_session_token(sign_in_id: str, *, now: float) -> str | None:
    """The session token of an id issued less than a sign-in's lifetime ago; None for an
    expired one, or one without a time (issued before the time was carried)."""
    token, _, issued = (sign_in_id or "").rpartition(".")
    if not token or not issued.isdigit():
        return None
    age = now - int(issued)
    if age > sign_in_lifetime() or age < -CLOCK_SKEW_SECONDS:
        return None
    return token

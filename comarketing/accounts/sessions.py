"""Flask-Login wiring: the session cookie carries a rotating token, not the user id."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

from comarketing.accounts import signin
from comarketing.accounts.models import User


def configure_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # "basic" marks a session non-fresh when IP/agent change; "strong" would sign people out
    # whenever a mobile network changes their address.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        return signin.load_session_user(session_token)

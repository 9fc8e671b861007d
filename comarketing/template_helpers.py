"""What every template may use: the user's permissions, labels, dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_login import current_user

from comarketing import notifications
from comarketing.hundredths import NOT_REPORTED, format_count, format_hundredths
from comarketing.money import format_money, format_share
from comarketing.policy import Action, allowed_actions


def format_reported_money(minor: int | None, currency: str) -> str:
    return NOT_REPORTED if minor is None else format_money(minor, currency)


def install(app: Flask) -> None:
    @app.context_processor
    def permissions() -> dict[str, Any]:
        def can_do(action: str) -> bool:
            if not current_user or not current_user.is_authenticated:
                return False
            return Action(action) in allowed_actions(current_user)

        def unread() -> int:
            if not current_user or not current_user.is_authenticated:
                return 0
            return notifications.unread_count(current_user.id)

        return {
            "can": can_do,
            "signup_enabled": app.config["SIGNUP_ENABLED"],
            "unread_notifications": unread,
            "format_money": format_money,
            "format_share": format_share,
            # Daily figures: "not reported" for NULL, never 0 or blank.
            "format_count": format_count,
            "format_hundredths": format_hundredths,
            "format_reported_money": format_reported_money,
        }

    @app.template_filter("datetime")
    def format_datetime(value: datetime | None) -> str:
        return value.strftime("%d %b %Y, %H:%M UTC") if value else ""

    @app.template_filter("date")
    def format_date(value: datetime | None) -> str:
        return value.strftime("%d %b %Y") if value else ""

"""What every template may use: the user's permissions, labels, dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, request
from flask_login import current_user
from jinja2 import Environment

from comarketing import dates_format, notifications
from comarketing.hundredths import NOT_REPORTED, format_count, format_hundredths
from comarketing.money import format_money, format_share
from comarketing.policy import Action, allowed_actions
from comarketing.timezones import UTC_ZONE, reader_zone


def format_reported_money(minor: int | None, currency: str) -> str:
    return NOT_REPORTED if minor is None else format_money(minor, currency)


def page_zone() -> ZoneInfo:
    """The zone the signed-in reader reads times in (UTC for anonymous pages), once a request."""
    if "reader_zone" not in g:
        signed_in = current_user and current_user.is_authenticated
        g.reader_zone = reader_zone(current_user) if signed_in else UTC_ZONE
    zone: ZoneInfo = g.reader_zone
    return zone


def request_permissions() -> frozenset[Action]:
    """What the signed-in user may do, worked out once a request (templates ask per row)."""
    if "permissions" not in g:
        signed_in = current_user and current_user.is_authenticated
        g.permissions = allowed_actions(current_user) if signed_in else frozenset()
    permissions: frozenset[Action] = g.permissions
    return permissions


def remember_unread(user_id: int, count: int) -> None:
    """The session's user's unread count, read with the user (``accounts.sessions``)."""
    g.unread_when_loaded = (user_id, count)


def unread_when_loaded(user_id: int) -> int | None:
    """The unread count read with the session's user this request (None when it was not)."""
    loaded = g.get("unread_when_loaded")
    return loaded[1] if loaded is not None and loaded[0] == user_id else None


def install(app: Flask) -> None:
    @app.context_processor
    def permissions() -> dict[str, Any]:
        def can_do(action: str) -> bool:
            return Action(action) in request_permissions()

        def unread() -> int:
            if not current_user or not current_user.is_authenticated:
                return 0
            # Read with the user when the request began; a request that may have written
            # (not GET) counts again.
            if request.method in ("GET", "HEAD"):
                loaded = unread_when_loaded(current_user.id)
                if loaded is not None:
                    return loaded
            return notifications.unread_count(current_user.id)

        return {
            # The signed-in user itself, not flask-login's proxy: a page reads it hundreds of
            # times, and each read through the proxy looks the user up again.
            "current_user": current_user._get_current_object(),
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

    # The one date format (comarketing/dates_format.py), times in the reader's zone.
    @app.template_filter("datetime")
    def format_datetime(value: datetime | None) -> str:
        return dates_format.format_datetime(value, page_zone())

    @app.template_filter("date")
    def format_date(value: date | datetime | None) -> str:
        return dates_format.format_date(value, page_zone())

    @app.template_filter("deadline")
    def format_deadline(value: datetime | None) -> str:
        return dates_format.format_deadline(value, page_zone())

    @app.template_filter("month")
    def format_month(value: date | None) -> str:
        return dates_format.format_month(value) if value else ""

    @app.template_filter("day")
    def format_day(value: date | None) -> str:
        return dates_format.format_short_day(value) if value else ""


def precompile(env: Environment) -> None:
    """Compile every template once, when the app starts (production): each worker would
    otherwise compile a page's templates at its first request of that page (the campaign
    page's take ≈ 75 ms, all of them ≈ 1 s), in front of the requests queued behind it."""
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)

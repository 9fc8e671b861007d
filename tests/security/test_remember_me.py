"""Remember-me cookies expire on the server after their lifetime (SECURITY.md 56).

Flask-Login's remember cookie is only signed: without a time in it, a copy would sign in for as
long as the user's session token lives, whatever expiry the browser was told.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from freezegun import freeze_time

from comarketing.accounts.models import User
from comarketing.accounts.sessions import live_session_token
from comarketing.extensions import db
from tests.factories import TEST_PASSWORD, World

LIFETIME = 14 * 24 * 3600


def remembered_client(app: Flask, email: str) -> tuple[FlaskClient, str]:
    """Sign in with "remember me", then forget the session as a closed browser does: only the
    remember cookie is left."""
    client = app.test_client()
    response = client.post(
        "/login", data={"email": email, "password": TEST_PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    client.delete_cookie("session")
    return client, cookie.value


def token_of(app: Flask, email: str) -> str:
    with app.app_context():
        return str(db.session.scalar(sa.select(User.session_token).where(User.email == email)))


def signed_in(client: FlaskClient) -> bool:
    response = client.get("/dashboard")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def test_a_remember_cookie_signs_in_within_its_lifetime(app: Flask, world: World) -> None:
    assert app.config["REMEMBER_COOKIE_DURATION"] == LIFETIME
    start = datetime.now(UTC)
    with freeze_time(start) as clock:
        client, _ = remembered_client(app, world.a.email("analyst"))
        clock.move_to(start + timedelta(days=13, hours=23))
        assert signed_in(client)


def test_a_remember_cookie_past_its_lifetime_is_refused(app: Flask, world: World) -> None:
    start = datetime.now(UTC)
    with freeze_time(start) as clock:
        _, value = remembered_client(app, world.a.email("analyst"))
        clock.move_to(start + timedelta(seconds=LIFETIME + 60))
        # The browser was told the cookie expires: a copy that ignores it is sent anyway.
        fresh = app.test_client()
        fresh.set_cookie("remember_token", value)
        assert not signed_in(fresh)


def test_an_old_remember_cookie_is_refused_though_its_signature_is_good(
    app: Flask, world: World
) -> None:
    token = token_of(app, world.a.email("analyst"))
    with app.app_context():
        old = encode_cookie(f"{token}.{int(time.time()) - LIFETIME - 60}")
        recent = encode_cookie(f"{token}.{int(time.time()) - 3600}")
        # Cookies issued before the issue time was carried: only the token.
        legacy = encode_cookie(token)
    for value, expected in ((old, False), (legacy, False), (recent, True)):
        browser = app.test_client()
        browser.set_cookie("remember_token", value)
        assert signed_in(browser) is expected, value


def test_a_session_restored_from_the_cookie_keeps_the_first_sign_in_time(
    app: Flask, world: World
) -> None:
    """Using the cookie does not extend it: the lifetime counts from the password."""
    start = datetime.now(UTC)
    with freeze_time(start) as clock:
        client, _ = remembered_client(app, world.a.email("analyst"))
        clock.move_to(start + timedelta(days=10))
        assert signed_in(client)  # restores a session from the cookie
        clock.move_to(start + timedelta(seconds=LIFETIME + 60))
        assert not signed_in(client)


def test_the_issue_time_is_checked_both_ways() -> None:
    app = Flask(__name__)
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=1)
    now = 1_800_000_000
    with app.app_context():
        assert live_session_token(f"tok-en_1.{now - 10}", now=now) == "tok-en_1"
        assert live_session_token(f"tok.{now - 86_401}", now=now) is None
        # A stamp far in the future is no clock skew.
        assert live_session_token(f"tok.{now + 3600}", now=now) is None
        for broken in ("", "tok", "tok.", ".123", "tok.12a", "tok.-5"):
            assert live_session_token(broken, now=now) is None, broken


def test_sign_out_still_ends_a_remembered_sign_in_at_once(app: Flask, world: World) -> None:
    email = world.a.email("analyst")
    client, value = remembered_client(app, email)
    assert signed_in(client)
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("remember_token", value)
    assert not signed_in(replay)

"""Personal access tokens: the service, the bearer-only authentication, the CLI and the pages."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from comarketing.accounts.models import User
from comarketing.api import services as api_tokens
from comarketing.api.models import ApiToken
from comarketing.audit import AuditEvent
from comarketing.db import utcnow
from comarketing.errors import Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from tests import factories
from tests.api.conftest import ApiClient, MakeToken, actor_for, error_of

PM, ANALYST, ADMIN = "partner_manager", "analyst", "admin"
TOKEN_SHAPE = re.compile(r"^cmk_[A-Za-z0-9_-]{43}$")


def token_rows(app: Flask) -> list[ApiToken]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))
        db.session.expunge_all()
        return rows


def set_token(app: Flask, token_id: int, **values: Any) -> None:
    with app.app_context():
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(**values))
        db.session.commit()


# ---------------------------------------------------------------------------------------------
# Service


def test_a_new_token_is_returned_once_and_only_its_hash_is_stored(ctx, world):
    actor = actor_for(world.a.email(PM))

    token, plaintext = api_tokens.create_token(actor, name="Nightly export", scope="read", days=90)

    assert TOKEN_SHAPE.match(plaintext)
    row = db.session.get(ApiToken, token.id)
    assert row is not None
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert row.token_prefix == plaintext[:10]
    stored = " ".join(str(value) for value in db.session.execute(sa.select(ApiToken)).one())
    assert plaintext not in stored
    assert (row.user_id, row.name, row.scope) == (actor.user_id, "Nightly export", "read")
    assert row.expires_at - row.created_at == timedelta(days=90)
    (event,) = db.session.scalars(sa.select(AuditEvent))
    assert (event.action, event.target_type, event.target_id) == (
        "api_token.created",
        "api_tokens",
        token.id,
    )
    assert (event.organization_id, event.ip_address) == (world.a.id, "192.0.2.1")
    assert plaintext not in str(event.details)
    assert plaintext[4:] not in str(event.details)


def test_two_tokens_never_share_a_secret(ctx, world):
    actor = actor_for(world.a.email(PM))
    secrets_ = {
        api_tokens.create_token(actor, name=f"t{i}", scope="read", days=1)[1] for i in range(5)
    }
    assert len(secrets_) == 5


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "", "scope": "read", "days": 30}, "name"),
        ({"name": "   ", "scope": "read", "days": 30}, "name"),
        ({"name": "x" * 101, "scope": "read", "days": 30}, "name"),
        ({"name": "ok", "scope": "admin", "days": 30}, "scope"),
        ({"name": "ok", "scope": "", "days": 30}, "scope"),
        ({"name": "ok", "scope": "read", "days": 0}, "expires"),
        ({"name": "ok", "scope": "read", "days": 367}, "expires"),
        ({"name": "ok", "scope": "read", "days": -5}, "expires"),
        ({"name": "ok", "scope": "read"}, "expires"),
        ({"name": "ok", "scope": "read", "days": 30, "expires_on": date(2099, 1, 1)}, "expires"),
    ],
)
def test_invalid_tokens_are_refused_with_the_field(ctx, world, kwargs, field):
    actor = actor_for(world.a.email(PM))
    with pytest.raises(ValidationFailed) as refused:
        api_tokens.create_token(actor, **kwargs)
    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_expiry_bounds_are_one_and_366_days(ctx, world):
    actor = actor_for(world.a.email(PM))
    short, _ = api_tokens.create_token(actor, name="short", scope="read", days=1)
    long, _ = api_tokens.create_token(actor, name="long", scope="write", days=366)
    assert long.expires_at - long.created_at == timedelta(days=366)
    assert short.expires_at - short.created_at == timedelta(days=1)


def test_an_expiry_date_means_through_the_end_of_that_day_utc(ctx, world):
    actor = actor_for(world.a.email(PM))
    day = utcnow().date() + timedelta(days=10)

    token, _ = api_tokens.create_token(actor, name="dated", scope="read", expires_on=day)

    assert token.expires_at == datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    with pytest.raises(ValidationFailed):
        api_tokens.create_token(actor, name="past", scope="read", expires_on=utcnow().date())
    with pytest.raises(ValidationFailed):
        api_tokens.create_token(
            actor, name="far", scope="read", expires_on=utcnow().date() + timedelta(days=367)
        )


def test_a_name_is_unique_among_the_users_active_tokens(ctx, world):
    pm = actor_for(world.a.email(PM))
    first, _ = api_tokens.create_token(pm, name="Sync", scope="read", days=30)

    with pytest.raises(ValidationFailed) as taken:
        api_tokens.create_token(pm, name="  sync ", scope="write", days=30)
    assert taken.value.field == "name"
    # Another user may use the same name; so may this one once the first is revoked.
    api_tokens.create_token(actor_for(world.a.email(ADMIN)), name="Sync", scope="read", days=30)
    api_tokens.revoke_token(pm, first.id)
    api_tokens.create_token(pm, name="Sync", scope="read", days=30)


def test_a_deactivated_user_cannot_get_a_token(ctx, world):
    actor = actor_for(world.a.email(ANALYST))
    actor.user.active = False
    db.session.commit()
    with pytest.raises(Forbidden):
        api_tokens.create_token(actor, name="x", scope="read", days=30)


def test_the_list_holds_only_the_users_own_tokens(ctx, world):
    pm, admin = actor_for(world.a.email(PM)), actor_for(world.a.email(ADMIN))
    api_tokens.create_token(pm, name="mine 1", scope="read", days=30)
    api_tokens.create_token(pm, name="mine 2", scope="write", days=30)
    api_tokens.create_token(admin, name="the admin's", scope="write", days=30)

    assert [t.name for t in api_tokens.list_tokens(pm)] == ["mine 2", "mine 1"]
    assert [t.name for t in api_tokens.list_tokens(admin)] == ["the admin's"]


def test_revoking_works_on_own_tokens_only_and_twice_is_harmless(ctx, world):
    pm = actor_for(world.a.email(PM))
    token, plaintext = api_tokens.create_token(pm, name="x", scope="read", days=30)
    for other in (world.a.email(ADMIN), world.c.email(ADMIN)):
        with pytest.raises(NotFound):
            api_tokens.revoke_token(actor_for(other), token.id)
    with pytest.raises(NotFound):
        api_tokens.revoke_token(pm, 10_000_000)
    assert api_tokens.authenticate(plaintext) is not None

    api_tokens.revoke_token(pm, token.id)
    api_tokens.revoke_token(pm, token.id)

    assert api_tokens.authenticate(plaintext) is None
    actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["api_token.created", "api_token.revoked"]


def test_authenticate_gives_the_user_and_scope_of_a_valid_token_only(ctx, world):
    actor = actor_for(world.a.email(ANALYST))
    token, plaintext = api_tokens.create_token(actor, name="x", scope="write", days=30)

    user, scope = api_tokens.authenticate(plaintext) or (None, None)
    assert (user.id if user else None, scope) == (actor.user_id, "write")

    for wrong in ("", "cmk_", plaintext[:-1], plaintext + "x", plaintext[4:], "x" * 10_000):
        assert api_tokens.authenticate(wrong) is None, wrong
    # The stored hash itself is not a token either.
    assert api_tokens.authenticate(token.token_hash) is None


def test_an_expired_token_is_refused(ctx, world):
    actor = actor_for(world.a.email(PM))
    token, plaintext = api_tokens.create_token(actor, name="x", scope="read", days=1)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api_tokens.authenticate(plaintext) is None


def test_a_deactivated_users_tokens_stop_working(ctx, world):
    actor = actor_for(world.a.email(PM))
    _, plaintext = api_tokens.create_token(actor, name="x", scope="read", days=30)
    user = db.session.get(User, actor.user_id)
    assert user is not None
    user.active = False
    db.session.commit()
    assert api_tokens.authenticate(plaintext) is None
    user.active = True
    db.session.commit()
    assert api_tokens.authenticate(plaintext) is not None


def test_last_used_is_written_at_most_once_a_minute(ctx, world, query_counter):
    actor = actor_for(world.a.email(PM))
    token, plaintext = api_tokens.create_token(actor, name="x", scope="read", days=30)
    assert token.last_used_at is None

    api_tokens.authenticate(plaintext)
    first = db.session.scalar(sa.select(ApiToken.last_used_at))
    assert first is not None
    with query_counter() as statements:
        api_tokens.authenticate(plaintext)
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) == first

    earlier = utcnow() - timedelta(minutes=2)
    db.session.execute(sa.update(ApiToken).values(last_used_at=earlier))
    db.session.commit()
    api_tokens.authenticate(plaintext)
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) > earlier + timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# Bearer only


def test_the_bearer_header_authenticates(app, world, api_as):
    api: ApiClient = api_as(world.a.email(ANALYST))
    response = api.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["user"]["email"] == world.a.email(ANALYST)


def assert_unauthorized(response: Any) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["status"] == 401


def test_no_header_or_a_wrong_scheme_gets_401(client, world, make_token: MakeToken):
    token = make_token(world.a.email(PM))
    assert_unauthorized(client.get("/api/v1/me"))
    for header in (
        f"Basic {token}",
        f"Token {token}",
        token,
        "Bearer",
        "Bearer ",
        f"Bearer {token[:-2]}",
        f"Bearer cmk_{'A' * 43}",
    ):
        assert_unauthorized(client.get("/api/v1/me", headers={"Authorization": header}))
    assert_unauthorized(client.get("/api/v1/me", headers={"X-API-Key": token}))


def test_a_token_in_the_query_string_is_ignored(client, world, make_token: MakeToken):
    token = make_token(world.a.email(PM))
    for name in ("access_token", "token", "api_key", "bearer"):
        assert_unauthorized(client.get(f"/api/v1/me?{name}={token}"))
        assert_unauthorized(client.get(f"/api/v1/campaigns?{name}={token}"))


def test_a_signed_in_session_cookie_does_not_authenticate_the_api(client, world, login_as):
    browser: FlaskClient = login_as(world.a.email(ADMIN))
    assert browser.get("/dashboard").status_code == 200
    for path in ("/api/v1/me", "/api/v1/campaigns"):
        assert_unauthorized(browser.get(path))


def test_revoked_expired_and_deactivated_tokens_get_401_at_once(app, world, api_as):
    revoked, expired, inactive = (api_as(world.a.email(role)) for role in (PM, ADMIN, ANALYST))
    for api in (revoked, expired, inactive):
        assert api.get("/api/v1/me").status_code == 200
    by_token = {t.token_prefix: t for t in token_rows(app)}

    with app.app_context():
        owner = actor_for(world.a.email(PM))
        api_tokens.revoke_token(owner, by_token[revoked.token[:10]].id)
        db.session.remove()
    set_token(app, by_token[expired.token[:10]].id, expires_at=utcnow() - timedelta(seconds=1))
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.email == world.a.email(ANALYST)).values(active=False)
        )
        db.session.commit()

    for api in (revoked, expired, inactive):
        assert_unauthorized(api.get("/api/v1/me"))


def test_a_token_acts_with_its_users_current_role_and_organization(app, world, api_as):
    api = api_as(world.c.email(ANALYST))
    body = api.get("/api/v1/me").get_json()
    assert body["organization"] == {
        "id": world.c.id,
        "name": world.c.name,
        "time_zone": "UTC",
        "country": "",
    }
    assert body["user"]["role"] == "analyst"
    with app.app_context():
        db.session.execute(
            sa.update(User).where(User.email == world.c.email(ANALYST)).values(role="approver")
        )
        db.session.commit()
    assert api.get("/api/v1/me").get_json()["user"]["role"] == "approver"


# ---------------------------------------------------------------------------------------------
# CLI


def test_cli_creates_a_token_and_prints_it_once(app, runner, world):
    result = runner.invoke(
        args=["tokens", "create", world.a.email(PM), "--name", "ETL", "--scope", "write"]
    )

    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip().splitlines()[-1]
    assert TOKEN_SHAPE.match(plaintext)
    (row,) = token_rows(app)
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert (row.name, row.scope) == ("ETL", "write")
    assert row.expires_at - row.created_at == timedelta(days=90)
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.get_json()["token"] == {"scope": "write"}
    with app.app_context():
        (event,) = db.session.scalars(sa.select(AuditEvent))
        assert (event.action, event.actor_email, event.organization_id) == (
            "api_token.created",
            "operator",
            world.a.id,
        )


def test_cli_takes_days_and_refuses_bad_input(app, runner, world):
    email = world.a.email(PM)
    ok = runner.invoke(
        args=["tokens", "create", email, "--name", "R", "--scope", "read", "--days", "7"]
    )
    assert ok.exit_code == 0, ok.output
    (row,) = token_rows(app)
    assert row.expires_at - row.created_at == timedelta(days=7)

    for args in (
        ["nobody@example.com", "--name", "x", "--scope", "read"],
        [world.a.email(PM), "--name", "x", "--scope", "admin"],
        [world.a.email(PM), "--name", "x", "--scope", "read", "--days", "400"],
        [world.a.email(PM), "--name", "R", "--scope", "read"],  # name taken
        [world.a.email(PM), "--scope", "read"],
    ):
        result = runner.invoke(args=["tokens", "create", *args])
        assert result.exit_code != 0, args
        assert "cmk_" not in result.output
    assert len(token_rows(app)) == 1


def test_cli_revokes_a_token_by_id(app, runner, world, make_token: MakeToken):
    plaintext = make_token(world.b.email(PM))
    (row,) = token_rows(app)

    result = runner.invoke(args=["tokens", "revoke", str(row.id)])

    assert result.exit_code == 0, result.output
    assert f"Revoked token {row.id}" in result.output
    assert token_rows(app)[0].revoked_at is not None
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 401
    missing = runner.invoke(args=["tokens", "revoke", "10000000"])
    assert missing.exit_code != 0


# ---------------------------------------------------------------------------------------------
# Pages


def create_on_page(client: FlaskClient, **form: str) -> Any:
    return client.post(
        "/settings/tokens", data={"name": "Laptop", "scope": "read", "expires": "30", **form}
    )


def shown_token(html: str) -> str | None:
    found = re.search(r'value="(cmk_[A-Za-z0-9_-]{43})"', html)
    return found.group(1) if found else None


def test_the_tokens_page_needs_sign_in(client):
    response = client.get("/settings/tokens")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_token_made_on_the_page_is_shown_once(app, world, login_as):
    browser = login_as(world.a.email(ANALYST))
    assert "You have no API tokens yet" in browser.get("/settings/tokens").get_data(as_text=True)

    response = create_on_page(browser, name="Laptop", scope="write", expires="180")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    plaintext = shown_token(html)
    assert plaintext is not None
    assert "not be shown again" in html
    (row,) = token_rows(app)
    assert (row.name, row.scope) == ("Laptop", "write")
    assert row.expires_at - row.created_at == timedelta(days=180)
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    # The response must not be cached anywhere.
    assert response.headers["Cache-Control"] == "no-store"

    later = browser.get("/settings/tokens").get_data(as_text=True)
    assert plaintext not in later
    assert plaintext[4:20] not in later
    assert row.token_prefix in later
    assert "Laptop" in later and "read and write" in later and "never" in later

    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert api.get_json()["user"]["email"] == world.a.email(ANALYST)


def test_the_page_shows_errors_next_to_the_field(app, world, login_as):
    browser = login_as(world.a.email(PM))
    assert create_on_page(browser, name="Laptop").status_code == 200

    again = create_on_page(browser, name="laptop").get_data(as_text=True)
    assert 'data-field-error="name"' in again
    assert "already have an active token" in again
    assert shown_token(again) is None

    for form in ({"name": ""}, {"scope": "root"}, {"expires": "1000"}, {"expires": "7"}):
        html = create_on_page(browser, **form).get_data(as_text=True)
        assert shown_token(html) is None, form
        assert "is-invalid" in html, form
    assert len(token_rows(app)) == 1


def test_each_user_sees_and_revokes_only_their_own_tokens(app, world, make_token, login_as):
    make_token(world.a.email(ADMIN), name="Admin's robot")
    (admins,) = token_rows(app)
    browser = login_as(world.a.email(PM))
    assert create_on_page(browser, name="PM laptop").status_code == 200
    mine = next(t for t in token_rows(app) if t.name == "PM laptop")

    page = browser.get("/settings/tokens").get_data(as_text=True)
    assert "PM laptop" in page and "Admin's robot" not in page

    assert browser.post(f"/settings/tokens/{admins.id}/revoke").status_code == 404
    assert browser.post("/settings/tokens/10000000/revoke").status_code == 404
    response = browser.post(f"/settings/tokens/{mine.id}/revoke")
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/tokens"
    rows = {t.name: t for t in token_rows(app)}
    assert rows["PM laptop"].revoked_at is not None
    assert rows["Admin's robot"].revoked_at is None
    assert "revoked" in browser.get("/settings/tokens").get_data(as_text=True)


def test_revoking_on_the_page_needs_the_csrf_token(make_app, world, login_as):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        api_tokens.create_token(actor_for(world.a.email(PM)), name="x", scope="read", days=30)
        db.session.remove()
    (row,) = token_rows(app)
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert csrf is not None
    signed_in = browser.post(
        "/login",
        data={
            "email": world.a.email(PM),
            "password": factories.TEST_PASSWORD,
            "csrf_token": csrf.group(1),
        },
    )
    assert signed_in.status_code == 302

    assert browser.post(f"/settings/tokens/{row.id}/revoke").status_code == 400
    assert token_rows(app)[0].revoked_at is None
    listing = browser.get("/settings/tokens").get_data(as_text=True)
    token_field = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', listing)
    assert token_field is not None
    done = browser.post(f"/settings/tokens/{row.id}/revoke", data={"csrf_token": token_field[1]})
    assert done.status_code == 302
    assert token_rows(app)[0].revoked_at is not None


def test_the_user_menu_links_to_the_tokens_page(world, login_as):
    browser = login_as(world.b.email(ANALYST))
    assert 'href="/settings/tokens"' in browser.get("/dashboard").get_data(as_text=True)


def test_each_token_has_its_own_request_allowance(
    make_app: Any, world: factories.World, make_token: MakeToken
) -> None:
    app = make_app(API_RATE_LIMIT="3 per minute")
    first = ApiClient(app.test_client(), make_token(world.a.email(PM)))
    other = ApiClient(app.test_client(), make_token(world.a.email(ANALYST)))
    assert [first.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get("/api/v1/me")
    assert refused.status_code == 429
    assert error_of(refused)["message"]
    assert int(refused.headers["Retry-After"]) > 0
    # Another token of the same company, from the same address, is not slowed down.
    assert other.get("/api/v1/me").status_code == 200


def test_guessing_tokens_is_limited_per_address(make_app: Any, world: factories.World) -> None:
    app = make_app(API_AUTH_FAILURE_LIMIT="2 per minute")
    client = app.test_client()
    statuses = [
        client.get("/api/v1/me", headers={"Authorization": f"Bearer cmk_guess{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]

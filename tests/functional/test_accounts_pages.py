"""Accounts pages through the test client: sign-up, colleague management, join, audit log."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from comarketing.accounts.models import Organization, User, UserInvitation
from comarketing.audit import AuditEvent
from comarketing.extensions import db
from comarketing.outbox import OutboxMessage
from tests.factories import TEST_PASSWORD, PartnershipFactory

NEW_PASSWORD = "a long and unusual passphrase"
NON_ADMINS = ["partner_manager", "approver", "analyst"]


def count(app, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def user(app, email: str) -> User:
    with app.app_context():
        found = db.session.scalar(sa.select(User).where(User.email == email))
        assert found is not None, email
        db.session.expunge_all()
        return found


def signed_in(app, email: str):
    """A separate browser: one client per person."""
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# Sign-up

SIGNUP = {
    "organization_name": "Crumb Bakery",
    "name": "Casey Crumb",
    "email": "casey@crumb.example",
    "password": NEW_PASSWORD,
}


def mailed_link(app, recipient: str, pattern: str) -> str:
    with app.app_context():
        body = db.session.scalar(
            sa.select(OutboxMessage.body)
            .where(OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id.desc())
        )
    assert body, f"no mail to {recipient}"
    match = re.search(rf"http://localhost({pattern}\S+)", body)
    assert match, body
    return match.group(1)


def test_sign_up_by_the_mailed_link_lands_on_the_dashboard_as_admin(app, client):
    assert 'name="organization_name"' in page(client.get("/signup"))

    response = client.post("/signup", data=SIGNUP)

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Check your mail: we sent the next step to casey@crumb.example." in page(
        client.get("/login")
    )
    assert count(app, User) == 0  # nothing exists before the link is followed
    link = mailed_link(app, "casey@crumb.example", "/signup/confirm/")
    opened = client.get(link)
    assert opened.headers["Location"] == "/signup/confirm"  # the token leaves the address bar
    form = page(client.get("/signup/confirm"))
    assert "Create Crumb Bakery" in form and "casey@crumb.example" in form

    finished = client.post("/signup/confirm", data={"password": NEW_PASSWORD})

    assert finished.headers["Location"] == "/dashboard"
    dashboard = page(client.get("/dashboard"))
    assert "Hello, Casey Crumb" in dashboard
    assert "Crumb Bakery is set up and you are its admin" in dashboard
    created = user(app, "casey@crumb.example")
    assert created.role == "admin"
    assert created.organization.name == "Crumb Bakery"
    # The link is spent once its address has an account.
    again = app.test_client()
    again.get(link)
    assert again.get("/signup/confirm").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"organization_name": ""}, "organization_name"),
        ({"organization_name": "ALPHA\u00a0flour"}, "organization_name"),  # taken, folded
        ({"organization_name": "Crumb \u202eyrekab"}, "organization_name"),  # bidi override
        ({"name": "   "}, "name"),
        ({"name": "Casey\u200bCrumb"}, "name"),  # zero-width space
        ({"email": "not-an-email"}, "email"),
    ],
    ids=["no-company", "look-alike", "bidi", "blank-name", "zero-width", "bad-email"],
)
def test_sign_up_errors_are_shown_next_to_the_field_and_nothing_is_written(
    app, client, world, changes, field
):
    before = (count(app, Organization), count(app, User), count(app, AuditEvent))

    response = client.post("/signup", data={**SIGNUP, **changes})

    assert response.status_code == 200
    html = page(response)
    assert re.findall(r'data-field-error="([a-z_]+)"', html) == [field]
    assert (count(app, Organization), count(app, User), count(app, AuditEvent)) == before
    assert count(app, OutboxMessage) == 0
    # Still signed out.
    assert client.get("/dashboard").status_code == 302


@pytest.mark.parametrize("password", ["short", "password123"], ids=["short", "common"])
def test_a_weak_password_is_refused_at_the_second_step(app, client, password):
    client.post("/signup", data=SIGNUP)
    client.get(mailed_link(app, "casey@crumb.example", "/signup/confirm/"))
    response = client.post("/signup/confirm", data={"password": password})
    assert response.status_code == 200
    assert re.findall(r'data-field-error="([a-z_]+)"', page(response)) == ["password"]
    assert count(app, User) == 0


def test_signup_page_is_404_when_disabled(make_app):
    client = make_app(SIGNUP_ENABLED=False).test_client()
    assert client.get("/signup").status_code == 404
    assert 'href="/signup"' not in page(client.get("/login"))


# ---------------------------------------------------------------------------------------------
# Colleagues


def test_users_page_lists_only_the_own_organizations_people(app, world):
    html = page(signed_in(app, "admin@a.example").get("/settings/users"))
    for role in ["admin", *NON_ADMINS]:
        assert f"{role}@a.example" in html
    assert "@b.example" not in html
    assert "@c.example" not in html


def test_admin_invites_a_colleague_who_joins_through_the_link(app, world):
    admin = signed_in(app, "admin@a.example")

    response = admin.post("/settings/users", data={"email": "joiner@a.example", "role": "approver"})

    assert response.status_code == 302
    users_page = page(admin.get("/settings/users"))
    assert "Invitation sent to joiner@a.example." in users_page
    assert "joiner@a.example · approver" in users_page
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body))
    token = re.search(r"http://localhost/join/(\S+)", body).group(1)

    newcomer = app.test_client()
    opened = newcomer.get(f"/join/{token}")
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/join"  # the token leaves the address bar at once
    assert "Join Alpha Flour" in page(newcomer.get("/join"))
    joined = newcomer.post("/join", data={"name": "Jo Joiner", "password": NEW_PASSWORD})
    assert joined.status_code == 302
    assert "Welcome to Alpha Flour!" in page(newcomer.get("/dashboard"))
    assert user(app, "joiner@a.example").role == "approver"
    # The link is spent.
    assert app.test_client().get(f"/join/{token}", follow_redirects=True).status_code == 404


def test_inviting_a_colleague_of_ones_own_shows_the_error_on_the_email_field(app, world):
    admin = signed_in(app, "admin@a.example")
    response = admin.post("/settings/users", data={"email": "analyst@a.example", "role": "analyst"})
    assert response.status_code == 200
    assert 'data-field-error="email"' in page(response)
    assert count(app, UserInvitation) == 0
    assert count(app, OutboxMessage) == 0


def test_admin_changes_role_deactivates_and_reactivates_a_colleague(app, world):
    admin = signed_in(app, "admin@a.example")
    colleague = signed_in(app, "analyst@a.example")
    target = world.a.user_ids["analyst"]

    assert (
        admin.post(f"/settings/users/{target}/role", data={"role": "approver"}).status_code == 302
    )
    assert user(app, "analyst@a.example").role == "approver"
    assert "Role changed." in page(admin.get("/settings/users"))

    assert admin.post(f"/settings/users/{target}/deactivate").status_code == 302
    assert user(app, "analyst@a.example").active is False
    assert "deactivated" in page(admin.get("/settings/users"))
    # The colleague's open session ends at once, and signing in again fails.
    assert colleague.get("/dashboard").status_code == 302
    again = app.test_client().post(
        "/login", data={"email": "analyst@a.example", "password": TEST_PASSWORD}
    )
    assert again.status_code == 200

    assert admin.post(f"/settings/users/{target}/reactivate").status_code == 302
    assert user(app, "analyst@a.example").active is True
    assert signed_in(app, "analyst@a.example").get("/dashboard").status_code == 200


def test_the_last_admin_cannot_demote_themselves_through_the_page(app, world):
    admin = signed_in(app, "admin@a.example")
    me = world.a.user_ids["admin"]
    response = admin.post(f"/settings/users/{me}/role", data={"role": "analyst"})
    assert response.status_code == 302
    assert "at least one active admin" in page(admin.get("/settings/users"))
    assert user(app, "admin@a.example").role == "admin"


def test_another_organizations_user_answers_404(app, world):
    admin = signed_in(app, "admin@a.example")
    stranger = world.b.user_ids["analyst"]
    assert admin.post(f"/settings/users/{stranger}/role", data={"role": "admin"}).status_code == 404
    assert admin.post(f"/settings/users/{stranger}/deactivate").status_code == 404
    assert user(app, "analyst@b.example").role == "analyst"
    assert user(app, "analyst@b.example").active is True


@pytest.mark.parametrize("role", NON_ADMINS)
def test_users_pages_are_admin_only(app, world, role):
    client = signed_in(app, f"{role}@a.example")
    target = world.a.user_ids["analyst"]
    assert client.get("/settings/users").status_code == 403
    invite = {"email": "x@a.example", "role": "admin"}
    assert client.post("/settings/users", data=invite).status_code == 403
    assert client.post(f"/settings/users/{target}/role", data={"role": "admin"}).status_code == 403
    assert client.post(f"/settings/users/{target}/deactivate").status_code == 403
    assert count(app, UserInvitation) == 0
    assert user(app, "analyst@a.example").role == "analyst"


# ---------------------------------------------------------------------------------------------
# Audit log and dashboard


def test_audit_log_page_shows_the_own_organizations_events_to_admins(app, world):
    signed_in(app, "admin@b.example")  # an event in B's log
    admin = signed_in(app, "admin@a.example")

    html = page(admin.get("/settings/audit"))

    assert "auth.signed_in" in html
    assert "admin@a.example" in html
    assert "admin@b.example" not in html


@pytest.mark.parametrize("role", NON_ADMINS)
def test_audit_log_page_is_403_for_everyone_else(app, world, role):
    client = signed_in(app, f"{role}@a.example")
    assert client.get("/settings/audit").status_code == 403
    assert 'href="/settings/audit"' not in page(client.get("/dashboard"))


def test_dashboard_lists_a_pending_invitation_for_the_invitee_only(app, world):
    with app.app_context():
        invitation = PartnershipFactory(
            inviter_organization_id=world.a.id,
            invitee_organization_id=world.c.id,
            invitee_email="partner_manager@c.example",
            status="pending",
        )
        db.session.commit()
        accept_url = f"/partners/{invitation.id}/accept"

    responder = page(signed_in(app, "partner_manager@c.example").get("/dashboard"))
    assert "Alpha Flour</strong> invites" in responder
    assert f'action="{accept_url}"' in responder

    # An analyst at the invitee cannot answer it: it does not wait for them (issue 18).
    analyst = page(signed_in(app, "analyst@c.example").get("/dashboard"))
    assert "Alpha Flour</strong> invites" not in analyst
    assert accept_url not in analyst
    assert "Nothing waits for you right now." in analyst

    for email in ["partner_manager@a.example", "partner_manager@b.example"]:
        html = page(signed_in(app, email).get("/dashboard"))
        assert "Nothing waits for you right now." in html
        assert accept_url not in html

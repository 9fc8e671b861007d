"""Accounts services without HTTP: sign-up, sign-in, colleague invitations, roles, audit log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from comarketing.accounts import invitations, members, registration, signin
from comarketing.accounts.models import Organization, User, UserInvitation
from comarketing.audit import AuditEvent
from comarketing.context import Actor, Origin
from comarketing.db import utcnow
from comarketing.errors import Conflict, Forbidden, InvalidCredentials, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.outbox import OutboxMessage
from comarketing.tokens import hash_token
from tests.factories import TEST_PASSWORD

ORIGIN = Origin(ip="203.0.113.7", request_id="req-accounts-1")
NEW_PASSWORD = "a long and unusual passphrase"
NON_ADMINS = ["partner_manager", "approver", "analyst"]


def user_by_email(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return user


def actor(email: str) -> Actor:
    return Actor(user_by_email(email), ORIGIN)


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def invite_and_get_token(inviter: Actor, email: str, role: str) -> tuple[UserInvitation, str]:
    invitation = invitations.invite_user(inviter, email=email, role=role)
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == invitation.email)
    )
    assert message is not None
    match = re.search(r"http://localhost/join/(\S+)", message.body)
    assert match, message.body
    return invitation, match.group(1)


# ---------------------------------------------------------------------------------------------
# Sign-up


def test_sign_up_creates_organization_admin_and_audit_event(ctx):
    user = registration.sign_up(
        organization_name="  Crumb   Bakery ",
        name="Casey Crumb",
        email="Casey@Crumb.Example",
        password=NEW_PASSWORD,
        origin=ORIGIN,
    )

    assert user.role == "admin"
    assert user.email == "casey@crumb.example"
    organization = db.session.get(Organization, user.organization_id)
    assert organization.name == "Crumb Bakery"
    assert organization.slug == "crumb-bakery"
    (event,) = events("organization.created")
    assert event.organization_id == organization.id
    assert event.actor_user_id == user.id
    assert event.ip_address == "203.0.113.7"
    assert event.request_id == "req-accounts-1"


def test_sign_up_refuses_an_email_already_taken_whatever_its_case(ctx):
    registration.sign_up(
        organization_name="First",
        name="First Person",
        email="owner@example.com",
        password=NEW_PASSWORD,
        origin=ORIGIN,
    )
    with pytest.raises(ValidationFailed) as refused:
        registration.sign_up(
            organization_name="Second",
            name="Second Person",
            email="  OWNER@Example.COM ",
            password=NEW_PASSWORD,
            origin=ORIGIN,
        )
    assert refused.value.field == "email"
    db.session.rollback()
    assert count(Organization) == 1
    assert count(User) == 1


def test_sign_up_service_is_not_found_when_sign_up_is_disabled(make_app):
    app = make_app(SIGNUP_ENABLED=False)
    with app.app_context(), pytest.raises(NotFound):
        registration.sign_up(
            organization_name="Nope",
            name="No Body",
            email="no@example.com",
            password=NEW_PASSWORD,
            origin=ORIGIN,
        )


def test_signup_page_is_404_when_sign_up_is_disabled(make_app):
    client = make_app(SIGNUP_ENABLED=False).test_client()
    assert client.get("/signup").status_code == 404
    form = {
        "organization_name": "Nope",
        "name": "No Body",
        "email": "no@example.com",
        "password": NEW_PASSWORD,
    }
    assert client.post("/signup", data=form).status_code == 404


# ---------------------------------------------------------------------------------------------
# Sign-in


def test_authenticate_returns_the_user_and_records_the_sign_in(world, ctx):
    user = signin.authenticate(email=" Admin@A.example ", password=TEST_PASSWORD, origin=ORIGIN)
    assert user.email == "admin@a.example"
    assert user.last_sign_in_at is not None
    (event,) = events("auth.signed_in")
    assert event.actor_user_id == user.id
    assert event.organization_id == world.a.id


def test_authenticate_wrong_password_fails_and_is_audited(world, ctx):
    with pytest.raises(InvalidCredentials):
        signin.authenticate(email="admin@a.example", password="not it at all", origin=ORIGIN)
    (event,) = events("auth.sign_in_failed")
    assert event.organization_id == world.a.id
    assert event.actor_email == "admin@a.example"
    assert event.details["reason"] == "bad_credentials"
    assert event.ip_address == "203.0.113.7"
    assert user_by_email("admin@a.example").last_sign_in_at is None


def test_authenticate_unknown_email_fails_with_the_same_error_and_is_audited(world, ctx):
    with pytest.raises(InvalidCredentials) as refused:
        signin.authenticate(email="nobody@a.example", password=TEST_PASSWORD, origin=ORIGIN)
    assert refused.value.message == "Email or password is incorrect."
    (event,) = events("auth.sign_in_failed")
    assert event.organization_id is None
    assert event.actor_email == "nobody@a.example"


def test_authenticate_deactivated_user_fails_even_with_the_right_password(world, ctx):
    user_by_email("analyst@a.example").active = False
    db.session.commit()
    with pytest.raises(InvalidCredentials):
        signin.authenticate(email="analyst@a.example", password=TEST_PASSWORD, origin=ORIGIN)
    (event,) = events("auth.sign_in_failed")
    assert event.details["reason"] == "inactive"


# ---------------------------------------------------------------------------------------------
# Colleague invitations


def test_invite_user_queues_a_mail_with_an_absolute_link_and_stores_only_the_token_hash(world, ctx):
    invitation, token = invite_and_get_token(
        actor("admin@a.example"), "New.Colleague@A.example", "approver"
    )

    assert invitation.email == "new.colleague@a.example"
    assert invitation.role == "approver"
    (message,) = db.session.scalars(sa.select(OutboxMessage)).all()
    assert message.recipient == "new.colleague@a.example"
    assert message.kind == "user_invitation"
    assert message.sent_at is None
    assert f"http://localhost/join/{token}\n" in message.body
    assert invitation.token_hash == hash_token(token)
    # The plaintext token appears in no column of the invitations table.
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM user_invitations")).all()
    assert len(rows) == 1
    assert all(token not in str(value) for value in rows[0])
    (event,) = events("user.invited")
    assert event.organization_id == world.a.id


def test_inviting_someone_with_an_account_elsewhere_is_sent_and_tells_that_person(world, ctx):
    invitation = invitations.invite_user(
        actor("admin@a.example"), email="ANALYST@b.example", role="analyst"
    )

    assert invitation.email == "analyst@b.example" and invitation.is_open
    mail = db.session.scalars(sa.select(OutboxMessage)).one()
    assert (mail.recipient, mail.kind) == ("analyst@b.example", "user_invitation_existing")
    assert "already has an account" in mail.body and "/join/" not in mail.body
    assert "admin@a.example" in mail.body


def test_invite_user_refuses_a_colleague_of_ones_own(world, ctx):
    with pytest.raises(ValidationFailed, match="already your colleague") as refused:
        invitations.invite_user(actor("admin@a.example"), email="ANALYST@a.example", role="analyst")
    assert refused.value.field == "email"


def test_invite_user_refuses_an_unknown_role(world, ctx):
    with pytest.raises(ValidationFailed) as refused:
        invitations.invite_user(actor("admin@a.example"), email="x@a.example", role="owner")
    assert refused.value.field == "role"


@pytest.mark.parametrize("role", NON_ADMINS)
def test_only_admins_invite_colleagues(world, ctx, role):
    with pytest.raises(Forbidden):
        invitations.invite_user(actor(f"{role}@a.example"), email="x@a.example", role="analyst")
    assert count(UserInvitation) == 0
    assert count(OutboxMessage) == 0


def test_accepting_an_invitation_creates_the_user_with_the_invited_role(world, ctx):
    invitation, token = invite_and_get_token(
        actor("admin@a.example"), "joiner@a.example", "partner_manager"
    )

    user = invitations.accept_user_invitation(
        token, name="Jo Joiner", password=NEW_PASSWORD, origin=ORIGIN
    )

    assert user.organization_id == world.a.id
    assert user.role == "partner_manager"
    assert user.email == "joiner@a.example"
    assert db.session.get(UserInvitation, invitation.id).accepted_at is not None
    assert signin.authenticate(email="joiner@a.example", password=NEW_PASSWORD, origin=ORIGIN)
    assert len(events("user.joined")) == 1


def _expire(invitation: UserInvitation, token: str) -> None:
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def _use(invitation: UserInvitation, token: str) -> None:
    invitations.accept_user_invitation(token, name="First", password=NEW_PASSWORD, origin=ORIGIN)


def _revoke(invitation: UserInvitation, token: str) -> None:
    invitations.revoke_invitation(actor("admin@a.example"), invitation.id)


@pytest.mark.parametrize("spoil", [_expire, _use, _revoke], ids=["expired", "used", "revoked"])
def test_a_spent_invitation_is_not_found(world, ctx, spoil):
    invitation, token = invite_and_get_token(actor("admin@a.example"), "late@a.example", "analyst")
    spoil(invitation, token)
    users_before = count(User)

    with pytest.raises(NotFound):
        invitations.open_user_invitation(token)
    with pytest.raises(NotFound):
        invitations.accept_user_invitation(token, name="Late", password=NEW_PASSWORD, origin=ORIGIN)
    assert count(User) == users_before


def test_an_unknown_invitation_token_is_not_found(world, ctx):
    with pytest.raises(NotFound):
        invitations.open_user_invitation("made-up-token")


def test_another_organizations_invitation_cannot_be_revoked(world, ctx):
    invitation, _ = invite_and_get_token(actor("admin@a.example"), "mine@a.example", "analyst")
    with pytest.raises(NotFound):
        invitations.revoke_invitation(actor("admin@b.example"), invitation.id)
    assert db.session.get(UserInvitation, invitation.id).revoked_at is None


# ---------------------------------------------------------------------------------------------
# Roles and deactivation


def test_admin_changes_a_colleagues_role_and_it_is_audited(world, ctx):
    target = world.a.user_ids["analyst"]
    user = members.change_role(actor("admin@a.example"), target, "approver")
    assert user.role == "approver"
    (event,) = events("user.role_changed")
    assert event.details == {"old": "analyst", "new": "approver"}


def test_deactivation_rotates_the_session_token_and_reactivation_restores_access(world, ctx):
    target = world.a.user_ids["analyst"]
    old_token = db.session.get(User, target).session_token

    members.set_active(actor("admin@a.example"), target, active=False)
    user = db.session.get(User, target)
    assert user.active is False
    assert user.session_token != old_token
    assert signin.load_session_user(user.session_token) is None

    members.set_active(actor("admin@a.example"), target, active=True)
    assert db.session.get(User, target).active is True
    assert [
        e.action for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
    ] == [
        "user.deactivated",
        "user.reactivated",
    ]


@pytest.mark.parametrize("role", NON_ADMINS)
def test_non_admins_cannot_change_roles_or_deactivate(world, ctx, role):
    me = actor(f"{role}@a.example")
    target = world.a.user_ids["analyst"]
    with pytest.raises(Forbidden):
        members.change_role(me, target, "admin")
    with pytest.raises(Forbidden):
        members.set_active(me, target, active=False)
    db.session.rollback()
    user = db.session.get(User, target)
    assert (user.role, user.active) == ("analyst", True)


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(world, ctx):
    admin = actor("admin@a.example")
    with pytest.raises(Conflict):
        members.change_role(admin, admin.user_id, "analyst")
    with pytest.raises(Conflict):
        members.set_active(admin, admin.user_id, active=False)
    db.session.rollback()
    user = db.session.get(User, admin.user_id)
    assert (user.role, user.active) == ("admin", True)


def test_a_deactivated_second_admin_does_not_count_towards_the_last_admin_rule(world, ctx):
    admin = actor("admin@a.example")
    second = world.a.user_ids["partner_manager"]
    members.change_role(admin, second, "admin")
    # With two active admins, one may step down...
    members.change_role(admin, second, "analyst")
    members.change_role(admin, second, "admin")
    members.set_active(admin, second, active=False)
    # ...but a deactivated admin is no admin: the first is the last active one again.
    with pytest.raises(Conflict):
        members.change_role(admin, admin.user_id, "analyst")


def test_another_organizations_user_is_not_found(world, ctx):
    admin = actor("admin@a.example")
    stranger = world.b.user_ids["analyst"]
    with pytest.raises(NotFound):
        members.change_role(admin, stranger, "admin")
    with pytest.raises(NotFound):
        members.set_active(admin, stranger, active=False)
    db.session.rollback()
    user = db.session.get(User, stranger)
    assert (user.role, user.active) == ("analyst", True)


def test_list_users_shows_only_the_own_organization(world, ctx):
    emails = {u.email for u in members.list_users(actor("admin@b.example"))}
    assert emails == {f"{role}@b.example" for role in ["admin", *NON_ADMINS]}


# ---------------------------------------------------------------------------------------------
# Audit log


def test_audit_log_pages_through_the_own_organizations_events_only(world, ctx):
    a_admin, b_admin = actor("admin@a.example"), actor("admin@b.example")
    for n in range(5):
        invitations.invite_user(a_admin, email=f"a{n}@a.example", role="analyst")
        invitations.invite_user(b_admin, email=f"b{n}@b.example", role="analyst")

    first, more_after_first = members.audit_log(a_admin, page=1, per_page=3)
    second, more_after_second = members.audit_log(a_admin, page=2, per_page=3)

    assert more_after_first is True
    assert more_after_second is False
    page_events = first + second
    assert len(page_events) == 5
    assert all(e.organization_id == world.a.id for e in page_events)
    assert [e.details["email"] for e in page_events] == [
        f"a{n}@a.example" for n in range(4, -1, -1)
    ]


def test_audit_log_is_for_admins_only(world, ctx):
    with pytest.raises(Forbidden):
        members.audit_log(actor("partner_manager@a.example"), page=1, per_page=10)

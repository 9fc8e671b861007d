"""Operator commands through Flask's CLI runner: users create / list, seed-demo."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.accounts.models import Organization, User
from comarketing.accounts.passwords import verify_password
from comarketing.audit import AuditEvent
from comarketing.demo.companies import DEMO_PASSWORD
from comarketing.extensions import db
from comarketing.partners.models import Partnership, Product

STRONG = "an operator's long passphrase"


def count(app, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def find_user(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge_all()
        return user


def create(runner, *args: str, password: str = STRONG):
    return runner.invoke(args=["users", "create", *args], input=f"{password}\n")


def test_users_create_makes_a_new_organization_when_the_name_is_unknown(app, runner):
    result = create(runner, "Owner@NewCo.example", "--org", "NewCo Baking", "--role", "admin")

    assert result.exit_code == 0, result.output
    assert "Created owner@newco.example (admin) in NewCo Baking." in result.output
    user = find_user(app, "owner@newco.example")
    assert user is not None
    assert (user.role, user.name, user.organization.name) == ("admin", "Owner", "NewCo Baking")
    assert user.organization.slug == "newco-baking"
    # The password came from stdin, and only its hash is stored.
    with app.app_context():
        assert verify_password(user.password_hash, STRONG)
    assert STRONG not in user.password_hash
    with app.app_context():
        (event,) = db.session.scalars(sa.select(AuditEvent))
        assert (event.action, event.organization_id) == (
            "user.created_by_operator",
            user.organization_id,
        )


def test_users_create_joins_an_existing_organization_by_name(app, runner, world):
    organizations = count(app, Organization)

    result = create(
        runner,
        "second.admin@a.example",
        "--org",
        "Alpha Flour",
        "--role",
        "approver",
        "--name",
        "Second Person",
    )

    assert result.exit_code == 0, result.output
    user = find_user(app, "second.admin@a.example")
    assert (user.organization_id, user.role, user.name) == (world.a.id, "approver", "Second Person")
    assert count(app, Organization) == organizations


def test_users_create_joins_an_existing_organization_by_slug(app, runner):
    assert create(runner, "first@newco.example", "--org", "NewCo").exit_code == 0
    result = create(runner, "second@newco.example", "--org", "newco", "--role", "analyst")
    assert result.exit_code == 0, result.output
    first, second = find_user(app, "first@newco.example"), find_user(app, "second@newco.example")
    assert first.organization_id == second.organization_id
    assert count(app, Organization) == 1


def test_users_create_refuses_a_weak_password_with_a_clear_message(app, runner):
    too_short = create(runner, "weak@newco.example", "--org", "NewCo", password="short")
    too_common = create(runner, "weak@newco.example", "--org", "NewCo", password="password123")

    assert too_short.exit_code != 0
    assert "Error: password: Use at least 8 characters." in too_short.output
    assert too_common.exit_code != 0
    assert "password: This password is too common" in too_common.output
    assert "Traceback" not in too_short.output + too_common.output
    assert count(app, User) == 0
    assert count(app, Organization) == 0


def test_users_create_refuses_an_email_already_in_use(app, runner, world):
    result = create(runner, "ADMIN@a.example", "--org", "Somewhere Else")
    assert result.exit_code != 0
    assert "email: An account with this email already exists." in result.output
    assert count(app, User) == 12


def test_users_create_refuses_an_unknown_role(runner):
    result = create(runner, "x@newco.example", "--org", "NewCo", "--role", "owner")
    assert result.exit_code != 0
    assert "Invalid value for '--role'" in result.output


def test_users_list_prints_every_user_with_organization_role_and_status(app, runner):
    assert (
        create(runner, "lister@newco.example", "--org", "NewCo", "--role", "admin").exit_code == 0
    )
    assert (
        create(runner, "other@newco.example", "--org", "NewCo", "--role", "analyst").exit_code == 0
    )
    with app.app_context():
        db.session.scalar(sa.select(User).where(User.email == "other@newco.example")).active = False
        db.session.commit()

    result = runner.invoke(args=["users", "list"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "lister@newco.example\tNewCo\tadmin\tactive",
        "other@newco.example\tNewCo\tanalyst\tdeactivated",
    ]


def demo_counts(app) -> dict[str, int]:
    return {m.__tablename__: count(app, m) for m in (Organization, User, Product, Partnership)}


def test_seed_demo_creates_the_demo_world_and_is_idempotent(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    after_first = demo_counts(app)

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output

    assert demo_counts(app) == after_first
    assert after_first["organizations"] == 3
    assert after_first["users"] == 12
    assert "created: Millstone Flour Co." in first.output
    assert "kept: Millstone Flour Co." in second.output
    assert "created:" not in second.output
    with app.app_context():
        flour, shortening = (
            db.session.scalar(sa.select(Organization.id).where(Organization.name == name))
            for name in ("Millstone Flour Co.", "Goldcrest Shortening")
        )
        statuses = db.session.scalars(
            sa.select(Partnership.status).where(
                sa.or_(
                    sa.and_(
                        Partnership.inviter_organization_id == flour,
                        Partnership.invitee_organization_id == shortening,
                    ),
                    sa.and_(
                        Partnership.inviter_organization_id == shortening,
                        Partnership.invitee_organization_id == flour,
                    ),
                )
            )
        ).all()
        assert statuses == ["active"]
        # The published demo sign-in works.
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@millstone.example"))
        assert admin.role == "admin"
        assert verify_password(admin.password_hash, DEMO_PASSWORD)

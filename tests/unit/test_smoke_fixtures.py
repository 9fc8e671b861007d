import sqlalchemy as sa

from comarketing.accounts.models import User
from comarketing.extensions import db


def test_world_has_three_companies_with_every_role(app, world):
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    assert count == 12
    assert world.a.email("admin") == "admin@a.example"


def test_tables_are_empty_at_start_of_each_test(app):
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_login_as_reaches_dashboard(world, login_as):
    client = login_as(world.a.email("analyst"))
    assert client.get("/dashboard").status_code == 200

"""REPORTS_DATABASE_URL (issue 19): report queries read from another database — here the same
one through a read-only role, as a replica would be — with the same figures, while every write
still goes to the primary, and a write sent through the reports connection fails."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.api import services as api_tokens
from comarketing.extensions import db
from comarketing.read_replica import BIND, reports_database
from comarketing.submissions import FormSubmission
from tests.api.conftest import actor_for
from tests.conftest import login
from tests.reports.test_campaign_report import Seeded, seeded  # noqa: F401 - fixture

pytestmark = pytest.mark.pg_only

PERIOD = "?preset=custom&start=2027-03-01&end=2027-03-31"


@pytest.fixture
def replica_app(make_app, app: Flask):
    """An app whose REPORTS_DATABASE_URL signs in as a login role whose every transaction is
    read-only, allowed to read the test database (as a streaming replica would be)."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    role = f"comarketing_ro_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(sa.text(f'ALTER ROLE "{role}" SET default_transaction_read_only = on'))
        conn.execute(sa.text(f'GRANT CONNECT ON DATABASE "{url.database}" TO "{role}"'))
        conn.execute(sa.text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
    read_only = url.set(username=role, password=None).render_as_string(hide_password=False)
    replica = make_app(REPORTS_DATABASE_URL=read_only)
    yield replica
    with replica.app_context():
        db.engines[BIND].dispose()
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :role"),
            {"role": role},
        )
        conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
        conn.execute(sa.text(f'DROP ROLE "{role}"'))
    admin.dispose()


def _figures(app: Flask, email: str, token: str, campaign_id: int) -> dict[str, object]:
    client = app.test_client()
    login(client, email)
    bearer = {"Authorization": f"Bearer {token}"}
    pages = {
        "reports": client.get(f"/reports{PERIOD}"),
        "campaign report": client.get(f"/campaigns/{campaign_id}/report"),
        "home": client.get("/dashboard"),
        "api campaign report": client.get(
            f"/api/v1/reports/campaigns/{campaign_id}", headers=bearer
        ),
        "api dashboard": client.get(f"/api/v1/reports/dashboard{PERIOD}", headers=bearer),
        "campaign csv": client.get(f"/campaigns/{campaign_id}/report/weekly.csv"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, (name, response.status_code)
    return {
        "api campaign report": pages["api campaign report"].get_json(),
        "api dashboard": pages["api dashboard"].get_json(),
        "campaign csv": pages["campaign csv"].get_data(as_text=True),
    }


def test_reports_read_from_the_reports_database_with_the_same_figures(
    make_app,
    app,
    world,
    seeded: Seeded,  # noqa: F811
    replica_app: Flask,
):
    email = world.a.email("analyst")
    with app.app_context():
        _, token = api_tokens.create_token(actor_for(email), name="r", scope="read", days=1)
        db.session.remove()
    on_primary = _figures(app, email, token, seeded.campaign)

    on_replica = _figures(replica_app, email, token, seeded.campaign)
    assert on_replica == on_primary
    with replica_app.app_context():
        reports_engine = db.engines[BIND]
        # The report queries opened connections there, as the read-only role.
        assert reports_engine.pool.checkedin() >= 1
        assert reports_engine.url.username.startswith("comarketing_ro_")


def test_writes_never_go_to_the_reports_database(world, replica_app: Flask):
    app = replica_app
    with app.app_context():
        # A statement sent through the reports connection cannot write: the role is read-only.
        with reports_database(), pytest.raises(sa.exc.DBAPIError, match="read-only"):
            db.session.execute(sa.text("UPDATE organizations SET name = name"))
        db.session.rollback()
        # A flush inside a report still goes to the primary.
        owner = db.session.scalar(sa.text("SELECT id FROM users ORDER BY id LIMIT 1"))
        with reports_database():
            db.session.add(
                FormSubmission(token_hash="0" * 64, user_id=owner, endpoint="drill", result_url="/")
            )
            db.session.flush()
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FormSubmission)) == 1
        db.session.remove()

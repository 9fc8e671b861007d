"""Migration 0017 on existing data (SQLite here; PostgreSQL on the --backend=postgresql pass):
imports made before uploads were per campaign keep no campaign (not a guessed one), and the
new table takes platform names with its per-campaign uniqueness."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from comarketing import create_app
from comarketing.extensions import db
from tests.conftest import base_config
from tests.databases import throwaway_postgresql

NOW = "2026-11-30 10:00:00+00:00"


@contextlib.contextmanager
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.sqlite'}"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.fail("--backend=postgresql needs TEST_DATABASE_URL")
    with throwaway_postgresql(server, prefix="comarketing_mig") as url:
        yield url


def _insert_0014_rows(conn: sa.Connection) -> None:
    statements = [
        "INSERT INTO organizations (id, name, slug, review_business_days, four_eyes, "
        "claim_confirmation_business_days, created_at) VALUES (1, 'A', 'a', 2, false, 5, :now)",
        "INSERT INTO users (id, organization_id, email, name, password_hash, role, active, "
        "session_token, created_at) VALUES (1, 1, 'pm@a.example', 'Pat', 'x', "
        "'partner_manager', true, 'token', :now)",
        "INSERT INTO campaigns (id, kind, organization_id, name, description, status, "
        "start_date, end_date, currency, total_budget_minor, created_at, spend_alert_level) "
        "VALUES (1, 'solo', 1, 'March', '', 'active', '2026-03-01', '2026-03-31', 'EUR', 0, "
        ":now, 0)",
        "INSERT INTO campaign_parties (campaign_id, organization_id, budget_share_bp, "
        "revenue_share_bp) VALUES (1, 1, 10000, 10000)",
        "INSERT INTO placements (id, campaign_id, owner_organization_id, channel, name, url, "
        "start_date, end_date, planned_cost_minor, created_at) VALUES (1, 1, 1, 'search', "
        "'Spring Search', '', '2026-03-01', '2026-03-31', 0, :now)",
        "INSERT INTO metric_imports (id, organization_id, created_by_id, source, status, "
        "filename, file_size, file_format, settings, rows_read, rows_written, rows_replaced, "
        "rows_unchanged, rows_skipped, error_count, errors, message, costs_posted_minor, "
        "created_at) VALUES (1, 1, 1, 'file', 'succeeded', 'old.csv', 10, 'csv', '{}', 1, 1, 0, "
        "0, 0, 0, '[]', '', 0, :now)",
    ]
    for statement in statements:
        conn.execute(sa.text(statement), {"now": NOW})


def test_migration_0017_keeps_old_imports_without_a_guessed_campaign(backend, tmp_path):
    with empty_database(backend, tmp_path) as url:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade(revision="0014_metric_claims")
            with db.engine.begin() as conn:
                _insert_0014_rows(conn)

            upgrade(revision="0017_placement_names")

            with db.engine.begin() as conn:
                old = conn.execute(sa.text("SELECT filename, campaign_id FROM metric_imports"))
                assert [tuple(r) for r in old] == [("old.csv", None)]
                insert = sa.text(
                    "INSERT INTO placement_names (placement_id, campaign_id, platform, name, "
                    "folded, created_at) VALUES (1, 1, 'Meta', :name, :folded, :now)"
                )
                conn.execute(insert, {"name": "Meta Spring", "folded": "meta spring", "now": NOW})
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
                conn.execute(insert, {"name": "META spring", "folded": "meta spring", "now": NOW})
            if backend == "postgresql":  # (SQLite is run without foreign-key enforcement)
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DELETE FROM placements WHERE id = 1"))
                    assert conn.scalar(sa.text("SELECT count(*) FROM placement_names")) == 0

            downgrade(revision="0014_metric_claims")
            with db.engine.connect() as conn:
                tables = sa.inspect(conn).get_table_names()
                assert "placement_names" not in tables
                columns = {c["name"] for c in sa.inspect(conn).get_columns("metric_imports")}
                assert "campaign_id" not in columns
            db.session.remove()
            db.engine.dispose()

"""Migration 0015 on existing rows (SQLite, and PostgreSQL on the PostgreSQL pass): every stored
figure keeps its value (taken as reported), conversions become hundredths (x 100), and the
rollup's per-figure day counts start at the month's number of days."""

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
from comarketing.metrics.models import VALUE_FIELDS, DailyMetric, MetricRollup, ReplacedDay
from tests import campaign_helpers as ch
from tests import factories
from tests.conftest import base_config
from tests.databases import throwaway_postgresql

FIGURES = "impressions, reach, clicks, leads, conversions, revenue_minor, cost_minor"


@contextlib.contextmanager
def _database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.sqlite'}"
        return
    with throwaway_postgresql(os.environ["TEST_DATABASE_URL"], prefix="comarketing_mig") as url:
        yield url


def _old_rows(conn: sa.Connection, placement_id: int, campaign_id: int) -> None:
    """Rows as 0014 stored them: whole conversions, every figure a number (zeros included)."""
    conn.execute(
        sa.text(
            "INSERT INTO metric_imports (id, organization_id, source, status, filename, "
            "file_size, file_format, settings, rows_read, rows_written, rows_replaced, "
            "rows_unchanged, rows_skipped, error_count, errors, message, costs_posted_minor, "
            "created_at) VALUES (1, 1, 'api', 'succeeded', '', 0, '', '{}', 2, 2, 1, 0, 0, 0, "
            "'[]', '', 0, '2027-03-05 10:00:00')"
        )
    )
    for day, values in (
        ("2027-03-01", "1000, 700, 30, 2, 3, 4500, 1250"),
        ("2027-03-02", "0, 0, 0, 0, 0, 0, 0"),
    ):
        conn.execute(
            sa.text(
                f"INSERT INTO daily_metrics (placement_id, day, campaign_id, {FIGURES}, currency, "
                f"import_id, updated_at) VALUES (:p, :day, :c, {values}, 'EUR', 1, "
                "'2027-03-05 10:00:00')"
            ),
            {"p": placement_id, "c": campaign_id, "day": day},
        )
    conn.execute(
        sa.text(
            f"INSERT INTO metric_replaced_days (id, import_id, placement_id, day, {FIGURES}, "
            "currency, previous_import_id) VALUES (1, 1, :p, '2027-03-01', 900, 600, 20, 1, 7, "
            "100, 200, 'EUR', NULL)"
        ),
        {"p": placement_id},
    )
    conn.execute(
        sa.text(
            "INSERT INTO metric_rollups (placement_id, month, campaign_id, days, "
            f"{FIGURES}) VALUES (:p, '2027-03-01', :c, 2, 1000, 700, 30, 2, 3, 4500, 1250)"
        ),
        {"p": placement_id, "c": campaign_id},
    )


def test_migration_0015_keeps_every_value_and_counts_conversions_in_hundredths(backend, tmp_path):
    with _database(backend, tmp_path) as url:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade()
            world = factories.build_world()
            joint = ch.joint_campaign(world)
            db.session.remove()
            downgrade(revision="0014_metric_claims")
            with db.engine.begin() as conn:
                _old_rows(conn, joint.a_placement, joint.id)

            upgrade(revision="0015_not_reported")

            days = db.session.scalars(sa.select(DailyMetric).order_by(DailyMetric.day)).all()
            assert [tuple(getattr(d, f) for f in VALUE_FIELDS) for d in days] == [
                (1000, 700, 30, 2, 300, 4500, 1250),
                (0, 0, 0, 0, 0, 0, 0),
            ]
            replaced = db.session.scalars(sa.select(ReplacedDay)).one()
            assert (replaced.impressions, replaced.conversions_hundredths) == (900, 700)
            rollup = db.session.scalars(sa.select(MetricRollup)).one()
            assert (rollup.days, rollup.conversions_hundredths, rollup.cost_minor) == (2, 300, 1250)
            assert [
                rollup.impressions_days,
                rollup.reach_days,
                rollup.clicks_days,
                rollup.leads_days,
                rollup.conversions_days,
                rollup.revenue_days,
                rollup.cost_days,
            ] == [2] * 7
            # From now on a figure may be NULL, and the checks still hold where it is not.
            db.session.execute(
                sa.update(DailyMetric)
                .where(DailyMetric.day == days[1].day)
                .values(reach=None, conversions_hundredths=None)
            )
            db.session.commit()
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(
                    sa.update(DailyMetric)
                    .where(DailyMetric.day == days[0].day)
                    .values(reach=1001)  # above the day's impressions
                )
                db.session.flush()
            db.session.rollback()
            with pytest.raises(sa.exc.IntegrityError):
                db.session.execute(
                    sa.update(DailyMetric)
                    .where(DailyMetric.day == days[0].day)
                    .values(conversions_hundredths=-1)
                )
                db.session.flush()
            db.session.rollback()
            db.session.remove()
            db.engine.dispose()

"""Property: the monthly rollup always equals the sum of the daily rows it stands for, and
counts for each figure the days that reported it, after any sequence of inserts, replacements
and deletions, through every write path — with any figure of any day not reported (NULL)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comarketing import hundredths
from comarketing.extensions import db
from comarketing.metrics import entry, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import DAYS_FIELDS, VALUE_FIELDS, DailyMetric, MetricRollup
from comarketing.money import to_decimal_string
from tests.metrics.conftest import PM
from tests.offer_helpers import actor

FIRST = date(2027, 3, 1)  # the scene's placements run 2027-03-01 .. 2027-04-30


def _maybe(values: st.SearchStrategy[int]) -> st.SearchStrategy[int | None]:
    return st.one_of(st.none(), values)  # None: not reported


values = st.fixed_dictionaries(
    {
        "impressions": _maybe(st.integers(0, 10**9)),
        "reach_reported": st.booleans(),
        "clicks": _maybe(st.integers(0, 10**6)),
        "leads": _maybe(st.integers(0, 1000)),
        "conversions": _maybe(st.integers(0, 100_000)),  # hundredths: 2.47 and 5.00 alike
        "revenue": _maybe(st.integers(0, 10**9)),
        "cost": _maybe(st.integers(0, 10**9)),
    }
)
day_offsets = st.integers(0, 60)
operation = st.one_of(
    st.tuples(
        st.just("upsert"),
        st.booleans(),
        st.lists(st.tuples(day_offsets, values), min_size=1, max_size=5),
    ),
    st.tuples(
        st.just("file"),
        st.booleans(),
        st.lists(st.tuples(day_offsets, values), min_size=1, max_size=5),
    ),
    st.tuples(st.just("delete"), st.booleans(), st.lists(day_offsets, min_size=1, max_size=4)),
)


def _day(offset: int) -> str:
    return (FIRST + timedelta(days=offset)).isoformat()


def _items(entries):
    unique = dict(entries)  # one value per day in a batch
    return [
        {
            "day": _day(offset),
            **{k: _text(figures[k]) for k in ("impressions", "clicks", "leads")},
            "reach": _text(_reach(figures)),
            "conversions": hundredths.to_text(figures["conversions"]),
            "revenue": _money(figures["revenue"]),
            "cost": _money(figures["cost"]),
        }
        for offset, figures in unique.items()
    ]


def _reach(figures: dict) -> int | None:
    """At most the impressions when both are reported; any when impressions are not."""
    if not figures["reach_reported"]:
        return None
    impressions = figures["impressions"]
    return 7 if impressions is None else impressions // 2


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def _money(value: int | None) -> str:
    return "" if value is None else to_decimal_string(value, "EUR")


def _raw_by_month() -> dict:
    month = sa.func.strftime("%Y-%m", DailyMetric.day)
    if db.session.get_bind().dialect.name == "postgresql":
        month = sa.func.to_char(DailyMetric.day, "YYYY-MM")
    rows = db.session.execute(
        sa.select(
            DailyMetric.placement_id,
            month,
            sa.func.count(),
            *(sa.func.coalesce(sa.func.sum(getattr(DailyMetric, f)), 0) for f in VALUE_FIELDS),
            *(sa.func.count(getattr(DailyMetric, f)) for f in VALUE_FIELDS),
        ).group_by(DailyMetric.placement_id, month)
    ).all()
    return {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in rows}


def _rollup_by_month() -> dict:
    rows = db.session.scalars(sa.select(MetricRollup)).all()
    return {
        (r.placement_id, r.month.strftime("%Y-%m")): (
            r.days,
            *(getattr(r, f) for f in VALUE_FIELDS),
            *(getattr(r, DAYS_FIELDS[f]) for f in VALUE_FIELDS),
        )
        for r in rows
        if r.days  # a month whose days were all removed keeps a row of zeros
    }


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=8))
def test_the_rollup_always_equals_the_daily_rows(app, scene, operations):
    email = scene.world.a.email(PM)
    placements = (scene.a_placement, scene.a_placement)
    with app.app_context():
        db.session.execute(sa.delete(DailyMetric))
        db.session.execute(sa.delete(MetricRollup))
        db.session.commit()
        for kind, second, payload in operations:
            placement = placements[int(second)]
            if kind == "upsert":
                entry.upsert_days(actor(email), placement, _items(payload))
            elif kind == "file":
                lines = [
                    "date,placement_id,impressions,reach,clicks,leads,conversions,revenue,cost"
                ]
                for item in _items(payload):
                    lines.append(
                        ",".join(
                            [item["day"], str(placement)]
                            + [
                                item[k]
                                for k in (
                                    "impressions",
                                    "reach",
                                    "clicks",
                                    "leads",
                                    "conversions",
                                    "revenue",
                                    "cost",
                                )
                            ]
                        )
                    )
                upload = uploads.upload(
                    actor(email), io.BytesIO(("\n".join(lines) + "\n").encode()), "r.csv"
                )
                metric_imports.confirm(actor(email), upload.id, post_costs=False, import_again=True)
                assert runs.run_import(upload.id).status == "succeeded"
            else:
                entry.delete_days(
                    actor(email), placement, [FIRST + timedelta(days=o) for o in payload]
                )
            assert _rollup_by_month() == _raw_by_month()

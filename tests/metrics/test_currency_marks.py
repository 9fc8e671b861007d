"""Currency marks in money cells and headers are checked against the campaign's currency, never
stripped on trust: `€12.00` in a USD campaign is a row error naming the column and value, a bare
`$` outside a USD campaign asks for the ISO code, and a refused file stores nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import entry, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import DailyMetric, ImportSource, MetricImport
from tests import campaign_helpers as ch
from tests.metrics.conftest import PM, queue_unchecked, upload_campaign
from tests.offer_helpers import actor

HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
GOOD = "2026-03-02,Search,1000,700,30,1,0,0.00,10.00\n"


def _campaign(app, world, currency: str) -> str:
    with app.app_context():
        email = world.a.email(PM)
        campaign = ch.solo_campaign(
            email, "Currencies", start=date(2026, 3, 1), end=date(2026, 3, 31), currency=currency
        )
        ch.add_placement(email, campaign, world.a.id, name="Search")
        db.session.remove()
    return email


def _import(app, email: str, text: str) -> tuple[list[dict], list[dict], int]:
    """The preview's row errors, the run's errors and the rows stored after running it."""
    with app.app_context():
        import_id = uploads.upload(
            actor(email), io.BytesIO(text.encode()), "costs.csv", campaign_id=upload_campaign(email)
        ).id
        preview = metric_imports.preview(actor(email), import_id)
        errors = list(preview.errors)
        if errors:  # refused by confirm; queued anyway, the run refuses it too
            with pytest.raises(ValidationFailed, match="Nothing was imported"):
                metric_imports.confirm(actor(email), import_id, post_costs=False)
            queue_unchecked(import_id)
        else:
            metric_imports.confirm(actor(email), import_id, post_costs=False)
        runs.run_import(import_id)
        run_errors = db.session.get(MetricImport, import_id).errors
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric))
        db.session.remove()
    return errors, run_errors, stored


@pytest.mark.parametrize(
    ("cost", "reason"),
    [
        ("€12.00", "is in EUR; this campaign is in USD"),
        ("12.00 EUR", "is in EUR; this campaign is in USD"),
        ("£12.00", "is in GBP; this campaign is in USD"),
        ("JPY 1200", "is in JPY; this campaign is in USD"),
        ("¥1200", "is in JPY or CNY; this campaign is in USD"),
    ],
)
def test_a_mark_of_another_currency_is_a_row_error_and_nothing_is_stored(app, world, cost, reason):
    email = _campaign(app, world, "USD")
    bad = f'2026-03-03,Search,1000,700,30,1,0,0.00,"{cost}"\n'
    errors, run_errors, stored = _import(app, email, HEADER + GOOD + bad)
    assert errors == [{"row": 3, "column": "cost", "value": cost, "reason": reason}]
    assert run_errors == errors
    assert stored == 0


@pytest.mark.parametrize("cost", ["$12.00", "12.00 USD", "US$12.00", "12.00"])
def test_the_campaign_s_own_currency_passes(app, world, cost):
    email = _campaign(app, world, "USD")
    row = f'2026-03-03,Search,1000,700,30,1,0,0.00,"{cost}"\n'
    errors, run_errors, stored = _import(app, email, HEADER + GOOD + row)
    assert errors == [] and run_errors == [] and stored == 2
    with app.app_context():
        costs = db.session.scalars(sa.select(DailyMetric.cost_minor).order_by(DailyMetric.day))
        assert list(costs) == [1000, 1200]


def test_a_bare_dollar_in_a_cad_campaign_asks_for_the_iso_code(app, world):
    email = _campaign(app, world, "CAD")
    rows = (
        "2026-03-03,Search,1000,700,30,1,0,0.00,$12.00\n2026-03-04,Search,9,9,1,0,0,0,12.00 CAD\n"
    )
    errors, _, stored = _import(app, email, HEADER + GOOD + rows)
    assert errors == [
        {
            "row": 3,
            "column": "cost",
            "value": "$12.00",
            "reason": "has a bare $, which could be USD or CAD: write the ISO code (12.00 CAD)",
        }
    ]
    assert stored == 0


def test_a_header_naming_another_currency_makes_each_row_an_error(app, world):
    email = _campaign(app, world, "USD")
    text = (
        "Day,Campaign name,Impressions,Amount spent (EUR)\n"
        "2026-03-02,Search,1000,10.00\n"
        "2026-03-03,Search,1000,11.00\n"
    )
    errors, _, stored = _import(app, email, text)
    reason = "the column is in EUR; this campaign is in USD"
    assert errors == [
        {
            "row": row,
            "column": "Amount spent (EUR)",
            "value": "Amount spent (EUR)",
            "reason": reason,
        }
        for row in (2, 3)
    ]
    assert stored == 0


def test_a_currency_code_column_that_differs_is_a_row_error(app, world):
    email = _campaign(app, world, "USD")
    text = (
        "Day,Campaign,Currency code,Impr.,Cost\n"
        "2026-03-02,Search,USD,1000,10.00\n"
        "2026-03-03,Search,EUR,1000,11.00\n"
    )
    errors, _, stored = _import(app, email, text)
    assert errors == [
        {
            "row": 3,
            "column": "Currency code",
            "value": "EUR",
            "reason": "is not this campaign's currency; this campaign is in USD",
        }
    ]
    assert stored == 0


def test_the_grid_refuses_a_mark_of_another_currency(app, world):
    email = world.a.email(PM)
    with app.app_context():
        campaign = ch.solo_campaign(
            email, "Grid", start=date(2026, 3, 1), end=date(2026, 3, 31), currency="USD"
        )
        placement = ch.add_placement(email, campaign, world.a.id, name="Search")
        day = {"day": "2026-03-02", "impressions": "10", "reach": "5", "clicks": "1"}
        with pytest.raises(entry.RowsInvalid) as refused:
            entry.upsert_days(
                actor(email),
                placement,
                [{**day, "cost": "$1.00"}, {**day, "day": "2026-03-03", "cost": "€1.00"}],
                source=ImportSource.FORM,
            )
        assert refused.value.errors == [
            {
                "row": 1,
                "column": "cost",
                "value": "€1.00",
                "reason": "is in EUR; this campaign is in USD",
            }
        ]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)) == 0

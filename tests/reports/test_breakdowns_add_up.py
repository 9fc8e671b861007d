"""Every breakdown adds up to its headline, or says why not (issue 16).

For every table of the dashboard (``tables.BUILDERS``) and of the campaign report
(``campaign_tables.BUILDERS``), and for the partner statement: either the table's sums (money,
impressions, reach as daily reach summed, clicks, leads, conversions) add up exactly to the
headline per currency and kind — checked here against the headline recomputed from the raw
rows — or the table carries a statement (``Table.sums_note``) saying why not. A new table with
neither fails. Ratios never add up; campaign counts are counts of distinct campaigns.

The world is the recomputation test's: A+B's joint campaign, a three-party A+B+D campaign,
A's EUR and USD solo campaigns.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from comarketing.api import services as api_tokens
from comarketing.budgets import statement
from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from comarketing.metrics.models import DailyMetric
from comarketing.reports import campaign_service, campaign_tables, coverage, services, tables
from comarketing.reports.campaign_frames import TREND_COLUMNS
from comarketing.reports.exports import Table
from comarketing.reports.statement_tables import statement_table
from tests.offer_helpers import actor
from tests.reports.test_dashboard_figures import (  # noqa: F401 - seeded is a fixture
    END,
    START,
    THREE,
    independent,
    raw_cells,
    seeded,
)

# The dashboard's sums (the parts of ``coverage`` and the reported cost minus spend over the
# cells reporting a cost); every other numeric column is a ratio or a count of campaigns.
SUMS = (*coverage.PARTS, "cost_difference_minor")
# What the raw rows give directly (the rest is checked against the page's own headline).
RAW = ("impressions", "reach", "clicks", "leads", "conversions_hundredths")
MONEY_RAW = ("spend_minor", "revenue_minor")


def sums_by(rows: list[dict[str, Any]], keys: tuple[str, ...], by: tuple[str, ...]) -> dict:
    """Per group of ``by``: each key's sum over the rows that carry a number ("not reported"
    and empty cells add nothing), or None where no row carries one."""
    out: dict[tuple, dict[str, int | None]] = defaultdict(lambda: dict.fromkeys(keys))
    for row in rows:
        group = out[tuple(row.get(k) for k in by)]
        for key in keys:
            value = row.get(key)
            if isinstance(value, int):
                group[key] = (group[key] or 0) + value
    return dict(out)


# ---------------------------------------------------------------------------------------------
# The dashboard


def _headline(board: services.Dashboard) -> dict[tuple[str, str], dict[str, int | None]]:
    return {
        (c.currency, tables.KIND_LABEL[kind]): {k: getattr(figures, k) for k in SUMS}
        for c in board.comparisons
        for kind, figures in (("joint", c.joint), ("solo", c.solo))
        if figures.campaigns
    }


def _adds_up(table: Table, board: services.Dashboard) -> None:
    got = sums_by(table.rows, SUMS, ("currency", "kind"))
    assert got == _headline(board), table.name


def _is_the_headline(table: Table, board: services.Dashboard) -> None:
    rows = [r for r in table.rows if r["kind"] in ("Joint", "Solo") and r["campaigns"]]
    assert sums_by(rows, SUMS, ("currency", "kind")) == _headline(board)


DASHBOARD_CHECKS: dict[str, Callable[[Table, services.Dashboard], None]] = {
    "headline": _is_the_headline,
    "channel": _adds_up,
    "month": _adds_up,
}


@pytest.mark.parametrize(
    ("start", "end"),
    [(START, END), (date(2027, 3, 10), date(2027, 4, 20)), (date(2027, 2, 15), date(2027, 4, 2))],
)
def test_every_dashboard_table_adds_up_to_the_headline_or_says_why_not(
    app,
    seeded,  # noqa: F811
    start,
    end,
):
    world = seeded
    with app.app_context():
        board = services.dashboard(actor(world.a.email("analyst")), services.Period(start, end))
        expected = independent(world.a.id, start, end)
    # The headline itself is the straightforward recomputation (test_dashboard_figures).
    for (currency, kind), figures in _headline(board).items():
        want = expected[(currency, kind.lower())]
        assert {k: figures[k] for k in (*RAW, *MONEY_RAW)} == {
            k: want[k] for k in (*RAW, *MONEY_RAW)
        }
    built = tables.all_tables(board)
    assert set(built) == set(tables.BUILDERS)
    for key, table in built.items():
        check = DASHBOARD_CHECKS.get(key)
        assert check is not None or table.sums_note, f"{key}: adds up (check it here) or say why"
        if check is not None:
            assert table.sums_note is None, key
            check(table, board)
    # By partner: the statement is true -- the three-party campaign counts under B and D.
    partner = built["partner"]
    assert partner.sums_note == tables.BY_PARTNER_SUMS
    spend = sums_by(partner.rows, ("spend_minor",), ("currency",))[("EUR",)]["spend_minor"]
    assert spend > _headline(board)[("EUR", "Joint")]["spend_minor"]
    assert {r["partner"] for r in partner.rows} == {world.b.name, "Delta Sugar"}


def test_the_page_api_and_workbook_carry_the_statement(
    app,
    client,
    login_as,
    seeded,  # noqa: F811
):
    world = seeded
    with app.app_context():
        _, token = api_tokens.create_token(
            actor(world.a.email("analyst")), name="sums", scope="read", days=30
        )
        three = db.session.scalar(sa.select(Campaign.id).where(Campaign.name == THREE))
        db.session.remove()
    query = "?preset=custom&start=2027-03-01&end=2027-04-30"
    login_as(world.a.email("analyst"))
    page = client.get("/reports" + query).get_data(as_text=True)
    assert f'data-testid="sums-note-partner">{tables.BY_PARTNER_SUMS}</p>' in page
    assert 'data-testid="sums-note-channel"' not in page
    assert 'data-testid="sums-note-month"' not in page
    report = client.get(f"/campaigns/{three}/report").get_data(as_text=True)
    for key in ("pacing", "burndown", "transfers"):
        assert f'data-testid="sums-note-{key}"' in report, key
    for key in ("daily", "weekly", "reach-cost", "lead-cost", "settlement"):
        assert f'data-testid="sums-note-{key}"' not in report, key
    book = openpyxl.load_workbook(io.BytesIO(client.get("/reports/all.xlsx" + query).data))
    facts = {row[0]: row[1] for row in book["About"].values if row[0]}
    assert "What adds up" in facts
    assert facts["By partner"] == tables.BY_PARTNER_SUMS
    assert facts["By month"].startswith("Its rows add up exactly to the headline")
    api = client.get(
        "/api/v1/reports/dashboard" + query, headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert api["sums_notes"] == {
        "by_channel": None,
        "by_partner": tables.BY_PARTNER_SUMS,
        "by_month": None,
    }


# ---------------------------------------------------------------------------------------------
# The campaign report and the partner statement

TREND = tuple(TREND_COLUMNS)  # every figure a day carries


def raw_campaign(campaign_id: int) -> dict[str, int | None]:
    """The campaign's headline from the raw rows: each daily figure summed (None where no day
    reported it) and its spend (counted claims by service period), over every day."""
    out: dict[str, int | None] = dict.fromkeys(TREND)
    for m in db.session.scalars(
        sa.select(DailyMetric).where(DailyMetric.campaign_id == campaign_id)
    ):
        for name in TREND:
            value = getattr(m, name)
            if value is not None:
                out[name] = (out[name] or 0) + value
    cells = raw_cells({campaign_id}, date.min, date.max)
    out["spend_minor"] = sum(cell["spend"] for cell in cells.values())
    return out


def _trend(keys: tuple[str, ...]) -> Callable[[Table, Any, dict], None]:
    def check(table: Table, report: Any, raw: dict) -> None:
        got = sums_by(table.rows, keys, ())[()]
        assert got == {k: raw[k] for k in keys}, table.name

    return check


def _burndown(table: Table, report: Any, raw: dict) -> None:
    spent = sums_by(table.rows, ("spent_minor",), ())[()]["spent_minor"]
    assert spent == raw["spend_minor"] == table.rows[-1]["spent_to_date_minor"]


def _settlement(table: Table, report: Any, raw: dict) -> None:
    got = sums_by(table.rows, ("paid_minor", "share_minor", "balance_minor"), ())[()]
    total = report.settlement.total_spent_minor
    assert got == {"paid_minor": total, "share_minor": total, "balance_minor": 0}


CAMPAIGN_CHECKS: dict[str, Callable[[Table, Any, dict], None]] = {
    "daily": _trend(TREND),
    "weekly": _trend((*TREND, "spend_minor")),
    "reach-cost": _trend(("spend_minor", "reach")),
    "lead-cost": _trend(("spend_minor", "leads")),
    "burndown": _burndown,  # and says why its running totals are not added up
    "settlement": _settlement,
}


@pytest.mark.parametrize("name", [THREE, "Spring baking week"])
def test_every_campaign_report_table_adds_up_to_the_headline_or_says_why_not(
    app,
    seeded,  # noqa: F811
    name,
):
    world = seeded
    with app.app_context():
        campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.name == name))
        report = campaign_service.campaign_report(
            actor(world.a.email("analyst")), campaign_id, today=date(2027, 7, 31)
        )
        raw = raw_campaign(campaign_id)
        built = campaign_tables.all_tables(report)
    assert set(built) == set(campaign_tables.BUILDERS)
    assert raw["spend_minor"] and raw["reach"]
    for key, table in built.items():
        check = CAMPAIGN_CHECKS.get(key)
        assert check is not None or table.sums_note, f"{key}: adds up (check it here) or say why"
        if check is not None:
            check(table, report, raw)
    assert built["pacing"].sums_note == campaign_tables.PACING_SUMS
    assert built["transfers"].sums_note == campaign_tables.TRANSFERS_SUMS
    assert built["burndown"].sums_note == campaign_tables.BURNDOWN_SUMS


def test_the_partner_statement_totals_are_the_sums_of_its_campaigns(
    app,
    seeded,  # noqa: F811
):
    world = seeded
    with app.app_context():
        table = statement_table(
            statement.partner_statement(actor(world.a.email("analyst")), world.b.id)
        )
    money = [c.key for c in table.columns if c.kind == "money"]
    campaigns = [r for r in table.rows if r.get("campaign_id") is not None]
    totals = {r["currency"]: r for r in table.rows if r.get("campaign_id") is None}
    assert {r["campaign"] for r in campaigns} == {THREE, "Spring baking week"}
    assert table.sums_note is None
    for (currency,), sums in sums_by(campaigns, tuple(money), ("currency",)).items():
        assert sums == {key: totals[currency][key] for key in money}, currency

"""The campaign report: pacing and projections computed by hand on a seeded campaign, the
placement rankings, no division by zero, exports, tenancy, the query count, and the
"celebrate the win" notifications sent once per goal whatever door the results come in by."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.accounts.models import Organization, User
from comarketing.budgets import balances, reversals
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.metrics import entry
from comarketing.metrics.models import CampaignGoalEvent
from comarketing.notifications import Notification, NotificationPreference
from comarketing.outbox import OutboxMessage
from comarketing.reports import (
    campaign_charts,
    campaign_frames,
    campaign_pacing,
    campaign_service,
    campaign_tables,
)
from tests import campaign_helpers as ch
from tests import factories
from tests.metrics.conftest import import_id_from, upload
from tests.offer_helpers import actor

PM = "partner_manager"
START, END = date(2027, 3, 1), date(2027, 3, 10)  # ten days; 2027-03-01 is a Monday
TODAY = date(2027, 3, 4)  # day 4 of 10


def _day(day: str, reach: int, leads: int = 0, revenue: str = "0", cost: str = "0") -> dict:
    return {
        "day": day,
        "impressions": str(2 * reach),
        "reach": str(reach),
        "clicks": str(leads * 3),
        "leads": str(leads),
        "conversions": "0",
        "revenue": revenue,
        "cost": cost,
    }


@dataclass(frozen=True)
class Seeded:
    campaign: int
    email: int  # placement "Alpha mail"
    social: int  # placement "Alpha social"
    display: int  # placement "Alpha banner": spend, no results


@pytest.fixture
def seeded(app, world) -> Seeded:
    """A solo campaign of A, 2027-03-01..10, goals: reach 1,000, leads 50, no revenue goal.

    Results (reach / leads):           Ledger:
      mail    03-01 100/4 (EUR 10.00)    commitment 100.00 on 02-25 (before the start)
              03-02 150/6                mail    30.00 on 03-02
              03-03  50/0                banner   5.00 on 03-04
              03-08  10/0                social  20.00 on 03-06
      social  03-02 100/5 (EUR 5.50)
              03-05 500/0
    """
    pm = world.a.email(PM)
    with app.app_context():
        campaign = ch.solo_campaign(
            pm, "Pacing test", start=START, end=END, target_reach=1_000, target_leads=50
        )
        email = ch.add_placement(pm, campaign, world.a.id, channel="email", name="Alpha mail")
        social = ch.add_placement(pm, campaign, world.a.id, channel="social", name="Alpha social")
        banner = ch.add_placement(pm, campaign, world.a.id, channel="display", name="Alpha banner")
        entry.upsert_days(
            actor(pm),
            email,
            [
                _day("2027-03-01", 100, 4, revenue="10.00"),
                _day("2027-03-02", 150, 6),
                _day("2027-03-03", 50),
                _day("2027-03-08", 10),
            ],
        )
        entry.upsert_days(
            actor(pm),
            social,
            [_day("2027-03-02", 100, 5, revenue="5.50"), _day("2027-03-05", 500)],
        )
        ch.commit(pm, campaign, 10_000, occurred_on=date(2027, 2, 25))
        ch.spend(
            pm,
            campaign,
            email,
            3_000,
            occurred_on=date(2027, 3, 2),
            service=(date(2027, 3, 2),) * 2,
        )
        ch.spend(
            pm, campaign, banner, 500, occurred_on=date(2027, 3, 4), service=(date(2027, 3, 4),) * 2
        )
        ch.spend(
            pm,
            campaign,
            social,
            2_000,
            occurred_on=date(2027, 3, 6),
            service=(date(2027, 3, 6),) * 2,
        )
        db.session.remove()
    return Seeded(campaign, email, social, banner)


def _report(world, campaign_id: int, today: date = TODAY, role: str = "analyst"):
    return campaign_service.campaign_report(actor(world.a.email(role)), campaign_id, today=today)


# ---------------------------------------------------------------------------------------------
# Pacing and projection


def test_pacing_and_projection_match_the_figures_computed_by_hand(ctx, world, seeded):
    result = _report(world, seeded.campaign)
    assert (result.timeline.elapsed_days, result.timeline.campaign_days) == (4, 10)
    assert result.timeline.label == "Day 4 of 10"
    reach, leads, revenue = result.goals
    # Reach to date: 100 + 150 + 50 (mail) + 100 (social); 03-05 and 03-08 are after today.
    assert (reach.goal, reach.to_date, reach.target) == ("reach", 400, 1_000)
    assert reach.share == Fraction(2, 5)
    assert reach.projected == 1_000  # 400 / 4 days x 10 days: exactly the goal
    assert reach.on_track is True and reach.status == "On track"
    # Leads to date: 4 + 6 (mail) + 5 (social); 15 / 4 x 10 = 37.5 < 50.
    assert (leads.to_date, leads.target, leads.share) == (15, 50, Fraction(3, 10))
    assert leads.projected == Fraction(75, 2) and leads.projected_rounded == 38
    assert leads.on_track is False and leads.status == "Behind"
    # Revenue has no goal: shown, never divided.
    assert (revenue.to_date, revenue.target, revenue.share) == (1_550, None, None)
    assert revenue.on_track is None and revenue.status == "No goal"
    assert revenue.projected == Fraction(1_550 * 10, 4)


def test_the_projection_is_capped_before_the_start_and_after_the_end(ctx, world, seeded):
    before = _report(world, seeded.campaign, today=date(2027, 2, 20))
    assert before.timeline.elapsed_days == 0 and before.timeline.label == "Starts in 9 days"
    assert all(g.to_date == 0 and g.projected is None for g in before.goals)
    assert [g.status for g in before.goals] == ["Not started", "Not started", "No goal"]

    after = _report(world, seeded.campaign, today=date(2027, 5, 1))
    assert after.timeline.elapsed_days == 10 and after.timeline.phase == "ended"
    reach, leads, _ = after.goals
    # Every day counts; the projection is the final total, not extrapolated past the end.
    assert (reach.to_date, reach.projected) == (910, 910)
    assert (leads.to_date, leads.projected) == (15, 15)
    assert reach.status == "Behind"


def test_a_goal_of_zero_is_no_goal_and_a_campaign_without_data_divides_by_nothing(
    app, client, login_as, world
):
    pm = world.a.email(PM)
    with app.app_context():
        empty = ch.solo_campaign(pm, "Nothing yet", start=START, end=END, target_reach=0)
        ch.add_placement(pm, empty, world.a.id)
        db.session.remove()
        result = _report(world, empty)
        assert [g.status for g in result.goals] == ["No goal", "No goal", "No goal"]
        assert result.daily.empty and result.weekly.empty
        assert result.placements[0].cost_per_thousand_reached_minor is None
        assert result.placements[0].cpl_minor is None
        db.session.remove()
    login_as(pm)
    page = client.get(f"/campaigns/{empty}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:2000]
    assert "No goal set for this campaign" in html
    assert "—" in html and "No results yet." in html
    for key in campaign_tables.BUILDERS:
        for fmt in ("csv", "xlsx"):
            assert client.get(f"/campaigns/{empty}/report/{key}.{fmt}").status_code == 200


def test_the_arithmetic_alone_without_a_database():
    one_day = campaign_pacing.Timeline(START, START, as_of=START)
    assert (one_day.elapsed_days, one_day.campaign_days, one_day.label) == (1, 1, "Day 1 of 1")
    assert campaign_pacing.projection(7, one_day) == 7
    ten = campaign_pacing.Timeline(START, END, as_of=date(2027, 3, 3))
    assert campaign_pacing.projection(10, ten) == Fraction(100, 3)
    assert campaign_pacing.projection(0, ten) == 0
    # Entries before the start count on the first day; one dated years after the end lands
    # on the last day shown, so a mistyped year cannot make the burn-down endless.
    ledger = pd.DataFrame(
        [(date(2027, 2, 1), 500, 0), (date(2027, 3, 2), 0, 100), (date(2031, 1, 1), 0, 7)],
        columns=["day", "committed_minor", "spent_minor"],
    )
    burn = campaign_frames.burn_down(ledger, ten)
    assert burn[0] == campaign_frames.BurnDay(START, 500, 0, 0)
    assert len(burn) == 10 + campaign_frames.BURN_DAYS_AFTER_END
    assert (burn[-1].spent_minor, burn[-1].spent_to_date_minor, burn[-1].remaining_minor) == (
        7,
        107,
        393,
    )
    assert campaign_frames.burn_down(ledger.iloc[:0], ten)[-1].day == date(2027, 3, 3)
    assert campaign_frames.weekly(campaign_frames.empty_daily()).empty


# ---------------------------------------------------------------------------------------------
# Trend, rankings, burn-down, settlement


def test_the_trend_sums_each_day_and_each_week(ctx, world, seeded):
    result = _report(world, seeded.campaign)
    daily = result.daily.set_index("day")
    assert list(daily.index) == [date(2027, 3, d) for d in (1, 2, 3, 5, 8)]
    assert (
        daily.loc[date(2027, 3, 2), "reach"] == 250 and daily.loc[date(2027, 3, 2), "leads"] == 11
    )
    assert daily.loc[date(2027, 3, 1), "revenue_minor"] == 1_000
    weekly = result.weekly.set_index("week")
    assert list(weekly.index) == [date(2027, 3, 1), date(2027, 3, 8)]
    assert (
        weekly.loc[date(2027, 3, 1), "reach"] == 900 and weekly.loc[date(2027, 3, 1), "days"] == 4
    )
    assert weekly.loc[date(2027, 3, 8), "reach"] == 10
    assert weekly["impressions"].sum() == 2 * 910
    # Issue 14: the week's spend (ledger: 30.00 + 5.00 + 20.00) beside the reported cost.
    assert list(weekly["spend_minor"]) == [5_500, 0]
    assert list(weekly["difference_minor"]) == list(weekly["cost_minor"] - weekly["spend_minor"])


def test_placements_are_ranked_by_cost_per_thousand_reached_and_by_cpl(ctx, world, seeded):
    result = _report(world, seeded.campaign)
    spend = {p.name: p.spend_minor for p in result.placements}
    assert spend == {"Alpha mail": 3_000, "Alpha social": 2_000, "Alpha banner": 500}
    # Social: 2,000 x 1000 / 600 reached; mail: 3,000 x 1000 / 310; banner reached nobody:
    # not ranked, listed after the ranked ones with the reason.
    by_reach = result.by_reach_cost
    assert [(r.rank, r.placement.name, r.unranked_reason) for r in by_reach] == [
        (1, "Alpha social", None),
        (2, "Alpha mail", None),
        (None, "Alpha banner", "no reach reported"),
    ]
    assert by_reach[0].placement.cost_per_thousand_reached_minor == Fraction(10_000, 3)
    assert by_reach[1].placement.cost_per_thousand_reached_minor == Fraction(300_000, 31)
    assert by_reach[2].placement.cost_per_thousand_reached_minor is None
    # Mail: 3,000 / 10 leads = 300; social: 2,000 / 5 = 400; banner: no leads.
    by_cpl = result.by_cpl
    assert [
        (r.rank, r.placement.name, r.placement.cpl_minor, r.unranked_reason) for r in by_cpl
    ] == [
        (1, "Alpha mail", 300, None),
        (2, "Alpha social", 400, None),
        (None, "Alpha banner", None, "no leads reported"),
    ]
    table = campaign_tables.reach_cost_table(result)
    cost = next(c for c in table.columns if c.key == "cost_per_thousand_reached_minor")
    assert [campaign_tables.display(table, r, cost) for r in table.rows] == [
        "€33.33",
        "€96.77",
        "no reach reported",
    ]
    assert [campaign_tables.display(table, r, table.columns[0]) for r in table.rows] == [
        "1",
        "2",
        "—",
    ]


def test_a_placement_with_reach_but_no_spend_comes_after_the_ranked_ones(
    app, client, login_as, world, seeded
):
    """Issue 14: no booked spend is not a cost of €0.00 ranked first."""
    pm = world.a.email(PM)
    with app.app_context():
        free = ch.add_placement(pm, seeded.campaign, world.a.id, channel="content", name="Aa blog")
        entry.upsert_days(actor(pm), free, [_day("2027-03-02", 5_000, 50)])
        db.session.remove()
        result = _report(world, seeded.campaign)
    by_reach = [(r.rank, r.placement.name, r.unranked_reason) for r in result.by_reach_cost]
    assert by_reach == [
        (1, "Alpha social", None),
        (2, "Alpha mail", None),
        (None, "Aa blog", "no spend recorded"),
        (None, "Alpha banner", "no reach reported"),
    ]
    by_cpl = [(r.rank, r.placement.name, r.unranked_reason) for r in result.by_cpl]
    assert by_cpl[:2] == [(1, "Alpha mail", None), (2, "Alpha social", None)]
    assert by_cpl[2:] == [
        (None, "Aa blog", "no spend recorded"),
        (None, "Alpha banner", "no leads reported"),
    ]
    login_as(pm)
    page = client.get(f"/campaigns/{seeded.campaign}/report").get_data(as_text=True)
    ranking = page[page.index('data-testid="table-reach-cost"') :]
    ranking = ranking[: ranking.index("</table>")]
    blog_row = ranking[ranking.index("Aa blog") :]
    blog_row = blog_row[: blog_row.index("</tr>")]
    # Its spend is €0.00; its cost per 1,000 reached is not: it has none.
    assert blog_row.endswith('<td class="text-end text-nowrap">no spend recorded</td>')
    assert (
        ranking.index("Alpha mail") < ranking.index("Aa blog") < ranking.index("no spend recorded")
    )
    csv_text = client.get(f"/campaigns/{seeded.campaign}/report/lead-cost.csv").get_data(
        as_text=True
    )
    rows = [line.split(",") for line in csv_text.strip().splitlines()]
    cost = rows[0].index("Cost per lead")
    assert rows[3][0] == "" and rows[3][1] == "Aa blog" and rows[3][cost] == "no spend recorded"
    assert rows[1][0] == "1"
    body = client.get(f"/api/v1/reports/campaigns/{seeded.campaign}")
    # The API needs a token; its output is checked in tests/api (ranks and reasons).
    assert body.status_code == 401


def test_a_placements_spend_is_net_of_its_reversals(ctx, world, seeded):
    pm = world.a.email(PM)
    wrong = ch.spend(pm, seeded.campaign, seeded.social, 4_000, occurred_on=date(2027, 3, 3))
    reversals.reverse_entry(actor(pm), seeded.campaign, wrong.id, reason="Booked twice")
    result = _report(world, seeded.campaign)
    assert {p.name: p.spend_minor for p in result.placements}["Alpha social"] == 2_000


def test_the_burn_down_follows_the_ledger_day_by_day(ctx, world, seeded):
    result = _report(world, seeded.campaign)
    rows = [
        (b.day.day, b.committed_minor, b.spent_minor, b.spent_to_date_minor, b.remaining_minor)
        for b in result.burn
    ]
    # The commitment of 02-25 counts on the first day; the 03-06 expense (after today)
    # extends the days shown.
    assert rows == [
        (1, 10_000, 0, 0, 10_000),
        (2, 10_000, 3_000, 3_000, 7_000),
        (3, 10_000, 0, 3_000, 7_000),
        (4, 10_000, 500, 3_500, 6_500),
        (5, 10_000, 0, 3_500, 6_500),
        (6, 10_000, 2_000, 5_500, 4_500),
    ]
    burn = campaign_charts.chart_data(result)["burn"]
    assert len(burn["labels"]) == 10 and burn["spent"][5] == 5_500 and burn["spent"][6] is None
    assert burn["plan"][0] == 1_000 and burn["plan"][-1] == burn["committed"][-1] == 10_000
    position = result.settlement.positions[0]
    assert (position.paid_minor, position.share_minor, position.balance_minor) == (5_500, 5_500, 0)


def test_a_joint_campaign_shows_the_settlement_of_the_budget_ledger(app, client, login_as, world):
    with app.app_context():
        joint = ch.joint_campaign(world)
        claimed = ch.spend(
            world.a.email(PM), joint.id, joint.a_placement, 30_000, occurred_on=START
        )
        # Settlement counts confirmed claims only (issue 14): B confirms A's.
        ch.confirm_entry(world.b.email("approver"), joint.id, claimed.id)
        expected = balances.settlement(joint.id)
        db.session.remove()
    login_as(world.b.email("analyst"))
    html = client.get(f"/campaigns/{joint.id}/report").get_data(as_text=True)
    assert 'data-testid="table-settlement"' in html and 'data-testid="table-transfers"' in html
    assert "€120.00" in html  # B owes A its 40 % of the EUR 300.00 A paid
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/campaigns/{joint.id}/report/settlement.csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    assert rows[0] == ["Party", "Budget share (%)", "Paid", "Share of spend", "Balance"]
    paid = {row[0]: (row[1], row[2], row[4]) for row in rows[1:]}
    assert paid[world.a.name] == ("60", "300.00", "120.00")
    assert paid[world.b.name] == ("40", "0.00", "-120.00")
    assert sum(p.balance_minor for p in expected.positions) == 0
    transfers = client.get(f"/campaigns/{joint.id}/report/transfers.csv").get_data(as_text=True)
    assert f"{world.b.name},{world.a.name},120.00" in transfers


# ---------------------------------------------------------------------------------------------
# The page and its exports


def test_the_campaign_page_links_to_the_report_which_draws_from_json(
    client, login_as, world, seeded
):
    login_as(world.a.email("analyst"))
    detail = client.get(f"/campaigns/{seeded.campaign}").get_data(as_text=True)
    assert f'href="/campaigns/{seeded.campaign}/report"' in detail
    page = client.get(f"/campaigns/{seeded.campaign}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for key in campaign_tables.BUILDERS:
        if key not in ("settlement", "transfers"):  # a solo campaign has nothing to settle
            assert f'data-testid="table-{key}"' in html, key
    assert 'data-testid="solo-settlement"' in html
    assert 'id="campaign-report-data"' in html and "js/campaign-report.js" in html
    assert "<script>" not in html  # charts come from a file, data from inert JSON


@pytest.mark.parametrize("key", list(campaign_tables.BUILDERS))
def test_every_table_exports_with_numbers_as_numbers_and_a_safe_name(
    app, client, login_as, world, seeded, key
):
    with app.app_context():
        joint = ch.joint_campaign(world, name='Été "launch" / ../../etc')
        claimed = ch.spend(
            world.a.email(PM), joint.id, joint.a_placement, 30_000, occurred_on=START
        )
        # Confirmed, so the transfers table has a row (issue 14: pending claims do not settle).
        ch.confirm_entry(world.b.email("approver"), joint.id, claimed.id)
        entry.upsert_days(actor(world.a.email(PM)), joint.a_placement, [_day("2027-03-02", 90)])
        db.session.remove()
    login_as(world.a.email("analyst"))
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/campaigns/{joint.id}/report/{key}.{fmt}")
        assert response.status_code == 200, (key, fmt)
        name = re.fullmatch(
            r'attachment; filename="([^"]+)"', response.headers["Content-Disposition"]
        )
        assert name, response.headers["Content-Disposition"]
        assert re.fullmatch(r"[A-Za-z0-9._-]+", name.group(1)), name.group(1)
        assert name.group(1).startswith(f"comarketing-campaign-{joint.id}-Ete-launch-")
        assert name.group(1).endswith(f".{fmt}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) >= 2, key
    numbers = [cell for row in rows[1:] for cell in row if isinstance(cell, (int, float))]
    assert numbers, f"{key}: numbers must stay numbers in the workbook"


def test_names_that_look_like_formulas_are_neutralised_in_exports(
    app, client, login_as, world, seeded
):
    pm = world.a.email(PM)
    with app.app_context():
        evil = ch.add_placement(
            pm, seeded.campaign, world.a.id, name='=HYPERLINK("http://evil","x")'
        )
        ch.spend(pm, seeded.campaign, evil, 100, occurred_on=START)
        db.session.remove()
    login_as(pm)
    text = client.get(f"/campaigns/{seeded.campaign}/report/reach-cost.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    workbook = client.get(f"/campaigns/{seeded.campaign}/report/lead-cost.xlsx").data
    cells = [
        c
        for row in openpyxl.load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True)
        for c in row
    ]
    assert '\'=HYPERLINK("http://evil","x")' in cells


def test_the_pacing_export_writes_counts_and_money_as_numbers(client, login_as, world, seeded):
    login_as(world.a.email(PM))
    workbook = client.get(f"/campaigns/{seeded.campaign}/report/pacing.xlsx").data
    rows = list(openpyxl.load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("Goal", "To date", "Target", "Share of goal (%)", "Projected")
    # The page uses date.today(): only the goal columns are fixed; their types are the point.
    reach, leads, revenue = rows[1:]
    assert (
        reach[0] == "Reach (daily reach, summed)" and reach[2] == 1000 and isinstance(reach[1], int)
    )
    assert leads[2] == 50
    assert revenue[0] == "Revenue" and revenue[2] is None and isinstance(revenue[1], (int, float))
    assert revenue[5] == "No goal"


# ---------------------------------------------------------------------------------------------
# Tenancy


def test_another_companys_campaign_answers_404_like_a_missing_one(app, client, login_as, world):
    with app.app_context():
        gamma = ch.solo_campaign(world.c.email(PM), f"Gamma {world.canary}")
        joint = ch.joint_campaign(world)
        db.session.remove()
        with pytest.raises(NotFound):
            campaign_service.campaign_report(actor(world.a.email("admin")), gamma)
        db.session.remove()
    login_as(world.a.email("admin"))
    for campaign_id in (gamma, 10_000_000):
        assert client.get(f"/campaigns/{campaign_id}/report").status_code == 404
        for key in ("pacing", "settlement"):
            for fmt in ("csv", "xlsx"):
                response = client.get(f"/campaigns/{campaign_id}/report/{key}.{fmt}")
                assert response.status_code == 404
                assert world.canary not in response.get_data(as_text=True)
    assert client.get(f"/campaigns/{joint.id}/report").status_code == 200
    assert client.get(f"/campaigns/{joint.id}/report/nonsense.csv").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, world, seeded):
    for url in (
        f"/campaigns/{seeded.campaign}/report",
        f"/campaigns/{seeded.campaign}/report/daily.csv",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# ---------------------------------------------------------------------------------------------
# Query count


def test_the_report_runs_the_same_queries_for_two_placements_or_twelve(
    app, client, login_as, world, query_counter
):
    pm = world.a.email(PM)
    counts = []
    for n in (2, 12):
        with app.app_context():
            campaign = ch.solo_campaign(pm, f"Many {n}", start=START, end=END, target_reach=10)
            ch.commit(pm, campaign, 1_000_000, occurred_on=START)
            for i in range(n):
                placement = ch.add_placement(pm, campaign, world.a.id, name=f"P{i}")
                entry.upsert_days(
                    actor(pm), placement, [_day("2027-03-02", 10 + i, i), _day("2027-03-09", 5)]
                )
                ch.spend(pm, campaign, placement, 100 + i, occurred_on=date(2027, 3, 2))
            db.session.remove()
        login_as(pm)
        with query_counter() as statements:
            assert client.get(f"/campaigns/{campaign}/report").status_code == 200
        counts.append(len(statements))
        with query_counter() as statements:
            assert client.get(f"/campaigns/{campaign}/report/reach-cost.xlsx").status_code == 200
        counts.append(len(statements))
    # 21: spend by service period is one aggregate of its own beside the commitments (issue 14);
    # 24: coverage reads the placements' months, their claims by month and who reported to date
    # (issue 15); 26: the page checks the campaign is the reader's and reads the company's
    # data version before looking in the report cache (issue 21; a cached page runs 4).
    assert counts[0] == counts[2] and counts[1] == counts[3] and counts[0] <= 26, counts


# ---------------------------------------------------------------------------------------------
# Celebrate the win


def _goal_notifications(app, campaign_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Notification.user_id, Notification.title)
            .where(Notification.kind == "goal_reached")
            .order_by(Notification.user_id, Notification.id)
        ).all()
        db.session.remove()
    return [(int(u), str(t)) for u, t in rows]


# Who hears that a goal was reached (policy.NOTIFICATION_AUDIENCE): not the approvers.
GOAL_AUDIENCE = ("admin", "partner_manager", "analyst")


def _party_users(app, *org_ids: int, roles: tuple[str, ...] = ()) -> list[int]:
    with app.app_context():
        ids = db.session.scalars(
            sa.select(User.id)
            .where(
                User.organization_id.in_(org_ids),
                User.active,
                User.role.in_(roles) if roles else sa.true(),
            )
            .order_by(User.id)
        ).all()
        db.session.remove()
    return list(ids)


def test_reaching_a_goal_tells_every_party_once_even_when_the_day_is_loaded_again(app, world):
    """Those who run campaigns and the analysts of every party hear of it; approvers do not
    (policy.NOTIFICATION_AUDIENCE); an analyst who wants it in the app only gets no mail."""
    a_pm, b_pm = world.a.email(PM), world.b.email(PM)
    with app.app_context():
        joint = ch.joint_campaign(world)  # reach goal 50,000
        factories.UserFactory(
            organization=db.session.get(Organization, world.a.id), role="analyst", active=False
        )
        db.session.add(
            NotificationPreference(
                user_id=world.b.user_ids["analyst"], kind="goal_reached", channel="app"
            )
        )
        db.session.commit()
        entry.upsert_days(actor(a_pm), joint.a_placement, [_day("2027-03-01", 30_000)])
        db.session.remove()
    assert _goal_notifications(app, joint.id) == []

    with app.app_context():
        entry.upsert_days(actor(b_pm), joint.b_placement, [_day("2027-03-02", 20_000)])
        db.session.remove()
    told = _goal_notifications(app, joint.id)
    expected = _party_users(app, world.a.id, world.b.id, roles=GOAL_AUDIENCE)
    assert [user for user, _ in told] == expected and len(expected) == 6
    assert told[0][1] == "Goal reached: Spring baking week hit its reach goal of 50,000"
    with app.app_context():
        mail = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "goal_reached")
        ).all()
        everyone = [
            email
            for company in (world.a, world.b)
            for role, email in company.users.items()
            if role != "approver"
        ]
        opted_out = world.b.email("analyst")
        assert sorted(m.recipient for m in mail) == sorted(e for e in everyone if e != opted_out)
        assert f"http://localhost/campaigns/{joint.id}/report" in mail[0].body
        events = db.session.scalars(sa.select(CampaignGoalEvent)).all()
        assert [(e.campaign_id, e.goal) for e in events] == [(joint.id, "reach")]
        # The same day again, a changed day, a day taken below and back above the goal:
        # nobody is told twice.
        entry.upsert_days(actor(b_pm), joint.b_placement, [_day("2027-03-02", 20_000)])
        entry.upsert_days(actor(b_pm), joint.b_placement, [_day("2027-03-02", 25_000)])
        entry.upsert_days(actor(b_pm), joint.b_placement, [_day("2027-03-02", 1)])
        entry.upsert_days(actor(b_pm), joint.b_placement, [_day("2027-03-02", 40_000)])
        db.session.remove()
    assert _goal_notifications(app, joint.id) == told
    assert not set(_party_users(app, world.c.id)) & {u for u, _ in told}


def test_each_goal_is_celebrated_on_its_own(app, world):
    pm = world.a.email(PM)
    with app.app_context():
        campaign = ch.solo_campaign(
            pm,
            "Three goals",
            start=START,
            end=END,
            target_reach=100,
            target_leads=10,
            target_revenue_minor=5_000,
        )
        placement = ch.add_placement(pm, campaign, world.a.id)
        entry.upsert_days(actor(pm), placement, [_day("2027-03-01", 100, 9, revenue="49.99")])
        entry.upsert_days(actor(pm), placement, [_day("2027-03-02", 1, 1)])
        entry.upsert_days(actor(pm), placement, [_day("2027-03-03", 1, 0, revenue="0.01")])
        db.session.remove()
    titles = [t for _, t in _goal_notifications(app, campaign)]
    per_user = len(_party_users(app, world.a.id, roles=GOAL_AUDIENCE))
    assert len(titles) == 3 * per_user
    assert {t.split(" hit its ")[1] for t in titles} == {
        "reach goal of 100",
        "leads goal of 10",
        "revenue goal of €50.00",
    }


def test_a_file_import_that_reaches_a_goal_tells_the_parties_once(app, client, login_as, world):
    with app.app_context():
        joint = ch.joint_campaign(world)  # reach goal 50,000
        db.session.remove()
    login_as(world.a.email(PM))
    header = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
    content = (
        header
        + "2027-03-01,Alpha newsletter,40000,30000,5,0,0,0,1.00\n"
        + "2027-03-02,Alpha newsletter,40000,30000,5,0,0,0,1.00\n"
    ).encode()
    for again in ({}, {"import_again": "y"}):
        import_id = import_id_from(upload(client, content))
        response = client.post(f"/metrics/imports/{import_id}/confirm", data=again)
        assert response.status_code == 302
    told = _goal_notifications(app, joint.id)
    assert [u for u, _ in told] == _party_users(app, world.a.id, world.b.id, roles=GOAL_AUDIENCE)


def test_a_refused_file_celebrates_nothing(app, client, login_as, world):
    with app.app_context():
        joint = ch.joint_campaign(world)
        db.session.remove()
    login_as(world.a.email(PM))
    header = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
    content = (
        header
        + "2027-03-01,Alpha newsletter,90000,60000,5,0,0,0,1.00\n"
        + "2027-03-02,Alpha newsletter,10,60000,5,0,0,0,1.00\n"  # reach above impressions
    ).encode()
    import_id = import_id_from(upload(client, content))
    client.post(f"/metrics/imports/{import_id}/confirm", data={})
    assert _goal_notifications(app, joint.id) == []
    with app.app_context():
        assert db.session.scalars(sa.select(CampaignGoalEvent)).all() == []
        db.session.remove()


@pytest.mark.pg_only
def test_two_parties_reaching_the_goal_at_the_same_moment_tell_everyone_once(app, world):
    """Each write alone takes the campaign past its goal; on PostgreSQL the second insert of the
    goal waits for the first one's row and skips it, so nobody is told twice."""
    import threading

    with app.app_context():
        joint = ch.joint_campaign(world)  # reach goal 50,000
        entry.upsert_days(actor(world.a.email(PM)), joint.a_placement, [_day("2027-03-01", 40_000)])
        db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]
    writes = [
        (world.a.email(PM), joint.a_placement, "2027-03-02"),
        (world.b.email(PM), joint.b_placement, "2027-03-03"),
    ]

    def run(index: int) -> None:
        email, placement, day = writes[index]
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = entry.upsert_days(
                    actor(email), placement, [_day(day, 20_000)]
                ).status
            except Exception as exc:  # recorded for the assertion message
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["succeeded", "succeeded"], outcomes
    told = _goal_notifications(app, joint.id)
    assert [u for u, _ in told] == _party_users(app, world.a.id, world.b.id, roles=GOAL_AUDIENCE)


def test_a_reversal_counts_on_the_day_of_the_entry_it_reverses(ctx, world, seeded):
    """Issue 14: a correction posted later never shows as negative spend on its own day."""
    pm = world.a.email(PM)
    wrong = ch.spend(pm, seeded.campaign, seeded.social, 4_000, occurred_on=date(2027, 3, 3))
    with freeze_time("2027-03-09 12:00:00"):
        reversal = reversals.reverse_entry(actor(pm), seeded.campaign, wrong.id, reason="Twice")
    assert reversal.occurred_on == date(2027, 3, 9)  # posted then; counted on 03-03
    result = _report(world, seeded.campaign)
    spent = {b.day: b.spent_minor for b in result.burn}
    assert spent[date(2027, 3, 3)] == 0
    assert spent.get(date(2027, 3, 9), 0) == 0
    assert all(b.spent_minor >= 0 for b in result.burn)
    # The dashboard: the month of the correction shows no negative spend either.
    from comarketing.reports import services

    board = services.dashboard(
        actor(world.a.email("analyst")), services.Period(date(2027, 3, 9), date(2027, 3, 31))
    )
    # (Before issue 14 this period showed the solo campaign at -EUR 40.00.)
    assert [c.solo.spend_minor for c in board.comparisons] in ([], [0])

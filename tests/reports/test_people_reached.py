"""People reached, not person-days (issue 16): a placement's flight reach counts when the period
covers its whole flight; otherwise its daily reach is summed and labelled so, everywhere."""

from __future__ import annotations

import csv
import html as html_text
import io
import re
from datetime import date
from fractions import Fraction

import openpyxl
import pandas as pd
import pytest

from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from comarketing.money import split_by_shares
from comarketing.reports import people, services
from comarketing.reports.people import DAILY_LABEL, FLIGHT_LABEL
from tests import campaign_helpers as ch
from tests.api.conftest import api_as, make_token  # noqa: F401 - fixtures
from tests.offer_helpers import actor

PM = "partner_manager"
WHOLE = services.Period(date(2027, 3, 1), date(2027, 4, 30))  # the placements' flights
CUT = services.Period(date(2027, 3, 10), date(2027, 4, 30))
WHOLE_QUERY = "?preset=custom&start=2027-03-01&end=2027-04-30"


# ---------------------------------------------------------------------------------------------
# The pure function


def _placements(rows: list[tuple[int, int, int, int, int, date, date]]) -> pd.DataFrame:
    """Placements (frames.placements_of's columns that matter) from rows of reach,
    reported__reach, missing__reach, spend, flight reach (-1: none), start, end."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "reach",
            "reported__reach",
            "missing__reach",
            "spend_minor",
            "flight_reach",
            "start_date",
            "end_date",
        ],
    )
    frame["placement_id"] = range(1, len(rows) + 1)
    frame["currency"], frame["kind"] = "EUR", "joint"
    return frame


MAR1, MAR12, APR30 = date(2027, 3, 1), date(2027, 3, 12), date(2027, 4, 30)
FACTS = ["start_date", "end_date", "flight_reach"]


def _with_people(frame: pd.DataFrame, period) -> pd.DataFrame:
    """``people.with_people`` with the flights of ``frame``'s rows whose flight reach is
    known (-1: none), as ``queries.flights`` gives them."""
    if "flight_reach" not in frame:
        return people.with_people(frame, period)
    flights = frame.loc[frame["flight_reach"] >= 0, ["placement_id", *FACTS]]
    return people.with_people(frame.drop(columns=FACTS), period, flights)


def test_the_flight_reach_counts_only_when_the_period_covers_the_whole_flight():
    placements = _placements(
        [
            (9_000, 1, 0, 100, 1_200, MAR1, APR30),  # covered: the flight reach
            (9_000, 1, 0, 100, 1_200, MAR1, date(2027, 5, 2)),  # flight ends after: daily
            (9_000, 1, 1, 100, -1, MAR1, APR30),  # no flight reach; daily reach on some days
            (0, 0, 1, 100, -1, MAR1, APR30),  # nothing reported
            (0, 0, 1, 100, 700, date(2027, 3, 2), APR30),  # no daily rows but a covered flight
        ]
    )
    got = _with_people(placements, WHOLE)
    assert got["people"].tolist() == [1_200, 9_000, 9_000, 0, 700]
    assert got["people_known"].tolist() == [1, 1, 0, 0, 1]
    assert got["people_kind"].tolist() == ["flight", "daily", "daily", "none", "flight"]
    assert _with_people(placements, CUT)["people_kind"].tolist() == [
        "daily",
        "daily",
        "daily",
        "none",
        "none",  # a flight starting 2 March is cut by a period from 10 March
    ]


def test_without_flight_facts_the_daily_reach_is_summed():
    frame = _placements([(500, 1, 0, 10, -1, MAR1, APR30)]).drop(columns=FACTS)
    got = _with_people(frame, WHOLE)
    assert got[["people", "people_known", "people_kind"]].values.tolist() == [[500, 1, "daily"]]


def test_the_headline_figure_says_what_it_rests_on_in_shares_of_spend():
    placements = _with_people(
        _placements(
            [
                (9_000, 1, 0, 40, 1_200, MAR1, APR30),
                (3_000, 1, 0, 55, -1, MAR1, APR30),
                (0, 0, 1, 5, -1, MAR1, APR30),
            ]
        ),
        WHOLE,
    )
    figure = people.reached(placements)
    assert figure.value == 1_200 + 3_000
    assert figure.shares == {
        "flight": Fraction(40, 100),
        "daily": Fraction(55, 100),
        "none": Fraction(5, 100),
    }
    assert (
        figure.text
        == "flight reach for 40 % of spend, daily reach summed for 55 %, not reported 5 %"
    )
    assert figure.label == DAILY_LABEL
    only_flight = people.reached(placements[placements["people_kind"] != "daily"])
    assert only_flight.label == FLIGHT_LABEL and only_flight.value == 1_200
    assert people.reached(placements[placements["people_kind"] == "none"]).value is None
    assert people.NONE_REACHED.label == DAILY_LABEL  # "people" only with a flight behind it


# ---------------------------------------------------------------------------------------------
# Through the database, the page, the files and the API


def _days(email: str, placement: int, reach_by_day: dict[date, int | None]) -> None:
    from comarketing.metrics import entry

    entry.upsert_days(
        actor(email),
        placement,
        [
            {
                "day": day.isoformat(),
                "impressions": "5000",
                "reach": "" if reach is None else str(reach),
                "clicks": "10",
            }
            for day, reach in reach_by_day.items()
        ],
    )


@pytest.fixture
def scene(app, world):
    """A joint A+B campaign (60/40): A's placement with a flight reach of 4,321 and daily reach
    of 1,000 on four days; B's with daily reach only (500 on four days); A's extra placement
    with spend but no reach. A solo campaign with a flight reach on its one placement."""
    a_pm, b_pm = world.a.email(PM), world.b.email(PM)
    days = [date(2027, 3, 5), date(2027, 3, 6), date(2027, 4, 1), date(2027, 4, 2)]
    with app.app_context():
        joint = ch.joint_campaign(world, budget_minor=1_000_000)
        extra = ch.add_placement(a_pm, joint.id, world.a.id, channel="event", name="Fair")
        _days(a_pm, joint.a_placement, dict.fromkeys(days, 1_000))
        _days(b_pm, joint.b_placement, dict.fromkeys(days, 500))
        _days(a_pm, extra, dict.fromkeys(days))  # results, no reach
        for email, placement, amount in (
            (a_pm, joint.a_placement, 100_000),
            (b_pm, joint.b_placement, 50_000),
            (a_pm, extra, 10_000),
        ):
            ch.spend(email, joint.id, placement, amount, occurred_on=MAR12, service=(MAR12,) * 2)
        solo = ch.solo_campaign(a_pm, "Alpha solo")
        solo_placement = ch.add_placement(a_pm, solo, world.a.id, channel="email")
        ch.commit(a_pm, solo, 500_000)
        _days(a_pm, solo_placement, dict.fromkeys(days, 800))
        ch.spend(a_pm, solo, solo_placement, 40_000, occurred_on=MAR12, service=(MAR12,) * 2)
        db.session.get(Placement, joint.a_placement).flight_reach = 4_321
        db.session.get(Placement, solo_placement).flight_reach = 2_345
        db.session.commit()
        db.session.remove()
    return world


def _own(amount: int, world) -> int:
    return split_by_shares(amount, {world.a.id: 6_000, world.b.id: 4_000})[world.a.id]


def test_a_covered_flight_counts_its_flight_reach_and_mixed_kinds_give_exact_shares(app, scene):
    with app.app_context():
        board = services.dashboard(actor(scene.a.email("analyst")), WHOLE)
    [eur] = board.comparisons
    joint, solo = eur.joint.people, eur.solo.people
    assert joint is not None and solo is not None
    assert joint.value == 4_321 + 4 * 500  # A's flight reach + B's daily reach summed
    assert eur.joint.reach == 4 * 1_000 + 4 * 500  # the summed daily reach stays as it was
    flight, daily, none = (_own(a, scene) for a in (100_000, 50_000, 10_000))
    total = flight + daily + none
    assert joint.shares == {
        "flight": Fraction(flight, total),
        "daily": Fraction(daily, total),
        "none": Fraction(none, total),
    }
    assert joint.label == DAILY_LABEL
    assert (
        joint.text
        == "flight reach for 62 % of spend, daily reach summed for 31 %, not reported 6 %"
    )
    assert (solo.value, solo.label, solo.shares["flight"]) == (2_345, FLIGHT_LABEL, 1)


def test_a_period_cutting_the_flight_falls_back_to_daily_reach_summed(app, scene):
    with app.app_context():
        board = services.dashboard(actor(scene.a.email("analyst")), CUT)
    [eur] = board.comparisons
    assert eur.joint.people.value == eur.joint.reach == 2 * 1_000 + 2 * 500  # April's days
    assert eur.joint.people.shares["flight"] == 0
    assert eur.solo.people.value == 2 * 800
    assert eur.solo.people.label == DAILY_LABEL


PEOPLE_WORDS = re.compile(r"people|person(?!-days| counts)", re.IGNORECASE)


def _labels_of_summed_daily_reach(labels: list[str]) -> list[str]:
    """Labels naming a reach figure ("reach" in them) that call it people."""
    return [
        label
        for label in labels
        if "reach" in label.lower()
        and PEOPLE_WORDS.search(label)
        and label not in (FLIGHT_LABEL, DAILY_LABEL)
    ]


def test_the_page_labels_the_figures_and_never_calls_summed_daily_reach_people(
    client, login_as, scene
):
    login_as(scene.a.email("analyst"))
    html = client.get("/reports" + WHOLE_QUERY).get_data(as_text=True)
    assert 'data-testid="tile-people-EUR"' in html
    assert DAILY_LABEL in html and FLIGHT_LABEL.replace("'", "&#39;") in html
    assert "flight reach for 62 % of spend, daily reach summed for 31 %, not reported 6 %" in html
    assert "Daily reach, summed, by channel" in html
    assert 'data-testid="people-explained"' in html
    headers = re.findall(r"<th[^>]*>(.*?)</th>", html)
    assert headers and not _labels_of_summed_daily_reach(headers)
    # Every sentence of the page that says "people" is about flight reach or says "daily".
    text = html_text.unescape(re.sub(r"<[^>]+>", " ", html))
    for sentence in re.split(r"(?<=[.:;])\s", text):
        if re.search(r"\bpeople\b", sentence, re.IGNORECASE) and "reach" in sentence.lower():
            assert "flight" in sentence.lower() or "daily" in sentence.lower(), sentence
    cut = client.get("/reports?preset=custom&start=2027-03-10&end=2027-04-30")
    assert FLIGHT_LABEL.replace("'", "&#39;") not in cut.get_data(as_text=True)


@pytest.mark.parametrize("key", ["headline", "channel", "partner", "month"])
def test_export_headers_call_summed_daily_reach_what_it_is(client, login_as, scene, key):
    login_as(scene.a.email("analyst"))
    body = client.get(f"/reports/{key}.csv" + WHOLE_QUERY).get_data(as_text=True)
    header = next(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert DAILY_LABEL in header  # the summed daily reach column says what it is
    assert not _labels_of_summed_daily_reach(header)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/reports/{key}.xlsx" + WHOLE_QUERY).data))
    sheet = book.worksheets[-1]
    xlsx_header = [str(c) for c in next(sheet.iter_rows(values_only=True))]
    assert not _labels_of_summed_daily_reach(xlsx_header)
    about = [str(c) for row in book["About"].iter_rows(values_only=True) for c in row if c]
    assert "Daily reach, summed" in about and "People reached" in about


def test_the_headline_export_carries_the_people_figure_and_its_kinds(client, login_as, scene):
    login_as(scene.a.email("analyst"))
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/reports/headline.xlsx" + WHOLE_QUERY).data)
    )
    rows = list(book.worksheets[-1].iter_rows(values_only=True))
    header = list(rows[0])
    joint = dict(zip(header, next(r for r in rows if r[1] == "Joint"), strict=True))
    assert joint["Reach figure"] == 4_321 + 4 * 500
    assert joint["Reach figure is"] == DAILY_LABEL
    assert joint["Flight reach: share of own spend (%)"] == pytest.approx(
        _own(100_000, scene) / (_own(100_000, scene) + _own(50_000, scene) + _own(10_000, scene))
    )


def test_the_api_gives_people_reached_with_its_kinds(scene, api_as):  # noqa: F811
    reader = api_as(scene.a.email("analyst"))
    body = reader.get("/api/v1/reports/dashboard" + WHOLE_QUERY).get_json()
    [eur] = body["currencies"]
    flight, daily, none = (_own(a, scene) for a in (100_000, 50_000, 10_000))
    total = flight + daily + none
    assert eur["joint"]["people_reached"] == {
        "value": 4_321 + 4 * 500,
        "label": DAILY_LABEL,
        "kinds": {
            "flight": f"{flight / total:.4f}",
            "daily_summed": f"{daily / total:.4f}",
            "not_reported": f"{none / total:.4f}",
        },
        "text": "flight reach for 62 % of spend, daily reach summed for 31 %, not reported 6 %",
    }
    assert eur["solo"]["people_reached"]["label"] == FLIGHT_LABEL


def test_the_api_document_never_calls_summed_daily_reach_people(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    [figures] = [s for s in schemas.values() if "people_reached" in s.get("properties", {})]
    assert figures["properties"]["reach"]["description"].startswith(DAILY_LABEL)
    reach_schemas = [
        s for s in schemas.values() if any("reach" in name for name in s.get("properties", {}))
    ]
    described = [
        str(p.get("description", "")) for s in reach_schemas for p in s["properties"].values()
    ]
    for text in described:
        if re.search(r"\bpeople\b", text, re.IGNORECASE):
            # One day's reach is people; a flight's too; a sum over days never.
            assert any(w in text for w in ("flight", "not a count of people", "that day")), text


def test_no_placements_give_no_people():
    empty = _with_people(_placements([]).iloc[0:0], WHOLE)
    assert list(empty.columns[-3:]) == ["people", "people_known", "people_kind"]
    assert people.reached(empty) is people.NONE_REACHED


def _joint_id(app) -> int:
    import sqlalchemy as sa

    from comarketing.campaigns.models import Campaign

    with app.app_context():
        return db.session.scalar(sa.select(Campaign.id).where(Campaign.kind == "joint"))


def test_the_campaign_report_shows_flight_reach_beside_daily_reach_summed(
    app,
    client,
    login_as,
    scene,
    api_as,  # noqa: F811
):
    campaign = _joint_id(app)
    login_as(scene.a.email("analyst"))
    html = client.get(f"/campaigns/{campaign}/report").get_data(as_text=True)
    headers = re.findall(r"<th[^>]*>(.*?)</th>", html)
    assert "People reached (platform&#39;s flight reach)" in headers
    assert DAILY_LABEL in headers and "Reach (daily reach, summed)" in html
    assert not _labels_of_summed_daily_reach([h for h in headers if "flight" not in h.lower()])
    body = client.get(f"/campaigns/{campaign}/report/reach-cost.csv").get_data(as_text=True)
    header, *rows = body.lstrip("\ufeff").splitlines()
    assert "People reached (platform's flight reach)" in header and DAILY_LABEL in header
    assert any("Alpha newsletter" in r and "4321" in r for r in rows)
    assert any("Beta social post" in r and "not reported" in r for r in rows)
    body = api_as(scene.a.email("analyst")).get(f"/api/v1/reports/campaigns/{campaign}")
    placements = body.get_json()["placements_by_cost_per_thousand_reached"]
    assert {p["name"]: p["flight_reach"] for p in placements} == {
        "Alpha newsletter": 4_321,
        "Beta social post": None,
        "Fair": None,
    }


def test_a_placement_that_only_spent_counts_its_flight_reach(app, world):
    pm = world.a.email(PM)
    with app.app_context():
        solo = ch.solo_campaign(pm, "Alpha solo")
        ch.commit(pm, solo, 500_000)
        daily = ch.add_placement(pm, solo, world.a.id, name="Daily")
        # A one-day flight without daily rows, and a placement with neither.
        flight = ch.add_placement(pm, solo, world.a.id, name="Flight", start=MAR12, end=MAR12)
        silent = ch.add_placement(pm, solo, world.a.id, name="Silent")
        _days(pm, daily, {date(2027, 3, 20): 300, date(2027, 3, 21): 200})
        for placement, amount in ((daily, 1_000), (flight, 3_000), (silent, 1_000)):
            ch.spend(pm, solo, placement, amount, occurred_on=MAR12, service=(MAR12,) * 2)
        db.session.get(Placement, flight).flight_reach = 900
        db.session.commit()
        analyst = actor(world.a.email("analyst"))
        [eur] = services.dashboard(analyst, WHOLE).comparisons
        [cut] = services.dashboard(analyst, CUT).comparisons
        # A day with spend and no daily rows at all: the flight still counts.
        [day] = services.dashboard(analyst, services.Period(MAR12, MAR12)).comparisons
    assert eur.solo.people.value == 500 + 900
    assert eur.solo.people.shares == {
        "flight": Fraction(3, 5),
        "daily": Fraction(1, 5),
        "none": Fraction(1, 5),
    }
    assert eur.solo.reach == 500  # daily reach summed: only what the days reported
    assert cut.solo.people.value == 500 + 900  # 10 March on still covers the 12 March flight
    assert (day.solo.people.value, day.solo.people.label) == (900, FLIGHT_LABEL)
    assert day.solo.people.shares == {  # Daily reported nothing that day
        "flight": Fraction(3, 5),
        "daily": Fraction(0),
        "none": Fraction(2, 5),
    }
    assert day.solo.reach is None

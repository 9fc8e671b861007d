"""A results file's rows for a placement's whole flight (issue 16): a row without a single day
but with the flight's start and end stores the placement's flight reach (audited; a later file
replaces it) and none of its figures as days; a row whose range is not the flight is refused
naming both ranges; a file of daily rows behaves as before. The page and the API preview say
what will be stored."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from comarketing.audit import AuditEvent
from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from comarketing.metrics import imports as metric_imports
from comarketing.metrics import runs, uploads
from comarketing.metrics.models import DailyMetric, MetricImport
from tests import campaign_helpers as ch
from tests.metrics.conftest import PM, refused_then_run, upload_campaign
from tests.offer_helpers import actor

FIXTURE = Path(__file__).parents[1] / "fixtures" / "flight_reach" / "meta_without_day.csv"
SEARCH, SOCIAL = "Spring Bake Search", "Spring Bake Social"
NOT_DAYS = (
    "These rows cover each placement's whole flight: their other figures (impressions, clicks, "
    "cost ...) are flight totals, not days, and are not stored as daily rows."
)


@pytest.fixture
def spring(app, world) -> dict[str, object]:
    return build_spring(app, world)


def build_spring(app, world) -> dict[str, object]:
    """A's solo campaign 2026-03-01..04-15: Search runs through March, Social the whole time."""
    with app.app_context():
        email = world.a.email(PM)
        campaign = ch.solo_campaign(
            email, "Spring Bake", start=date(2026, 3, 1), end=date(2026, 4, 15)
        )
        search = ch.add_placement(email, campaign, world.a.id, name=SEARCH, end=date(2026, 3, 31))
        social = ch.add_placement(email, campaign, world.a.id, name=SOCIAL)
        db.session.remove()
    return {"email": email, "campaign": campaign, SEARCH: search, SOCIAL: social}


def _upload(app, email: str, content: bytes) -> int:
    with app.app_context():
        return uploads.upload(
            actor(email), io.BytesIO(content), "meta.csv", campaign_id=upload_campaign(email)
        ).id


def _import(app, email: str, content: bytes) -> str:
    import_id = _upload(app, email, content)
    with app.app_context():
        metric_imports.confirm(actor(email), import_id, post_costs=False)
        return runs.run_import(import_id).status


def _reaches(app, spring) -> dict[str, int | None]:
    with app.app_context():
        return {
            name: db.session.get(Placement, spring[name]).flight_reach  # type: ignore[union-attr]
            for name in (SEARCH, SOCIAL)
        }


def _days(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)) or 0


def test_the_preview_names_the_flight_reaches_and_stores_no_days(app, spring):
    import_id = _upload(app, spring["email"], FIXTURE.read_bytes())
    with app.app_context():
        preview = metric_imports.preview(actor(spring["email"]), import_id)
        assert preview.errors == [] and preview.problems == []
        assert preview.skipped_rows == [2]  # Meta's account summary row
        assert preview.flight_reach == {spring[SEARCH]: 48_210, spring[SOCIAL]: 91_466}
        assert preview.stored_rows == [] and preview.ledger == []
        assert preview.flight_reach_note == (
            "Flight reach for 2 placements: Spring Bake Search 48,210 people (2026-03-01 to "
            "2026-03-31), Spring Bake Social 91,466 people (2026-03-01 to 2026-04-15). " + NOT_DAYS
        )


def test_the_import_stores_the_flight_reach_audited_and_a_later_file_replaces_it(app, spring):
    assert _import(app, spring["email"], FIXTURE.read_bytes()) == "succeeded"
    assert _reaches(app, spring) == {SEARCH: 48_210, SOCIAL: 91_466}
    assert _days(app) == 0  # the flight totals are not days
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "placement.flight_reach")
        ).all()
        assert sorted((e.target_id, e.details["before"], e.details["after"]) for e in events) == [
            (spring[SEARCH], None, 48_210),
            (spring[SOCIAL], None, 91_466),
        ]
        assert all(e.details["source"] == "import" for e in events)
        [message] = db.session.scalars(sa.select(MetricImport.message)).all()
        assert message == (
            "Flight reach stored for 2 placements; the rows for whole flights were not stored "
            "as days."
        )

    later = FIXTURE.read_bytes().replace(b",48210,", b",50102,")
    assert _import(app, spring["email"], later) == "succeeded"
    assert _reaches(app, spring) == {SEARCH: 50_102, SOCIAL: 91_466}


def test_a_row_whose_range_is_not_the_flight_is_refused_naming_both_ranges(app, spring):
    content = FIXTURE.read_bytes().replace(
        b'2026-03-01,2026-04-15,"Spring Bake Social"', b'2026-03-01,2026-03-31,"Spring Bake Social"'
    )
    import_id = _upload(app, spring["email"], content)
    with app.app_context():
        who = actor(spring["email"])
        preview = metric_imports.preview(who, import_id)
        assert [(e["row"], e["column"], e["value"], e["reason"]) for e in preview.errors] == [
            (
                4,
                "Reporting starts",
                "2026-03-01 to 2026-03-31",
                "covers 2026-03-01 to 2026-03-31, the placement runs 2026-03-01 to 2026-04-15: "
                "flight reach is only taken for the whole flight",
            )
        ]
        assert refused_then_run(who, import_id).status == "failed"
    assert _reaches(app, spring) == {SEARCH: None, SOCIAL: None}


def test_a_flight_row_without_reach_or_repeated_is_refused(app, spring):
    lines = FIXTURE.read_bytes().splitlines(keepends=True)
    no_reach = lines[2].replace(b",48210,", b",,")
    import_id = _upload(app, spring["email"], b"".join([*lines, no_reach]))
    with app.app_context():
        reasons = [
            (e["row"], e["reason"])
            for e in metric_imports.preview(actor(spring["email"]), import_id).errors
        ]
    assert reasons == [
        (5, "is missing: a row for the placement's whole flight gives its flight reach"),
        (5, "repeats the flight of a placement given in an earlier row"),
    ]


def test_a_file_of_daily_rows_is_imported_as_before(app, spring):
    header = FIXTURE.read_bytes().splitlines(keepends=True)[0]
    daily = (
        header + b'2026-03-02,2026-03-02,"Spring Bake Search","Backen",120,300,2.5,10.00,4\n'
        b'2026-03-03,2026-03-03,"Spring Bake Search","Backen",130,310,2.4,11.00,5\n'
    )
    import_id = _upload(app, spring["email"], daily)
    with app.app_context():
        preview = metric_imports.preview(actor(spring["email"]), import_id)
        assert preview.flight_reach == {} and preview.flight_reach_note == ""
        assert [r["reach"] for r in preview.stored_rows] == [120, 130]
    assert _import(app, spring["email"], daily) == "succeeded"
    assert _days(app) == 2
    assert _reaches(app, spring) == {SEARCH: None, SOCIAL: None}


def test_the_preview_page_says_which_placements_get_a_flight_reach(app, spring):
    from tests.functional.test_campaign_pages import signed_in, text
    from tests.metrics.conftest import upload

    client = signed_in(app, spring["email"])
    response = upload(client, FIXTURE.read_bytes(), "meta.csv", campaign_id=spring["campaign"])
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    note = page.split('data-testid="flight-reach-note">', 1)[1].split("</div>", 1)[0]
    assert text(note).startswith("Flight reach for 2 placements: Spring Bake Search 48,210 people")
    assert text(note).endswith(NOT_DAYS)
    assert 'data-testid="confirm-import">Import<' in page


def test_start_and_end_date_columns_give_the_flight_reach_too(app, spring):
    sheet = (
        b"Placement,Start date,End date,Reach,Impressions\n"
        b"Spring Bake Social,2026-03-01,2026-04-15,91466,278337\n"
    )
    assert _import(app, spring["email"], sheet) == "succeeded"
    assert _reaches(app, spring) == {SEARCH: None, SOCIAL: 91_466}
    assert _days(app) == 0

"""A placement's flight reach on the placement page (issue 16): entered with the placement's
other fields, refused next to the field when it is not a whole number of people >= 0, shown on
the campaign page and the placement's results page, audited, cleared (and said so) when the
placement's dates change, and edited by the owning company only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from comarketing.audit import AuditEvent
from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from tests.campaign_helpers import PM, joint_campaign
from tests.functional.test_campaign_pages import field_errors, signed_in, table_rows


@pytest.fixture
def joint(app, world):
    with app.app_context():
        return joint_campaign(world)


def _form(world, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "channel": "email",
        "owner_organization_id": world.a.id,
        "name": "Alpha newsletter",
        "start_date": "2027-03-01",
        "end_date": "2027-04-30",
        "planned_cost": "500",
        "audience_size": "",
        "flight_reach": "",
    }
    data.update(changes)
    return data


def _edit(joint) -> str:
    return f"/campaigns/{joint.id}/placements/{joint.a_placement}/edit"


def _stored(app, placement_id: int) -> int | None:
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        assert placement is not None
        return placement.flight_reach


def test_the_flight_reach_is_entered_shown_and_audited(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    form = client.get(_edit(joint)).get_data(as_text=True)
    assert "Flight reach (people)" in form
    assert "deduplicated reach for the placement&#39;s whole flight (start to end)" in form

    response = client.post(_edit(joint), data=_form(world, flight_reach="48,210"))
    assert response.status_code == 302
    assert _stored(app, joint.a_placement) == 48_210

    page = client.get(f"/campaigns/{joint.id}").get_data(as_text=True)
    header, *rows = table_rows(page, "campaign-placements")
    column = header.index("Flight reach (people)")
    reaches = {row[0]: row[column] for row in rows}
    assert reaches == {"Alpha newsletter": "48,210", "Beta social post": "\u2014"}

    results = client.get(f"/campaigns/{joint.id}/placements/{joint.a_placement}")
    assert 'data-testid="flight-reach">48,210<' in results.get_data(as_text=True)

    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "placement.updated")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None and event.details["flight_reach"] == [None, 48_210]

    # The form shows the stored figure; emptying it clears it (not reported).
    assert 'value="48210"' in client.get(_edit(joint)).get_data(as_text=True)
    assert client.post(_edit(joint), data=_form(world)).status_code == 302
    assert _stored(app, joint.a_placement) is None


NOT_PEOPLE = "Enter the flight reach as a whole number of people, e.g. 48210, or leave it empty."


@pytest.mark.parametrize(
    ("typed", "message"),
    [("-5", "The flight reach cannot be negative."), ("12k", NOT_PEOPLE), ("4.5", NOT_PEOPLE)],
)
def test_a_flight_reach_that_is_not_people_is_refused_next_to_the_field(
    app, world, joint, typed, message
):
    client = signed_in(app, world.a.email(PM))
    response = client.post(_edit(joint), data=_form(world, flight_reach=typed))
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "flight_reach") == [message]
    assert _stored(app, joint.a_placement) is None


def test_new_dates_clear_the_flight_reach_and_the_page_says_so(app, world, joint):
    client = signed_in(app, world.a.email(PM))
    assert client.post(_edit(joint), data=_form(world, flight_reach="9000")).status_code == 302

    # Same dates, other fields changed: the figure stays.
    assert (
        client.post(
            _edit(joint), data=_form(world, flight_reach="9000", planned_cost="600")
        ).status_code
        == 302
    )
    assert _stored(app, joint.a_placement) == 9000

    moved = client.post(
        _edit(joint),
        data=_form(world, flight_reach="9000", end_date="2027-04-15"),
        follow_redirects=True,
    )
    assert "The flight reach was cleared: it described the placement&#39;s old dates." in (
        moved.get_data(as_text=True)
    )
    assert _stored(app, joint.a_placement) is None
    with app.app_context():
        placement = db.session.get(Placement, joint.a_placement)
        assert placement is not None and str(placement.end_date) == "2027-04-15"

    # A figure typed together with new dates is the new flight's: it is kept.
    response = client.post(
        _edit(joint),
        data=_form(world, flight_reach="7000", end_date="2027-04-20"),
        follow_redirects=True,
    )
    assert "The flight reach was cleared" not in response.get_data(as_text=True)
    assert _stored(app, joint.a_placement) == 7000


def test_only_the_owning_company_edits_the_flight_reach(app, world, joint):
    client = signed_in(app, world.b.email(PM))
    response = client.post(_edit(joint), data=_form(world, flight_reach="100"))
    assert response.status_code == 403
    assert _stored(app, joint.a_placement) is None

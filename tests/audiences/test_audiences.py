"""Audience uploads, the deduplicated figures, their pages, exports and API, and privacy.

The world: a joint A+B campaign (A's email placement reached people 0-999, B's social one
500-1999), A's solo campaign (1500-1799) and A's "customers" list (0-99 and 1900-1949). So,
for A: joint reach 2,000, own only 500, B only 1,000, both 500; solo 300; incremental
2,000-150-300 = 1,550. Figures resting on the partner's audience are rounded with noise
(``disclosure``): within one step (two significant figures) of these; A's own stay exact.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from comarketing.audiences import figures, services
from comarketing.audiences.models import AudienceImport
from comarketing.extensions import db
from comarketing.reports import services as reports
from comarketing.reports.dedup import dashboard_figures
from tests import factories
from tests.campaign_helpers import PM, add_placement, commit, joint_campaign, solo_campaign, spend
from tests.offer_helpers import actor

PERIOD = reports.Period(date(2027, 1, 1), date(2027, 12, 31))
QUERY = "preset=custom&start=2027-01-01&end=2027-12-31"
SECRET = "rawsecret"  # part of every identifier uploaded here: it must never be stored


def near(figure: Any, truth: int) -> bool:
    """A figure resting on a partner's audience: rounded to its step, within one step."""
    step = figure.step
    return bool(figure.rounded and figure.value % step == 0 and abs(figure.value - truth) < step)


def people(numbers: range | list[int]) -> io.BytesIO:
    return io.BytesIO("".join(f"{SECRET}{n}@Example.com\n" for n in numbers).encode())


@dataclass
class Setup:
    joint: int
    a_placement: int
    b_placement: int
    solo: int
    solo_placement: int
    a_list: int


@pytest.fixture
def setup(app: Flask, world: factories.World) -> Setup:
    with app.app_context():
        ab = joint_campaign(world)
        a_pm, b_pm = world.a.email(PM), world.b.email(PM)
        solo = solo_campaign(a_pm, "Alpha alone")
        solo_placement = add_placement(a_pm, solo, world.a.id, name="Alpha mailing")
        commit(a_pm, solo, 50_000)
        day = {"occurred_on": date(2027, 3, 10)}
        spend(a_pm, ab.id, ab.a_placement, 30_000, **day)
        spend(world.b.email(PM), ab.id, ab.b_placement, 20_000, **day)
        spend(a_pm, solo, solo_placement, 20_000, **day)
        options = services.Options()
        services.upload_for_placement(
            actor(a_pm), ab.a_placement, people(range(1000)), "a.txt", options
        )
        services.upload_for_placement(
            actor(b_pm), ab.b_placement, people(range(500, 2000)), "b.txt", options
        )
        services.upload_for_placement(
            actor(a_pm), solo_placement, people(range(1500, 1800)), "solo.txt", options
        )
        customers = [*range(100), *range(1900, 1950)]
        row = services.create_list(actor(a_pm), "Customers", people(customers), "c.csv", options)
        out = Setup(ab.id, ab.a_placement, ab.b_placement, solo, solo_placement, row.list_id or 0)
        db.session.remove()
    return out


def test_campaign_split_for_each_party(app: Flask, world: factories.World, setup: Setup) -> None:
    with app.app_context():
        for_a = figures.campaign_reach(actor(world.a.email("analyst")), setup.joint)
        for_b = figures.campaign_reach(actor(world.b.email("analyst")), setup.joint)
    assert for_a.reach is not None and near(for_a.reach, 2000)
    assert for_a.own_only and near(for_a.own_only, 500)
    assert for_a.partners_only and near(for_a.partners_only, 1000)
    assert for_a.both and near(for_a.both, 500)
    assert for_b.own_only and near(for_b.own_only, 1000)
    assert for_b.partners_only and near(for_b.partners_only, 500)


def test_dashboard_figures(app: Flask, world: factories.World, setup: Setup) -> None:
    with app.app_context():
        a = actor(world.a.email("analyst"))
        board = reports.dashboard(a, PERIOD)
        dedup = dashboard_figures(a, board)
        b = actor(world.b.email("analyst"))
        for_b = dashboard_figures(b, reports.dashboard(b, PERIOD))
    assert near(dedup.joint, 2000) and near(dedup.incremental, 1550)
    # A's own audiences against A's own placements stay exact.
    assert (dedup.solo.count, dedup.existing.count) == (300, 150)
    assert dedup.solo.exact and dedup.existing.exact
    (overlap,) = dedup.overlaps
    assert overlap.own.count == 1000 and overlap.own.exact
    assert near(overlap.theirs, 1500) and near(overlap.both, 500)
    # Shares come from the figures as shown, never from the exact counts.
    assert overlap.share_of_own == overlap.both.value / 1000
    assert overlap.share_of_theirs == overlap.both.value / overlap.theirs.value
    (multiplier,) = dedup.multipliers
    # A's own spend: 60 % of the joint campaign's 500.00, all of the solo 200.00.
    assert (multiplier.joint_spend_minor, multiplier.solo_spend_minor) == (30_000, 20_000)
    assert multiplier.value == pytest.approx((dedup.joint.value / 30_000) / (300 / 20_000))
    # B has no solo campaign nor lists: A's solo audience and list never count for B.
    assert near(for_b.joint, 2000) and (for_b.solo.count, for_b.existing.count) == (0, 0)
    assert near(for_b.incremental, 2000)


def test_upload_is_all_or_nothing(app: Flask, world: factories.World, setup: Setup) -> None:
    with app.app_context():
        a_pm = actor(world.a.email(PM))
        bad = io.BytesIO(b"".join([people(range(3000)).getvalue(), b"not an address\n"]))
        with pytest.raises(services.AudienceRejected) as refused:
            services.upload_for_placement(
                a_pm, setup.a_placement, bad, "bad.txt", services.Options()
            )
        assert refused.value.errors == [{"row": 3001, "reason": "not an email address"}]
        current = services.placement_audience(a_pm, setup.a_placement)
        assert current.current is not None and current.current.distinct_estimate == 1000
        assert [h.status for h in current.history][:2] == ["failed", "succeeded"]
        bad.seek(0)
        skipped = services.upload_for_placement(
            a_pm, setup.a_placement, bad, "bad.txt", services.Options(skip_bad_lines=True)
        )
        assert (skipped.distinct_estimate, skipped.bad_lines) == (3000, 1)
        history = services.placement_audience(a_pm, setup.a_placement).history
        assert [h.current for h in history][:3] == [True, False, False]
        # The partner may not upload for A's placement; B's analyst may not upload at all.
        with pytest.raises(services.Forbidden):
            services.upload_for_placement(
                actor(world.b.email(PM)), setup.a_placement, people([1]), "", services.Options()
            )
        with pytest.raises(services.NotFound):
            services.upload_for_placement(
                actor(world.c.email(PM)), setup.a_placement, people([1]), "", services.Options()
            )


def all_rows_text(app: Flask) -> str:
    with app.app_context(), db.engine.connect() as conn:
        return repr(
            [conn.execute(sa.select(table)).all() for table in db.metadata.sorted_tables]
        ).lower()


def test_raw_identifiers_are_never_stored_or_logged(
    app: Flask,
    world: factories.World,
    setup: Setup,
    client: FlaskClient,
    login_as: Callable[..., FlaskClient],
    make_token: Callable[..., str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    login_as(world.a.email(PM))
    page = client.post(
        f"/placements/{setup.a_placement}/audience",
        data={"audience-file": (people(range(5)), "p.txt"), "audience-kind": "email"},
        content_type="multipart/form-data",
    )
    assert page.status_code == 302
    refused = client.post(
        "/audiences",
        data={"new-name": "Bad", "new-file": (io.BytesIO(f"{SECRET}@nowhere\n".encode()), "x")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and SECRET not in refused.get_data(as_text=True)
    token = make_token(world.a.email(PM), "write")
    api = client.post(
        f"/api/v1/placements/{setup.a_placement}/audience",
        json={"identifiers": [f"{SECRET}x@example.com", f"{SECRET} broken"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 422 and SECRET not in api.get_data(as_text=True)
    assert api.get_json()["error"]["errors"][0]["field"] == "row.2"
    stored = all_rows_text(app)
    assert SECRET not in stored, "a raw identifier reached the database"
    assert SECRET not in caplog.text, "a raw identifier reached the logs"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AudienceImport)) >= 6


def test_pages_show_the_figures(
    app: Flask,
    world: factories.World,
    setup: Setup,
    client: FlaskClient,
    login_as: Callable[..., Any],
) -> None:
    with app.app_context():
        a = actor(world.a.email("analyst"))
        dedup = dashboard_figures(a, reports.dashboard(a, PERIOD))
        (overlap,) = dedup.overlaps
    incremental = f"{dedup.incremental.value:,.0f}"
    login_as(world.a.email("analyst"))
    dashboard = client.get(f"/reports?{QUERY}").get_data(as_text=True)
    assert 'data-testid="dedup-joint">≈ 2,000 (rounded)' in dashboard
    assert 'data-testid="dedup-solo">300 (exact)' in dashboard
    assert f'data-testid="dedup-incremental">≈ {incremental} (rounded)' in dashboard
    # The headline tiles carry it too (one currency: incremental reach is not split by one).
    assert f'data-testid="tile-incremental-joint-EUR">≈ {incremental} (rounded)' in dashboard
    assert "Beta" in dashboard and f"{overlap.share_of_own * 100:.1f} %" in dashboard
    csv = client.get(f"/reports/dedup.csv?{QUERY}").get_data(as_text=True)
    value, step = int(dedup.incremental.value), dedup.incremental.step
    assert f"Incremental reach of joint campaigns,{value},{value - step},{value + step},no" in csv
    assert "Deduplicated solo reach,300,300,300,yes" in csv
    assert client.get(f"/reports/dedup.xlsx?{QUERY}").status_code == 200
    report = client.get(f"/campaigns/{setup.joint}/report").get_data(as_text=True)
    assert "≈ 2,000 (rounded) distinct people" in report and "(exact)" not in report
    placement = client.get(f"/campaigns/{setup.joint}/placements/{setup.b_placement}")
    text = placement.get_data(as_text=True)
    assert "<strong>≈ 1,500 (rounded)</strong> distinct people" in text
    assert 'data-testid="audience-upload"' not in text  # not A's placement; analyst anyway
    assert 'data-testid="audience-history"' not in text  # B's uploads are B's
    lists = client.get("/audiences").get_data(as_text=True)
    assert "Customers" in lists and "150 (exact)" in lists


def test_partner_pages_show_counts_only(
    world: factories.World, setup: Setup, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as(world.b.email("admin"))
    for url in ("/audiences", f"/reports?{QUERY}", f"/reports/dedup.csv?{QUERY}"):
        text = client.get(url).get_data(as_text=True)
        assert "Customers" not in text and "Alpha alone" not in text, url
    placement = client.get(f"/campaigns/{setup.joint}/placements/{setup.a_placement}")
    text = placement.get_data(as_text=True)
    assert "a.txt" not in text and "<strong>≈ 1,000 (rounded)</strong>" in text


def test_target_universe_gives_the_random_duplication_estimate(
    app: Flask,
    world: factories.World,
    client: FlaskClient,
    login_as: Callable[..., Any],
    make_token: Callable[..., str],
) -> None:
    with app.app_context():
        a_pm = world.a.email(PM)
        solo = solo_campaign(a_pm, "No identifiers")
        from comarketing.campaigns import placements

        commit(a_pm, solo, 50_000)
        for name, size in (("Big", 500), ("Small", 400)):
            data = placements.PlacementInput("email", world.a.id, name, "", None, None, 0, size)
            placement = placements.add_placement(actor(a_pm), solo, data)
            spend(a_pm, solo, placement.id, 1_000, occurred_on=date(2027, 3, 10))
        db.session.remove()
    login_as(world.a.email(PM))
    before = client.get(f"/campaigns/{solo}/report").get_data(as_text=True)
    # The placements' sizes are planned audiences: never called reach.
    assert "900: planned audience size, not deduplicated" in before
    saved = client.post(f"/campaigns/{solo}/universe", data={"universe": "1000"})
    assert saved.status_code == 302
    after = client.get(f"/campaigns/{solo}/report").get_data(as_text=True)
    assert "≈ 700 (70.0 % of 1,000)" in after and "random duplication" in after
    assert "from the placements&#39; planned audience size" in after
    dashboard = client.get(f"/reports?{QUERY}").get_data(as_text=True)
    assert "No identifiers (solo): ≈ 700" in dashboard
    csv = client.get(f"/reports/dedup.csv?{QUERY}").get_data(as_text=True)
    assert "Combined planned audience of No identifiers (solo),700," in csv
    assert "Combined reach" not in csv
    headers = {"Authorization": f"Bearer {make_token(world.a.email(PM))}"}
    api = client.get(f"/api/v1/reports/dedup?{QUERY}", headers=headers).get_json()
    (listed,) = api["without_audience_data"]
    assert (listed["name"], listed["reach"]) == ("No identifiers", 700)
    assert listed["basis"] == "planned audience size"


EXACT_300 = {"value": 300, "lower": 300, "upper": 300, "exact": True, "display": "300 (exact)"}


def test_api_upload_and_figures(
    world: factories.World, setup: Setup, client: FlaskClient, make_token: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {make_token(world.a.email(PM), 'write')}"}
    answer = client.post(
        f"/api/v1/placements/{setup.a_placement}/audience",
        json={"identifiers": ["A@x.de", "a@x.de ", "b@x.de"]},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["distinct"] == {
        "value": 2,
        "lower": 2,
        "upper": 2,
        "exact": True,
        "display": "2 (exact)",
    }
    upload = client.post(
        f"/api/v1/placements/{setup.a_placement}/audience/file",
        data={"file": (people(range(1000)), "a.csv"), "kind": "email"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200, upload.get_json()
    assert upload.get_json()["identifiers"] == 1000
    dedup = client.get(f"/api/v1/reports/dedup?{QUERY}", headers=headers).get_json()
    assert dedup["incremental"]["rounded"] and dedup["incremental"]["value"] in (1500, 1600)
    assert dedup["solo"] == {**EXACT_300, "rounded": False}
    both = dedup["overlaps"][0]["both"]
    assert both["rounded"] and both["value"] == 500
    assert dedup["overlaps"][0]["share_of_partner"] == pytest.approx(500 / 1500)
    partner = client.post(
        f"/api/v1/placements/{setup.b_placement}/audience",
        json={"identifiers": ["a@x.de"]},
        headers=headers,
    )
    assert partner.status_code == 403


def test_another_companys_lists_and_counts_never_show(
    app: Flask, world: factories.World, setup: Setup, make_token: Callable[..., str]
) -> None:
    from tests.security.conftest import client_as

    with app.app_context():
        c_pm = actor(world.c.email(PM))
        services.create_list(
            c_pm, f"Gamma buyers {world.canary}", people(range(7777)), "g.txt", services.Options()
        )
        db.session.remove()
    token = make_token(world.a.email("admin"), "read")
    urls = ["/audiences", f"/reports?{QUERY}", f"/reports/dedup.csv?{QUERY}"]
    for url in urls:
        text = client_as(app, world.a.email("admin")).get(url).get_data(as_text=True)
        assert world.canary not in text and "7,777" not in text and "7777" not in text, url
    api = client_as(app, None).get(
        f"/api/v1/reports/dedup?{QUERY}", headers={"Authorization": f"Bearer {token}"}
    )
    assert "7777" not in api.get_data(as_text=True)
    # Positive control: C sees its own list.
    own = client_as(app, world.c.email("admin")).get("/audiences").get_data(as_text=True)
    assert world.canary in own and "7,777" in own

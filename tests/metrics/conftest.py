"""Shared setup for the results tests: A and B run a joint campaign (2027-03-01..04-30)
with one placement each; A also has a solo campaign."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from comarketing.extensions import db
from tests import campaign_helpers as ch
from tests import factories
from tests.concurrency import at_once

PM = "partner_manager"


@dataclass(frozen=True)
class Scene:
    world: factories.World
    campaign_id: int
    a_placement: int
    b_placement: int


@pytest.fixture
def scene(app: Flask, world: factories.World) -> Scene:
    with app.app_context():
        joint = ch.joint_campaign(world)
        db.session.remove()
    return Scene(world, joint.id, joint.a_placement, joint.b_placement)


def upload(
    client: FlaskClient, content: bytes, name: str = "results.csv", campaign_id: int | None = None
) -> Any:
    """Upload through the page, for ``campaign_id`` or else for the one campaign the upload
    page offers (a test whose company could choose among several must say which)."""
    if campaign_id is None:
        page = client.get("/metrics/imports").get_data(as_text=True)
        select = re.search(r'<select[^>]*name="campaign_id"[^>]*>(.*?)</select>', page, re.S)
        if select is not None:  # (a user who may not upload sees no form)
            offered = re.findall(r'<option[^>]*value="(\d+)"', select.group(1))
            assert len(offered) == 1, f"the upload page offers campaigns {offered}: pass one"
            campaign_id = int(offered[0])
    return client.post(
        "/metrics/imports",
        data={"file": (io.BytesIO(content), name), "campaign_id": str(campaign_id or "")},
        content_type="multipart/form-data",
    )


def upload_campaign(email: str) -> int:
    """The one campaign the user's company can upload results for (asserted to be one)."""
    from comarketing.metrics.placements import upload_campaigns
    from tests.offer_helpers import actor

    [campaign] = upload_campaigns(actor(email))
    return campaign.id


def import_id_from(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def run_imports_at_once(app: Flask, import_ids: list[int]) -> list[object]:
    """Run confirmed imports released together; each one's status, or the exception it raised
    (kept for the assertion message)."""
    from comarketing.metrics import runs

    return at_once(app, [lambda i=i: runs.run_import(i).status for i in import_ids])


def queue_unchecked(import_id: int, *, post_costs: bool = False) -> None:
    """Queue an upload without confirm's checks (in an app context), as a stale page or a file
    whose bad rows lie past the rows the preview checks would: the run must refuse it alone."""
    from comarketing.metrics.models import MetricImport

    metric_import = db.session.get(MetricImport, import_id)
    assert metric_import is not None
    metric_import.settings = {**metric_import.settings, "post_costs": post_costs}
    metric_import.status = "queued"
    db.session.commit()


def refused_then_run(who: Any, import_id: int) -> Any:
    """For a file with bad rows (in an app context): confirm refuses it ("Nothing was
    imported: ..."), and the run, queued past confirm's checks as a stale page would, refuses
    it on its own. The finished import."""
    import pytest

    from comarketing.errors import ValidationFailed
    from comarketing.metrics import imports, runs

    with pytest.raises(ValidationFailed, match="Nothing was imported"):
        imports.confirm(who, import_id, post_costs=False)
    queue_unchecked(import_id)
    return runs.run_import(import_id)


def stored_days() -> list[tuple[Any, ...]]:
    """Every stored day as (ISO day, *its seven figures in storage order), by day (in an app
    context): what a refusal must leave unchanged."""
    from comarketing.metrics.models import VALUE_FIELDS, DailyMetric

    return [
        (m.day.isoformat(), *(getattr(m, f) for f in VALUE_FIELDS))
        for m in db.session.scalars(sa.select(DailyMetric).order_by(DailyMetric.day))
    ]


@pytest.fixture
def spring(app: Flask, world: factories.World) -> tuple[str, dict[str, int]]:
    """A's solo EUR campaign with the two placements the ad-export fixtures name (every day
    2026-03-02..08 falls in it): the email of A's partner manager and the placements' ids."""
    with app.app_context():
        email = world.a.email(PM)
        campaign = ch.solo_campaign(
            email, "Spring Bake", start=date(2026, 3, 1), end=date(2026, 3, 31)
        )
        ids = {
            name: ch.add_placement(email, campaign, world.a.id, name=name)
            for name in ("Spring Bake Search", "Spring Bake Social")
        }
        db.session.remove()
    return email, ids

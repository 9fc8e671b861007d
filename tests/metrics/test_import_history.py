"""The import history names each import's campaign: a file's (chosen at upload), a grid or API
write's (its placement's), and none where it was never recorded — in one query."""

from __future__ import annotations

import re

from comarketing.extensions import db
from comarketing.metrics import entry, history
from comarketing.metrics.models import ImportSource, MetricImport
from tests.conftest import count_queries
from tests.metrics.conftest import PM, upload
from tests.offer_helpers import actor

CSV = (
    "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
    "2027-03-01,Alpha newsletter,100,50,5,0,0,0,1.00\n"
)


def campaign_cells(page: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r'data-testid="import-campaign">(.*?)</td>', page, re.S)
    ]


def test_each_import_names_its_campaign_and_links_to_it(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))
    upload(client, CSV.encode())  # a file, uploaded for the campaign
    with app.app_context():
        entry.upsert_days(
            actor(scene.world.a.email(PM)),
            scene.a_placement,
            [{"day": "2027-03-02", "impressions": "10"}],
            source=ImportSource.FORM,
        )
        # An import from before uploads were made for one campaign: nothing says which.
        db.session.add(
            MetricImport(
                organization_id=scene.world.a.id, source="file", status="succeeded", settings={}
            )
        )
        db.session.commit()

    page = client.get("/metrics/imports").get_data(as_text=True)

    assert campaign_cells(page) == ["not recorded", "Spring baking week", "Spring baking week"]
    assert page.count(f'href="/campaigns/{scene.campaign_id}"') >= 2


def test_the_history_with_its_campaigns_is_one_query_however_many_imports(app, scene):
    with app.app_context():
        who = actor(scene.world.a.email(PM))
        for n in range(5):
            entry.upsert_days(
                who,
                scene.a_placement,
                [{"day": f"2027-03-0{n + 1}", "impressions": "10"}],
                source=ImportSource.FORM,
            )
        who.user.organization_id  # noqa: B018 (loaded now: only the history's query is counted)
        with count_queries(app) as statements:
            rows = history.history(who)

    assert len(statements) == 1
    assert {row.campaign_id for row in rows} == {scene.campaign_id}

"""The preview tells the truth before Import (issue 15): Import is disabled, with a line saying
why, while the preview lists errors, settings to change, open questions or spend over the
commitments; confirm refuses the same at the service (a stale page or a script cannot run
it); the over-budget check runs on the preview; a file over the size limit gets a page
naming the limit."""

from __future__ import annotations

import html
import io
import re

import pytest
import sqlalchemy as sa

from comarketing.budgets.models import LedgerEntry
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import imports as metric_imports
from comarketing.metrics import uploads
from comarketing.metrics.imports import Blocker, Choice
from comarketing.metrics.models import DailyMetric, MetricImport
from tests.metrics.conftest import PM, import_id_from, upload
from tests.offer_helpers import actor

HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"


def row(day: str, cost: str, reach: str = "50") -> str:
    return f'{day},Alpha newsletter,100,{reach},5,0,0,0,"{cost}"\n'


def page_of(client, import_id: int) -> str:
    text = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    return " ".join(html.unescape(text).split())


def unchanged(app) -> tuple[int, int, list[str]]:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)),
            db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)),
            list(db.session.scalars(sa.select(MetricImport.status).order_by(MetricImport.id))),
        )


def test_rows_in_error_disable_import_with_the_reason_and_confirm_refuses(
    app, client, login_as, scene
):
    login_as(scene.world.a.email(PM))
    content = HEADER + row("2027-03-01", "1.00") + row("2027-03-02", "1.00", reach="150")
    import_id = import_id_from(upload(client, content.encode()))
    page = page_of(client, import_id)
    assert 'data-testid="confirm-import" disabled' in page
    assert (
        '<p class="small text-danger mt-2 mb-0" data-testid="import-disabled">Import is not '
        "possible yet: 1 row has errors: fix the file or the mapping.</p>" in page
    )
    before = unchanged(app)
    response = client.post(f"/metrics/imports/{import_id}/confirm", data={})
    assert response.status_code == 302
    assert "Nothing was imported: 1 row has errors" in page_of(client, import_id)
    assert unchanged(app) == before == (0, 2, ["preview"])


def test_a_setting_to_change_disables_import(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))
    import_id = import_id_from(upload(client, b"when,what\n2027-03-01,1\n"))
    page = page_of(client, import_id)
    assert 'data-testid="confirm-import" disabled' in page
    assert "Import is not possible yet: Choose the column that holds the date." in page
    assert "(and 1 more above)" in page  # the placement column too
    before = unchanged(app)
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        metric_imports.confirm(actor(scene.world.a.email(PM)), import_id, post_costs=False)
    assert refused.value.field == "mapping"
    assert refused.value.message == ("Nothing was imported: Choose the column that holds the date.")
    assert unchanged(app) == before


def test_the_over_budget_check_runs_in_the_preview(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))  # EUR 1,000.00 committed in all
    content = HEADER + row("2027-03-01", "600.00") + row("2027-03-02", "400.01")
    import_id = import_id_from(upload(client, content.encode()))
    page = page_of(client, import_id)
    table = page.split('data-testid="budget-check"')[1].split("</section>")[0]
    assert "Spend against the commitments" in page
    assert f'data-testid="budget-{scene.campaign_id}"' in table
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table)]
    assert cells == ["Spring baking week", "€1,000.00", "€0.00", "€0.00", "€1,000.01 — over"]
    warning = f'data-testid="budget-warning-{scene.campaign_id}">'
    assert (
        warning + "Posting these costs would take the spend of Spring baking week to €1,000.01, "
        "above the €1,000.00 committed. Commit more budget first, or import without posting "
        "costs to the ledger.</div>" in page
    )
    # Unticked it goes through: Import stays enabled.
    assert 'data-testid="confirm-import" disabled' not in page
    before = unchanged(app)
    client.post(f"/metrics/imports/{import_id}/confirm", data={"post_costs": "y"})
    assert "Nothing was imported: Posting these costs would take the spend" in page_of(
        client, import_id
    )
    assert unchanged(app) == before
    client.post(f"/metrics/imports/{import_id}/confirm", data={})
    stored, entries, statuses = unchanged(app)
    assert (stored, entries, statuses) == (2, before[1], ["succeeded"])


def test_within_the_commitments_the_preview_shows_spend_after_posting(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))
    content = HEADER + row("2027-03-01", "10.00") + row("2027-03-02", "2.50")
    import_id = import_id_from(upload(client, content.encode()))
    page = page_of(client, import_id)
    assert "€12.50</td></tr>" in page.split('data-testid="budget-check"')[1]
    assert "— over" not in page and "budget-warning" not in page
    assert 'data-testid="import-disabled"' not in page


def test_an_open_question_blocks_and_names_its_setting():
    """What helper modules append to Preview.choices blocks Import like an error does; the
    blocker names the setting that answers it (the page's and the API's field)."""
    from comarketing.metrics.imports import Preview

    preview = Preview.__new__(Preview)
    preview.problems, preview.error_count, preview.budget = [], 0, []
    preview.choices = [
        Choice(
            setting="date_order",
            question="Are dates day/month or month/day?",
            options=[("dmy", "day/month"), ("mdy", "month/day")],
            samples=["03/04/2027 -> 3 April or 4 March"],
        )
    ]
    assert preview.blockers() == [Blocker("date_order", "Are dates day/month or month/day?")]
    preview.choices = []
    assert preview.blockers() == []


def test_a_file_over_the_limit_gets_a_page_naming_the_limit(make_app, world, tmp_path):
    from tests import campaign_helpers as ch
    from tests.conftest import login

    app = make_app(
        METRICS_UPLOAD_MAX_BYTES=1536, METRICS_UPLOAD_DIR=str(tmp_path), MAX_CONTENT_LENGTH=4096
    )
    with app.app_context():
        ch.joint_campaign(world)
        db.session.remove()
    client = app.test_client()
    login(client, world.a.email(PM))
    expected = "That file is larger than allowed: a results file may be at most 1.5 KB."
    # Far over: Werkzeug refuses the body before the view runs.
    far = upload(client, b"date,impressions\n" + b"2027-03-01,1\n" * 5000)
    # Just over the limit (within the multipart allowance): the service refuses it.
    near = upload(client, b"date,impressions\n" + b"2027-03-01,1\n" * 200)
    for response in (far, near):
        assert response.status_code == 413
        assert expected in html.unescape(response.get_data(as_text=True))
    assert list(tmp_path.iterdir()) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(MetricImport.id))) == 0
    # Other forms keep the generic message.
    other = client.post("/metrics/imports/1/settings", data={"x": "y" * 5000})
    assert other.status_code == 413
    assert "at most" not in other.get_data(as_text=True)


def test_size_labels():
    assert uploads.size_label(50 * 1024 * 1024) == "50 MB"
    assert uploads.size_label(1536) == "1.5 KB"
    assert uploads.size_label(1024) == "1 KB"
    assert uploads.size_label(900) == "900 bytes"


def test_an_upload_for_a_campaign_is_kept_or_not_found(app, scene):
    from comarketing.errors import NotFound
    from tests import campaign_helpers as ch

    with app.app_context():
        pm = actor(scene.world.a.email(PM))
        made = uploads.upload(
            pm,
            io.BytesIO(b"date,impressions\n2027-03-01,1\n"),
            "r.csv",
            campaign_id=scene.campaign_id,
        )
        assert made.settings["campaign_id"] == scene.campaign_id
        c_campaign = ch.solo_campaign(scene.world.c.email(PM), "Gamma solo")
        with pytest.raises(NotFound):
            uploads.upload(pm, io.BytesIO(b"x"), "r.csv", campaign_id=c_campaign)
        assert db.session.scalar(sa.select(sa.func.count(MetricImport.id))) == 1


@pytest.mark.parametrize("ticked", [False, True])
def test_the_spend_the_preview_predicts_is_the_spend_after_the_run(
    app, client, login_as, scene, ticked
):
    """Days posted before (one of them disputed by the partner, one confirmed), a day whose
    cost drops to nothing and a new day: the preview's figure is the ledger's after Import."""
    from comarketing.budgets import balances, claim_responses
    from comarketing.budgets.models import Claim, ClaimVersion

    login_as(scene.world.a.email(PM))
    first = HEADER + "".join(
        row(f"2027-03-0{d}", cost)
        for d, cost in ((1, "10.00"), (2, "5.00"), (3, "7.00"), (4, "3.00"))
    )
    assert confirm_page(client, import_id_from(upload(client, first.encode())), post_costs="y")
    with app.app_context():
        claims = {
            day.isoformat(): claim_id
            for claim_id, day in db.session.execute(
                sa.select(Claim.id, ClaimVersion.service_from).join(
                    ClaimVersion, ClaimVersion.claim_id == Claim.id
                )
            )
        }
        partner = actor(scene.world.b.email(PM))
        claim_responses.dispute_claim(
            partner, scene.campaign_id, claims["2027-03-01"], reason="Not ours"
        )
        claim_responses.confirm_claim(partner, scene.campaign_id, claims["2027-03-02"])
        db.session.remove()
    again = HEADER + "".join(
        row(f"2027-03-0{d}", cost)
        for d, cost in ((1, "12.00"), (2, "6.00"), (3, "0.00"), (4, "3.00"), (5, "4.00"))
    )
    import_id = import_id_from(upload(client, again.encode()))
    with app.app_context():
        [check] = metric_imports.preview(actor(scene.world.a.email(PM)), import_id).budget
        before = balances.campaign_totals(scene.campaign_id).spent_minor
        predicted = check.spent_ticked_minor if ticked else check.spent_unticked_minor
        db.session.remove()
    assert before == 500 + 700 + 300  # the disputed day does not count
    assert predicted == 1200 + 600 + 0 + 300 + (400 if ticked else 0)
    confirm_page(client, import_id, **({"post_costs": "y"} if ticked else {}))
    with app.app_context():
        assert db.session.get(MetricImport, import_id).status == "succeeded"
        assert balances.campaign_totals(scene.campaign_id).spent_minor == predicted


def confirm_page(client, import_id: int, **data: str) -> str:
    response = client.post(f"/metrics/imports/{import_id}/confirm", data=data)
    assert response.status_code == 302
    return page_of(client, import_id)


def test_post_costs_set_on_the_upload_is_ticked_on_the_page(app, client, login_as, scene):
    with app.app_context():
        made = uploads.upload(
            actor(scene.world.a.email(PM)),
            io.BytesIO((HEADER + row("2027-03-01", "1.00")).encode()),
            "r.csv",
            campaign_id=scene.campaign_id,
            changes={"post_costs": True},
        )
        import_id = made.id
        db.session.remove()
    login_as(scene.world.a.email(PM))
    form = page_of(client, import_id).split('data-testid="confirm-form"')[1]
    assert re.search(
        r'<input [^>]*checked[^>]*name="post_costs"|name="post_costs"[^>]*checked', form
    )

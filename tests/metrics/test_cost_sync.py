"""Issue 14: a day whose cost was posted to the budget stays in step with the results. Loading
it again reverses the old expense and posts the new cost whether or not "post costs" is ticked
this time -- by file, grid or API; the preview says what will happen to the ledger first; the
grid offers the same choice as files (unticked by default). Nothing is half-written."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from comarketing.budgets import balances, claim_responses
from comarketing.budgets.claim_states import ClaimStatus, claim_statuses
from comarketing.budgets.claim_workflow import ClaimState
from comarketing.budgets.models import Claim, LedgerEntry
from comarketing.extensions import db
from comarketing.metrics import entry, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import DailyMetric, ImportSource
from tests.campaign_helpers import assert_ledger_consistent
from tests.metrics.conftest import (
    PM,
    import_id_from,
    queue_unchecked,
    run_imports_at_once,
    upload,
)
from tests.offer_helpers import actor

HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"


def row(day: str, cost: str) -> str:
    return f"{day},Alpha newsletter,100,50,5,0,0,0,{cost}\n"


def live_costs(app) -> dict[str, int]:
    """Day -> amount of the live (not reversed) imported expenses."""
    with app.app_context():
        entries = db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.source == "metrics")
        ).all()
        reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
        return {
            e.occurred_on.isoformat(): e.amount_minor
            for e in entries
            if e.kind == "expense" and e.id not in reversed_ids
        }


def stored_costs(app, placement: int) -> dict[str, int]:
    with app.app_context():
        return {
            d.isoformat(): c
            for d, c in db.session.execute(
                sa.select(DailyMetric.day, DailyMetric.cost_minor).where(
                    DailyMetric.placement_id == placement
                )
            )
        }


def confirm(client, import_id: int, **data: str):
    response = client.post(f"/metrics/imports/{import_id}/confirm", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)


def test_a_file_loaded_again_unticked_reposts_the_days_posted_before(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))
    first = HEADER + row("2027-03-01", "10.00") + row("2027-03-02", "5.00")
    confirm(client, import_id_from(upload(client, first.encode())), post_costs="y")
    assert live_costs(app) == {"2027-03-01": 1000, "2027-03-02": 500}

    # Day 1 changed, day 2 the same, day 3 new; "post costs" is left unticked.
    again = (
        HEADER + row("2027-03-01", "12.00") + row("2027-03-02", "5.00") + row("2027-03-03", "7.00")
    )
    import_id = import_id_from(upload(client, again.encode()))
    preview = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    assert "1 day already posted to the budget will be re-posted: +€2.00" in " ".join(
        preview.split()
    )
    assert "1 day already posted keeps its cost." in " ".join(preview.split())
    assert "also posts 1 day not yet in the budget: +€7.00" in " ".join(preview.split())
    done = confirm(client, import_id)
    assert 'data-testid="costs-reposted"' in done
    # Day 1 follows the results; day 3 was never asked to be posted: it stays out.
    assert live_costs(app) == {"2027-03-01": 1200, "2027-03-02": 500}
    # A lower cost is re-posted too, and shown as a decrease in the preview.
    lower = HEADER + row("2027-03-01", "9.50")
    import_id = import_id_from(upload(client, lower.encode()))
    preview = " ".join(client.get(f"/metrics/imports/{import_id}").get_data(as_text=True).split())
    assert "1 day already posted to the budget will be re-posted: \u2212€2.50" in preview
    confirm(client, import_id)
    assert live_costs(app) == {"2027-03-01": 950, "2027-03-02": 500}
    with app.app_context():
        kinds = db.session.scalars(
            sa.select(LedgerEntry.kind)
            .where(LedgerEntry.source == "metrics")
            .order_by(LedgerEntry.id)
        ).all()
    # 2 first posts, then reversal + new entry twice: nothing edited in place.
    assert kinds == ["expense", "expense", "reversal", "expense", "reversal", "expense"]
    assert_ledger_consistent(app, [scene.campaign_id])


def test_a_day_never_posted_stays_out_of_the_ledger_when_unticked(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))
    content = HEADER + row("2027-03-01", "10.00")
    import_id = import_id_from(upload(client, content.encode()))
    preview = " ".join(client.get(f"/metrics/imports/{import_id}").get_data(as_text=True).split())
    assert "already posted" not in preview
    assert "also posts 1 day not yet in the budget: +€10.00" in preview
    confirm(client, import_id)
    assert live_costs(app) == {}
    assert stored_costs(app, scene.a_placement) == {"2027-03-01": 1000}


def test_a_repost_past_the_commitments_refuses_the_whole_file(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))  # EUR 1,000.00 committed in all
    first = HEADER + row("2027-03-01", "10.00") + row("2027-03-02", "1.00")
    confirm(client, import_id_from(upload(client, first.encode())), post_costs="y")
    before_costs, before_days = live_costs(app), stored_costs(app, scene.a_placement)
    over = HEADER + row("2027-03-02", "2.00") + row("2027-03-01", '"1,000.00"')
    over_id = import_id_from(upload(client, over.encode()))
    # The preview tells before Import: over the commitments even unticked, Import is disabled
    # and confirm refuses (a stale page); the run refuses too if it is queued all the same.
    page = confirm(client, over_id)
    assert 'data-testid="confirm-import" disabled' in page
    assert "Nothing was imported: Posting these costs would take the spend" in page
    assert "re-posted whatever you choose" in page
    with app.app_context():
        queue_unchecked(over_id)
        result = runs.run_import(over_id)
        assert result.status == "failed"
        assert "were posted to the budget before, so the ledger follows them" in result.message
        db.session.remove()
    # Nothing half-written: neither the results nor the ledger moved.
    assert live_costs(app) == before_costs
    assert stored_costs(app, scene.a_placement) == before_days


def test_the_grid_offers_the_choice_unticked_and_keeps_posted_days_in_step(
    app, client, login_as, scene
):
    login_as(scene.world.a.email(PM))
    page = f"/campaigns/{scene.campaign_id}/placements/{scene.a_placement}"
    grid = client.get(f"{page}?month=2027-03").get_data(as_text=True)
    box = grid[grid.index('name="post_costs"') - 200 : grid.index('name="post_costs"') + 200]
    assert 'type="checkbox"' in box and "checked" not in box
    assert "re-posted with its new cost even when this is not ticked" in grid

    def save(cost: str, **extra: str):
        response = client.post(
            page,
            data={"month": "2027-03", "2027-03-04-cost": cost, "2027-03-04-clicks": "3", **extra},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client.get(response.headers["Location"]).get_data(as_text=True)

    save("4.00")  # unticked: the ledger is left alone
    assert live_costs(app) == {}
    shown = save("4.50", post_costs="y")
    assert "The budget ledger changed by +€4.50." in shown
    assert live_costs(app) == {"2027-03-04": 450}
    shown = save("6.00")  # unticked this time: still kept in step
    assert "The budget ledger changed by +€1.50." in shown
    assert live_costs(app) == {"2027-03-04": 600}
    assert_ledger_consistent(app, [scene.campaign_id])


def test_the_api_keeps_posted_days_in_step_without_post_costs(app, scene):
    with app.app_context():
        who = actor(scene.world.a.email(PM))
        day = {"day": "2027-03-05", "clicks": "1", "cost": "3.00"}
        entry.upsert_days(who, scene.a_placement, [day], source=ImportSource.API, post_costs=True)
        changed = entry.upsert_days(
            actor(scene.world.a.email(PM)),
            scene.a_placement,
            [{**day, "cost": "8.00"}],
            source=ImportSource.API,
        )
        assert changed.costs_posted_minor == 500
        db.session.remove()
    assert live_costs(app) == {"2027-03-05": 800}
    assert_ledger_consistent(app, [scene.campaign_id])


@pytest.mark.pg_only
def test_two_unticked_reloads_of_a_posted_day_at_once_leave_one_live_expense(app, scene):
    """Both runs lock the campaign and the placement first (even unticked): the second sees
    the first one's expense and reverses it -- one live expense, equal to the stored cost."""
    email = scene.world.a.email(PM)

    def upload_file(cost: str, post_costs: bool) -> int:
        content = HEADER + row("2027-03-01", cost) + row("2027-03-02", cost)
        upload = uploads.upload(
            actor(email),
            io.BytesIO(content.encode()),
            f"r{cost}.csv",
            campaign_id=scene.campaign_id,
        )
        metric_imports.confirm(actor(email), upload.id, post_costs=post_costs)
        return upload.id

    with app.app_context():
        runs.run_import(upload_file("1.00", True))
        imports = [upload_file("2.00", False), upload_file("3.00", False)]
        db.session.remove()
    outcomes = run_imports_at_once(app, imports)
    assert outcomes == ["succeeded", "succeeded"], outcomes
    stored = stored_costs(app, scene.a_placement)
    assert set(stored.values()) in ({200}, {300})
    assert live_costs(app) == stored
    with app.app_context():
        reversals = db.session.scalar(
            sa.select(sa.func.count()).where(
                LedgerEntry.source == "metrics", LedgerEntry.kind == "reversal"
            )
        )
    assert reversals == 4  # each run reversed both days once: nothing lost, nothing doubled
    assert_ledger_consistent(app, [scene.campaign_id])


def test_the_placement_page_names_spend_and_reported_cost_and_their_difference(
    app, client, login_as, scene
):
    login_as(scene.world.a.email(PM))
    content = HEADER + row("2027-03-01", "10.00") + row("2027-03-02", "5.00")
    confirm(client, import_id_from(upload(client, content.encode())), post_costs="y")
    again = HEADER + row("2027-03-03", "2.50")  # reported, not posted
    confirm(client, import_id_from(upload(client, again.encode())))
    page = client.get(f"/campaigns/{scene.campaign_id}/placements/{scene.a_placement}")
    html = " ".join(page.get_data(as_text=True).split())
    assert 'data-testid="total-cost">€17.50<' in html
    assert "Reported cost" in html
    assert 'data-testid="total-spend">€15.00<' in html
    assert 'data-testid="cost-difference">reported cost exceeds spend by €2.50<' in html


def test_a_disputed_cost_leaves_the_placement_pages_spend(app, client, login_as, scene):
    """Spend on the placement page is the confirmed and pending claims: disputed is none."""
    login_as(scene.world.a.email(PM))
    content = HEADER + row("2027-03-01", "10.00") + row("2027-03-02", "5.00")
    confirm(client, import_id_from(upload(client, content.encode())), post_costs="y")
    url = f"/campaigns/{scene.campaign_id}/placements/{scene.a_placement}"
    assert 'data-testid="total-spend">€15.00<' in " ".join(client.get(url).get_data(True).split())
    day_one = _metric_claims(app)["2027-03-01"].claim.id
    with app.app_context():
        claim_responses.dispute_claim(
            actor(scene.world.b.email(PM)), scene.campaign_id, day_one, reason="Not ours"
        )
    html = " ".join(client.get(url).get_data(as_text=True).split())
    assert 'data-testid="total-spend">€5.00<' in html
    assert 'data-testid="total-cost">€15.00<' in html


def _metric_claims(app) -> dict[str, ClaimStatus]:
    """Day -> the status of the imported-cost claim serving it (withdrawn ones included)."""
    with app.app_context():
        statuses = {
            s.version.service_from.isoformat(): s
            for s in claim_statuses(
                db.session.scalar(sa.select(Claim.campaign_id).where(Claim.source == "metrics"))
            )
            if s.claim.source == "metrics" and s.state is not ClaimState.WITHDRAWN
        }
        db.session.expunge_all()
        return statuses


def test_posted_costs_are_claims_the_partner_confirms_disputes_and_reposts_revise(
    app, client, login_as, scene
):
    """Issue 14: a day's imported cost is a claim (source 'metrics', the import its proof,
    serving that day), pending until the partner answers; a re-post revises the day's claim
    (answers start over), a day removed withdraws it; a disputed day counts as no spend."""
    login_as(scene.world.a.email(PM))
    first = HEADER + row("2027-03-01", "10.00") + row("2027-03-02", "5.00")
    import_id = import_id_from(upload(client, first.encode()))
    confirm(client, import_id, post_costs="y")
    claims = _metric_claims(app)
    assert sorted(claims) == ["2027-03-01", "2027-03-02"]
    day1, day2 = claims["2027-03-01"], claims["2027-03-02"]
    assert day1.state is ClaimState.PENDING and day1.waiting_for == [scene.world.b.id]
    assert (day1.version.service_from, day1.version.service_to) == (date(2027, 3, 1),) * 2
    assert day1.version.metric_import_id == import_id and day1.version.amount_minor == 1000
    assert day1.claim.organization_id == scene.world.a.id
    with app.app_context():
        b_approver = actor(scene.world.b.email("approver"))
        claim_responses.confirm_claim(b_approver, scene.campaign_id, day1.claim.id)
        claim_responses.dispute_claim(
            b_approver, scene.campaign_id, day2.claim.id, reason="Cost not in the invoice"
        )
        totals = balances.campaign_totals(scene.campaign_id)
        assert (totals.confirmed_minor, totals.pending_minor, totals.disputed_minor) == (
            1000,
            0,
            500,
        )
        assert balances.spend_by_day(scene.campaign_id) == [(date(2027, 3, 1), 1000)]
        db.session.remove()
    # Loaded again, unticked: both posted days follow the results -- as new versions.
    again = HEADER + row("2027-03-01", "12.00") + row("2027-03-02", "6.00")
    again_id = import_id_from(upload(client, again.encode()))
    confirm(client, again_id)
    claims = _metric_claims(app)
    for day, amount in (("2027-03-01", 1200), ("2027-03-02", 600)):
        status = claims[day]
        assert status.version.number == 2 and status.version.amount_minor == amount
        assert status.version.metric_import_id == again_id
        assert status.state is ClaimState.PENDING and not status.answers  # answers start over
    assert claims["2027-03-01"].claim.id == day1.claim.id
    # A day removed from the results withdraws its claim.
    with app.app_context():
        entry.delete_days(actor(scene.world.a.email(PM)), scene.a_placement, [date(2027, 3, 2)])
        db.session.remove()
    assert sorted(_metric_claims(app)) == ["2027-03-01"]
    assert live_costs(app) == {"2027-03-01": 1200}
    assert_ledger_consistent(app, [scene.campaign_id])

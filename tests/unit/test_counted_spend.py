"""``counted_spend``, the table reports read spend from, follows every write that changes which
claim versions count (issue 16): posted, disputed, revised, withdrawn, and the daily costs
kept in step with imported results. ``assert_ledger_consistent`` (called by the claims'
state machine and the ledger tests) checks the same equality after every step it sees."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from comarketing import create_app
from comarketing.budgets import claim_responses, claims, imported_costs
from comarketing.budgets import counted as counted_module
from comarketing.budgets.models import ClaimVersion, CountedSpend
from comarketing.extensions import db
from tests import factories
from tests.campaign_helpers import (
    APPROVER,
    PM,
    START,
    assert_counted_spend_in_step,
    joint_campaign,
)
from tests.conftest import base_config
from tests.metrics.test_migration_0015 import _database
from tests.offer_helpers import actor

PAID = date(2026, 11, 30)


def counted(campaign_id: int) -> list[tuple[int, int]]:
    """(version number, amount) of the campaign's counted versions."""
    return sorted(
        db.session.execute(
            sa.select(ClaimVersion.number, CountedSpend.amount_minor)
            .join(ClaimVersion, ClaimVersion.id == CountedSpend.claim_version_id)
            .where(CountedSpend.campaign_id == campaign_id)
        ).all()
    )


def post(world, campaign, amount: int):
    return claims.create_claim(
        actor(world.a.email(PM)),
        campaign.id,
        organization_id=world.a.id,
        placement_id=campaign.a_placement,
        terms=claims.ClaimTerms(
            amount_minor=amount, service_from=START, service_to=START, paid_on=PAID, note=""
        ),
        proofs=[],
    )


def test_a_version_counts_until_disputed_revised_or_withdrawn(ctx, world):
    campaign = joint_campaign(world)
    made = post(world, campaign, 30_000)
    assert counted(campaign.id) == [(1, 30_000)]

    claim_responses.dispute_claim(
        actor(world.b.email(APPROVER)), campaign.id, made.claim.id, reason="No invoice"
    )
    assert counted(campaign.id) == []

    claims.revise_claim(actor(world.a.email(PM)), campaign.id, made.claim.id, amount_minor=25_000)
    assert counted(campaign.id) == [(2, 25_000)]  # the new version; the disputed one stays out

    claims.revise_claim(actor(world.a.email(PM)), campaign.id, made.claim.id, amount_minor=20_000)
    assert counted(campaign.id) == [(3, 20_000)]  # version 2's entry was reversed

    claim_responses.confirm_claim(actor(world.b.email(PM)), campaign.id, made.claim.id)
    assert counted(campaign.id) == [(3, 20_000)]  # confirming changes nothing

    claims.withdraw_claim(actor(world.a.email(PM)), campaign.id, made.claim.id)
    assert counted(campaign.id) == []
    assert_counted_spend_in_step()


def test_daily_costs_from_results_are_counted_revised_and_withdrawn(ctx, world):
    campaign = joint_campaign(world)

    def sync(cost_minor: int) -> None:
        cost = imported_costs.DailyCost(
            campaign_id=campaign.id,
            placement_id=campaign.a_placement,
            organization_id=world.a.id,
            day=START,
            cost_minor=cost_minor,
        )
        imported_costs.sync_metric_costs(actor(world.a.email(PM)), [cost], note="results")
        db.session.commit()

    sync(1_200)
    assert counted(campaign.id) == [(1, 1_200)]
    sync(1_500)  # the day's claim revised in the same flush as its old entry's reversal
    assert counted(campaign.id) == [(2, 1_500)]
    sync(0)  # withdrawn
    assert counted(campaign.id) == []
    assert_counted_spend_in_step()


def test_a_rolled_back_write_leaves_nothing_counted(ctx, world):
    campaign = joint_campaign(world)
    before = counted(campaign.id)
    cost = imported_costs.DailyCost(
        campaign_id=campaign.id,
        placement_id=campaign.a_placement,
        organization_id=world.a.id,
        day=START,
        cost_minor=900,
    )
    imported_costs.sync_metric_costs(actor(world.a.email(PM)), [cost], note="results")
    db.session.flush()
    assert counted(campaign.id) == [(1, 900)]  # inside the transaction
    db.session.rollback()
    assert counted(campaign.id) == before
    assert_counted_spend_in_step()


def test_migration_0033_fills_the_table_from_the_claims_already_written(backend, tmp_path):
    with _database(backend, tmp_path) as url:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade()
            world = factories.build_world()
            campaign = joint_campaign(world)
            post(world, campaign, 10_000)
            disputed = post(world, campaign, 20_000)
            claim_responses.dispute_claim(
                actor(world.b.email(APPROVER)), campaign.id, disputed.claim.id, reason="No"
            )
            revised = post(world, campaign, 30_000)
            claims.revise_claim(
                actor(world.a.email(PM)), campaign.id, revised.claim.id, amount_minor=35_000
            )
            withdrawn = post(world, campaign, 40_000)
            claims.withdraw_claim(actor(world.a.email(PM)), campaign.id, withdrawn.claim.id)
            db.session.remove()
            downgrade(revision="0032_import_staging")
            upgrade(revision="0033_counted_spend")

            assert counted(campaign.id) == [(1, 10_000), (2, 35_000)]
            assert_counted_spend_in_step()
            db.session.remove()
            db.engine.dispose()


def test_many_writes_in_one_flush_are_kept_in_batches(ctx, world, monkeypatch):
    monkeypatch.setattr(counted_module, "BATCH", 2)  # 5 days: batches of 2, 2 and 1
    campaign = joint_campaign(world)

    def sync(cost_minor: int) -> None:
        costs = [
            imported_costs.DailyCost(
                campaign_id=campaign.id,
                placement_id=campaign.a_placement,
                organization_id=world.a.id,
                day=START + timedelta(days=i),
                cost_minor=cost_minor + i if cost_minor else 0,
            )
            for i in range(5)
        ]
        imported_costs.sync_metric_costs(actor(world.a.email(PM)), costs, note="results")
        db.session.commit()

    sync(1_000)
    assert counted(campaign.id) == [(1, 1_000 + i) for i in range(5)]
    sync(2_000)  # five reversals and five new versions in one flush
    assert counted(campaign.id) == [(2, 2_000 + i) for i in range(5)]
    sync(0)
    assert counted(campaign.id) == []
    assert_counted_spend_in_step()

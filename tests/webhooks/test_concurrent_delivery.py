"""At least once, and once when nothing fails: 20 events raised at the same moment by 20
requests, delivered by 4 workers draining at the same moment, reach the receiver exactly once
each (a job is claimed by one worker only). Row locks and concurrent writers: PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.extensions import db
from comarketing.jobs import Job, JobStatus, runner
from tests import factories
from tests.campaign_helpers import solo_campaign
from tests.concurrency import at_once
from tests.webhooks.conftest import attempts, register
from tests.webhooks.receiver import Receiver


@pytest.mark.pg_only
def test_twenty_concurrent_events_are_each_delivered_once(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    endpoint_id, secret = register(world.a.email("admin"), receiver.url)
    pm = world.a.email("partner_manager")
    db.session.remove()
    made = at_once(ctx, [lambda n=n: solo_campaign(pm, f"Campaign {n}") for n in range(20)])
    assert all(isinstance(campaign_id, int) for campaign_id in made), made
    ran = at_once(ctx, [runner.drain for _ in range(4)])
    assert sum(r for r in ran if isinstance(r, int)) == 20, ran

    names = Counter(r.verify(secret)["data"]["name"] for r in receiver.received)
    assert names == Counter(f"Campaign {n}" for n in range(20))
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 20
    log = attempts(endpoint_id)
    assert len(log) == 20 and {a.outcome for a in log} == {"delivered"}
    statuses = db.session.scalars(sa.select(Job.status)).all()
    assert statuses == [JobStatus.DONE] * 20

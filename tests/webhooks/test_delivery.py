"""Delivering events to a real receiver on loopback: Standard Webhooks signatures checked
with the reference library, retries with backoff and Retry-After, answers not retried, no
redirects, a capped response, and the endpoint disabled (and its admins told) after days of
failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from freezegun import freeze_time
from standardwebhooks import WebhookVerificationError

from comarketing.audit import AuditEvent
from comarketing.events import Event
from comarketing.extensions import db
from comarketing.jobs import Job, JobStatus, runner
from comarketing.notifications import Notification
from comarketing.outbox import OutboxMessage
from comarketing.webhooks import delivery, endpoints
from tests import factories
from tests.campaign_helpers import solo_campaign
from tests.webhooks.conftest import actor, attempts, endpoint, register
from tests.webhooks.receiver import Receiver, Reply

PM, ADMIN = "partner_manager", "admin"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _job(endpoint_id: int) -> Job:
    db.session.expire_all()
    jobs = [
        job
        for job in db.session.scalars(sa.select(Job).where(Job.kind == delivery.DELIVER))
        if job.payload.get("endpoint_id") == endpoint_id
    ]
    assert len(jobs) == 1
    return jobs[0]


def test_an_event_arrives_signed_once_and_verifies_with_the_reference_library(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    endpoint_id, secret = register(world.a.email(ADMIN), receiver.url)
    campaign_id = solo_campaign(world.a.email(PM), "Winter bread")
    assert receiver.received == []  # queued with the action, sent by the worker
    assert runner.drain() == 1
    assert runner.drain() == 0

    [request] = receiver.received
    body = request.verify(secret)
    event = db.session.scalar(sa.select(Event).where(Event.type == "campaign.created"))
    assert event is not None
    assert request.headers["webhook-id"] == event.public_id == body["id"]
    assert request.headers["content-type"] == "application/json"
    assert body["type"] == "campaign.created"
    assert body["data"] == {
        "campaign_id": campaign_id,
        "kind": "solo",
        "status": "planned",
        "name": "Winter bread",
        "offer_id": None,
        "start_date": event.data["start_date"],
        "end_date": event.data["end_date"],
        "currency": "EUR",
    }
    with pytest.raises(WebhookVerificationError):
        request.verify(endpoints.signing.new_secret())
    [attempt] = attempts(endpoint_id)
    assert (attempt.outcome, attempt.status_code, attempt.response_excerpt) == (
        "delivered",
        200,
        "ok",
    )
    assert attempt.latency_ms is not None and attempt.event_id == event.id


def test_only_subscribed_types_and_only_the_own_company_are_sent(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    register(world.a.email(ADMIN), receiver.url, ["placement.created"])
    register(world.c.email(ADMIN), receiver.url + "/c", ["campaign.created"])
    solo_campaign(world.a.email(PM), "Not subscribed")
    runner.drain()
    assert receiver.received == []


def test_failures_are_retried_with_growing_jittered_delays_until_delivered(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    receiver.answer(Reply(503), Reply(500, body=b"still down"), Reply(408))
    with freeze_time(T0) as clock:
        endpoint_id, secret = register(world.a.email(ADMIN), receiver.url)
        solo_campaign(world.a.email(PM))
        for failures in (1, 2, 3):
            runner.drain()
            job = _job(endpoint_id)
            assert job.status == JobStatus.QUEUED
            base = delivery.SCHEDULE[failures - 1]
            wait = job.run_after - datetime.now(UTC)
            assert timedelta(seconds=base * 0.8) <= wait <= timedelta(seconds=base * 1.2)
            clock.tick(wait - timedelta(seconds=1))
            assert runner.drain() == 0  # not before its time
            clock.tick(timedelta(seconds=1))
        runner.drain()
    assert _job(endpoint_id).status == JobStatus.DONE
    log = attempts(endpoint_id)
    assert [(a.status_code, a.outcome) for a in log] == [
        (503, "retrying"),
        (500, "retrying"),
        (408, "retrying"),
        (200, "delivered"),
    ]
    assert log[1].response_excerpt == "still down"
    ids = {r.verify_as_sent(secret)["id"] for r in receiver.received}
    assert len(receiver.received) == 4 and len(ids) == 1  # one event, the same id each time
    assert endpoint(endpoint_id).failing_since is None


def test_the_schedule_retries_for_more_than_a_day() -> None:
    shortest = sum(delivery.SCHEDULE) * (1 - delivery.JITTER)
    assert shortest > 24 * 3600


@pytest.mark.parametrize("header", ["120", "Tue, 01 Dec 2026 09:02:00 GMT"])
def test_retry_after_is_honoured(
    ctx: Flask, world: factories.World, receiver: Receiver, header: str
) -> None:
    receiver.answer(Reply(429, {"Retry-After": header}))
    with freeze_time(T0):
        endpoint_id, _ = register(world.a.email(ADMIN), receiver.url)
        solo_campaign(world.a.email(PM))
        runner.drain()
        assert _job(endpoint_id).run_after == T0 + timedelta(seconds=120)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_client_errors_are_not_retried(
    ctx: Flask, world: factories.World, receiver: Receiver, status: int
) -> None:
    receiver.answer(Reply(status, body=b"no such hook"))
    endpoint_id, _ = register(world.a.email(ADMIN), receiver.url)
    solo_campaign(world.a.email(PM))
    runner.drain()
    job = _job(endpoint_id)
    assert job.status == JobStatus.FAILED
    assert [(a.status_code, a.outcome) for a in attempts(endpoint_id)] == [(status, "failed")]


def test_a_redirect_is_not_followed(ctx: Flask, world: factories.World, receiver: Receiver) -> None:
    receiver.answer(Reply(307, {"Location": receiver.url + "/elsewhere"}))
    endpoint_id, _ = register(world.a.email(ADMIN), receiver.url)
    solo_campaign(world.a.email(PM))
    runner.drain()
    assert [r.path for r in receiver.received] == ["/hooks/comarketing"]
    assert [(a.status_code, a.outcome) for a in attempts(endpoint_id)] == [(307, "failed")]


def test_only_the_first_2_kb_of_the_answer_are_kept(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    receiver.answer(Reply(200, body=b"x" * 100_000))
    endpoint_id, _ = register(world.a.email(ADMIN), receiver.url)
    solo_campaign(world.a.email(PM))
    runner.drain()
    [attempt] = attempts(endpoint_id)
    assert attempt.outcome == "delivered" and attempt.response_excerpt == "x" * 2048


def test_a_slow_receiver_times_out_and_is_retried(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    ctx.config["WEBHOOKS_TIMEOUT_SECONDS"] = 0.3
    receiver.answer(Reply(200, delay=2))
    endpoint_id, _ = register(world.a.email(ADMIN), receiver.url)
    solo_campaign(world.a.email(PM))
    runner.drain()
    [attempt] = attempts(endpoint_id)
    assert (attempt.status_code, attempt.outcome, attempt.error) == (None, "retrying", "Timed out.")


def test_a_closed_port_is_a_connection_error_retried(ctx: Flask, world: factories.World) -> None:
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    endpoint_id, _ = register(world.a.email(ADMIN), f"http://127.0.0.1:{closed}/hook")
    solo_campaign(world.a.email(PM))
    runner.drain()
    [attempt] = attempts(endpoint_id)
    assert attempt.outcome == "retrying" and attempt.error.startswith("Connection failed")


def test_after_three_days_of_failure_the_endpoint_is_disabled_and_its_admins_told(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    receiver.answer(*[Reply(500)] * 50)
    with freeze_time(T0) as clock:
        endpoint_id, _ = register(world.a.email(ADMIN), receiver.url)
        solo_campaign(world.a.email(PM), "First")
        runner.drain()
        assert endpoint(endpoint_id).failing_since == T0
        clock.tick(timedelta(days=2))
        solo_campaign(world.a.email(PM), "Second")
        runner.drain()
        assert endpoint(endpoint_id).enabled  # two days: still trying
        clock.tick(timedelta(days=1, minutes=1))
        solo_campaign(world.a.email(PM), "Third")
        runner.drain()
        found = endpoint(endpoint_id)
        assert not found.enabled and found.disabled_reason.startswith("Every delivery failed")
        sent = len(receiver.received)
        solo_campaign(world.a.email(PM), "Fourth")  # nothing is queued for it any more
        clock.tick(timedelta(days=2))
        runner.drain()
        assert len(receiver.received) == sent
    admin_id = world.a.user_ids[ADMIN]
    told = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "webhook_disabled")
    ).all()
    assert told == [admin_id]
    mails = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "webhook_disabled")
    ).all()
    assert mails == [world.a.email(ADMIN)]
    assert db.session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.action == "webhook.endpoint_disabled")
    )


def test_both_secrets_sign_during_a_rotation_then_only_the_new_one(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    with freeze_time(T0) as clock:
        endpoint_id, old = register(world.a.email(ADMIN), receiver.url)
        _, new = endpoints.rotate_secret(actor(world.a.email(ADMIN)), endpoint_id)
        assert new != old and new.startswith("whsec_")
        solo_campaign(world.a.email(PM), "During")
        runner.drain()
        during = receiver.received[-1]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert during.verify(old)["data"]["name"] == "During"
        assert during.verify(new)["data"]["name"] == "During"

        clock.tick(timedelta(hours=24, seconds=1))
        solo_campaign(world.a.email(PM), "After")
        runner.drain()
        after = receiver.received[-1]
        assert len(after.headers["webhook-signature"].split(" ")) == 1
        assert after.verify(new)["data"]["name"] == "After"
        with pytest.raises(WebhookVerificationError):
            after.verify(old)


def test_a_redelivery_sends_the_event_again_with_the_same_id(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    endpoint_id, secret = register(world.a.email(ADMIN), receiver.url)
    solo_campaign(world.a.email(PM))
    runner.drain()
    event_id = receiver.received[0].headers["webhook-id"]
    endpoints.redeliver(actor(world.a.email(ADMIN)), endpoint_id, event_id)
    runner.drain()
    assert [r.verify(secret)["id"] for r in receiver.received] == [event_id, event_id]
    assert [a.outcome for a in attempts(endpoint_id)] == ["delivered", "delivered"]


def test_a_test_event_is_sent_and_logged_but_is_no_event(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    endpoint_id, secret = register(world.a.email(ADMIN), receiver.url)
    message_id = endpoints.send_test(actor(world.a.email(ADMIN)), endpoint_id)
    runner.drain()
    body = receiver.received[0].verify(secret)
    assert body["type"] == "webhook.test" and body["id"] == message_id
    assert body["data"] == {"endpoint_id": endpoint_id}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    assert [a.event_type for a in attempts(endpoint_id)] == ["webhook.test"]


def test_the_log_keeps_thirty_days(ctx: Flask, world: factories.World, receiver: Receiver) -> None:
    with freeze_time(T0) as clock:
        endpoint_id, _ = register(world.a.email(ADMIN), receiver.url)
        solo_campaign(world.a.email(PM), "Old")
        runner.drain()
        clock.tick(timedelta(days=29))
        solo_campaign(world.a.email(PM), "Recent")
        runner.drain()
        assert len(attempts(endpoint_id)) == 2
        clock.tick(timedelta(days=2))
        solo_campaign(world.a.email(PM), "New")
        runner.drain()
    kept = [a.attempted_at for a in attempts(endpoint_id)]
    assert kept == [T0 + timedelta(days=29), T0 + timedelta(days=31)]

"""Review deadlines: ``flask send-reminders`` (run from cron) under a frozen clock — a reminder
one business day before the due date, an overdue notice once it has passed, each exactly once;
expiry closes an offer; the inbox lists soonest due first and flags overdue reviews.

Dates: 2026-11-30 is a Monday.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.errors import InvalidTransition
from comarketing.extensions import db
from comarketing.offers import proposals, reviews
from comarketing.offers.models import Offer, OfferEvent, OfferStatus
from tests import factories
from tests.offer_helpers import actor, mail_to, make_terms, notified, propose_and_send

PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"
NOTHING = "Reminded 0, flagged overdue 0, expired 0."


def run_cron(runner, at: str) -> str:
    with freeze_time(at):
        result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    return str(result.output).strip()


def sent_at(app, at: str, proposer: str, party_ids: list[int], **terms: Any) -> int:
    with freeze_time(at), app.app_context():
        return propose_and_send(proposer, party_ids, make_terms(party_ids, **terms))


def people(app, kind: str) -> list[str]:
    with app.app_context():
        return notified(kind)


def mailed(app, kind: str) -> list[str]:
    with app.app_context():
        return mail_to(kind)


def deciders(company: Any) -> list[str]:
    return [company.email(ADMIN), company.email(APPROVER)]


def writers(company: Any) -> list[str]:
    return [company.email(r) for r in (ADMIN, APPROVER, PM)]


def test_one_reminder_the_business_day_before_and_one_overdue_notice_after(app, world, runner):
    # A's admin sends, approving for A by it: only B decides (a partner manager's proposal
    # would wait for A's approvers too, see tests/unit/test_offer_approvers.py).
    # Due at the end of Wednesday.
    sent_at(app, "2026-11-30 10:00:00", world.a.email(ADMIN), [world.a.id, world.b.id])

    assert run_cron(runner, "2026-11-30 15:00:00") == NOTHING
    assert run_cron(runner, "2026-11-30 23:59:00") == NOTHING  # more than a business day left

    # From Tuesday on, the review is due by the end of the next business day.
    assert run_cron(runner, "2026-12-01 00:00:00") == "Reminded 1, flagged overdue 0, expired 0."
    # Only B decides: its admin and approver are reminded, by mail and under the bell.
    assert people(app, "review_reminder") == sorted(deciders(world.b))
    assert mailed(app, "review_reminder") == sorted(deciders(world.b))
    assert run_cron(runner, "2026-12-01 16:00:00") == NOTHING
    assert run_cron(runner, "2026-12-02 23:59:59") == NOTHING

    assert run_cron(runner, "2026-12-03 00:00:00") == "Reminded 0, flagged overdue 1, expired 0."
    # Overdue is flagged to every party.
    assert people(app, "review_overdue") == sorted(writers(world.a) + writers(world.b))
    assert run_cron(runner, "2026-12-03 00:05:00") == NOTHING
    assert run_cron(runner, "2026-12-07 10:00:00") == NOTHING
    assert len(people(app, "review_reminder")) == 2
    with app.app_context():
        events = db.session.scalars(sa.select(OfferEvent.action).order_by(OfferEvent.id)).all()
        assert events == ["created", "sent", "overdue"]


def test_the_weekend_does_not_bring_the_reminder_forward(app, world, runner):
    sent_at(app, "2026-12-04 10:00:00", world.a.email(PM), [world.a.id, world.b.id])  # due Tue
    assert run_cron(runner, "2026-12-05 10:00:00") == NOTHING  # Saturday
    assert run_cron(runner, "2026-12-06 23:00:00") == NOTHING  # Sunday
    assert run_cron(runner, "2026-12-07 10:00:00") == "Reminded 1, flagged overdue 0, expired 0."


def test_parties_that_already_decided_get_no_reminder(app, world, runner):
    offer_id = sent_at(
        app, "2026-11-30 10:00:00", world.b.email(ADMIN), [world.a.id, world.b.id, world.c.id]
    )
    with freeze_time("2026-11-30 11:00:00"), app.app_context():
        reviews.decide(
            actor(world.a.email(APPROVER)), offer_id, revision_number=1, decision="approved"
        )

    assert run_cron(runner, "2026-12-01 10:00:00") == "Reminded 1, flagged overdue 0, expired 0."
    assert people(app, "review_reminder") == sorted(deciders(world.c))


def test_a_revision_every_party_answered_is_neither_reminded_nor_overdue(app, world, runner):
    offer_id = sent_at(
        app, "2026-11-30 10:00:00", world.b.email(ADMIN), [world.a.id, world.b.id, world.c.id]
    )
    with freeze_time("2026-11-30 11:00:00"), app.app_context():
        reviews.decide(
            actor(world.a.email(APPROVER)),
            offer_id,
            revision_number=1,
            decision="changes_requested",
            comment="Smaller.",
        )
        reviews.decide(
            actor(world.c.email(APPROVER)), offer_id, revision_number=1, decision="approved"
        )
    assert run_cron(runner, "2026-12-01 10:00:00") == NOTHING
    assert run_cron(runner, "2026-12-03 10:00:00") == NOTHING


def test_a_new_revision_gets_its_own_reminder(app, world, runner):
    a, b = world.a.id, world.b.id
    offer_id = sent_at(app, "2026-11-30 10:00:00", world.a.email(ADMIN), [a, b])
    assert run_cron(runner, "2026-12-01 10:00:00") == "Reminded 1, flagged overdue 0, expired 0."
    with freeze_time("2026-12-01 12:00:00"), app.app_context():  # B counters: due end of Thu
        proposals.revise(actor(world.b.email(ADMIN)), offer_id, terms=make_terms([a, b], title="B"))
    assert run_cron(runner, "2026-12-01 23:59:00") == NOTHING  # revision 1 no longer counts
    assert run_cron(runner, "2026-12-02 00:00:00") == "Reminded 1, flagged overdue 0, expired 0."
    assert people(app, "review_reminder") == sorted(deciders(world.a) + deciders(world.b))


def test_an_offer_past_its_expiry_closes_as_expired_and_every_party_is_told(app, world, runner):
    with freeze_time("2026-11-30 10:00:00"), app.app_context():
        offer_id = proposals.create_draft(
            actor(world.a.email(PM)),
            partner_ids=[world.b.id],
            terms=make_terms([world.a.id, world.b.id]),
            expires_at=datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC),
        ).id
        proposals.send(actor(world.a.email(PM)), offer_id)

    assert run_cron(runner, "2026-12-01 23:59:00") == "Reminded 1, flagged overdue 0, expired 0."
    assert run_cron(runner, "2026-12-02 00:00:00") == "Reminded 0, flagged overdue 0, expired 1."
    assert run_cron(runner, "2026-12-02 12:00:00") == NOTHING  # closed: not overdue either

    with app.app_context():
        offer = db.session.get(Offer, offer_id)
        assert offer is not None
        assert offer.status == OfferStatus.EXPIRED
        assert offer.closed_at == datetime(2026, 12, 2, tzinfo=UTC)
        assert notified("offer_closed") == sorted(writers(world.a) + writers(world.b))
        with pytest.raises(InvalidTransition):
            reviews.decide(
                actor(world.b.email(APPROVER)), offer_id, revision_number=1, decision="approved"
            )


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def test_the_inbox_lists_soonest_due_first_and_flags_overdue_reviews(app, world):
    a, b, c = world.a.id, world.b.id, world.c.id
    a_pm = world.a.email(ADMIN)  # approves for A by proposing: the reviews are B's
    monday = sent_at(app, "2026-11-30 10:00:00", a_pm, [a, b], title="Monday's")  # due Wed 10:00
    friday = sent_at(app, "2026-11-27 10:00:00", a_pm, [a, b], title="Friday's")  # due Tue 10:00
    tuesday = sent_at(app, "2026-12-01 09:00:00", a_pm, [a, b], title="Tuesday's")  # due Thu
    decided = sent_at(app, "2026-11-30 09:00:00", a_pm, [a, b], title="Decided")
    own = sent_at(app, "2026-11-30 09:00:00", world.b.email(ADMIN), [b, c], title="B's own")
    with app.app_context():
        reviews.decide(
            actor(world.b.email(APPROVER)), decided, revision_number=1, decision="approved"
        )

    with freeze_time("2026-12-02 09:00:00"):  # Wednesday morning
        client = signed_in(app, world.b.email(ANALYST))
        html = client.get("/offers/inbox").get_data(as_text=True)
        table = html.split('data-testid="offers-table"', 1)[1].split("</table>", 1)[0]
        listed = [int(i) for i in re.findall(r'href="/offers/(\d+)"', table)]
        assert listed == [friday, monday, tuesday]
        assert decided not in listed and own not in listed
        rows = table.split("<tr>")[2:]
        assert ['data-testid="overdue"' in row for row in rows] == [True, False, False]

        proposer_view = signed_in(app, world.a.email(ANALYST)).get(f"/offers/{friday}")
        assert 'data-testid="overdue"' in proposer_view.get_data(as_text=True)
        assert 'data-testid="overdue"' not in (
            client.get(f"/offers/{monday}").get_data(as_text=True)
        )

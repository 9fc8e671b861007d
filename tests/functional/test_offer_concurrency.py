"""Simultaneous writers on one offer, on PostgreSQL (SQLite ignores row locks and serialises
all writers anyway). Each writer runs in its own thread with its own app context — so its own
session and connection — and a ``threading.Barrier`` releases them together.

Every scenario is repeated on fresh offers, so that more than one interleaving is tried.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from comarketing.budgets.models import LedgerEntry
from comarketing.campaigns.models import Campaign
from comarketing.errors import Conflict, DomainError
from comarketing.extensions import db
from comarketing.offers import offer_page, proposals, reviews
from comarketing.offers.models import Offer, OfferDecision, OfferRevision, OfferStatus
from tests import factories
from tests.offer_helpers import BUDGET, actor, make_terms, propose_and_send, terms_form_data

pytestmark = pytest.mark.pg_only

PM, APPROVER, ADMIN = "partner_manager", "approver", "admin"
ROUNDS = 4


def at_once(calls: list[Callable[[threading.Barrier], Any]]) -> list[Any]:
    """Run each call in its own thread; each waits at the barrier right before its write.
    Returns what each call returned, or the DomainError it raised."""
    barrier = threading.Barrier(len(calls), timeout=20)
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[threading.Barrier], Any]) -> None:
        try:
            results[index] = call(barrier)
        except DomainError as exc:
            results[index] = exc
        except BaseException as exc:  # surfaced by the assertion in the caller's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a writer never finished (deadlock?)"
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)
    ]
    assert not unexpected, unexpected
    return results


def deciding(app, email: str, offer_id: int, number: int = 1) -> Callable[[threading.Barrier], str]:
    def call(barrier: threading.Barrier) -> str:
        with app.app_context():
            try:
                who = actor(email)  # loaded before the barrier: only the write races
                barrier.wait()
                reviews.decide(who, offer_id, revision_number=number, decision="approved")
                return "ok"
            finally:
                db.session.remove()

    return call


def three_party_offer(app, world) -> int:
    """B's admin sends, approving for B by proposing: A and C decide."""
    with app.app_context():
        return propose_and_send(world.b.email(ADMIN), [world.a.id, world.b.id, world.c.id])


def test_the_last_two_approvals_at_once_create_exactly_one_campaign(app, world):
    for _ in range(ROUNDS):
        offer_id = three_party_offer(app, world)

        results = at_once(
            [
                deciding(app, world.a.email(APPROVER), offer_id),
                deciding(app, world.c.email(APPROVER), offer_id),
            ]
        )

        assert results == ["ok", "ok"]  # both decisions count: the second sees the first
        with app.app_context():
            offer = db.session.get(Offer, offer_id)
            assert offer is not None and offer.status == OfferStatus.APPROVED
            (campaign_id,) = db.session.scalars(
                sa.select(Campaign.id).where(Campaign.offer_id == offer_id)
            )
            amounts = db.session.scalars(
                sa.select(LedgerEntry.amount_minor).where(LedgerEntry.campaign_id == campaign_id)
            ).all()
            assert len(amounts) == 3 and sum(amounts) == BUDGET


def test_two_approvers_of_one_party_at_once_record_one_decision(app, world):
    for _ in range(ROUNDS):
        offer_id = three_party_offer(app, world)

        results = at_once(
            [
                deciding(app, world.a.email(APPROVER), offer_id),
                deciding(app, world.a.email(ADMIN), offer_id),
            ]
        )

        assert sorted(map(str, results)).count("ok") == 1
        (refused,) = [r for r in results if r != "ok"]
        assert isinstance(refused, Conflict) and refused.status_code == 409
        with app.app_context():
            rows = db.session.scalars(
                sa.select(OfferDecision.organization_id).where(
                    OfferDecision.offer_id == offer_id, OfferDecision.implicit.is_(False)
                )
            ).all()
            assert rows == [world.a.id]
            offer = db.session.get(Offer, offer_id)
            assert offer is not None and offer.status == OfferStatus.SENT


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def counter_proposing(app, world, email: str, offer_id: int, title: str):
    """Open the edit form now (its hidden version is read here); post it at the barrier."""
    client = signed_in(app, email)
    form = client.get(f"/offers/{offer_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form)
    assert version is not None
    data = terms_form_data(
        [world.a.id, world.b.id, world.c.id], title=title, version=version.group(1)
    )

    def call(barrier: threading.Barrier) -> int:
        barrier.wait()
        return client.post(f"/offers/{offer_id}/edit", data=data).status_code

    return call


def test_two_counter_proposals_from_the_same_version_make_one_revision(app, world):
    for _ in range(ROUNDS):
        offer_id = three_party_offer(app, world)
        calls = [
            counter_proposing(app, world, world.a.email(PM), offer_id, "Alpha's terms"),
            counter_proposing(app, world, world.c.email(PM), offer_id, "Gamma's terms"),
        ]

        statuses = at_once(calls)

        assert sorted(statuses) == [302, 409]
        with app.app_context():
            titles = db.session.scalars(
                sa.select(OfferRevision.title)
                .where(OfferRevision.offer_id == offer_id)
                .order_by(OfferRevision.number)
            ).all()
            assert len(titles) == 2
            assert titles[1] == ("Alpha's terms" if statuses[0] == 302 else "Gamma's terms")
            offer = db.session.get(Offer, offer_id)
            assert offer is not None and offer.current_revision_number == 2
            decisions = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(OfferDecision)
                .where(OfferDecision.offer_id == offer_id)
            )
            # B's admin's approval by proposing revision 1; the winner is a partner manager,
            # whose counter-proposal carries no approval (their approvers decide on it).
            assert decisions == 1


def counter_proposing_by_service(
    app, email: str, offer_id: int, version: int | None
) -> Callable[[threading.Barrier], str]:
    def call(barrier: threading.Barrier) -> str:
        with app.app_context():
            try:
                who = actor(email)
                party_ids = offer_page.offer_view(who, offer_id).parties
                terms = make_terms(sorted(party_ids), title="Gamma's terms")
                barrier.wait()
                proposals.revise(who, offer_id, terms=terms, expected_version=version)
                return "ok"
            finally:
                db.session.remove()

    return call


def test_an_approval_racing_a_counter_proposal_leaves_one_consistent_outcome(app, world):
    """The last approval and a counter-proposal at once: either the offer is approved (and
    the counter-proposal refused), or revision 2 exists (and the approval refused)."""
    for _ in range(ROUNDS):
        offer_id = three_party_offer(app, world)
        with app.app_context():
            reviews.decide(
                actor(world.a.email(APPROVER)), offer_id, revision_number=1, decision="approved"
            )
            version = db.session.scalar(sa.select(Offer.version).where(Offer.id == offer_id))

        countering = counter_proposing_by_service(app, world.c.email(PM), offer_id, version)

        approval, counter = at_once([deciding(app, world.c.email(APPROVER), offer_id), countering])

        with app.app_context():
            offer = db.session.get(Offer, offer_id)
            assert offer is not None
            campaigns = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Campaign)
                .where(Campaign.offer_id == offer_id)
            )
            if approval == "ok":
                assert isinstance(counter, Conflict)  # version moved, or no longer open
                assert (offer.status, offer.current_revision_number, campaigns) == (
                    OfferStatus.APPROVED,
                    1,
                    1,
                )
            else:
                assert counter == "ok" and isinstance(approval, Conflict)
                assert (offer.status, offer.current_revision_number, campaigns) == (
                    OfferStatus.SENT,
                    2,
                    0,
                )

"""Approvals are given by approvers (issue 14): a partner manager's proposal or counter-proposal
never completes an approval for their own company; an admin who proposes approves by proposing;
four eyes asks for a second, different approver; the proposer company's approvers get the
inbox, the due date and the reminders like every other party's; migration 0012 keeps history.

World: A-B and B-C are active partners; every company has an admin, a partner manager, an
approver and an analyst.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from freezegun import freeze_time

from comarketing import create_app
from comarketing.campaigns.models import Campaign
from comarketing.errors import Conflict, Forbidden, InvalidTransition
from comarketing.extensions import db
from comarketing.offers import approvals, deadlines, lists, offer_page, proposals, reviews
from comarketing.offers.models import Offer, OfferDecision, OfferRevision, OfferStatus
from tests import factories
from tests.conftest import base_config
from tests.offer_helpers import actor, make_terms, notified, propose_and_send, user

PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"


def send(company: Any, role: str, parties: list[int]) -> int:
    return propose_and_send(company.email(role), parties, make_terms(parties))


def decide(company: Any, offer_id: int, number: int = 1, role: str = APPROVER, **kw: Any) -> Any:
    return reviews.decide(
        actor(company.email(role)),
        offer_id,
        revision_number=number,
        decision=kw.pop("decision", "approved"),
        **kw,
    )


def status(offer_id: int) -> str:
    db.session.expire_all()
    offer = db.session.get(Offer, offer_id)
    assert offer is not None
    return offer.status


def campaigns() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) or 0


def rows(offer_id: int) -> set[tuple[int, int, str, bool, str | None]]:
    """(revision, organization, decision, implicit, role) of every decision on the offer."""
    found = db.session.execute(
        sa.select(
            OfferRevision.number,
            OfferDecision.organization_id,
            OfferDecision.decision,
            OfferDecision.implicit,
            OfferDecision.decider_role,
        )
        .join(OfferRevision, OfferRevision.id == OfferDecision.revision_id)
        .where(OfferDecision.offer_id == offer_id)
    )
    return {(n, o, d, bool(i), r) for n, o, d, i, r in found}


def inbox_of(company: Any, role: str = APPROVER) -> list[int]:
    return [row.offer.id for row in lists.inbox(actor(company.email(role)))]


def four_eyes(company: Any, on: bool = True) -> None:
    approvals.set_four_eyes(actor(company.email(ADMIN)), on)


# ---------------------------------------------------------------------------------------------
# A partner manager's proposal goes to their own company's approvers


def test_a_partner_managers_proposal_never_approves_for_their_company(ctx, world):
    a, b = world.a, world.b
    offer_id = send(a, PM, [a.id, b.id])

    assert rows(offer_id) == set()
    assert inbox_of(a) == [offer_id] and inbox_of(b) == [offer_id]
    decide(b, offer_id)
    # Every other party approved: still nothing until A's own approver decides.
    assert status(offer_id) == OfferStatus.SENT and campaigns() == 0
    view = offer_page.offer_view(actor(a.email(ANALYST)), offer_id)
    assert [org.id for org in view.awaiting] == [a.id]

    decide(a, offer_id)

    assert status(offer_id) == OfferStatus.APPROVED and campaigns() == 1
    assert rows(offer_id) == {
        (1, a.id, "approved", False, APPROVER),
        (1, b.id, "approved", False, APPROVER),
    }


def test_the_proposer_companys_approver_may_send_it_back_or_reject_it(ctx, world):
    a, b = world.a, world.b
    asked = send(a, PM, [a.id, b.id])
    decide(a, asked, decision="changes_requested", comment="Check the dates with finance.")
    assert status(asked) == OfferStatus.SENT
    assert [r.offer.id for r in lists.changes_requested_of_me(actor(a.email(PM)))] == [asked]
    assert inbox_of(a) == []

    refused = send(a, PM, [a.id, b.id])
    decide(a, refused, role=ADMIN, decision="rejected", comment="Not in this year's plan.")
    assert status(refused) == OfferStatus.REJECTED and campaigns() == 0


def test_a_partner_managers_counter_proposal_never_approves_for_their_company(ctx, world):
    a, b = world.a, world.b
    offer_id = send(a, ADMIN, [a.id, b.id])  # A's admin approves for A by proposing
    proposals.revise(
        actor(b.email(PM)), offer_id, terms=make_terms([a.id, b.id], title="B's counter")
    )

    assert inbox_of(b) == [offer_id]  # B's partner manager wrote it: B's approvers decide
    decide(a, offer_id, number=2)
    assert status(offer_id) == OfferStatus.SENT and campaigns() == 0

    decide(b, offer_id, number=2)

    assert status(offer_id) == OfferStatus.APPROVED
    assert {r for r in rows(offer_id) if r[0] == 2} == {
        (2, a.id, "approved", False, APPROVER),
        (2, b.id, "approved", False, APPROVER),
    }


def test_a_partner_manager_does_not_decide_even_on_their_own_proposal(ctx, world):
    a, b = world.a, world.b
    offer_id = send(a, PM, [a.id, b.id])
    with pytest.raises(Forbidden):
        decide(a, offer_id, role=PM)
    assert rows(offer_id) == set()


def test_an_admins_proposal_approves_for_their_company_by_proposing(ctx, world):
    a, b = world.a, world.b
    offer_id = send(a, ADMIN, [a.id, b.id])

    assert rows(offer_id) == {(1, a.id, "approved", True, ADMIN)}
    assert inbox_of(a) == [] and inbox_of(b) == [offer_id]
    with pytest.raises(Forbidden):  # the company's answer is given
        decide(a, offer_id)

    decide(b, offer_id)

    assert status(offer_id) == OfferStatus.APPROVED and campaigns() == 1
    timeline = [i.text for i in offer_page.offer_view(actor(b.email(ANALYST)), offer_id).timeline]
    admin = user(a.email(ADMIN)).name
    assert f"approved for {a.name} by proposing ({admin}, admin)" in timeline[1]


# ---------------------------------------------------------------------------------------------
# Four eyes


def test_four_eyes_needs_a_second_different_approver(ctx, world):
    a, b = world.a, world.b
    four_eyes(a)
    offer_id = send(a, ADMIN, [a.id, b.id])
    decide(b, offer_id)

    # The admin's approval by proposing is recorded, but A still waits for a second approver.
    assert rows(offer_id) == {
        (1, a.id, "approved", True, ADMIN),
        (1, b.id, "approved", False, APPROVER),
    }
    assert status(offer_id) == OfferStatus.SENT and campaigns() == 0
    assert inbox_of(a) == [offer_id]
    state = offer_page.offer_view(actor(a.email(ANALYST)), offer_id).current.decisions[a.id]
    assert state.waiting_for_second and state.outcome is None
    with pytest.raises(Forbidden):  # the same user cannot approve twice
        decide(a, offer_id, role=ADMIN)

    decide(a, offer_id)  # A's approver: the second pair of eyes

    assert status(offer_id) == OfferStatus.APPROVED and campaigns() == 1
    with pytest.raises(InvalidTransition):  # closed now: nothing more to decide
        decide(a, offer_id)


def test_with_four_eyes_a_partner_managers_proposal_needs_one_approver(ctx, world):
    a, b = world.a, world.b
    four_eyes(a)
    offer_id = send(a, PM, [a.id, b.id])  # the manager and the approver: four eyes
    decide(a, offer_id)
    with pytest.raises(Conflict):  # one answer per company and revision
        decide(a, offer_id, role=ADMIN)
    decide(b, offer_id)
    assert status(offer_id) == OfferStatus.APPROVED


def test_four_eyes_binds_the_revisions_sent_while_it_is_on(ctx, world):
    a, b = world.a, world.b
    four_eyes(a)
    offer_id = send(a, ADMIN, [a.id, b.id])
    four_eyes(a, on=False)  # changing it later neither strands nor completes this revision
    decide(b, offer_id)
    assert status(offer_id) == OfferStatus.SENT
    decide(a, offer_id)
    assert status(offer_id) == OfferStatus.APPROVED

    after = send(a, ADMIN, [a.id, b.id])
    decide(b, after)
    assert status(after) == OfferStatus.APPROVED  # off again: approved by proposing


def test_four_eyes_is_an_admin_setting(ctx, world):
    with pytest.raises(Forbidden):
        approvals.set_four_eyes(actor(world.a.email(PM)), True)
    four_eyes(world.a)
    assert user(world.a.email(ADMIN)).organization.four_eyes is True
    assert user(world.b.email(ADMIN)).organization.four_eyes is False


def test_the_settings_page_turns_four_eyes_on_for_admins_only(app, world):
    def client_as(email: str) -> Any:
        client = app.test_client()
        login = {"email": email, "password": factories.TEST_PASSWORD}
        assert client.post("/login", data=login).status_code == 302
        return client

    form = {"review_days": "2", "four_eyes": "y"}
    assert client_as(world.a.email(PM)).post("/settings/organization", data=form).status_code == 403
    admin = client_as(world.a.email(ADMIN))
    assert 'name="four_eyes"' in admin.get("/settings/organization").get_data(as_text=True)
    assert admin.post("/settings/organization", data=form).status_code == 302
    with app.app_context():
        assert user(world.a.email(ADMIN)).organization.four_eyes is True
    assert admin.post("/settings/organization", data={"review_days": "2"}).status_code == 302
    with app.app_context():
        assert user(world.a.email(ADMIN)).organization.four_eyes is False


# ---------------------------------------------------------------------------------------------
# Due date, inbox, reminders and notifications reach the proposer company's approvers


def deciders(company: Any) -> list[str]:
    return [company.email(ADMIN), company.email(APPROVER)]


def test_the_proposer_companys_approvers_get_the_due_date_notice_and_reminder(ctx, world):
    a, b = world.a, world.b
    deadlines.set_review_days(actor(a.email(ADMIN)), 4)  # A's own window now counts
    with freeze_time("2026-11-30 10:00:00"):  # Monday
        offer_id = send(a, PM, [a.id, b.id])
    revision = db.session.scalar(sa.select(OfferRevision).where(OfferRevision.offer_id == offer_id))
    assert revision is not None
    assert revision.review_due_at == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    # Told at sending: B's writers as before, and A's own approvers and admins.
    assert notified("offer_received") == sorted([*deciders(a), *deciders(b), b.email(PM)])

    with freeze_time("2026-12-03 10:00:00"):
        result = deadlines.run_deadlines()
    assert result.reminded == 1
    # Both companies wait: both companies' deciders are reminded, never the proposer.
    assert notified("review_reminder") == sorted(deciders(a) + deciders(b))

    decide(a, offer_id)
    decide(b, offer_id, role=ADMIN, decision="changes_requested", comment="Later.")
    # A's own approver's answer reaches A's partner manager too.
    assert a.email(PM) in notified("offer_decision")


def test_a_counter_proposal_by_a_partner_manager_reminds_their_own_approvers(ctx, world):
    a, b = world.a, world.b
    with freeze_time("2026-11-30 10:00:00"):
        offer_id = send(a, ADMIN, [a.id, b.id])
        proposals.revise(
            actor(b.email(PM)), offer_id, terms=make_terms([a.id, b.id], title="B's counter")
        )
    assert sorted(inbox_of(b)) == [offer_id] and inbox_of(a) == [offer_id]
    with freeze_time("2026-12-01 10:00:00"):
        deadlines.run_deadlines()
    assert notified("review_reminder") == sorted(deciders(a) + deciders(b))


# ---------------------------------------------------------------------------------------------
# Migration 0012 on existing data


def test_migration_0012_keeps_existing_decisions_and_records_no_guessed_role(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'before.sqlite'}"
    app = create_app(base_config(url))
    now = "2026-11-30 10:00:00.000000"
    with app.app_context():
        upgrade(revision="0011_offer_drafts")
        with db.engine.begin() as conn:
            for org_id, slug in ((1, "a"), (2, "b")):
                conn.execute(
                    sa.text(
                        "INSERT INTO organizations (id, name, slug, review_business_days, "
                        "created_at) VALUES (:id, :slug, :slug, 2, :now)"
                    ),
                    {"id": org_id, "slug": slug, "now": now},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, organization_id, email, name, password_hash, role, "
                    "active, session_token, created_at) VALUES (1, 1, 'pm@a.example', 'Pat', "
                    "'x', 'partner_manager', 1, 'token', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO offers (id, proposer_organization_id, status, "
                    "current_revision_number, created_at, updated_at, sent_at, version) "
                    "VALUES (1, 1, 'sent', 1, :now, :now, :now, 2)"
                ),
                {"now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO offer_revisions (id, offer_id, number, author_id, "
                    "author_organization_id, change_note, title, value_proposition, audience, "
                    "start_date, end_date, currency, total_budget_minor, party_terms, "
                    "placements, created_at, sent_at) VALUES (1, 1, 1, 1, 1, '', 'Old', '', '', "
                    "'2027-03-01', '2027-04-30', 'EUR', 100000, '[]', '[]', :now, :now)"
                ),
                {"now": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO offer_decisions (id, offer_id, revision_id, organization_id, "
                    "user_id, decision, comment, implicit, created_at) "
                    "VALUES (1, 1, 1, 1, 1, 'approved', '', 1, :now)"
                ),
                {"now": now},
            )

        upgrade(revision="0012_approvers")

        with db.engine.connect() as conn:
            decision = conn.execute(
                sa.text("SELECT decision, implicit, decider_role FROM offer_decisions")
            ).one()
            assert tuple(decision) == ("approved", 1, None)  # kept, role not guessed
            assert conn.scalar(sa.text("SELECT four_eyes FROM organizations WHERE id = 1")) == 0
            assert conn.scalar(sa.text("SELECT four_eyes FROM offer_revisions")) == 0
        # It keeps counting as it did: A's approval by proposing stands on the open offer.
        stored = db.session.get(OfferRevision, 1)
        assert stored is not None
        state = approvals.approvals_on(stored, [1, 2])
        assert state[1].approved and state[1].implicit is not None
        assert state[1].implicit.role_label == "role not recorded"
        assert state[2].outcome is None
        db.session.remove()
        db.engine.dispose()

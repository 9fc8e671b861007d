"""Joint offers through the services: proposing, sending, counter-proposals, decisions,
approval into a campaign with commitments, withdrawal, cloning, comments, validation, roles,
notifications, audit and the offer's timeline.

World: A-B and B-C are active partners (A-C are not), so three-party offers come from B.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from comarketing import notifications
from comarketing.audit import AuditEvent
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from comarketing.extensions import db
from comarketing.offers import deadlines, discussion, lists, offer_page, proposals, reviews
from comarketing.offers.models import (
    Offer,
    OfferDecision,
    OfferEvent,
    OfferParty,
    OfferRevision,
    OfferStatus,
)
from comarketing.outbox import OutboxMessage
from comarketing.partners.models import Product
from tests.offer_helpers import (
    BUDGET,
    END,
    START,
    actor,
    count_rows,
    decisions,
    mail_to,
    make_terms,
    notified,
    placement,
    propose,
    propose_and_send,
    user,
)

PM, APPROVER, ADMIN, ANALYST = "partner_manager", "approver", "admin", "analyst"


def email(company: Any, role: str) -> str:
    return str(company.email(role))


def offer(offer_id: int) -> Offer:
    db.session.expire_all()
    found = db.session.get(Offer, offer_id)
    assert found is not None
    return found


def revision(offer_id: int, number: int) -> OfferRevision:
    found = db.session.scalar(
        sa.select(OfferRevision).where(
            OfferRevision.offer_id == offer_id, OfferRevision.number == number
        )
    )
    assert found is not None
    return found


def three_party(world: Any, proposer: str = PM, **terms: Any) -> int:
    """B proposes to A and C and sends (B's partner manager unless told otherwise: then B's
    own approvers decide too)."""
    parties = [world.a.id, world.b.id, world.c.id]
    return propose_and_send(email(world.b, proposer), parties, make_terms(parties, **terms))


def two_party(world: Any, proposer: str = PM, **terms: Any) -> int:
    """A proposes to B and sends."""
    parties = [world.a.id, world.b.id]
    return propose_and_send(email(world.a, proposer), parties, make_terms(parties, **terms))


def approve(company: Any, offer_id: int, number: int = 1, role: str = APPROVER) -> None:
    reviews.decide(
        actor(email(company, role)), offer_id, revision_number=number, decision="approved"
    )


# ---------------------------------------------------------------------------------------------
# Drafts and sending


def test_a_draft_is_invisible_to_the_other_parties_until_it_is_sent(ctx, world):
    offer_id = propose(email(world.a, PM), [world.a.id, world.b.id])

    assert offer(offer_id).status == OfferStatus.DRAFT
    assert offer_page.offer_view(actor(email(world.a, ANALYST)), offer_id).title
    b_admin = actor(email(world.b, ADMIN))
    with pytest.raises(NotFound):
        offer_page.offer_view(b_admin, offer_id)
    with pytest.raises(NotFound):
        reviews.decide(
            actor(email(world.b, APPROVER)), offer_id, revision_number=1, decision="approved"
        )
    with pytest.raises(NotFound):
        proposals.revise(actor(email(world.b, PM)), offer_id, terms=make_terms([1]))
    assert lists.list_offers(b_admin) == []
    assert lists.inbox(b_admin) == []

    proposals.send(actor(email(world.a, PM)), offer_id)

    assert offer_page.offer_view(b_admin, offer_id).offer.status == OfferStatus.SENT
    assert [row.offer.id for row in lists.inbox(b_admin)] == [offer_id]


def test_a_three_party_offer_reaches_every_party_and_counts_the_senders_approval(ctx, world):
    offer_id = three_party(world, proposer=ADMIN)

    assert offer(offer_id).status == OfferStatus.SENT
    for company in (world.a, world.b, world.c):
        view = offer_page.offer_view(actor(email(company, ANALYST)), offer_id)
        assert set(view.parties) == {world.a.id, world.b.id, world.c.id}
    (implicit,) = db.session.scalars(sa.select(OfferDecision))
    assert (implicit.organization_id, implicit.decision, implicit.implicit) == (
        world.b.id,
        "approved",
        True,
    )
    assert (implicit.user_id, implicit.decider_role) == (world.b.user_ids[ADMIN], ADMIN)
    # Everyone but the sender's company (its admin approved by proposing) has it waiting.
    assert [row.offer.id for row in lists.inbox(actor(email(world.a, APPROVER)))] == [offer_id]
    assert lists.inbox(actor(email(world.b, APPROVER))) == []


def test_a_company_outside_the_offer_cannot_tell_it_exists(ctx, world):
    offer_id = two_party(world)
    c = world.c
    with pytest.raises(NotFound):
        offer_page.offer_view(actor(email(c, ADMIN)), offer_id)
    with pytest.raises(NotFound):
        reviews.decide(actor(email(c, APPROVER)), offer_id, revision_number=1, decision="approved")
    with pytest.raises(NotFound):
        discussion.add_comment(actor(email(c, PM)), offer_id, "hello")
    with pytest.raises(NotFound):
        proposals.withdraw(actor(email(c, ADMIN)), offer_id)
    assert lists.list_offers(actor(email(c, ADMIN))) == []


def test_sending_twice_is_an_invalid_transition(ctx, world):
    offer_id = two_party(world)
    with pytest.raises(InvalidTransition):
        proposals.send(actor(email(world.a, ADMIN)), offer_id)


def test_a_discarded_draft_is_closed_as_withdrawn_and_stays_private(ctx, world):
    offer_id = propose(email(world.a, PM), [world.a.id, world.b.id])
    proposals.discard_draft(actor(email(world.a, ADMIN)), offer_id)
    assert offer(offer_id).status == OfferStatus.WITHDRAWN
    # It was never sent: the partner must not learn of it now that it is closed.
    with pytest.raises(NotFound):
        offer_page.offer_view(actor(email(world.b, ADMIN)), offer_id)
    assert lists.list_offers(actor(email(world.b, ADMIN))) == []
    with pytest.raises(InvalidTransition):
        proposals.send(actor(email(world.a, PM)), offer_id)


@pytest.mark.parametrize(
    ("sent_at", "due_at"),
    [
        # Monday morning: the end of Wednesday (the sending day does not count).
        ("2026-11-30 10:00:00", datetime(2026, 12, 3, 0, 0, tzinfo=UTC)),
        # Friday morning: the weekend does not count; the end of Tuesday.
        ("2026-12-04 10:00:00", datetime(2026, 12, 9, 0, 0, tzinfo=UTC)),
        # Saturday: the end of Tuesday too.
        ("2026-12-05 10:00:00", datetime(2026, 12, 9, 0, 0, tzinfo=UTC)),
    ],
    ids=["monday", "friday", "saturday"],
)
def test_a_sent_revision_is_due_two_business_days_later(ctx, world, sent_at, due_at):
    with freeze_time(sent_at):
        offer_id = two_party(world)
    first = revision(offer_id, 1)
    assert first.sent_at == datetime.fromisoformat(sent_at).replace(tzinfo=UTC)
    assert first.review_due_at == due_at


def set_review_days(company: Any, days: int) -> None:
    deadlines.set_review_days(actor(email(company, ADMIN)), days)


def test_the_longest_review_window_of_the_deciding_parties_sets_the_due_date(ctx, world):
    set_review_days(world.a, 4)
    set_review_days(world.c, 3)
    set_review_days(world.b, 10)  # B's admin proposes, approving by it: B's setting does not count
    with freeze_time("2026-11-30 10:00:00"):  # Monday
        offer_id = three_party(world, proposer=ADMIN)
    assert revision(offer_id, 1).review_due_at == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)

    # A's partner manager counters on Wednesday: now A (4 days, its own approvers), B (10 days)
    # and C (3 days) decide.
    with freeze_time("2026-12-02 09:00:00"):
        proposals.revise(
            actor(email(world.a, PM)),
            offer_id,
            terms=make_terms([world.a.id, world.b.id, world.c.id], title="Longer window"),
        )
    assert revision(offer_id, 2).review_due_at == datetime(2026, 12, 17, 0, 0, tzinfo=UTC)


def test_review_days_are_an_admin_setting_between_1_and_20(ctx, world):
    with pytest.raises(Forbidden):
        deadlines.set_review_days(actor(email(world.a, PM)), 5)
    for bad in (0, 21):
        with pytest.raises(ValidationFailed) as refused:
            set_review_days(world.a, bad)
        assert refused.value.field == "review_days"
    set_review_days(world.a, 20)
    assert user(email(world.a, ADMIN)).organization.review_business_days == 20


# ---------------------------------------------------------------------------------------------
# Counter-proposals


def test_a_counter_proposal_is_the_next_revision_with_only_its_authors_approval(ctx, world):
    # Admins propose here: they approve by proposing (a partner manager's proposal carries no
    # approval at all, see test_offer_approvers.py).
    offer_id = three_party(world, proposer=ADMIN)
    reviews.decide(
        actor(email(world.a, APPROVER)),
        offer_id,
        revision_number=1,
        decision="changes_requested",
        comment="More budget, please.",
    )
    approve(world.c, offer_id)
    before = offer(offer_id).version

    new = proposals.revise(
        actor(email(world.a, ADMIN)),
        offer_id,
        terms=make_terms(
            [world.a.id, world.b.id, world.c.id],
            total_budget_minor=150_000,
            change_note="Budget up by 500.",
        ),
        expected_version=before,
    )

    assert (new.number, new.author_organization_id) == (2, world.a.id)
    current = offer(offer_id)
    assert (current.status, current.current_revision_number) == (OfferStatus.SENT, 2)
    assert current.version > before
    assert decisions(offer_id) == {
        (1, world.b.id, "approved"),
        (1, world.a.id, "changes_requested"),
        (1, world.c.id, "approved"),
        (2, world.a.id, "approved"),
    }
    # Earlier decisions no longer count: B and C must decide again.
    assert [r.offer.id for r in lists.inbox(actor(email(world.c, APPROVER)))] == [offer_id]
    assert lists.inbox(actor(email(world.a, APPROVER))) == []


def test_a_counter_proposal_with_a_version_someone_else_moved_on_is_refused(ctx, world):
    offer_id = three_party(world)
    stale = offer(offer_id).version
    approve(world.a, offer_id)  # bumps the version; the offer stays open (C has not decided)
    before = count_rows()
    with pytest.raises(Conflict) as refused:
        proposals.revise(
            actor(email(world.c, PM)),
            offer_id,
            terms=make_terms([world.a.id, world.b.id, world.c.id], title="Stale"),
            expected_version=stale,
        )
    assert not isinstance(refused.value, InvalidTransition)
    assert count_rows() == before


def test_identical_terms_are_not_a_new_revision(ctx, world):
    parties = [world.a.id, world.b.id]
    offer_id = two_party(world)
    before = count_rows()
    for terms in (make_terms(parties), make_terms(parties, change_note="Only a note")):
        with pytest.raises(ValidationFailed):
            proposals.revise(actor(email(world.b, PM)), offer_id, terms=terms)
    assert count_rows() == before
    assert offer(offer_id).current_revision_number == 1


# ---------------------------------------------------------------------------------------------
# Decisions


@pytest.mark.parametrize(
    ("decision", "comment", "field"),
    [
        ("changes_requested", "", "comment"),
        ("changes_requested", "   ", "comment"),
        ("rejected", "", "comment"),
        ("maybe", "", "decision"),
    ],
)
def test_a_decision_needs_its_comment_and_a_known_choice(ctx, world, decision, comment, field):
    offer_id = two_party(world)
    before = count_rows()
    with pytest.raises(ValidationFailed) as refused:
        reviews.decide(
            actor(email(world.b, APPROVER)),
            offer_id,
            revision_number=1,
            decision=decision,
            comment=comment,
        )
    assert refused.value.field == field
    assert count_rows() == before


def test_a_decision_on_a_replaced_revision_is_a_conflict_and_writes_nothing(ctx, world):
    offer_id = three_party(world)
    proposals.revise(
        actor(email(world.a, PM)),
        offer_id,
        terms=make_terms([world.a.id, world.b.id, world.c.id], title="Revision two"),
    )
    before = count_rows()
    with pytest.raises(Conflict) as refused:
        approve(world.c, offer_id, number=1)
    assert "no longer current" in refused.value.message
    assert count_rows() == before


def test_the_authoring_party_does_not_decide_on_its_own_revision(ctx, world):
    # Its admin approved by proposing (without four eyes): that is the company's answer.
    offer_id = two_party(world, proposer=ADMIN)
    with pytest.raises(Forbidden):
        approve(world.a, offer_id)


def test_a_party_decides_once_per_revision(ctx, world):
    offer_id = three_party(world)
    reviews.decide(
        actor(email(world.a, APPROVER)),
        offer_id,
        revision_number=1,
        decision="changes_requested",
        comment="Smaller please.",
    )
    before = count_rows()
    with pytest.raises(Conflict):
        approve(world.a, offer_id, role=ADMIN)
    assert count_rows() == before


def test_rejecting_closes_the_offer(ctx, world):
    offer_id = three_party(world)
    reviews.decide(
        actor(email(world.c, ADMIN)),
        offer_id,
        revision_number=1,
        decision="rejected",
        comment="Not this season.",
    )
    closed = offer(offer_id)
    assert closed.status == OfferStatus.REJECTED
    assert closed.closed_at is not None
    with pytest.raises(InvalidTransition):
        approve(world.a, offer_id)
    with pytest.raises(InvalidTransition):
        proposals.revise(
            actor(email(world.a, PM)),
            offer_id,
            terms=make_terms([world.a.id, world.b.id, world.c.id], title="Please reconsider"),
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


@pytest.mark.parametrize(
    ("total", "shares", "expected"),
    [
        # 33.33 / 33.33 / 33.34 % of 1,000.00
        (100_000, (3333, 3333, 3334), (33_330, 33_330, 33_340)),
        # 1.00 split in thirds: the left-over cent goes to the largest remainder
        (100, (3333, 3333, 3334), (33, 33, 34)),
        # 1,000.01: the odd cent goes to the party whose exact part had the largest fraction
        (100_001, (3333, 3333, 3334), (33_330, 33_330, 33_341)),
        # 999.99 at 50/25/25: exact parts 49,999.5 / 24,999.75 / 24,999.75 — the two cents go
        # to the .75 fractions, not the .5
        (99_999, (5000, 2500, 2500), (49_999, 25_000, 25_000)),
    ],
)
def test_the_last_approval_creates_the_campaign_and_commitments_summing_to_the_budget(
    ctx, world, total, shares, expected
):
    a, b, c = world.a.id, world.b.id, world.c.id
    budget_shares = dict(zip((a, b, c), shares, strict=True))
    revenue_shares = {a: 5000, b: 3000, c: 2000}
    offer_id = three_party(
        world,
        total_budget_minor=total,
        budget_shares=budget_shares,
        revenue_shares=revenue_shares,
        products={a: world.a.product_ids, c: world.c.product_ids},
        placements=[
            placement(a, 0, channel="email", name="Alpha newsletter"),
            placement(c, 0, channel="social", name="Gamma reels"),
        ],
    )
    approve(world.a, offer_id)
    approve(world.b, offer_id)  # B's partner manager proposed: B's approver approves too
    assert offer(offer_id).status == OfferStatus.SENT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0

    approve(world.c, offer_id, role=ADMIN)

    assert offer(offer_id).status == OfferStatus.APPROVED
    (campaign,) = db.session.scalars(sa.select(Campaign))
    assert (campaign.offer_id, campaign.kind, campaign.organization_id) == (offer_id, "joint", b)
    assert (campaign.start_date, campaign.end_date, campaign.currency) == (START, END, "EUR")
    assert campaign.total_budget_minor == total
    assert (campaign.target_reach, campaign.target_leads, campaign.target_revenue_minor) == (
        50_000,
        800,
        2_500_000,
    )
    parties = {
        p.organization_id: (p.budget_share_bp, p.revenue_share_bp)
        for p in db.session.scalars(sa.select(CampaignParty))
    }
    assert parties == {o: (budget_shares[o], revenue_shares[o]) for o in (a, b, c)}
    placements = {
        (p.owner_organization_id, p.channel, p.name, p.start_date, p.end_date)
        for p in db.session.scalars(
            sa.select(Placement).where(Placement.campaign_id == campaign.id)
        )
    }
    assert placements == {
        (a, "email", "Alpha newsletter", START, END),
        (c, "social", "Gamma reels", START, END),
    }
    ledger = {
        e.organization_id: e.amount_minor
        for e in db.session.scalars(
            sa.select(LedgerEntry).where(LedgerEntry.kind == EntryKind.COMMITMENT.value)
        )
    }
    assert ledger == dict(zip((a, b, c), expected, strict=True))
    assert sum(ledger.values()) == total
    view = offer_page.offer_view(actor(email(world.c, ANALYST)), offer_id)
    assert view.campaign_id == campaign.id


def test_a_party_with_a_zero_budget_share_gets_no_commitment_row(ctx, world):
    a, b = world.a.id, world.b.id
    offer_id = two_party(world, budget_shares={a: 10_000, b: 0})
    approve(world.a, offer_id)
    approve(world.b, offer_id)
    ledger = [
        (e.organization_id, e.amount_minor) for e in db.session.scalars(sa.select(LedgerEntry))
    ]
    assert ledger == [(a, BUDGET)]


# ---------------------------------------------------------------------------------------------
# Withdraw and clone


def test_only_the_proposer_withdraws(ctx, world):
    offer_id = three_party(world)
    for who in (email(world.a, PM), email(world.c, ADMIN)):
        with pytest.raises(Forbidden):
            proposals.withdraw(actor(who), offer_id)
    with pytest.raises(Forbidden):  # approvers do not write terms at all
        proposals.withdraw(actor(email(world.b, APPROVER)), offer_id)
    assert offer(offer_id).status == OfferStatus.SENT

    proposals.withdraw(actor(email(world.b, PM)), offer_id, reason="Budget frozen.")

    assert offer(offer_id).status == OfferStatus.WITHDRAWN
    with pytest.raises(InvalidTransition):
        approve(world.a, offer_id)
    with pytest.raises(InvalidTransition):
        proposals.withdraw(actor(email(world.b, PM)), offer_id)


def test_an_approved_offer_cannot_be_withdrawn(ctx, world):
    offer_id = two_party(world)
    approve(world.a, offer_id)
    approve(world.b, offer_id)
    with pytest.raises(InvalidTransition):
        proposals.withdraw(actor(email(world.a, PM)), offer_id)


def terms_of(rev: OfferRevision) -> tuple[Any, ...]:
    return (
        rev.title,
        rev.value_proposition,
        rev.audience,
        rev.start_date,
        rev.end_date,
        rev.currency,
        rev.total_budget_minor,
        rev.target_reach,
        rev.target_leads,
        rev.target_revenue_minor,
        rev.party_terms,
        rev.placements,
    )


@pytest.mark.parametrize("closing", ["rejected", "withdrawn"])
def test_a_closed_offer_clones_into_a_new_draft_with_the_same_terms(ctx, world, closing):
    a, b = world.a.id, world.b.id
    offer_id = two_party(world, products={a: world.a.product_ids}, total_budget_minor=77_700)
    if closing == "rejected":
        reviews.decide(
            actor(email(world.b, APPROVER)),
            offer_id,
            revision_number=1,
            decision="rejected",
            comment="No.",
        )
    else:
        proposals.withdraw(actor(email(world.a, PM)), offer_id)

    copy = proposals.clone(actor(email(world.a, PM)), offer_id)

    assert (copy.status, copy.cloned_from_id, copy.proposer_organization_id) == (
        OfferStatus.DRAFT,
        offer_id,
        a,
    )
    assert terms_of(revision(copy.id, 1)) == terms_of(revision(offer_id, 1))
    assert offer(offer_id).status == closing  # the old offer stays closed
    with pytest.raises(NotFound):  # a draft again: private to A
        offer_page.offer_view(actor(email(world.b, ADMIN)), copy.id)
    assert sorted(
        db.session.scalars(
            sa.select(OfferParty.organization_id).where(OfferParty.offer_id == copy.id)
        )
    ) == sorted([a, b])


def test_an_open_offer_cannot_be_cloned(ctx, world):
    offer_id = two_party(world)
    with pytest.raises(InvalidTransition):
        proposals.clone(actor(email(world.a, PM)), offer_id)


def test_a_non_proposing_party_clones_without_the_parties_it_is_not_partnered_with(ctx, world):
    a, b, c = world.a.id, world.b.id, world.c.id
    offer_id = three_party(world, budget_shares={a: 2000, b: 3000, c: 5000})
    proposals.withdraw(actor(email(world.b, PM)), offer_id)

    copy = proposals.clone(actor(email(world.c, PM)), offer_id)  # C is not A's partner

    assert copy.proposer_organization_id == c
    shares = {t["organization_id"]: t["budget_share_bp"] for t in revision(copy.id, 1).party_terms}
    assert shares == {b: 3000, c: 7000}  # A's share went to the proposer to re-split


# ---------------------------------------------------------------------------------------------
# Comments


def test_comments_join_the_timeline_in_order_and_notify_everyone_but_their_author(ctx, world):
    offer_id = two_party(world)
    discussion.add_comment(actor(email(world.b, APPROVER)), offer_id, "  Which stores?  ")
    discussion.add_comment(actor(email(world.a, PM)), offer_id, "All of them.")

    view = offer_page.offer_view(actor(email(world.a, ANALYST)), offer_id)
    comments = [(i.organization, i.text) for i in view.timeline if i.kind == "comment"]
    assert comments == [(world.b.name, "Which stores?"), (world.a.name, "All of them.")]
    assert notified("offer_comment").count(email(world.a, PM)) == 1  # B's comment only
    assert email(world.b, APPROVER) in notified("offer_comment")
    assert email(world.a, ANALYST) not in notified("offer_comment")


def test_empty_comments_and_analyst_comments_are_refused(ctx, world):
    offer_id = two_party(world)
    with pytest.raises(ValidationFailed) as refused:
        discussion.add_comment(actor(email(world.a, PM)), offer_id, "   ")
    assert refused.value.field == "body"
    with pytest.raises(Forbidden):
        discussion.add_comment(actor(email(world.b, ANALYST)), offer_id, "Looks good")


# ---------------------------------------------------------------------------------------------
# Validation: refused with the field named, and nothing written


def archived_product_of_b(world: Any) -> int:
    product_id = db.session.scalar(
        sa.select(Product.id).where(
            Product.organization_id == world.b.id, Product.archived_at.is_not(None)
        )
    )
    assert product_id is not None
    return int(product_id)


INVALID: dict[str, tuple[str, Any]] = {
    "budget shares 60 + 30": (
        "budget_shares",
        lambda w, a, b: ([b], make_terms([a, b], budget_shares={a: 6000, b: 3000})),
    ),
    "revenue shares 50 + 49.99": (
        "revenue_shares",
        lambda w, a, b: ([b], make_terms([a, b], revenue_shares={a: 5000, b: 4999})),
    ),
    "a negative share": (
        "budget_shares",
        lambda w, a, b: ([b], make_terms([a, b], budget_shares={a: 10_100, b: -100})),
    ),
    "end before start": (
        "end_date",
        lambda w, a, b: ([b], make_terms([a, b], end_date=date(2027, 2, 28))),
    ),
    "zero budget": (
        "total_budget",
        lambda w, a, b: ([b], make_terms([a, b], total_budget_minor=0, placements=[])),
    ),
    "negative budget": (
        "total_budget",
        lambda w, a, b: ([b], make_terms([a, b], total_budget_minor=-1, placements=[])),
    ),
    "partner that is not an active partner": (
        "partners",
        lambda w, a, b: ([w.c.id], make_terms([a, w.c.id])),
    ),
    "no partner at all": ("partners", lambda w, a, b: ([a], make_terms([a]))),
    "product of another company": (
        "products",
        lambda w, a, b: ([b], make_terms([a, b], products={a: w.b.product_ids})),
    ),
    "archived product": (
        "products",
        lambda w, a, b: ([b], make_terms([a, b], products={b: [archived_product_of_b(w)]})),
    ),
    "placement owned by a non-party": (
        "placements",
        lambda w, a, b: ([b], make_terms([a, b], placements=[placement(w.c.id)])),
    ),
    "placements over budget": (
        "placements",
        lambda w, a, b: (
            [b],
            make_terms([a, b], placements=[placement(a, 60_000), placement(b, 40_001)]),
        ),
    ),
    "unknown channel": (
        "placements",
        lambda w, a, b: ([b], make_terms([a, b], placements=[placement(a, channel="radio")])),
    ),
    "terms for a party not in the offer": (
        "parties",
        lambda w, a, b: ([b], make_terms([a, b, w.c.id])),
    ),
    "unknown currency": ("currency", lambda w, a, b: ([b], make_terms([a, b], currency="XXX"))),
    "blank title": ("title", lambda w, a, b: ([b], make_terms([a, b], title="   "))),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_terms_are_refused_with_the_field_and_nothing_is_written(ctx, world, case):
    field, build = INVALID[case]
    partner_ids, terms = build(world, world.a.id, world.b.id)
    before = count_rows()
    with pytest.raises(ValidationFailed) as refused:
        proposals.create_draft(actor(email(world.a, PM)), partner_ids=partner_ids, terms=terms)
    assert refused.value.field == field
    assert count_rows() == before
    assert before["offers"] == before["offer_revisions"] == before["offer_parties"] == 0


def test_invalid_counter_proposals_are_refused_and_nothing_is_written(ctx, world):
    a, b = world.a.id, world.b.id
    offer_id = two_party(world)
    before = count_rows()
    with pytest.raises(ValidationFailed) as refused:
        proposals.revise(
            actor(email(world.b, PM)),
            offer_id,
            terms=make_terms([a, b], budget_shares={a: 5000, b: 5001}),
        )
    assert refused.value.field == "budget_shares"
    assert count_rows() == before
    assert offer(offer_id).current_revision_number == 1


def test_an_expiry_in_the_past_is_refused(ctx, world):
    with pytest.raises(ValidationFailed) as refused:
        proposals.create_draft(
            actor(email(world.a, PM)),
            partner_ids=[world.b.id],
            terms=make_terms([world.a.id, world.b.id]),
            expires_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
    assert refused.value.field == "expires_on"
    assert count_rows()["offers"] == 0


# ---------------------------------------------------------------------------------------------
# Roles


@pytest.mark.parametrize("role", [ANALYST, APPROVER])
def test_only_admins_and_partner_managers_propose_or_counter_propose(ctx, world, role):
    parties = [world.a.id, world.b.id]
    with pytest.raises(Forbidden):
        proposals.create_draft(
            actor(email(world.a, role)), partner_ids=[world.b.id], terms=make_terms(parties)
        )
    offer_id = two_party(world)
    before = count_rows()
    with pytest.raises(Forbidden):
        proposals.revise(
            actor(email(world.b, role)), offer_id, terms=make_terms(parties, title="Other")
        )
    assert count_rows() == before


@pytest.mark.parametrize("role", [ANALYST, PM])
def test_only_admins_and_approvers_decide(ctx, world, role):
    offer_id = two_party(world)
    before = count_rows()
    with pytest.raises(Forbidden):
        reviews.decide(
            actor(email(world.b, role)), offer_id, revision_number=1, decision="approved"
        )
    assert count_rows() == before


def test_an_admin_may_both_propose_and_decide(ctx, world):
    offer_id = propose_and_send(email(world.a, ADMIN), [world.a.id, world.b.id])
    approve(world.b, offer_id, role=ADMIN)
    assert offer(offer_id).status == OfferStatus.APPROVED


# ---------------------------------------------------------------------------------------------
# Notifications, mail, audit, timeline


def writers(company: Any) -> list[str]:
    return [email(company, r) for r in (ADMIN, APPROVER, PM)]


def deciders(company: Any) -> list[str]:
    return [email(company, r) for r in (ADMIN, APPROVER)]


def test_notifications_and_mail_reach_the_right_people(ctx, world):
    a, b = world.a, world.b
    # B's approver wants offers in the bell only, not by mail.
    notifications.set_preferences(b.user_ids[APPROVER], APPROVER, {"offer_received": "app"})

    offer_id = two_party(world)
    # The partner's writers, and A's own deciders: A's partner manager proposed.
    assert notified("offer_received") == sorted(writers(b) + deciders(a))
    assert mail_to("offer_received") == sorted([email(b, ADMIN), email(b, PM), *deciders(a)])

    reviews.decide(
        actor(email(b, APPROVER)),
        offer_id,
        revision_number=1,
        decision="changes_requested",
        comment="Add packaging.",
    )
    # The deciding party already knows: only the others hear of it.
    assert notified("offer_decision") == sorted(writers(a))
    assert mail_to("offer_decision") == sorted(writers(a))

    proposals.revise(
        actor(email(a, PM)), offer_id, terms=make_terms([a.id, b.id], title="With packaging")
    )
    assert notified("offer_revised") == sorted(writers(b) + deciders(a))

    approve(a, offer_id, number=2)
    approve(b, offer_id, number=2)
    # Approval by all concerns every party's writers (analysts never get offer mail).
    assert notified("offer_approved") == sorted(writers(a) + writers(b))
    assert email(a, ANALYST) not in notified() and email(b, ANALYST) not in notified()
    mail = db.session.scalars(
        sa.select(OutboxMessage.body).where(OutboxMessage.kind == "offer_approved")
    ).first()
    assert mail is not None and f"http://localhost/offers/{offer_id}" in mail


def audit_trail(offer_id: int) -> list[tuple[str, int | None]]:
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.organization_id)
        .where(AuditEvent.target_type == "offers", AuditEvent.target_id == offer_id)
        .order_by(AuditEvent.id)
    )
    return [(action, org) for action, org in rows]


def test_every_step_is_audited_and_shown_on_the_offers_timeline(ctx, world):
    a, b = world.a.id, world.b.id
    offer_id = propose(email(world.a, PM), [a, b])
    proposals.send(actor(email(world.a, PM)), offer_id)
    reviews.decide(
        actor(email(world.b, APPROVER)),
        offer_id,
        revision_number=1,
        decision="changes_requested",
        comment="Shorter run.",
    )
    proposals.revise(
        actor(email(world.a, PM)),
        offer_id,
        terms=make_terms([a, b], end_date=date(2027, 3, 31), change_note="Shorter"),
    )
    approve(world.a, offer_id, number=2)  # A's partner manager proposed: A's approver decides
    approve(world.b, offer_id, number=2)

    assert audit_trail(offer_id) == [
        ("offer.created", a),
        ("offer.sent", a),
        ("offer.sent", b),
        ("offer.changes_requested", a),
        ("offer.changes_requested", b),
        ("offer.revised", a),
        ("offer.revised", b),
        ("offer.approved", a),
        ("offer.approved", b),
        ("offer.approved", a),
        ("offer.approved", b),
        ("offer.approved_by_all", a),
        ("offer.approved_by_all", b),
    ]
    events = db.session.execute(
        sa.select(OfferEvent.action, OfferEvent.revision_number)
        .where(OfferEvent.offer_id == offer_id)
        .order_by(OfferEvent.id)
    ).all()
    assert [tuple(e) for e in events] == [
        ("created", 1),
        ("sent", 1),
        ("changes_requested", 1),
        ("revised", 2),
        ("approved", 2),
        ("approved", 2),
        ("approved_by_all", 2),
    ]
    timeline = [
        item.text
        for item in offer_page.offer_view(actor(email(world.b, ANALYST)), offer_id).timeline
    ]
    b_approver = user(email(world.b, APPROVER)).name
    assert timeline[2] == (
        f"{world.b.name}: Changes requested by {b_approver} (approver) \u2014 Shorter run."
    )
    assert timeline[3] == (
        f"Revision 2 proposed: Shorter; awaiting the approval of {world.a.name}'s approvers"
    )
    a_approver = user(email(world.a, APPROVER)).name
    assert timeline[4] == f"{world.a.name}: Approved by {a_approver} (approver)"
    assert timeline[-1].startswith("Approved by every party; campaign")

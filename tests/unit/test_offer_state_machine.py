"""A Hypothesis state machine drives random sequences of offer actions by random users through
the real services and compares every outcome with a small model of the rules kept here.

Each example builds its own four companies (the ``ctx`` fixture empties tables only once per
test), so rows of earlier examples never matter: every check is scoped to this example's
offers. Partnerships: P-Q, P-R, R-O. So P proposes two- and three-party offers, Q and R only
to P (or R to O), and a clone by Q or R of a three-party offer drops the party it is not
partnered with.

Approvals follow the approver rule: a partner manager's proposal carries no approval (their
own company's approvers decide on it too); an approver or admin who proposes approves by
proposing, except at R, which asks for four eyes: there a second decider (another user) must
approve as well.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from comarketing.accounts.models import User
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from comarketing.extensions import db
from comarketing.offers import deadlines, proposals, reviews
from comarketing.offers.models import Offer, OfferDecision, OfferRevision
from tests import factories
from tests.offer_helpers import OFFER_TABLES, count_rows, make_terms

COMPANIES = ("P", "Q", "R", "O")
PARTNERS = {"P": {"Q", "R"}, "Q": {"P"}, "R": {"P", "O"}, "O": {"R"}}
# (company, login); "approver2" is a second approver, so one party can have two deciders.
LOGINS = ("admin", "partner_manager", "approver", "approver2", "analyst")
USERS = [(company, login) for company in COMPANIES for login in LOGINS]
ROLE = {"approver2": "approver"}

PROPOSERS = {"admin", "partner_manager"}
DECIDERS = {"admin", "approver"}
FOUR_EYES = {"R"}
CLOSED_CLONEABLE = {"rejected", "withdrawn", "expired"}
# Approving is the common path: listed twice, it is drawn half of the time.
DECISIONS = ("approved", "approved", "changes_requested", "rejected")

_examples = itertools.count()


@dataclass
class ModelOffer:
    """What the rules say an offer should look like."""

    id: int
    proposer: str
    parties: frozenset[str]
    variant: int | None  # which terms the current revision holds; None: derived (clone)
    status: str = "draft"
    sent: bool = False
    current: int = 1
    # Per revision: who wrote it (company, login); which company approved it by proposing;
    # and each party's explicit decision.
    authors: dict[int, tuple[str, str]] = field(default_factory=dict)
    implicit: dict[int, set[str]] = field(default_factory=dict)
    decided: dict[int, dict[str, str]] = field(default_factory=dict)

    def visible_to(self, company: str) -> bool:
        return company in self.parties and (self.sent or company == self.proposer)

    def proposed(self, number: int, who: tuple[str, str]) -> None:
        """Revision ``number`` sent by ``who``: an approval by proposing if they may decide."""
        self.authors[number] = who
        self.decided[number] = {}
        self.implicit[number] = {who[0]} if ROLE.get(who[1], who[1]) in DECIDERS else set()

    def outcome(self, company: str) -> str | None:
        """The company's answer on the current revision; None while it still waits."""
        if company in self.decided.get(self.current, {}):
            return self.decided[self.current][company]
        if company in self.implicit.get(self.current, set()) and company not in FOUR_EYES:
            return "approved"
        return None


class OfferMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.org: dict[str, int] = {}
        self.company_of: dict[int, str] = {}
        self.user_ids: dict[tuple[str, str], int] = {}
        self.model: dict[int, ModelOffer] = {}

    # -- world -----------------------------------------------------------------------------

    @initialize()
    def build_companies(self) -> None:
        run = f"{next(_examples)}-{uuid.uuid4().hex[:6]}"
        for key in COMPANIES:
            org = factories.OrganizationFactory(name=f"{key} {run}", slug=f"{key.lower()}-{run}")
            self.org[key] = org.id
            self.company_of[org.id] = key
            for login in LOGINS:
                person = factories.UserFactory(
                    organization=org,
                    email=f"{login}@{key.lower()}-{run}.example",
                    role=ROLE.get(login, login),
                )
                self.user_ids[(key, login)] = person.id
            org.four_eyes = key in FOUR_EYES
        for a, b in (("P", "Q"), ("P", "R"), ("R", "O")):
            factories.PartnershipFactory(
                inviter_organization_id=self.org[a], invitee_organization_id=self.org[b]
            )
        db.session.commit()

    def actor(self, who: tuple[str, str]) -> Actor:
        person = db.session.get(User, self.user_ids[who])
        assert person is not None
        return Actor(person)

    def pick(self, data: st.DataObject, parties: frozenset[str], logins: set[str]) -> Any:
        """Mostly someone the step is meant for (one of ``logins`` at a party), sometimes
        anybody at all: random users of any role and company must be refused correctly."""
        if data.draw(st.integers(0, 3), label="anybody") == 3:
            return data.draw(st.sampled_from(USERS), label="who")
        company = data.draw(st.sampled_from(sorted(parties)), label="company")
        login = data.draw(
            st.sampled_from([x for x in LOGINS if ROLE.get(x, x) in logins]), label="login"
        )
        return company, login

    def open_offers(self) -> int:
        return sum(o.status in {"draft", "sent"} for o in self.model.values())

    def exists(self, *statuses: str) -> bool:
        return any(o.status in statuses for o in self.model.values())

    def choose(self, data: st.DataObject, prefer: set[str]) -> ModelOffer:
        """Mostly an offer in a state where the step makes sense, sometimes any offer: the
        step must then be refused with the right error."""
        fitting = [o for o in self.model.values() if o.status in prefer]
        if fitting and data.draw(st.integers(0, 3), label="any offer") < 3:
            return data.draw(st.sampled_from(fitting), label="offer")
        return data.draw(st.sampled_from(list(self.model.values())), label="offer")

    def terms(self, parties: frozenset[str], variant: int, valid: bool = True) -> Any:
        ids = [self.org[k] for k in sorted(parties)]
        terms = make_terms(ids, title=f"Offer v{variant}", total_budget_minor=90_000 + variant)
        if not valid:
            terms.parties[0].budget_share_bp += 1  # shares now add up to 100.01 %
        return terms

    # -- running a step ----------------------------------------------------------------------

    def attempt(self, expected: type[DomainError] | None, call: Callable[[], Any]) -> Any:
        """Run ``call``; it must succeed when ``expected`` is None, else raise exactly that
        error and write nothing at all."""
        before = count_rows(*OFFER_TABLES, Campaign, LedgerEntry) if expected else None
        try:
            result = call()
        except DomainError as exc:
            assert expected is not None, f"refused unexpectedly: {exc!r}"
            assert type(exc) is expected, f"expected {expected.__name__}, got {exc!r}"
            assert count_rows(*OFFER_TABLES, Campaign, LedgerEntry) == before
            return None
        assert expected is None, f"expected {expected.__name__}, but it succeeded"
        return result

    # -- rules -------------------------------------------------------------------------------

    # Few open offers at a time, so that the steps carry them through their lives.
    @precondition(lambda self: self.open_offers() < 2)
    @rule(
        data=st.data(),
        variant=st.integers(0, 2),
        valid=st.sampled_from([True, True, True, False]),
    )
    def propose(self, data: st.DataObject, variant: int, valid: bool) -> None:
        who = self.pick(data, frozenset(COMPANIES), PROPOSERS)
        me, login = who
        if data.draw(st.integers(0, 3), label="any partners") == 3:
            partners = data.draw(st.sets(st.sampled_from(COMPANIES), min_size=1, max_size=3))
        else:  # a choice among this company's active partners
            partners = data.draw(st.sets(st.sampled_from(sorted(PARTNERS[me])), min_size=1))
        others = frozenset(partners) - {me}
        parties = others | {me}
        if ROLE.get(login, login) not in PROPOSERS:
            expected: type[DomainError] | None = Forbidden
        elif not others or not others <= PARTNERS[me] or not valid:
            expected = ValidationFailed
        else:
            expected = None
        offer = self.attempt(
            expected,
            lambda: proposals.create_draft(
                self.actor(who),
                partner_ids=[self.org[k] for k in others],
                terms=self.terms(parties, variant, valid),
            ),
        )
        if offer is not None:
            self.model[offer.id] = ModelOffer(
                offer.id, me, parties, variant, authors={1: who}, decided={1: {}}
            )

    @precondition(lambda self: self.exists("draft"))
    @rule(data=st.data())
    def send(self, data: st.DataObject) -> None:
        o = self.choose(data, {"draft"})
        who = self.pick(data, frozenset({o.proposer}), PROPOSERS)
        me, login = who
        if ROLE.get(login, login) not in PROPOSERS:
            expected: type[DomainError] | None = Forbidden
        elif not o.visible_to(me) or me != o.proposer:
            expected = NotFound
        elif o.status != "draft":
            expected = InvalidTransition
        else:
            expected = None
        if self.attempt(expected, lambda: proposals.send(self.actor(who), o.id)):
            o.status, o.sent = "sent", True
            o.proposed(1, who)

    @precondition(lambda self: self.exists("sent"))
    @rule(
        data=st.data(),
        variant=st.integers(0, 2),
        valid=st.sampled_from([True, True, True, False]),
        stale=st.sampled_from([False, False, False, True]),
    )
    def revise(self, data: st.DataObject, variant: int, valid: bool, stale: bool) -> None:
        o = self.choose(data, {"sent"})
        who = self.pick(data, o.parties, PROPOSERS)
        me, login = who
        if ROLE.get(login, login) not in PROPOSERS:
            expected: type[DomainError] | None = Forbidden
        elif not o.visible_to(me):
            expected = NotFound
        elif stale:
            expected = Conflict  # the form's version is older than the offer's
        elif o.status != "sent":
            expected = InvalidTransition
        elif not valid or variant == o.variant:
            expected = ValidationFailed  # bad shares, or the same terms again
        else:
            expected = None
        version = db.session.scalar(sa.select(Offer.version).where(Offer.id == o.id))
        assert version is not None
        revision = self.attempt(
            expected,
            lambda: proposals.revise(
                self.actor(who),
                o.id,
                terms=self.terms(o.parties, variant, valid),
                expected_version=version - 1 if stale else version,
            ),
        )
        if revision is not None:
            o.current += 1
            o.variant = variant
            o.proposed(o.current, who)

    @precondition(lambda self: self.exists("sent"))
    @rule(
        data=st.data(),
        choice=st.sampled_from(DECISIONS),
        with_comment=st.sampled_from([True, True, True, False]),
        stale=st.sampled_from([False, False, False, True]),
    )
    def decide(self, data: st.DataObject, choice: str, with_comment: bool, stale: bool) -> None:
        o = self.choose(data, {"sent"})
        undecided = {c for c in o.parties if o.outcome(c) is None}
        who = self.pick(data, frozenset(undecided or o.parties), DECIDERS)
        me, login = who
        if ROLE.get(login, login) not in DECIDERS:
            expected: type[DomainError] | None = Forbidden
        elif not o.visible_to(me):
            expected = NotFound
        elif choice != "approved" and not with_comment:
            expected = ValidationFailed
        elif o.status != "sent":
            expected = InvalidTransition
        elif stale:
            expected = Conflict  # a replaced revision, or one that does not exist yet
        elif me in o.decided[o.current]:
            expected = Conflict  # the company's answer is given
        elif me in o.implicit.get(o.current, set()) and me not in FOUR_EYES:
            expected = Forbidden  # approved by proposing
        elif o.authors[o.current] == who:
            expected = Forbidden  # nobody decides on their own proposal (four eyes: another)
        else:
            expected = None
        number = o.current if not stale else (o.current - 1 if o.current > 1 else o.current + 1)
        record = self.attempt(
            expected,
            lambda: reviews.decide(
                self.actor(who),
                o.id,
                revision_number=number,
                decision=choice,
                comment="Because." if with_comment else "",
            ),
        )
        if record is not None:
            self.record_decision(o, me, choice)

    def record_decision(self, o: ModelOffer, company: str, choice: str) -> None:
        o.decided[o.current][company] = choice
        if choice == "rejected":
            o.status = "rejected"
        elif all(o.outcome(c) == "approved" for c in o.parties):
            o.status = "approved"

    @precondition(lambda self: self.exists("draft", "sent"))
    @rule(data=st.data(), mix_up=st.sampled_from([False, False, False, True]))
    def withdraw(self, data: st.DataObject, mix_up: bool) -> None:
        """The proposer discards a draft or withdraws a sent offer (sometimes the other way
        round, which the lifecycle must refuse)."""
        o = self.choose(data, {"draft", "sent"})
        discard = (o.status == "draft") != mix_up
        who = self.pick(data, frozenset({o.proposer}) if discard else o.parties, PROPOSERS)
        me, login = who
        if ROLE.get(login, login) not in PROPOSERS:
            expected: type[DomainError] | None = Forbidden
        elif not o.visible_to(me):
            expected = NotFound
        elif me != o.proposer:
            # A draft is only the proposer's; a sent offer is seen but not theirs to withdraw.
            expected = NotFound if discard else Forbidden
        elif o.status != ("draft" if discard else "sent"):
            expected = InvalidTransition
        else:
            expected = None
        step = proposals.discard_draft if discard else proposals.withdraw
        if self.attempt(expected, lambda: step(self.actor(who), o.id)):
            o.status = "withdrawn"

    @precondition(lambda self: self.exists(*CLOSED_CLONEABLE) and self.open_offers() < 2)
    @rule(data=st.data())
    def clone(self, data: st.DataObject) -> None:
        o = self.choose(data, CLOSED_CLONEABLE)
        who = self.pick(data, o.parties, PROPOSERS)
        me, login = who
        kept = (o.parties - {me}) & PARTNERS[me]
        if ROLE.get(login, login) not in PROPOSERS:
            expected: type[DomainError] | None = Forbidden
        elif not o.visible_to(me):
            expected = NotFound
        elif o.status not in CLOSED_CLONEABLE:
            expected = InvalidTransition
        elif not kept:
            expected = Conflict  # none of the other parties is this company's partner
        else:
            expected = None
        copy = self.attempt(expected, lambda: proposals.clone(self.actor(who), o.id))
        if copy is not None:
            same_parties = kept == o.parties - {me}
            self.model[copy.id] = ModelOffer(
                copy.id,
                me,
                kept | {me},
                o.variant if same_parties else None,  # a dropped party's share moved
                authors={1: who},
                decided={1: {}},
            )

    @precondition(lambda self: self.exists("sent"))
    @rule(data=st.data(), passes=st.sampled_from([False, False, False, True]))
    def cron_runs(self, data: st.DataObject, passes: bool) -> None:
        """The cron job runs; sometimes the optional expiry of one offer has passed."""
        o = self.choose(data, {"sent"})
        if passes and o.status == "sent":
            db.session.execute(
                sa.update(Offer)
                .where(Offer.id == o.id)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            o.status = "expired"
        deadlines.run_deadlines()  # reminders and overdue notices never change a status

    # -- invariants --------------------------------------------------------------------------

    @invariant()
    def offers_match_the_model(self) -> None:
        if not self.org:
            return
        db.session.expire_all()
        rows = db.session.execute(
            sa.select(Offer.id, Offer.status, Offer.current_revision_number).where(
                Offer.proposer_organization_id.in_(self.org.values())
            )
        ).all()
        assert {r.id: (r.status, r.current_revision_number) for r in rows} == {
            o.id: (o.status, o.current) for o in self.model.values()
        }

    @invariant()
    def decisions_match_the_model(self) -> None:
        if not self.model:
            return
        rows = db.session.execute(
            sa.select(
                OfferDecision.offer_id,
                OfferRevision.number,
                OfferDecision.organization_id,
                OfferDecision.decision,
                OfferDecision.implicit,
                OfferDecision.decider_role,
            )
            .join(OfferRevision, OfferRevision.id == OfferDecision.revision_id)
            .where(OfferDecision.offer_id.in_(self.model))
        ).all()
        found = [(r[0], r[1], self.company_of[r[2]], r[3], bool(r[4])) for r in rows]
        # At most one approval by proposing and one explicit decision per (revision, party) ...
        assert len(found) == len({(f[0], f[1], f[2], f[4]) for f in found})
        # ... only ever by a decider, with the role recorded ...
        assert {r.decider_role for r in rows} <= DECIDERS
        # ... and exactly the ones the rules allowed.
        assert set(found) == {
            (o.id, number, company, decision, False)
            for o in self.model.values()
            for number, by_party in o.decided.items()
            for company, decision in by_party.items()
        } | {
            (o.id, number, company, "approved", True)
            for o in self.model.values()
            for number, companies in o.implicit.items()
            for company in companies
        }

    @invariant()
    def no_decision_after_its_revision_was_replaced_or_the_offer_closed(self) -> None:
        if not self.model:
            return
        revisions = {
            (r.offer_id, r.number): r.created_at
            for r in db.session.scalars(
                sa.select(OfferRevision).where(OfferRevision.offer_id.in_(self.model))
            )
        }
        closed = dict(
            db.session.execute(
                sa.select(Offer.id, Offer.closed_at).where(Offer.id.in_(self.model))
            ).all()
        )
        for offer_id, number, created_at in db.session.execute(
            sa.select(OfferDecision.offer_id, OfferRevision.number, OfferDecision.created_at)
            .join(OfferRevision, OfferRevision.id == OfferDecision.revision_id)
            .where(OfferDecision.offer_id.in_(self.model))
        ):
            replaced = revisions.get((offer_id, number + 1))
            assert replaced is None or created_at <= replaced
            assert closed[offer_id] is None or created_at <= closed[offer_id]

    @invariant()
    def approved_offers_have_one_campaign_committing_the_whole_budget(self) -> None:
        if not self.model:
            return
        campaigns = db.session.execute(
            sa.select(Campaign.offer_id, Campaign.id, Campaign.total_budget_minor).where(
                Campaign.offer_id.in_(self.model)
            )
        ).all()
        approved = {o.id for o in self.model.values() if o.status == "approved"}
        assert sorted(c.offer_id for c in campaigns) == sorted(approved)
        for offer_id, campaign_id, total in campaigns:
            o = self.model[offer_id]
            budget = db.session.scalar(
                sa.select(OfferRevision.total_budget_minor).where(
                    OfferRevision.offer_id == offer_id, OfferRevision.number == o.current
                )
            )
            committed = db.session.scalar(
                sa.select(sa.func.sum(LedgerEntry.amount_minor)).where(
                    LedgerEntry.campaign_id == campaign_id,
                    LedgerEntry.kind == EntryKind.COMMITMENT.value,
                )
            )
            assert total == budget == committed
            parties = set(
                db.session.scalars(
                    sa.select(CampaignParty.organization_id).where(
                        CampaignParty.campaign_id == campaign_id
                    )
                )
            )
            assert {self.company_of[p] for p in parties} == o.parties


def test_random_offer_journeys_keep_the_invariants(ctx):
    run_state_machine_as_test(
        OfferMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
        ),
    )

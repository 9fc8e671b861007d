"""Who approves an offer revision for a party, and when that party's approval is complete.

A party approves a revision only through a decision of one of its own deciders: a user whose
role may decide offers (approver or admin, ``Action.DECIDE_OFFER``).

- A decider who proposes (sends or counter-proposes) approves for their company by proposing:
  an *implicit* approval, recorded with their role.
- A partner manager's proposal carries no approval: it goes to their own company's deciders
  for review like every other party's (same due date, inbox, reminders and notifications).
- **Four eyes** (a per-company setting, kept on each revision when it is sent): even a
  decider's own proposal needs a second decider of the same company, a different user, to
  approve explicitly before the company's approval counts.

Per party and revision there is at most one implicit approval and one explicit decision (a
unique constraint); the explicit decision, once made, is the party's answer.

    no decision ............................... waiting
    implicit approval, no four eyes ........... approved (by proposing)
    implicit approval, four eyes .............. waiting (for a second approver)
    explicit decision ......................... that decision
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from comarketing import audit
from comarketing.accounts.models import Organization
from comarketing.context import Actor
from comarketing.errors import Conflict, Forbidden
from comarketing.extensions import db
from comarketing.offers.models import Decision, OfferDecision, OfferRevision
from comarketing.policy import Action, authorize, can
from comarketing.unit_of_work import transactional


@dataclass(frozen=True)
class PartyApproval:
    """One party's decisions on one revision, and what they amount to."""

    organization_id: int
    four_eyes: bool
    implicit: OfferDecision | None = None
    explicit: OfferDecision | None = None

    @property
    def outcome(self) -> str | None:
        """'approved', 'changes_requested' or 'rejected' once the party answered, else None."""
        if self.explicit is not None:
            return self.explicit.decision
        if self.implicit is not None and not self.four_eyes:
            return Decision.APPROVED.value
        return None

    @property
    def approved(self) -> bool:
        return self.outcome == Decision.APPROVED.value

    @property
    def waiting_for_second(self) -> bool:
        """Approved by proposing, but four eyes asks for a second approver."""
        return self.implicit is not None and self.four_eyes and self.explicit is None

    @property
    def records(self) -> list[OfferDecision]:
        """Who decided, in order: the proposer's implicit approval first."""
        return [d for d in (self.implicit, self.explicit) if d is not None]


def party_approvals(
    revision: OfferRevision, parties: Iterable[int], decisions: Iterable[OfferDecision]
) -> dict[int, PartyApproval]:
    """Each party's approval state on ``revision`` from the decisions recorded on it."""
    found: dict[int, dict[str, OfferDecision]] = {}
    for d in decisions:
        if d.revision_id == revision.id:
            found.setdefault(d.organization_id, {})["implicit" if d.implicit else "explicit"] = d
    return {
        party: PartyApproval(
            party,
            # Four eyes binds only the author company: nobody else approves by proposing.
            bool(revision.four_eyes) and party == revision.author_organization_id,
            found.get(party, {}).get("implicit"),
            found.get(party, {}).get("explicit"),
        )
        for party in parties
    }


def approvals_on(revision: OfferRevision, parties: Iterable[int]) -> dict[int, PartyApproval]:
    """``party_approvals`` with the revision's decisions read from the database."""
    decisions = db.session.scalars(
        sa.select(OfferDecision).where(OfferDecision.revision_id == revision.id)
    )
    return party_approvals(revision, parties, decisions)


def waiting_for(organization_id: int | sa.SQLColumnExpression[int]) -> sa.ColumnElement[bool]:
    """SQL: the ``OfferRevision`` in the query still waits for this organization's answer
    (an id, or a column of the query: each party's own answer)."""
    mine = sa.and_(
        OfferDecision.revision_id == OfferRevision.id,
        OfferDecision.organization_id == organization_id,
    )
    explicit = sa.exists().where(mine, OfferDecision.implicit.is_(False))
    implicit = sa.exists().where(mine, OfferDecision.implicit.is_(True))
    return sa.and_(~explicit, sa.or_(~implicit, OfferRevision.four_eyes.is_(True)))


# ---------------------------------------------------------------------------------------------
# Writing approvals


def approve_by_proposing(actor: Actor, offer_id: int, revision: OfferRevision) -> bool:
    """At sending or counter-proposing: note the author company's four-eyes setting on the
    revision and, if the author may decide, their implicit approval. True when that already
    completes the author company's approval."""
    revision.four_eyes = bool(actor.user.organization.four_eyes)
    if not can(actor.user, Action.DECIDE_OFFER):
        return False
    db.session.add(
        OfferDecision(
            offer_id=offer_id,
            revision_id=revision.id,
            organization_id=actor.organization_id,
            user_id=actor.user_id,
            decision=Decision.APPROVED.value,
            implicit=True,
            decider_role=actor.user.role,
        )
    )
    return not revision.four_eyes


def deciding_parties(actor: Actor, parties: Sequence[int], author_approved: bool) -> list[int]:
    """The parties that still decide on a revision the actor just proposed."""
    return [p for p in parties if p != actor.organization_id or not author_approved]


def check_may_decide(actor: Actor, revision: OfferRevision, state: PartyApproval) -> None:
    """Refuse a decision the actor's company cannot (or can no longer) make on ``revision``."""
    if state.explicit is not None:
        raise Conflict("Your company has already decided on this revision.")
    if state.implicit is not None and not state.four_eyes:
        raise Forbidden("Your company approved this revision by proposing it.")
    if revision.author_id == actor.user_id or (
        state.implicit is not None and state.implicit.user_id == actor.user_id
    ):
        raise Forbidden(
            "You proposed this revision: another approver of your company decides on it."
        )


# ---------------------------------------------------------------------------------------------
# The setting


@transactional
def set_four_eyes(actor: Actor, enabled: bool) -> Organization:
    """Turn four eyes on or off for the actor's company (from the next revision sent)."""
    authorize(actor.user, Action.MANAGE_ORGANIZATION)
    organization = db.session.get(Organization, actor.organization_id)
    assert organization is not None
    if organization.four_eyes != enabled:
        organization.four_eyes = enabled
        audit.record(
            "organization.four_eyes_changed", actor=actor, target=organization, enabled=enabled
        )
    db.session.commit()
    return organization

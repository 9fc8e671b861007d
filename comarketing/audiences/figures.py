"""Deduplicated reach of one campaign from the stored sketches, and the estimates the
dashboard's figures (``reports.dedup``) share with it.

Only counts leave this module: a party's figures combine its own sketches with the sketches
of the joint campaigns it is a party to, never another organization's lists or solo
campaigns. Every estimated figure carries its 95 % bounds and says whether it is exact; one
that rests on a partner's audience goes through ``disclosure`` (minimum count, rounding, noise).

Where a campaign has no sketches, its combined audience is estimated by random duplication
(Sainsbury): share = 1 - prod(1 - people_i / universe) over its placements, assuming each
placement reaches people independently of the others, over the universe the campaign states;
without a universe the placements' figures are shown added up (not deduplicated). A
placement's figure is its planned audience size where stated, else its reported reach, and
the label says which: a planned audience size is never called reach.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from comarketing.accounts.company_settings import audience_minimums
from comarketing.audiences import disclosure
from comarketing.audiences.models import AudienceImport
from comarketing.audiences.sketches import Estimate
from comarketing.campaigns.models import Placement
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.metrics.models import MetricRollup

SAINSBURY_ASSUMPTION = (
    "random duplication (Sainsbury): each placement reaches people independently of the "
    "others, within the campaign's stated universe"
)


def current_sketches(campaign_ids: sa.Select[Any] | list[int]) -> list[tuple[Any, ...]]:
    """(placement_id, campaign_id, owner, channel, start, end, sketch) of every placement of
    these campaigns that has a current sketch."""
    return list(
        db.session.execute(
            sa.select(
                Placement.id,
                Placement.campaign_id,
                Placement.owner_organization_id,
                Placement.channel,
                Placement.start_date,
                Placement.end_date,
                AudienceImport.sketch,
            )
            .join(AudienceImport, AudienceImport.placement_id == Placement.id)
            .where(
                Placement.campaign_id.in_(campaign_ids),
                AudienceImport.status == "succeeded",
                AudienceImport.replaced_at.is_(None),
            )
        ).all()
    )


# ---------------------------------------------------------------------------------------------
# Random duplication


@dataclass(frozen=True)
class PlacementAudience:
    """What random duplication takes for one placement: its *planned* audience size where the
    campaign stated one (``Placement.audience_size``: a plan, never called reach), else its
    *reported* reach (daily reach, summed: a person counts once per day, an upper bound)."""

    people: int
    planned: bool


# What a combined figure rests on, by whether its placements' figures are planned sizes.
BASIS = {
    frozenset({True}): "planned audience size",
    frozenset({False}): "reported reach (daily reach, summed)",
    frozenset({True, False}): "planned audience sizes and reported reach",
}


@dataclass(frozen=True)
class CombinedEstimate:
    """A campaign's combined audience without identifiers."""

    method: str  # "sainsbury" | "reported"
    reach: int  # people: an estimate from ``basis``, not deduplicated without a universe
    universe: int | None
    share: Fraction | None
    label: str
    basis: str = BASIS[frozenset({False})]

    @property
    def planned(self) -> bool:
        """Whether it rests on planned audience sizes alone: a plan, not reach."""
        return self.basis == BASIS[frozenset({True})]

    @property
    def what(self) -> str:
        """What the figure is: "planned audience", "reported reach" or both."""
        if self.planned:
            return "planned audience"
        if self.basis == BASIS[frozenset({False})]:
            return "reported reach"
        return "planned audience and reported reach"


def sainsbury_share(reaches: list[int], universe: int) -> Fraction:
    """1 - prod(1 - reach_i / universe), each reach capped at the universe."""
    remaining = Fraction(1)
    for reach in reaches:
        remaining *= 1 - Fraction(min(max(reach, 0), universe), universe)
    return 1 - remaining


def combined_estimate(audiences: list[PlacementAudience], universe: int | None) -> CombinedEstimate:
    """The campaign's combined audience, labelled with what it rests on: "planned audience
    size" where the placements' figures are plans, "reported reach" only where reported."""
    basis = BASIS.get(frozenset(a.planned for a in audiences), BASIS[frozenset({False})])
    people = [a.people for a in audiences]
    if universe:
        share = sainsbury_share(people, universe)
        reach = round(share * universe)
        return CombinedEstimate(
            "sainsbury",
            reach,
            universe,
            share,
            f"≈ {reach:,} ({float(share) * 100:.1f} % of {universe:,}), an estimate from the "
            f"placements' {basis}, assuming " + SAINSBURY_ASSUMPTION,
            basis,
        )
    total = sum(people)
    return CombinedEstimate(
        "reported", total, None, None, f"{total:,}: {basis}, not deduplicated", basis
    )


def placement_reaches(
    campaign_ids: list[int], reported: dict[int, int] | None = None
) -> dict[int, list[PlacementAudience]]:
    """Each placement's figure for random duplication (:class:`PlacementAudience`) per
    campaign. ``reported``: reach per placement id over a period (the dashboard's); only those
    placements count then. Without it, every placement, with the reach of all its days."""
    if not campaign_ids:
        return {}
    if reported is None:
        reported = {
            int(p): int(r or 0)
            for p, r in db.session.execute(
                sa.select(MetricRollup.placement_id, sa.func.sum(MetricRollup.reach))
                .where(MetricRollup.campaign_id.in_(campaign_ids))
                .group_by(MetricRollup.placement_id)
            ).all()
        }
        wanted = None
    else:
        wanted = set(reported)
    out: dict[int, list[PlacementAudience]] = defaultdict(list)
    for placement_id, campaign_id, size in db.session.execute(
        sa.select(Placement.id, Placement.campaign_id, Placement.audience_size).where(
            Placement.campaign_id.in_(campaign_ids)
        )
    ):
        if wanted is not None and placement_id not in wanted:
            continue
        out[campaign_id].append(
            PlacementAudience(int(size), True)
            if size is not None
            else PlacementAudience(reported.get(placement_id, 0), False)
        )
    return out


# ---------------------------------------------------------------------------------------------
# Per campaign


@dataclass
class CampaignReach:
    campaign_id: int
    placements: int
    with_audience: int
    reach: Estimate | None = None
    own_only: Estimate | None = None
    partners_only: Estimate | None = None
    both: Estimate | None = None
    estimate: CombinedEstimate | None = None
    universe: int | None = None
    minimum: int | None = None  # set where the split rests on a partner's audience


def campaign_reach(actor: Actor, campaign_id: int) -> CampaignReach:
    """Deduplicated reach of one campaign and its split for the actor's company."""
    from comarketing.campaigns.access import get_visible_campaign

    campaign = get_visible_campaign(actor, campaign_id)
    placements = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Placement)
            .where(Placement.campaign_id == campaign.id)
        )
        or 0
    )
    rows = current_sketches([campaign.id])
    result = CampaignReach(campaign.id, placements, len(rows), universe=campaign.target_universe)
    if not rows:
        reaches = placement_reaches([campaign.id]).get(campaign.id, [])
        result.estimate = combined_estimate(reaches, campaign.target_universe)
        return result
    org = actor.organization_id
    audiences = [disclosure.Audience.load(r[2], r[6]) for r in rows]
    rule = disclosure.Rule(org, audience_minimums([org, *(a.owner for a in audiences)]))
    own = [a for a in audiences if a.owner == org]
    others = [a for a in audiences if a.owner != org]
    result.reach = disclosure.reach(rule, f"campaign {campaign.id}", audiences)
    if campaign.kind == "joint" and others:
        split = disclosure.split(rule, f"campaign {campaign.id}", own, others)
        result.own_only, result.partners_only, result.both = (
            split.own_only,
            split.theirs_only,
            split.both,
        )
        result.minimum = rule.minimum(a.owner for a in audiences)
    return result

"""Deduplicated reach of one campaign from the stored sketches, and the estimates the
dashboard's figures (``reports.dedup``) share with it.

Only counts leave this module: a party's figures combine its own sketches with the sketches
of the joint campaigns it is a party to, never another organization's lists or solo
campaigns. Every estimated figure carries its 95 % bounds and says whether it is exact.

Where a campaign has no sketches, its combined reach is estimated by random duplication
(Sainsbury): reach share = 1 - prod(1 - reach_i / universe) over its placements, assuming
each placement reaches people independently of the others, over the universe the campaign
states; without a universe only the reported reach (not deduplicated) is shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from comarketing.audiences import sketches
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
class CombinedEstimate:
    """A campaign's combined reach without identifiers."""

    method: str  # "sainsbury" | "reported"
    reach: int
    universe: int | None
    share: Fraction | None
    label: str


def sainsbury_share(reaches: list[int], universe: int) -> Fraction:
    """1 - prod(1 - reach_i / universe), each reach capped at the universe."""
    remaining = Fraction(1)
    for reach in reaches:
        remaining *= 1 - Fraction(min(max(reach, 0), universe), universe)
    return 1 - remaining


def combined_estimate(reaches: list[int], universe: int | None) -> CombinedEstimate:
    if universe:
        share = sainsbury_share(reaches, universe)
        reach = round(share * universe)
        return CombinedEstimate(
            "sainsbury",
            reach,
            universe,
            share,
            f"≈ {reach:,} ({float(share) * 100:.1f} % of {universe:,}), an estimate assuming "
            + SAINSBURY_ASSUMPTION,
        )
    total = sum(reaches)
    return CombinedEstimate(
        "reported", total, None, None, f"{total:,}: reported reach, not deduplicated"
    )


def placement_reaches(campaign_ids: list[int]) -> dict[int, list[int]]:
    """Each placement's reach: its stated audience size, else its reported reach (the sum of
    its days, an upper bound)."""
    if not campaign_ids:
        return {}
    reported = dict(
        db.session.execute(
            sa.select(MetricRollup.placement_id, sa.func.sum(MetricRollup.reach))
            .where(MetricRollup.campaign_id.in_(campaign_ids))
            .group_by(MetricRollup.placement_id)
        ).all()
    )
    out: dict[int, list[int]] = defaultdict(list)
    for placement_id, campaign_id, size in db.session.execute(
        sa.select(Placement.id, Placement.campaign_id, Placement.audience_size).where(
            Placement.campaign_id.in_(campaign_ids)
        )
    ):
        out[campaign_id].append(
            int(size if size is not None else reported.get(placement_id, 0) or 0)
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
    own = [sketches.deserialize(r[6]) for r in rows if r[2] == actor.organization_id]
    others = [sketches.deserialize(r[6]) for r in rows if r[2] != actor.organization_id]
    mine, theirs = sketches.union(own), sketches.union(others)
    result.reach = sketches.estimate(sketches.union([mine, theirs]))
    if campaign.kind == "joint":
        result.own_only = sketches.estimate(sketches.a_not_b(mine, theirs))
        result.partners_only = sketches.estimate(sketches.a_not_b(theirs, mine))
        result.both = sketches.estimate(sketches.intersection(mine, theirs))
    return result

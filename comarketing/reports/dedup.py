"""The dashboard's deduplicated reach, from the stored sketches: per organization and period,
joint and solo, incremental reach, reach multipliers, overlaps with partners, and an estimate
for the campaigns without audience data; the table its page, export and API share.

Only counts leave this module, as in ``audiences.figures``: a party's figures combine its own
sketches with the sketches of the joint campaigns it is a party to. A figure resting on a
partner's audience goes through ``audiences.disclosure`` (minimum count, rounding, noise);
your own audiences against your own placements stay exact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pandas as pd
import sqlalchemy as sa

from comarketing.accounts.company_settings import audience_minimums
from comarketing.accounts.models import Organization
from comarketing.audiences import disclosure, sketches
from comarketing.audiences import figures as audience_figures
from comarketing.audiences.services import list_sketches
from comarketing.audiences.sketches import Estimate
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.policy import Action, authorize
from comarketing.read_replica import reads_reports
from comarketing.reports import scope as report_scope
from comarketing.reports.exports import Column, Table
from comarketing.reports.services import Dashboard
from comarketing.reports.tables import half_up

# ---------------------------------------------------------------------------------------------
# Per organization and period (the dashboard)


@dataclass(frozen=True)
class Multiplier:
    currency: str
    joint_reach: Estimate
    joint_spend_minor: int
    solo_reach: Estimate
    solo_spend_minor: int

    @property
    def value(self) -> Fraction | None:
        """From the joint reach as shown (rounded where it rests on a partner's audience), so
        the ratio never gives back more than the figure itself; none when it is suppressed."""
        if self.joint_reach.suppressed:
            return None
        if not (self.joint_spend_minor and self.solo_spend_minor and self.solo_reach.value):
            return None
        joint = Fraction(self.joint_reach.value) / self.joint_spend_minor
        solo = Fraction(self.solo_reach.value) / self.solo_spend_minor
        return joint / solo

    @property
    def shown(self) -> str:
        """Two decimals, rounded half up as every ratio on the page ("—" without a value)."""
        value = self.value
        return "—" if value is None else str(half_up(value, 2))


@dataclass(frozen=True)
class Overlap:
    """Your audience against one partner's in your joint campaigns (``disclosure.Split``):
    ``own`` exact, the rest rounded with noise or all suppressed."""

    partner_id: int
    partner: str
    campaigns: int
    own: Estimate
    theirs: Estimate
    both: Estimate

    @property
    def share_of_own(self) -> float | None:
        return _ratio(self.both, self.own)

    @property
    def share_of_theirs(self) -> float | None:
        return _ratio(self.both, self.theirs)


def _ratio(part: Estimate, whole: Estimate) -> float | None:
    value = disclosure.share(part, whole)
    return None if value is None else float(value)


@dataclass(frozen=True)
class Unsketched:
    campaign_id: int
    name: str
    kind: str
    estimate: audience_figures.CombinedEstimate


@dataclass
class DedupFigures:
    joint: Estimate = sketches.ZERO
    solo: Estimate = sketches.ZERO
    incremental: Estimate = sketches.ZERO
    existing: Estimate = sketches.ZERO
    lists: int = 0
    minimum: int = disclosure.DEFAULT  # the strictest minimum audience count in play
    joint_campaigns: int = 0  # with at least one sketch
    solo_campaigns: int = 0
    placements_with_audience: int = 0
    multipliers: list[Multiplier] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)
    unsketched: list[Unsketched] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.placements_with_audience or self.unsketched or self.lists)


@reads_reports
def dashboard_figures(actor: Actor, board: Dashboard) -> DedupFigures:
    """The deduplicated figures for the dashboard's organization, period and filters.

    Only placements with results (daily rows) or spend in the period count (the dashboard's
    own cells), whatever their scheduled dates: a period in which nothing ran reaches nobody.
    A campaign with results or spend in the period but no current sketch at all is listed as
    without audience data; one with a sketch never is, whatever its placements' dates."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    org = actor.organization_id
    period, filters = board.period, board.filters
    scope = report_scope.Scope(
        organization_id=org,
        start=period.start,
        end=period.end,
        partner_id=filters.partner_id,
        channel=filters.channel,
        campaign_id=filters.campaign_id,
    )
    campaigns = board.campaigns.set_index("campaign_id") if not board.campaigns.empty else None
    kind_of = {} if campaigns is None else campaigns["kind"].to_dict()
    currency_of = {} if campaigns is None else campaigns["currency"].to_dict()
    active = active_placements(board.cells)
    every = audience_figures.current_sketches(report_scope.scoped_campaigns(scope))
    with_audience = {int(r[1]) for r in every}
    rows = [
        r
        for r in every
        if r[0] in active
        and (filters.channel is None or r[3] == filters.channel)
        and r[1] in kind_of
    ]
    figures = DedupFigures(placements_with_audience=len(rows))
    parsed = [(r[0], r[1], r[2], disclosure.Audience.load(r[2], r[6])) for r in rows]
    rule = disclosure.Rule(org, audience_minimums([org, *(r[2] for r in rows)]))
    figures.minimum = rule.minimum(r[2] for r in rows)
    joint = [a for _, c, _, a in parsed if kind_of[c] == "joint"]
    solo = [a for _, c, _, a in parsed if kind_of[c] == "solo"]
    own_lists = [disclosure.Audience.load(org, data) for data in list_sketches(org)]
    figures.lists = len(own_lists)
    figures.joint = disclosure.reach(rule, "joint", joint)
    figures.solo = disclosure.reach(rule, "solo", solo)
    figures.existing = disclosure.reach(rule, "existing", own_lists)
    figures.incremental = disclosure.beyond(rule, "incremental", joint, [*own_lists, *solo])
    sketched = {c for _, c, _, _ in parsed}
    figures.joint_campaigns = sum(1 for c in sketched if kind_of[c] == "joint")
    figures.solo_campaigns = len(sketched) - figures.joint_campaigns
    figures.multipliers = _multipliers(rule, board.cells, parsed, kind_of, currency_of, sketched)
    figures.overlaps = _overlaps(rule, parsed, kind_of)
    figures.unsketched = _unsketched(board, active, with_audience)
    return figures


def active_placements(cells: pd.DataFrame) -> dict[int, int]:
    """Placement id -> its reach (daily reach, summed) in the period, for every placement
    with results (daily rows) or spend (claims counting as spend) in the dashboard's cells."""
    if cells.empty:
        return {}
    ran = cells[(cells["days"] > 0) | (cells["campaign_spend_minor"] != 0)]
    return {int(p): int(r) for p, r in ran.groupby("placement_id")["reach"].sum().items()}


def _multipliers(
    rule: disclosure.Rule,
    cells: pd.DataFrame,
    parsed: list[tuple[int, int, int, Any]],
    kind_of: dict[int, str],
    currency_of: dict[int, str],
    sketched: set[int],
) -> list[Multiplier]:
    """Reach per unit of own spend, joint over solo, on deduplicated reach: the campaigns with
    audience data only, spend from the dashboard's own figures."""
    spend: dict[tuple[str, str], int] = defaultdict(int)
    if not cells.empty:
        mine = cells[cells["campaign_id"].isin(sketched)]
        for (currency, kind), total in (
            mine.groupby(["currency", "kind"])["spend_minor"].sum().items()
        ):
            spend[(str(currency), str(kind))] = int(total)
    out = []
    for currency in sorted({currency_of[c] for c in sketched}):
        by_kind = {
            kind: disclosure.reach(
                rule,
                f"{kind} {currency}",
                [a for _, c, _, a in parsed if kind_of[c] == kind and currency_of[c] == currency],
            )
            for kind in ("joint", "solo")
        }
        out.append(
            Multiplier(
                currency,
                by_kind["joint"],
                spend[(currency, "joint")],
                by_kind["solo"],
                spend[(currency, "solo")],
            )
        )
    return out


def _overlaps(
    rule: disclosure.Rule, parsed: list[tuple[int, int, int, Any]], kind_of: dict[int, str]
) -> list[Overlap]:
    org = rule.viewer
    joint_ids = sorted({c for _, c, _, _ in parsed if kind_of[c] == "joint"})
    if not joint_ids:
        return []
    partners = db.session.execute(
        sa.select(CampaignParty.campaign_id, Organization.id, Organization.name)
        .join(Organization, Organization.id == CampaignParty.organization_id)
        .where(CampaignParty.campaign_id.in_(joint_ids), CampaignParty.organization_id != org)
    ).all()
    names: dict[int, str] = {}
    campaigns_of: dict[int, set[int]] = defaultdict(set)
    for campaign_id, partner_id, name in partners:
        names[partner_id] = name
        campaigns_of[partner_id].add(campaign_id)
    out = []
    for partner_id, campaign_ids in campaigns_of.items():
        split = disclosure.split(
            rule,
            f"overlap {partner_id}",
            [a for _, c, o, a in parsed if c in campaign_ids and o == org],
            [a for _, c, o, a in parsed if c in campaign_ids and o == partner_id],
        )
        out.append(
            Overlap(
                partner_id,
                names[partner_id],
                len(campaign_ids),
                split.own,
                split.theirs,
                split.both,
            )
        )
    return sorted(out, key=lambda o: o.partner)


def _unsketched(
    board: Dashboard, active: dict[int, int], with_audience: set[int]
) -> list[Unsketched]:
    """The campaigns with results or spend in the period and no audience data at all, each
    with its combined audience from its placements that ran in the period."""
    cells = board.cells
    if board.campaigns.empty or cells.empty:
        return []
    ran = {int(c) for c in cells.loc[cells["placement_id"].isin(list(active)), "campaign_id"]}
    rest = board.campaigns[board.campaigns["campaign_id"].isin(ran - with_audience)]
    ids = [int(c) for c in rest["campaign_id"]]
    if not ids:
        return []
    universes = dict(
        db.session.execute(
            sa.select(Campaign.id, Campaign.target_universe).where(Campaign.id.in_(ids))
        ).all()
    )
    audiences = audience_figures.placement_reaches(ids, active)
    return [
        Unsketched(
            int(record["campaign_id"]),
            str(record["name"]),
            str(record["kind"]),
            audience_figures.combined_estimate(
                audiences.get(int(record["campaign_id"]), []),
                universes.get(int(record["campaign_id"])),
            ),
        )
        for record in rest.sort_values("name").to_dict("records")
    ]


# ---------------------------------------------------------------------------------------------
# The table pages and exports share


def _estimate_row(figure: str, value: Estimate, note: str = "") -> dict[str, Any]:
    if value.suppressed:
        return {"figure": figure, "exact": "no", "shown": str(value), "note": note}
    return {
        "figure": figure,
        "value": value.count,
        "lower": round(value.lower),
        "upper": round(value.upper),
        "exact": "yes" if value.exact else "no",
        "shown": str(value),
        "note": note,
    }


DEDUP_SUMS = "Each row is a figure of its own, people counted once: the rows are not added up."


def table(figures: DedupFigures) -> Table:
    rows = [
        _estimate_row(
            "Deduplicated joint reach",
            figures.joint,
            f"{figures.joint_campaigns} joint campaign(s) with audience data",
        ),
        _estimate_row(
            "Deduplicated solo reach",
            figures.solo,
            f"{figures.solo_campaigns} solo campaign(s) with audience data",
        ),
        _estimate_row(
            "Incremental reach of joint campaigns",
            figures.incremental,
            "reached jointly, in none of your lists nor your solo campaigns' audiences",
        ),
        _estimate_row("Your existing audience", figures.existing, f"{figures.lists} list(s)"),
    ]
    for m in figures.multipliers:
        value = m.value
        rows.append(
            {
                "figure": f"Reach multiplier on deduplicated reach ({m.currency})",
                "ratio": value,
                "shown": m.shown,
                "note": "reach per unit of your own spend, joint / solo; estimate"
                if not (m.joint_reach.exact and m.solo_reach.exact)
                else "reach per unit of your own spend, joint / solo",
            }
        )
    for o in figures.overlaps:
        rows.append(
            {
                **_estimate_row(f"Audience overlap with {o.partner}", o.both),
                "note": (
                    f"below the minimum audience count in {o.campaigns} joint campaign(s): "
                    "the shares are not shown either"
                    if o.both.suppressed
                    else f"{_share(o.share_of_own)} of your reach in {o.campaigns} joint "
                    f"campaign(s), {_share(o.share_of_theirs)} of theirs; rounded, with noise"
                ),
            }
        )
    for u in figures.unsketched:
        rows.append(
            {
                "figure": f"Combined {u.estimate.what} of {u.name} ({u.kind})",
                "value": u.estimate.reach,
                "exact": "no",
                "shown": u.estimate.label,
                "note": "no audience data",
            }
        )
    return Table(
        name="deduplicated-reach",
        columns=[
            Column("figure", "Figure"),
            Column("value", "Value", "int"),
            Column("lower", "Lower bound (95 %)", "int"),
            Column("upper", "Upper bound (95 %)", "int"),
            Column("exact", "Exact"),
            Column("ratio", "Ratio", "ratio"),
            Column("shown", "As shown"),
            Column("note", "Note"),
        ],
        rows=rows,
        sums_note=DEDUP_SUMS,
    )


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"

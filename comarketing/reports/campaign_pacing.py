"""The campaign report's goal pacing: where the campaign stands in its dates (``Timeline``),
the linear projection to its end date, and each goal's pacing (reach, leads, revenue): to date,
share of the goal, on track or behind. Pure: no database, exact fractions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from comarketing.campaigns.models import Campaign
from comarketing.metrics.models import GoalKind
from comarketing.reports.frames import ratio


@dataclass(frozen=True)
class Timeline:
    """Where the campaign stands on ``as_of``: days elapsed (today included) of its days."""

    start: date
    end: date
    as_of: date

    @property
    def campaign_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def elapsed_days(self) -> int:
        if self.as_of < self.start:
            return 0
        return min((self.as_of - self.start).days + 1, self.campaign_days)

    @property
    def phase(self) -> str:
        if self.as_of < self.start:
            return "not_started"
        return "ended" if self.as_of > self.end else "running"

    @property
    def label(self) -> str:
        if self.phase == "not_started":
            days = (self.start - self.as_of).days
            return f"Starts in {days:,} day{'s' if days != 1 else ''}"
        if self.phase == "ended":
            return f"Ended after {self.campaign_days:,} days"
        return f"Day {self.elapsed_days:,} of {self.campaign_days:,}"


def projection(to_date: int, timeline: Timeline) -> Fraction | None:
    """The total at the end date if the campaign keeps its pace so far: to-date / elapsed days
    * campaign days. None before the start (no pace yet); after the end, the final total."""
    elapsed = timeline.elapsed_days
    if elapsed == 0:
        return None
    return Fraction(to_date * timeline.campaign_days, elapsed)


@dataclass(frozen=True)
class Reporting:
    """Of the placements with results to date, how many reported a figure on all their days
    (``full``) and on at least one (``some``)."""

    placements: int = 0
    full: int = 0
    some: int = 0

    @property
    def reported(self) -> bool:
        """False when placements have results but none reported the figure: not 0."""
        return self.some > 0 or self.placements == 0

    @property
    def note(self) -> str | None:
        if not self.reported:
            return "not reported"
        missing = self.placements - self.full
        if missing > 0:
            return f"not reported for {missing:,} of {self.placements:,} placements"
        return None


@dataclass(frozen=True)
class GoalPacing:
    goal: str  # reach | leads | revenue
    label: str
    money: bool
    target: int | None  # None: no goal (a goal of 0 is none either)
    to_date: int
    projected: Fraction | None
    reached_at: datetime | None = None
    reporting: Reporting = Reporting()

    @property
    def reported_to_date(self) -> int | None:
        """To date, or None when nobody reported the figure ("not reported", never 0)."""
        return self.to_date if self.reporting.reported else None

    @property
    def has_goal(self) -> bool:
        return self.target is not None and self.target > 0

    @property
    def projected_rounded(self) -> int | None:
        """The projection in whole units (people, leads, minor units of money)."""
        return None if self.projected is None else round(self.projected)

    @property
    def share(self) -> Fraction | None:
        return ratio(self.to_date, self.target) if self.has_goal and self.target else None

    @property
    def reached(self) -> bool:
        return self.has_goal and self.target is not None and self.to_date >= self.target

    @property
    def on_track(self) -> bool | None:
        """None without a goal or a pace; True once reached or when the projection gets there."""
        if not self.has_goal or self.target is None:
            return None
        if self.reached:
            return True
        if self.projected is None:
            return None
        return self.projected >= self.target

    @property
    def status(self) -> str:
        if not self.has_goal:
            return "No goal"
        if not self.reporting.reported:
            return "Not reported"
        if self.reached:
            return "Reached"
        if self.on_track is None:
            return "Not started"
        return "On track" if self.on_track else "Behind"


GOALS = (
    # To date: the daily reach, summed, against the target (reports.people says why).
    (GoalKind.REACH, "Reach (daily reach, summed)", "target_reach", "reach", False),
    (GoalKind.LEADS, "Leads", "target_leads", "leads", False),
    (GoalKind.REVENUE, "Revenue", "target_revenue_minor", "revenue_minor", True),
)


def pacing(
    campaign: Campaign,
    totals: dict[str, int],
    timeline: Timeline,
    reached_at: dict[str, datetime] | None = None,
    reporting: dict[str, Reporting] | None = None,
) -> list[GoalPacing]:
    """Each goal's pacing; ``reporting`` (per figure) says who reported it to date: a figure
    nobody reported has no projection and is "not reported"."""
    reached_at = reached_at or {}
    reporting = reporting or {}
    out = []
    for goal, label, target_name, figure, money in GOALS:
        target = getattr(campaign, target_name)
        to_date = int(totals.get(figure, 0))
        reported = reporting.get(figure, Reporting())
        out.append(
            GoalPacing(
                goal=goal.value,
                label=label,
                money=money,
                target=int(target) if target is not None and target > 0 else None,
                to_date=to_date,
                projected=projection(to_date, timeline) if reported.reported else None,
                reached_at=reached_at.get(goal.value),
                reporting=reported,
            )
        )
    return out

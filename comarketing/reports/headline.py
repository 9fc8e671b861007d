"""The dashboard's headline for one currency (issue 16): joint vs solo tiles with the better side
marked, both reach multipliers and the ROI comparison with the campaigns behind them and their
90 % intervals (or the too-few warning), and the plain-language reading.

Built from a ``frames.Comparison`` (its figures and ``measured``); no database. The page
(``templates/reports/_headline.html``) and the API read the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from comarketing.audiences.sketches import Estimate, format_estimate
from comarketing.money import exponent
from comarketing.reports import bootstrap, people
from comarketing.reports.exports import Column, Table
from comarketing.reports.frames import Comparison
from comarketing.reports.services import Dashboard
from comarketing.reports.tables import display, half_up

UNITS = {"EUR": "euro", "USD": "dollar", "GBP": "pound"}
HIGHER, LOWER = "higher", "lower"


def unit_of(currency: str) -> str:
    return UNITS.get(currency, currency)


@dataclass(frozen=True)
class Tile:
    key: str  # data-testid: tile-<key>-<CUR>
    label: str
    kind: str  # a table column's kind: money, int, ratio, percent, text
    joint: Any
    solo: Any
    better: str | None  # "joint", "solo", or None: equal, unknown, or neither is better
    meaning: str

    def text(self, side: str, currency: str) -> str:
        column = Column(self.key, self.label, self.kind)
        value = getattr(self, side)
        return display(Table(self.key, [column], currency=currency), {self.key: value}, column)


def _better(joint: Fraction | int | None, solo: Fraction | int | None, rule: str) -> str | None:
    if joint is None or solo is None or joint == solo:
        return None
    return "joint" if (joint > solo) == (rule == HIGHER) else "solo"


def times(value: Fraction) -> str:
    """A multiplier for a sentence: "2.8x" (two decimals under 1: "0.62x")."""
    return f"{half_up(value, 1 if value >= 1 else 2)}x"


def percent(value: Fraction) -> str:
    return f"{half_up(value * 100, 1)} %"


@dataclass(frozen=True)
class Figure:
    """A multiplier (``kind`` "multiplier") or the ROI comparison ("points")."""

    key: str  # own, whole, roi
    label: str
    kind: str
    compared: bootstrap.Compared
    meaning: str

    def show(self, value: Fraction | None) -> str:
        if value is None:
            return "—"
        if self.kind == "points":
            return f"{half_up(value * 100, 1):+} points"
        return f"{half_up(value, 2)}x"

    @property
    def value_text(self) -> str:
        return self.show(self.compared.value)

    @property
    def interval_text(self) -> str | None:
        interval = self.compared.interval
        return None if interval is None else f"{self.show(interval[0])} to {self.show(interval[1])}"


@dataclass(frozen=True)
class Headline:
    currency: str
    tiles: list[Tile]
    multipliers: list[Figure]  # on your spend, on whole spend
    roi: Figure
    reading: str


def _per_thousand(rate: Fraction | None, currency: str) -> Fraction | None:
    """People per 1,000 major units from people per minor unit."""
    return None if rate is None else rate * 1000 * 10 ** exponent(currency)


def people_label(comparison: Comparison) -> str:
    """People only when neither side's figure has any part of summed daily reach."""
    sides = [f.people for f in (comparison.joint, comparison.solo) if f.people is not None]
    if sides and not any(p.daily_summed for p in sides):
        return people.FLIGHT_LABEL
    return people.DAILY_LABEL


def reach_words(comparison: Comparison) -> str:
    """What the multipliers' reach is, in a sentence."""
    return "people" if people_label(comparison) == people.FLIGHT_LABEL else "daily reach, summed"


def _people(comparison: Comparison) -> tuple[int | None, int | None]:
    return tuple(  # type: ignore[return-value]
        None if f.people is None else f.people.value for f in (comparison.joint, comparison.solo)
    )


def _people_meaning(comparison: Comparison) -> str:
    """What each side's figure rests on, in % of own spend."""
    parts = [
        f"{side}: {f.people.text}"
        for side, f in (("Joint", comparison.joint), ("Solo", comparison.solo))
        if f.people is not None and f.people.text
    ]
    return "; ".join(parts) + "." if parts else "No reach reported."


def tiles(comparison: Comparison, incremental: Estimate | None = None) -> list[Tile]:
    joint, solo, measured = comparison.joint, comparison.solo, comparison.measured
    currency = comparison.currency
    own, whole = measured.on_your_spend, measured.on_whole_spend
    # A side without campaigns has no spend to show, not 0.
    spend = (
        joint.spend_minor if joint.campaigns else None,
        solo.spend_minor if solo.campaigns else None,
    )
    reach_own = (_per_thousand(own.joint, currency), _per_thousand(own.solo, currency))
    reach_whole = (_per_thousand(whole.joint, currency), _per_thousand(whole.solo, currency))
    out = [
        Tile("spend", "Own spend", "money", *spend, None,
             "Your share of the campaigns' claims in the period (the ledger)."),
        Tile("people", people_label(comparison), "int", *_people(comparison), None,
             _people_meaning(comparison)),
        Tile("reach-own", f"Reach per 1,000 {currency} of own spend", "ratio", *reach_own,
             _better(*reach_own, HIGHER), "What each 1,000 of your own money reached."),
        Tile("reach-whole", f"Reach per 1,000 {currency} of the campaigns' whole spend",
             "ratio", *reach_whole, _better(*reach_whole, HIGHER),
             "Per 1,000 of all parties' spend together (solo: whole spend is your own)."),
    ]  # fmt: skip
    if incremental is not None:
        out.append(
            Tile("incremental", "Incremental reach (deduplicated)", "text",
                 format_estimate(incremental), None, None,
                 "People the joint campaigns reached that neither your lists nor your solo "
                 "campaigns did (where audiences exist).")
        )  # fmt: skip
    out += [
        Tile("cpl", "CPL", "money", joint.cpl_minor, solo.cpl_minor,
             _better(joint.cpl_minor, solo.cpl_minor, LOWER), "Own spend per lead."),
        Tile("conversion", "Conversion rate", "percent", joint.conversion_rate,
             solo.conversion_rate, _better(joint.conversion_rate, solo.conversion_rate, HIGHER),
             "Conversions per click."),
        Tile("roi", "ROI", "percent", joint.roi, solo.roi, _better(joint.roi, solo.roi, HIGHER),
             "(Own revenue - own spend) / own spend."),
    ]  # fmt: skip
    return out


def figures(comparison: Comparison) -> tuple[list[Figure], Figure]:
    measured, unit = comparison.measured, unit_of(comparison.currency)
    own, whole, roi = measured.on_your_spend, measured.on_whole_spend, measured.roi
    promise = f" (your {unit} reached {times(own.value)} as many)" if own.value else ""
    return [
        Figure("own", "Multiplier on your spend", "multiplier", own,
               f"Reach per {unit} of your own spend, joint / solo: what co-marketing promises "
               f"{promise}. Partly built in: you pay only your share of a joint campaign."),
        Figure("whole", "Multiplier on the campaigns' whole spend", "multiplier", whole,
               f"Reach per {unit} of the joint campaigns' whole spend (all parties), joint / "
               "solo: whether the joint campaigns themselves were more efficient."),
    ], Figure("roi", "ROI, joint minus solo", "points", roi,
              f"Joint ROI {percent(roi.joint) if roi.joint is not None else '—'} against solo "
              f"ROI {percent(roi.solo) if roi.solo is not None else '—'}.")  # fmt: skip


def _losses(comparison: Comparison) -> list[str]:
    """Where joint did worse than solo on ROI or CPL, in words with both figures."""
    joint, solo, currency = comparison.joint, comparison.solo, comparison.currency
    out = []
    if joint.roi is not None and solo.roi is not None and joint.roi < solo.roi:
        out.append(f"their ROI was lower ({percent(joint.roi)} against {percent(solo.roi)})")
    if _better(joint.cpl_minor, solo.cpl_minor, LOWER) == "solo":
        cpl = Tile("cpl", "CPL", "money", joint.cpl_minor, solo.cpl_minor, None, "")
        out.append(
            f"their cost per lead was higher ({cpl.text('joint', currency)} against "
            f"{cpl.text('solo', currency)})"
        )
    return out


def _hedge(compared: bootstrap.Compared) -> str:
    """Said after a multiplier whose 90 % interval holds 1x: the data cannot tell it from 1x."""
    if compared.interval is None or compared.value is None:
        return ""
    low, high = compared.interval
    if not low <= 1 <= high:
        return ""
    side = "above" if compared.value >= 1 else "below"
    return f" (90 % interval {half_up(low, 2)}x to {half_up(high, 2)}x: not clearly {side} 1x)"


def reading(comparison: Comparison) -> str:
    """Both multipliers in one sentence, with where joint lost on ROI or CPL in the same one;
    never more than the figures show."""
    measured, unit = comparison.measured, unit_of(comparison.currency)
    own, whole = measured.on_your_spend, measured.on_whole_spend
    if own.value is None:
        return (
            "The reach multipliers need both joint and solo reach and spend: "
            + ("; ".join(comparison.missing) or "one side has none")
            + "."
        )
    text = (
        f"Per {unit} of your own spend joint campaigns reached {times(own.value)} as many as "
        f"solo campaigns ({reach_words(comparison)}){_hedge(own)}"
    )
    if whole.value is not None:
        text += f"; on the campaigns' whole spend {times(whole.value)}{_hedge(whole)}"
    if losses := _losses(comparison):
        text += " — but " + " and ".join(losses)
    text += "."
    if own.warning:
        text += f" The comparison {own.warning}: read it as an anecdote, not a measurement."
    return text


def build(comparison: Comparison, incremental: Estimate | None = None) -> Headline:
    multipliers, roi = figures(comparison)
    return Headline(
        comparison.currency, tiles(comparison, incremental), multipliers, roi, reading(comparison)
    )


def for_board(board: Dashboard, incremental: Estimate | None = None) -> list[Headline]:
    """Per currency. The deduplicated incremental reach is not split by currency: it is shown
    only when the dashboard has one."""
    shown = incremental if len(board.comparisons) == 1 else None
    return [build(comparison, shown) for comparison in board.comparisons]

"""The dashboard's tables in the one shape pages render and exports write (``exports.Table``)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pandas as pd

from comarketing.hundredths import format_hundredths
from comarketing.money import format_money
from comarketing.reports import coverage, frames, people
from comarketing.reports.exports import Column, Table
from comarketing.reports.services import Dashboard

COST_PER_REACH = people.COST_PER_DAILY_REACH
FIGURE_COLUMNS = [
    Column("campaigns", "Campaigns", "int"),
    Column("spend_minor", "Own spend (ledger)", "money"),
    Column("reported_cost_minor", "Own share of reported cost (results)", "money"),
    Column("cost_difference_minor", "Reported cost minus spend", "money"),
    Column("impressions", "Impressions", "int"),
    Column("reach", people.DAILY_LABEL, "int"),
    Column("frequency", "Frequency (on daily reach, summed)", "ratio"),
    Column("clicks", "Clicks", "int"),
    Column("leads", "Leads", "int"),
    Column("conversions_hundredths", "Conversions", "hundredths"),
    Column("revenue_minor", "Own revenue", "money"),
    Column("cpm_minor", "CPM", "money"),
    Column("cost_per_thousand_reached_minor", COST_PER_REACH, "money"),
    Column("cpl_minor", "CPL", "money"),
    Column("conversion_rate", "Conversion rate (%)", "percent"),
    Column("roi", "ROI (%)", "percent"),
]
KIND_LABEL = {"joint": "Joint", "solo": "Solo"}
TABLES = {
    "headline": "Joint vs solo",
    "channel": "By channel",
    "partner": "By partner",
    "month": "By month",
}


# Why a breakdown's sums do not add up to the headline (``Table.sums_note``).
BY_PARTNER_SUMS = (
    "A campaign with several partners counts under each of them: the rows do not add up to "
    "the headline, and there is no total row."
)

# Which column shows each reported part, and the ratios' coverage columns (files and API).
PART_COLUMNS = {part: part for part in coverage.METRIC_PARTS}
NOTES = Column("notes", "Coverage notes", page=False)


def coverage_columns(columns: list[Column]) -> list[Column]:
    """Per ratio among ``columns``: the lower of its two coverage shares; then the notes."""
    keys = {c.key: c.label for c in columns}
    extra = [
        Column(f"{spec.name}_coverage", f"{keys[spec.name]}: coverage (%)", "percent", page=False)
        for spec in coverage.RATIOS
        if spec.name in keys
    ]
    return [*columns, *extra, NOTES]


def _figure_row(figures: frames.Figures) -> dict[str, Any]:
    """The figures, "not reported" where no placement reported one, and what to say beside each
    figure (``_notes``: column key -> (text, under half)); ``notes`` joins them for files."""
    row = figures.as_dict()
    notes: dict[str, tuple[str, bool]] = {}
    for part, key in PART_COLUMNS.items():
        if getattr(figures, part) is None and figures.placements:
            row[key] = coverage.NOT_REPORTED  # the cell says it: no note beside it
        elif note := figures.note(part):
            notes[key] = (note, False)
    for spec in coverage.RATIOS:
        cover = figures.coverage[spec.name]
        row[f"{spec.name}_coverage"] = cover.share
        if cover.share is not None and cover.share < 1:
            notes[spec.name] = (cover.notice or cover.text or "", cover.below_half)
    row["_notes"] = notes
    return row


def with_notes(table: Table) -> Table:
    """``table`` whose rows say in ``notes`` what the page shows beside its figures."""
    labels = {c.key: c.label for c in table.columns}
    for row in table.rows:
        row["notes"] = (
            "; ".join(
                f"{labels[key]}: {text}"
                for key, (text, _) in row.get("_notes", {}).items()
                if key in labels
            )
            or None
        )
    return table


def note(row: dict[str, Any], column: Column) -> tuple[str, bool] | None:
    """What the page says beside a cell: (text, whether it covers under half)."""
    notes: dict[str, tuple[str, bool]] = row.get("_notes", {})
    return notes.get(column.key)


# The headline's people figure (``reports.people``): what it is, and the kinds it rests on.
PEOPLE_COLUMNS = [
    Column("people", "Reach figure", "int"),
    Column("people_label", "Reach figure is"),
    Column("people_text", "Reach figure rests on"),
    *(
        Column(f"people_{kind}_share", f"{label}: share of own spend (%)", "percent", page=False)
        for kind, label in (
            ("flight", "Flight reach"),
            ("daily", "Daily reach summed"),
            ("none", "Reach not reported"),
        )
    ),
]


def _people_row(figure: people.PeopleReached | None) -> dict[str, Any]:
    if figure is None:
        return {}
    row: dict[str, Any] = {
        "people": coverage.NOT_REPORTED if figure.value is None else figure.value,
        "people_label": figure.label,
        "people_text": figure.text,
    }
    for kind, share in figure.shares.items():
        row[f"people_{kind}_share"] = share
    return row


COMPARED_COLUMNS = [
    Column("multiplier", "Reach multiplier", "ratio"),
    Column("interval_low", "Multiplier: 90 % interval, low", "ratio", page=False),
    Column("interval_high", "Multiplier: 90 % interval, high", "ratio", page=False),
    Column("roi_interval_low", "ROI difference: 90 % interval, low (%)", "percent", page=False),
    Column("roi_interval_high", "ROI difference: 90 % interval, high (%)", "percent", page=False),
    Column("campaigns_joint", "Campaigns behind it: joint", "int", page=False),
    Column("campaigns_solo", "Campaigns behind it: solo", "int", page=False),
    Column("sample", "Sample", page=False),
]


def _compared_rows(comparison: frames.Comparison) -> list[dict[str, Any]]:
    """Both multipliers and the ROI difference (in the ROI column), each with the campaigns
    behind it and its 90 % bootstrap interval or why there is none (``bootstrap``)."""
    measured = comparison.measured
    rows = []
    for label, compared, value, ends in (
        ("Reach multiplier on your spend (joint / solo)", measured.on_your_spend,
         "multiplier", "interval"),
        ("Reach multiplier on the campaigns' whole spend (joint / solo)",
         measured.on_whole_spend, "multiplier", "interval"),
        ("ROI, joint minus solo (percentage points)", measured.roi, "roi", "roi_interval"),
    ):  # fmt: skip
        interval = compared.interval or (None, None)
        rows.append(
            {
                "currency": comparison.currency,
                "kind": label,
                value: compared.value,
                f"{ends}_low": interval[0],
                f"{ends}_high": interval[1],
                "campaigns_joint": compared.campaigns[0],
                "campaigns_solo": compared.campaigns[1],
                "sample": compared.warning or "90 % campaign-level bootstrap interval",
            }
        )
    return rows


def headline(board: Dashboard) -> Table:
    rows = []
    for comparison in board.comparisons:
        for kind, figures in (("joint", comparison.joint), ("solo", comparison.solo)):
            rows.append(
                {
                    "currency": comparison.currency,
                    "kind": KIND_LABEL[kind],
                    **_figure_row(figures),
                    **_people_row(figures.people),
                }
            )
        rows += _compared_rows(comparison)
    return with_notes(
        Table(
            name="joint-vs-solo",
            columns=coverage_columns(
                [
                    Column("currency", "Currency"),
                    Column("kind", "Campaigns of kind"),
                    *PEOPLE_COLUMNS,
                    *FIGURE_COLUMNS,
                    *COMPARED_COLUMNS,
                ]
            ),
            rows=rows,
        )
    )


def _rows_from(frame: pd.DataFrame, label_column: str) -> list[dict[str, Any]]:
    rows = []
    for record in frame.to_dict("records"):
        figures = frames.figures_from(record)
        row = {"currency": record["currency"], label_column: record[label_column]}
        if "kind" in record:
            row["kind"] = KIND_LABEL.get(str(record["kind"]), record["kind"])
        rows.append({**row, **_figure_row(figures)})
    return rows


def by_channel(board: Dashboard) -> Table:
    frame = board.by_channel.copy()
    if not frame.empty:
        frame["channel"] = frame["channel"].map(lambda c: str(c).replace("_", " ").capitalize())
    return with_notes(
        Table(
            name="by-channel",
            columns=coverage_columns(
                [
                    Column("currency", "Currency"),
                    Column("channel", "Channel"),
                    Column("kind", "Kind"),
                    *FIGURE_COLUMNS,
                ]
            ),
            rows=_rows_from(frame, "channel"),
        )
    )


def by_partner(board: Dashboard) -> Table:
    return with_notes(
        Table(
            name="by-partner",
            columns=coverage_columns(
                [
                    Column("currency", "Currency"),
                    Column("partner", "Partner"),
                    Column("campaigns", "Joint campaigns", "int"),
                    Column("spend_minor", "Own spend (ledger)", "money"),
                    Column("reach", people.DAILY_LABEL, "int"),
                    Column("revenue_minor", "Own revenue", "money"),
                    Column("roi", "ROI (%)", "percent"),
                    Column("cost_per_thousand_reached_minor", COST_PER_REACH, "money"),
                ]
            ),
            rows=_rows_from(board.by_partner, "partner"),
            sums_note=BY_PARTNER_SUMS,
        )
    )


def by_month(board: Dashboard) -> Table:
    return with_notes(
        Table(
            name="by-month",
            columns=coverage_columns(
                [
                    Column("currency", "Currency"),
                    Column("month", "Month"),
                    Column("kind", "Kind"),
                    *FIGURE_COLUMNS,
                ]
            ),
            rows=_rows_from(board.by_month, "month"),
        )
    )


BUILDERS = {"headline": headline, "channel": by_channel, "partner": by_partner, "month": by_month}


def all_tables(board: Dashboard) -> dict[str, Table]:
    return {key: build(board) for key, build in BUILDERS.items()}


def display(table: Table, row: dict[str, Any], column: Column) -> str:
    """A cell as the page shows it ("—" where a ratio has no denominator)."""
    raw = row.get(column.key)
    if raw is None:
        return "—" if column.key in row or column.kind != "text" else ""
    if isinstance(raw, str) and column.kind != "text":  # "not reported"
        return raw
    if column.kind == "int":
        return f"{int(raw):,}"
    if column.kind == "hundredths":
        return format_hundredths(int(raw))
    if column.kind == "money":
        currency = row.get("currency") or table.currency or "EUR"
        minor = (
            int(
                (Decimal(raw.numerator) / Decimal(raw.denominator)).quantize(
                    Decimal(1), rounding=ROUND_HALF_UP
                )
            )
            if isinstance(raw, Fraction)
            else int(raw)
        )
        return format_money(minor, str(currency))
    if column.kind == "percent":
        return f"{half_up(Fraction(raw) * 100, 1):,} %"
    if column.kind == "ratio":
        return f"{half_up(Fraction(raw), 2):,}"
    return str(raw)


def half_up(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half up (away from zero) to ``places`` decimals, from the exact
    fraction: what the page shows (exports and the API keep full precision)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

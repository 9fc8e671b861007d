"""Turning text cells into checked daily metrics: pure DataFrame functions, no database.

Every cell is judged column by column with vectorised string operations (a million rows take
seconds, not minutes), and every refusal names the row, the column, the value and the reason.
Money becomes integer minor units by string arithmetic: a float never touches an amount.
The cells themselves are read by ``numbers`` (counts, money), ``dates`` (days) and ``matching``
(placements); this module puts a chunk together and checks the rows as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from comarketing.metrics import flight_rows, results
from comarketing.metrics.cells import Errors, Options, PlacementInfo, strip
from comarketing.metrics.columns import COUNT_COLUMNS, MONEY_COLUMNS
from comarketing.metrics.dates import parse_days, refuse_future
from comarketing.metrics.matching import resolve_placements
from comarketing.metrics.numbers import parse_counts, parse_hundredths, parse_money
from comarketing.metrics.summary_rows import summary_rows


@dataclass
class Cleaned:
    # row, placement_id, campaign_id, currency, day, counts, conversions_hundredths, *_minor;
    # the figures are nullable Int64 (NA: not reported — an empty cell or an unmapped column)
    frame: pd.DataFrame
    errors: list[dict[str, Any]]
    skipped_rows: list[int]
    # Rows for a placement's whole flight (metrics.flight_rows): row, placement_id, reach.
    flights: pd.DataFrame = field(default_factory=flight_rows.empty)


def clean_chunk(frame: pd.DataFrame, rows: pd.Series, options: Options) -> Cleaned:
    """Check and convert one chunk of text cells (columns = positions in the file)."""
    frame = frame.reset_index(drop=True)
    rows = rows.reset_index(drop=True)
    summary = summary_rows(
        frame, rows.index, options.mapping, period_end=options.period_end, strict=options.strict
    )
    skipped = [int(r) for r in rows[summary]]
    keep = ~summary
    frame, rows = frame[keep].reset_index(drop=True), rows[keep].reset_index(drop=True)
    errors = Errors(options, rows)
    cells = _Cells(frame, options, pd.Series("", index=rows.index))
    if options.placement_id is not None:
        placement_ids = pd.Series(options.placement_id, index=rows.index, dtype="float64")
    else:
        placement_ids = resolve_placements(cells.of("placement"), options, errors)
    placements = _Placements(
        placement_ids.fillna(-1).astype("int64"), placement_ids.notna(), options.placements
    )
    exponents = placements.attribute("exponent", 2).astype("int64")
    currency = placements.attribute("currency", "")
    errors.currency = currency
    days = parse_days(cells.of("day"), options, errors)
    days = refuse_future(days, cells.of("day"), options.latest_day, errors)

    out = pd.DataFrame({"row": rows, "placement_id": placements.ids})
    out["campaign_id"] = placements.attribute("campaign_id", -1).astype("int64")
    out["currency"] = currency
    out["day"] = days
    if "results" in options.mapping:
        cells.overrides.update(
            results.route(cells.of("results"), cells.of("result_indicator"), options, errors)
        )
    for name in COUNT_COLUMNS:
        if name == "conversions":  # exact to two decimals (attribution models): hundredths
            out["conversions_hundredths"] = parse_hundredths(cells.of(name), name, options, errors)
        else:
            out[name] = parse_counts(cells.of(name), name, options, errors)
    for name in MONEY_COLUMNS:
        out[name + "_minor"] = parse_money(cells.of(name), name, exponents, options, errors)
    # Only where both figures were read: a refused impressions cell must not also blame reach.
    errors.add(
        ~errors.bad & (out["reach"] > out["impressions"]),
        "reach",
        out["reach"],
        "reach cannot be above impressions",
    )
    several = _several_days(cells)
    _check_placement_dates(out, days.where(~several), cells, placements, errors)
    _check_currencies(out, currency, cells, placements, errors)
    _check_repeats(out, days.where(~several), cells, placements, errors)
    whole = pd.Series(False, index=out.index)
    if options.period_end is not None:
        whole = flight_rows.find_flights(
            out,
            several,
            strip(cells.at(options.period_end)),
            strip(cells.of("day")),
            placements.infos,
            placements.known,
            options,
            errors,
        )

    # A row for several days is never a day: its figures are totals (a flight's, or refused).
    good = ~errors.bad & placements.known & days.notna() & ~several
    clean = out[good].copy()
    clean["day"] = clean["day"].dt.date
    errors.items.sort(key=lambda item: item["row"])
    return Cleaned(
        frame=clean.reset_index(drop=True),
        errors=errors.items,
        skipped_rows=skipped,
        flights=flight_rows.flights_of(out, whole, errors.bad),
    )


def _several_days(cells: _Cells) -> pd.Series:
    """Rows whose period ("Reporting starts" .. "Reporting ends") spans several days."""
    period_end = cells.options.period_end
    if period_end is None:
        return pd.Series(False, index=cells.empty.index)
    return flight_rows.spans_several_days(strip(cells.of("day")), strip(cells.at(period_end)))


@dataclass
class _Cells:
    """The kept text cells of a chunk, by position or by field (absent: empty text)."""

    frame: pd.DataFrame
    options: Options
    empty: pd.Series
    overrides: dict[str, pd.Series] = field(default_factory=dict)  # e.g. leads from Results

    def at(self, position: int) -> pd.Series:
        return self.frame[position] if position in self.frame.columns else self.empty

    def of(self, field_name: str) -> pd.Series:
        if field_name in self.overrides:
            return self.overrides[field_name]
        position = self.options.mapping.get(field_name)
        return self.frame[position] if position is not None else self.empty


@dataclass
class _Placements:
    """Each kept row's placement: its id (-1 when unknown) and what we know of it."""

    ids: pd.Series
    known: pd.Series
    infos: dict[int, PlacementInfo]

    def __post_init__(self) -> None:
        # Each distinct id once (a chunk names a few hundred placements at most): an
        # attribute is looked up per placement, then spread over the rows.
        codes, uniques = pd.factorize(self.ids)
        self._codes = codes
        self._distinct = pd.Series(uniques)

    def _spread(self, per_placement: pd.Series) -> pd.Series:
        return per_placement.take(self._codes).set_axis(self.ids.index)

    def attribute(self, name: str, default: Any) -> pd.Series:
        values = {pid: getattr(info, name) for pid, info in self.infos.items()}
        return self._spread(self._distinct.map(values)).where(self.known, default)

    def dates(self, name: str) -> pd.Series:
        """A date attribute as datetime64 (NaT where the placement is not known)."""
        values = {pid: getattr(info, name) for pid, info in self.infos.items()}
        return self._spread(pd.to_datetime(self._distinct.map(values))).where(self.known)


def _check_placement_dates(
    out: pd.DataFrame, days: pd.Series, cells: _Cells, placements: _Placements, errors: Errors
) -> None:
    starts = placements.dates("start_date")
    ends = placements.dates("end_date")
    outside = placements.known & days.notna() & ((days < starts) | (days > ends))
    if outside.any():
        for index in out.index[outside]:
            info = placements.infos[int(placements.ids[index])]
            errors.add(
                pd.Series(out.index == index, index=out.index),
                "day",
                cells.of("day"),
                f"is outside the placement's dates ({info.start_date.isoformat()} to "
                f"{info.end_date.isoformat()})",
            )


def _check_currencies(
    out: pd.DataFrame, currency: pd.Series, cells: _Cells, placements: _Placements, errors: Errors
) -> None:
    """A currency column, or a currency in a money column's header, must be the campaign's."""
    options, known = cells.options, placements.known
    if "currency" in options.mapping:
        given = strip(cells.of("currency")).str.upper()
        wrong = known & (given != "") & (given != currency)
        for campaign in currency[wrong].unique():
            errors.add(
                wrong & (currency == campaign),
                "currency",
                given,
                f"is not this campaign's currency; this campaign is in {campaign}",
            )
    for field_name, code in options.header_currency.items():
        mismatch = known & (currency != code)
        for campaign in currency[mismatch].unique():
            errors.add(
                mismatch & (currency == campaign),
                field_name,
                pd.Series(options.column_name(field_name), index=out.index),
                f"the column is in {code}; this campaign is in {campaign}",
            )


def _check_repeats(
    out: pd.DataFrame, days: pd.Series, cells: _Cells, placements: _Placements, errors: Errors
) -> None:
    """A placement and day given twice (``days``: NaT for the rows that are no day)."""
    daily = days.notna()
    repeated = out[daily].duplicated(["placement_id", "day"], keep="first")
    errors.add(
        repeated.reindex(out.index, fill_value=False) & placements.known,
        "day",
        cells.of("day"),
        "repeats a placement and day given in an earlier row",
    )

"""Date cells -> days, in the date order the user confirmed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from flask import current_app, has_app_context

from comarketing.dates_format import format_date
from comarketing.metrics.cells import Errors, Options, plain_cells, strip
from comarketing.timezones import HasZone, company_today

DATE_ORDERS = {
    "iso": "year-month-day (2026-03-02)",
    "mdy": "month/day/year (3/2/2026)",
    "dmy": "day/month/year (2/3/2026 or 02.03.2026)",
}
_PLAIN_DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january", "januar", "janv"),
            ("feb", "february", "februar", "fev"),
            ("mar", "march", "marz", "märz", "mars"),
            ("apr", "april", "avr"),
            ("may", "mai"),
            ("jun", "june", "juni", "juin"),
            ("jul", "july", "juli", "juil"),
            ("aug", "august", "aout"),
            ("sep", "sept", "september"),
            ("oct", "october", "okt", "oktober"),
            ("nov", "november"),
            ("dec", "december", "dez", "dezember"),
        ],
        start=1,
    )
    for name in names
}


def _plain_days(raw: pd.Series) -> pd.Series | None:
    if plain_cells(raw, _PLAIN_DAY) is None:
        return None
    parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    if parsed.isna().any():  # an impossible date (2027-02-30): refused below
        return None
    return parsed.rename(None)


def parse_days(raw: pd.Series, options: Options, errors: Errors) -> pd.Series:
    plain = _plain_days(raw)
    if plain is not None:
        return plain
    text = strip(raw)
    year = pd.Series(np.nan, index=raw.index)
    month = year.copy()
    day = year.copy()

    def take(mask: pd.Series, y: pd.Series, m: pd.Series, d: pd.Series) -> None:
        year[mask] = pd.to_numeric(y[mask], errors="coerce")
        month[mask] = pd.to_numeric(m[mask], errors="coerce")
        day[mask] = pd.to_numeric(d[mask], errors="coerce")

    iso = text.str.extract(r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[ T].*)?$")
    found = iso[0].notna()
    take(found, iso[0], iso[1], iso[2])
    if options.date_order in ("mdy", "dmy"):
        numeric = text.str.extract(r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})(?:[ ,T].*)?$")
        rest = ~found & numeric[0].notna()
        first, second = (1, 0) if options.date_order == "mdy" else (0, 1)
        take(rest, numeric[2], numeric[second], numeric[first])
        found |= rest
    # "Mar 2, 2026", "March 2 2026", "2 Mar 2026", "2. März 2026"
    lower = text.str.lower()
    for pattern, (m_group, d_group) in (
        (r"^([a-zäéû]{3,9})\.? ([0-9]{1,2}),? ([0-9]{4})", (0, 1)),
        (r"^([0-9]{1,2})\.? ([a-zäéû]{3,9})\.? ([0-9]{4})", (1, 0)),
    ):
        words = lower.str.extract(pattern)
        named = ~found & words[0].notna()
        if named.any():
            take(named, words[2], words[m_group].map(_MONTHS), words[d_group])
            found |= named
    parsed = pd.to_datetime(
        pd.DataFrame({"year": year, "month": month, "day": day}).astype("float64"),
        errors="coerce",
    )
    empty = text == ""
    errors.add(empty, "day", text, "the date is missing")
    expected = DATE_ORDERS.get(options.date_order, options.date_order)
    errors.add(~empty & parsed.isna(), "day", text, f"is not a date (expected {expected})")
    return parsed


def latest_day(organization: HasZone) -> date:
    """The company's today (in its time zone): its results for a later day cannot exist yet.
    Tests pin it with ``METRICS_LATEST_DAY``."""
    if has_app_context() and current_app.testing:
        pinned = current_app.config.get("METRICS_LATEST_DAY")
        if pinned is not None:
            return date.fromisoformat(str(pinned))
    return company_today(organization)


def refuse_future(
    days: pd.Series, raw: pd.Series, latest: date | None, errors: Errors
) -> pd.Series:
    """A day after ``latest`` is a row error; returns the days with those taken out, so the
    same cell is not also blamed for the placement's dates or a repeat."""
    if latest is None:
        return days
    future = days.notna() & (days > pd.Timestamp(latest))
    if not future.any():
        return days
    errors.add(
        future,
        "day",
        strip(raw),
        f"is in the future: today is {format_date(latest)} where your company works",
    )
    return days.mask(future)


# ---------------------------------------------------------------------------------------------
# Which order a file's dates are written in, told from the file itself (never guessed)

_NUMERIC_DAY = r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})(?:[ ,T].*)?$"
SAMPLES = 2


@dataclass
class DateOrderScan:
    """What the day cells of a file say about their order, chunk by chunk.

    A first number above 12 proves day-first, a second one above 12 month-first. Cells in ISO
    form or with a month name need no order. Numeric cells that read as two different days
    (03/04/2026) without any proof leave the order to the user: ``samples`` keeps the first
    two distinct ones with their line numbers, to show them read both ways."""

    day_first: bool = False
    month_first: bool = False
    numeric: bool = False
    samples: list[tuple[int, str]] = field(default_factory=list)

    def add(self, values: pd.Series, rows: pd.Series) -> None:
        # Each distinct cell once, at its first line: a daily report repeats its few hundred
        # dates over all its rows (1,000,000 rows are read in well under a second).
        text = strip(values.reset_index(drop=True).drop_duplicates())
        parts = text.str.extract(_NUMERIC_DAY).dropna()
        if parts.empty:
            return
        self.numeric = True
        first, second = parts[0].astype(int), parts[1].astype(int)
        self.day_first |= bool((first > 12).any())
        self.month_first |= bool((second > 12).any())
        if len(self.samples) < SAMPLES:
            differ = parts.index[(first != second) & (first <= 12) & (second <= 12)]
            rows = rows.reset_index(drop=True)
            for index in differ:
                cell = text[index]
                if cell not in {s for _, s in self.samples} and _readings(cell) is not None:
                    self.samples.append((int(rows[index]), cell))
                if len(self.samples) == SAMPLES:
                    break

    @property
    def proven(self) -> bool:
        return self.day_first != self.month_first

    def order(self, remembered: str | None = None) -> str | None:
        """The order to read with; None when the user must choose. A proof in the file beats
        a remembered choice; a remembered day-first/month-first choice beats asking."""
        if self.proven:
            return "dmy" if self.day_first else "mdy"
        if not self.numeric:
            return remembered if remembered in DATE_ORDERS else "iso"
        if self.day_first and self.month_first:  # both kinds: one of them is wrong either way
            return None
        if remembered in ("dmy", "mdy"):
            return remembered
        if not self.samples:  # every numeric cell reads the same both ways (03/03/2026)
            return "dmy"
        return None


@dataclass(frozen=True)
class DateOrderSample:
    """One cell of the file read both ways, for the question "which order?"."""

    row: int
    text: str
    day_first: date
    month_first: date

    def describe(self) -> str:
        return (
            f"{self.text} \u2192 {format_date(self.day_first)} (day first) or "
            f"{format_date(self.month_first)} (month first)"
        )


def _readings(cell: str) -> tuple[date, date] | None:
    parts = pd.Series([cell]).str.extract(_NUMERIC_DAY).iloc[0]
    if parts.isna().any():
        return None
    first, second, year = (int(part) for part in parts)
    try:
        return date(year, second, first), date(year, first, second)
    except ValueError:
        return None


def samples(stored: list[list[Any]]) -> list[DateOrderSample]:
    """The samples kept in an import's settings ([row, text] pairs), read both ways."""
    out = []
    for row, text in stored:
        readings = _readings(str(text))
        if readings is not None:
            out.append(DateOrderSample(int(row), str(text), *readings))
    return out

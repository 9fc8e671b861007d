"""Date cells -> days, in the date order the user confirmed."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from flask import current_app, has_app_context

from comarketing.budgets.posting import latest_money_date
from comarketing.metrics.cells import Errors, Options, plain_cells, strip

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


def latest_day() -> date:
    """The last day that has begun anywhere on Earth (today in UTC+14, the latest time zone):
    results for a later day cannot exist yet. Tests pin it with ``METRICS_LATEST_DAY``."""
    if has_app_context() and current_app.testing:
        pinned = current_app.config.get("METRICS_LATEST_DAY")
        if pinned is not None:
            return date.fromisoformat(str(pinned))
    return latest_money_date()


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
        f"is in the future: no day after {latest.isoformat()} has begun anywhere yet",
    )
    return days.mask(future)

"""Money written in micro-units (millionths of the currency), as the ad platforms' APIs write
it: Google's ``cost_micros``, X's ``billed_charge_local_micro``, ``spend_micro``, Pinterest's
``spend_in_micro_dollar``. A column is in micro-units when its name says so; the unit is kept
per column in the import's settings, so the preview and the run read it alike.

A micro amount becomes the currency's minor units only when it is a whole number of them
(24,790,000 micros of EUR = 2479 cents; 1,234,567 micros is 123.4567 cents): anything else is
a row error, never rounded. Pure functions on columns of text cells, no database.
"""

from __future__ import annotations

import re

import pandas as pd

from comarketing.metrics.cells import Errors, Options, is_empty, remove_grouping, strip

MICRO = "micro"
MICRO_DIGITS = 6  # a micro-unit is 10**-6 of the currency
UNITS = {"": "the currency", MICRO: "micro-units (millionths of the currency)"}
MAX_MICRO_DIGITS = 18  # below 2**63: a trillion in the currency, far above any real day

# "cost_micros", "spend_micro", "billed_charge_local_micro", "Spend (micros)",
# "spend_in_micro_dollar": the word micro(s) as a part of the name, not "Microsoft".
_MICRO_NAME = re.compile(r"(?:^|[\s_.(\-])micros?(?:$|[\s_.)\-])", re.IGNORECASE)


def unit_of(header: str) -> str:
    """The unit a column's name gives its amounts: "micro", or "" for the currency itself."""
    return MICRO if _MICRO_NAME.search(header.strip()) else ""


def units_for(headers: list[str]) -> list[str]:
    return [unit_of(header) for header in headers]


def to_amounts(
    raw: pd.Series, field_name: str, exponents: pd.Series, options: Options, errors: Errors
) -> pd.Series:
    """Micro-unit cells -> the same amounts written in the currency ("24790000" -> "24.79"),
    for the ordinary money parsing to take on. Empty cells are passed on as they are; a cell
    that is not a whole, exact number of micro-units is refused here (and becomes "0", which
    is never stored: the row has an error)."""
    text = strip(raw)
    empty = is_empty(text)
    digits = text if options.strict else remove_grouping(text, options.decimal)
    valid = digits.str.fullmatch(rf"[0-9]{{1,{MAX_MICRO_DIGITS}}}") & ~empty
    bad = ~valid & ~empty
    if bad.any():
        negative = digits.str.match(r"^-\s*[0-9]")
        errors.add(bad & negative, field_name, text, "must not be negative")
        too_long = digits.str.fullmatch(rf"[0-9]{{{MAX_MICRO_DIGITS + 1},}}")
        errors.add(bad & too_long, field_name, text, "is too large")
        errors.add(
            bad & ~negative & ~too_long,
            field_name,
            text,
            "is not a whole number of micro-units (the column is in millionths of the currency)",
        )
    numbers = digits.where(valid, "0").astype("int64")
    exponent = exponents.reindex(text.index).fillna(2).astype("int64")
    step = 10 ** (MICRO_DIGITS - exponent)
    inexact = valid & ((numbers % step) != 0)
    for value in step[inexact].unique():
        errors.add(
            inexact & (step == value),
            field_name,
            text,
            "is not a whole number of the campaign currency's smallest unit "
            f"({int(value):,} micro-units); it is never rounded",
        )
    minor = (numbers // step).where(valid & ~inexact, 0)
    return text.where(empty, _written(minor, exponent, options.decimal))


def _written(minor: pd.Series, exponent: pd.Series, decimal: str) -> pd.Series:
    """Minor units as plain amounts with the file's decimal mark, as the money parsing reads
    them next (2479 with exponent 2 -> "24.79" or "24,79"; 1200 with 0 -> "1200")."""
    written = minor.astype(str)
    for value in exponent.unique():
        rows = exponent == value
        if value == 0:
            continue
        scale = 10 ** int(value)
        whole = (minor[rows] // scale).astype(str)
        fraction = (minor[rows] % scale).astype(str).str.zfill(int(value))
        written[rows] = whole + decimal + fraction
    return written

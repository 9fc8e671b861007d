"""Counts, conversions and money in text cells -> integers: exact string arithmetic, never a
float. An empty cell ("", "--", "-", a dash) is NA: not reported, which is not zero; the
results are pandas' nullable Int64."""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from comarketing.metrics import currency_marks, micros
from comarketing.metrics.cells import (
    Errors,
    Options,
    integers,
    is_empty,
    plain_cells,
    plain_text,
    remove_grouping,
    strip,
)

DECIMAL_MARKS = {".": "1,234.56 (point)", ",": "1.234,56 (comma)"}
MAX_COUNT_DIGITS = 15  # below 2**53 and far below BIGINT: nothing real is larger

# Fast paths. A column whose every cell is already in the plain form (our own export, the API,
# most in-house sheets) converts in a few whole-column steps instead of a dozen per-cell
# regular expressions: 1,000,000 rows took ~20 s more without them. Each gives exactly what the
# general code gives for such cells (none of them is empty, grouped, signed or marked, so none
# can be refused) and returns None for anything else, which then takes the general path.
# Keep them in step with it.

_PLAIN_COUNT = rf"[0-9]{{1,{MAX_COUNT_DIGITS}}}"
_PLAIN_AMOUNT = r"[0-9]{1,15}(?:\.[0-9]+)?"


def _plain_counts(raw: pd.Series) -> pd.Series | None:
    joined = plain_text(raw, _PLAIN_COUNT)
    values = None if joined is None else integers(joined, len(raw))
    return None if values is None else pd.Series(values, index=raw.index)


@functools.lru_cache(maxsize=8)
def _amount_with(decimals: int) -> str:
    """An amount written with exactly ``decimals`` decimals ("1234.50" for 2)."""
    return rf"[0-9]{{1,15}}\.[0-9]{{{decimals}}}"


def _plain_money(raw: pd.Series, exponents: pd.Series, options: Options) -> pd.Series | None:
    if not (options.strict or options.decimal == ".") or not exponents.index.equals(raw.index):
        return None
    exponent = exponents.to_numpy(dtype=np.int64)
    if len(exponent) and exponent[0] > 0 and (exponent == exponent[0]).all():
        # Every cell with exactly the currency's decimals (our own export, most tools'):
        # without the point, the minor units themselves.
        joined = plain_text(raw, _amount_with(int(exponent[0])))
        minor = None if joined is None else integers(joined.replace(".", ""), len(raw))
        if minor is not None and not (minor >= 2**53).any():
            return pd.Series(minor, index=raw.index, dtype="Int64")
    values = plain_cells(raw, _PLAIN_AMOUNT)
    if values is None:
        return None
    whole, _point, fraction = np.strings.partition(np.array(values, dtype=str), ".")
    kept = np.strings.rstrip(fraction, "0")
    significant = np.strings.str_len(kept)
    if (significant > exponent).any():  # more decimals than the currency has: refused below
        return None
    cents = np.where(significant > 0, kept, "0").astype(np.int64)
    minor = whole.astype(np.int64) * 10**exponent + cents * 10 ** (exponent - significant)
    if (minor >= 2**53).any():  # beyond exact floats: left to the general path, as it was
        return None
    return pd.Series(minor, index=raw.index, dtype="Int64")


def _not_reported(values: pd.Series, empty: pd.Series) -> pd.Series:
    """``values`` as nullable Int64 with NA where the cell was empty (not reported)."""
    result = values.astype("Int64")
    if empty.any():
        result = result.mask(empty)
    return result


def parse_counts(raw: pd.Series, field_name: str, options: Options, errors: Errors) -> pd.Series:
    plain = _plain_counts(raw)
    if plain is not None:
        return plain.astype("Int64")
    text = strip(raw)
    empty = is_empty(text)
    digits = text if options.strict else remove_grouping(text, options.decimal)
    if not options.strict:
        # Some tools write whole counts as "5.00": a zero fraction is still a whole number.
        mark = re.escape(options.decimal)
        digits = digits.str.replace(rf"^([0-9]+){mark}0+$", r"\1", regex=True)
    valid = digits.str.fullmatch(rf"[0-9]{{1,{MAX_COUNT_DIGITS}}}")
    bad = ~valid & ~empty
    if bad.any():
        percent = text.str.endswith("%")
        negative = text.str.match(r"^-\s*[0-9]")
        fraction = digits.str.fullmatch(r"[0-9]*[.,][0-9]+")
        too_long = digits.str.fullmatch(rf"[0-9]{{{MAX_COUNT_DIGITS + 1},}}")
        errors.add(bad & percent, field_name, text, "is a percentage, not a count")
        errors.add(bad & ~percent & negative, field_name, text, "must not be negative")
        errors.add(bad & ~percent & fraction, field_name, text, "must be a whole number")
        errors.add(bad & too_long, field_name, text, "is too large")
        other = bad & ~percent & ~negative & ~fraction & ~too_long
        errors.add(other, field_name, text, "is not a number")
    digits = digits.where(valid, "0")
    return _not_reported(digits, empty)


def parse_hundredths(
    raw: pd.Series, field_name: str, options: Options, errors: Errors
) -> pd.Series:
    """Conversions, exact to two decimals, as whole hundredths ("2.47" -> 247, "5.00" -> 500,
    "1.234,5" with decimal commas -> 123450). More decimals than two is refused, naming the
    value: rounding would store a guess."""
    plain = _plain_counts(raw)
    if plain is not None:
        return (plain * 100).astype("Int64")
    text = strip(raw)
    empty = is_empty(text)
    digits = text if options.strict else remove_grouping(text, options.decimal)
    if not options.strict and options.decimal == ",":
        digits = digits.str.replace(",", ".", regex=False)
    parts = digits.str.extract(rf"^([0-9]{{1,{MAX_COUNT_DIGITS - 2}}})(?:\.([0-9]+))?$")
    valid = parts[0].notna()
    fraction = parts[1].fillna("").str.rstrip("0")
    inexact = valid & (fraction.str.len() > 2)
    bad = ~valid & ~empty
    if bad.any():
        percent = text.str.endswith("%")
        negative = text.str.match(r"^-\s*[0-9]")
        too_long = digits.str.fullmatch(r"[0-9]{14,}(?:\.[0-9]*)?")
        errors.add(bad & percent, field_name, text, "is a percentage, not a count")
        errors.add(bad & ~percent & negative, field_name, text, "must not be negative")
        errors.add(bad & too_long, field_name, text, "is too large")
        other = bad & ~percent & ~negative & ~too_long
        errors.add(other, field_name, text, "is not a number")
    errors.add(
        inexact, field_name, text, "has more than two decimals (conversions are kept to 0.01)"
    )
    ok = valid & ~inexact
    whole = parts[0].where(ok, "0").astype("int64")
    cents = fraction.where(ok, "").str.pad(2, side="right", fillchar="0").astype("int64")
    return _not_reported(whole * 100 + cents, empty)


def parse_money(
    raw: pd.Series, field_name: str, exponents: pd.Series, options: Options, errors: Errors
) -> pd.Series:
    """Exact amounts -> minor units in each row's campaign currency ("1.234,56 €" -> 123456)."""
    if options.units.get(field_name) == micros.MICRO:  # "cost_micros": millionths, exact only
        raw = micros.to_amounts(raw, field_name, exponents, options, errors)
    plain_minor = _plain_money(raw, exponents, options)
    if plain_minor is not None:
        return plain_minor
    text = strip(raw)
    empty = is_empty(text)
    plain = text
    if not options.strict:  # the API takes plain digits only: its schema refuses any mark
        marked = _check_marks(text, field_name, errors)
        plain = plain.where(~marked, "0")  # refused above by name, never stored
        plain = plain.str.replace(currency_marks.MARKS, "", regex=True).str.strip()
        plain = remove_grouping(plain, options.decimal)
        if options.decimal == ",":
            plain = plain.str.replace(",", ".", regex=False)
    parts = plain.str.extract(r"^([0-9]{1,15})(?:\.([0-9]+))?$")
    valid = parts[0].notna()
    fraction = parts[1].fillna("")
    significant = fraction.str.rstrip("0").str.len()
    inexact = valid & (significant > exponents)
    bad = ~valid & ~empty
    if bad.any():
        negative = plain.str.match(r"^-\s*[0-9]")
        errors.add(bad & negative, field_name, text, "must not be negative")
        errors.add(bad & ~negative, field_name, text, "is not an exact amount")
    if inexact.any():
        errors.add(
            inexact, field_name, text, "has more decimals than the campaign's currency allows"
        )
    whole = parts[0].where(valid & ~inexact, "0").astype("int64")
    result = pd.Series(0, index=raw.index, dtype="int64")
    if empty.all():
        return result.astype("Int64").mask(empty)
    for exponent in exponents.unique():
        rows = exponents == exponent
        scale = 10 ** int(exponent)
        cents = fraction[rows].str.pad(int(exponent), side="right", fillchar="0")
        cents = cents.str[: int(exponent)].where(valid[rows] & ~inexact[rows], "0")
        cents = cents.replace("", "0").astype("int64") if exponent else 0
        result[rows] = whole[rows] * scale + cents
    return _not_reported(result, empty)


def _check_marks(text: pd.Series, field_name: str, errors: Errors) -> pd.Series:
    """Refuse money cells whose currency mark is not the row's campaign's currency."""
    refused = pd.Series(False, index=text.index)
    currency = errors.currency.reindex(text.index).fillna("")
    for rows, reason in currency_marks.refusals(text, currency):
        errors.add(rows, field_name, text, reason)
        refused |= rows
    return refused

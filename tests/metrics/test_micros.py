"""Micro-unit money columns (metrics.micros): recognised by name, converted exactly per the
row's currency, refused (never rounded) when not a whole number of the currency's minor unit."""

from __future__ import annotations

import pandas as pd
import pytest

from comarketing.metrics import micros
from comarketing.metrics.cells import Errors, Options
from comarketing.metrics.numbers import parse_money


@pytest.mark.parametrize(
    ("header", "unit"),
    [
        ("cost_micros", "micro"),
        ("metrics.cost_micros", "micro"),
        ("spend_micro", "micro"),
        ("billed_charge_local_micro", "micro"),
        ("Spend (micros)", "micro"),
        ("spend_in_micro_dollar", "micro"),
        ("Spend", ""),
        ("Microsoft spend", ""),
        ("Amount spent (EUR)", ""),
        ("micromarket", ""),
    ],
)
def test_a_column_is_in_micro_units_when_its_name_says_so(header, unit):
    assert micros.unit_of(header) == unit


def _parse(cells: list[str], exponents: list[int], *, decimal: str = ".") -> tuple[list, list]:
    options = Options(mapping={"cost": 0}, headers=["cost_micros"], placements={}, decimal=decimal)
    options.units = {"cost": micros.MICRO}
    rows = pd.Series(range(2, 2 + len(cells)))
    errors = Errors(options, rows)
    raw = pd.Series(cells, dtype=str)
    parsed = parse_money(raw, "cost", pd.Series(exponents, dtype="int64"), options, errors)
    good = [
        None if pd.isna(v) else int(v) for v, bad in zip(parsed, errors.bad, strict=True) if not bad
    ]
    return good, sorted((e["row"], e["value"], e["reason"]) for e in errors.items)


def test_micro_amounts_become_exact_minor_units_in_each_currency():
    good, errors = _parse(
        ["24790000", "1,230,000", "0", "1200000000", "1234000"],
        [2, 2, 2, 0, 3],  # EUR, EUR, EUR, JPY, a three-decimal currency (KWD)
    )
    assert errors == []
    assert good == [2479, 123, 0, 1200, 1234]


def test_micro_amounts_that_would_need_rounding_are_row_errors():
    good, errors = _parse(["1234567", "1500000", "999999", "12.5", "-10000"], [2, 0, 2, 2, 2])
    assert good == []
    assert [(row, value) for row, value, _ in errors] == [
        (2, "1234567"),
        (3, "1500000"),
        (4, "999999"),
        (5, "12.5"),
        (6, "-10000"),
    ]
    reasons = {value: reason for _, value, reason in errors}
    assert "(10,000 micro-units)" in reasons["1234567"]
    assert "(1,000,000 micro-units)" in reasons["1500000"]  # half a yen
    assert "never rounded" in reasons["999999"]
    assert "not a whole number of micro-units" in reasons["12.5"]
    assert reasons["-10000"] == "must not be negative"


def test_empty_micro_cells_are_read_as_any_empty_money_cell():
    """An empty or "--" cell is whatever an empty plain amount is, not reported: the micro path
    passes it on untouched."""
    micro, micro_errors = _parse(["", "--"], [2, 2])
    options = Options(mapping={"cost": 0}, headers=["cost"], placements={})
    errors = Errors(options, pd.Series([2, 3]))
    plain = parse_money(
        pd.Series(["", "--"], dtype=str), "cost", pd.Series([2, 2]), options, errors
    )
    assert micro_errors == [] and errors.items == []
    assert micro == [None if pd.isna(v) else int(v) for v in plain] == [None, None]


def test_german_grouping_in_micro_cells_is_read_with_the_file_decimal_mark():
    good, errors = _parse(["24.790.000"], [2], decimal=",")
    assert (good, errors) == ([2479], [])

"""Exact money: parsing what people type, formatting, splitting by shares."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comarketing.errors import ValidationFailed
from comarketing.money import (
    CURRENCY_EXPONENTS,
    SHARE_TOTAL,
    format_money,
    format_share,
    parse_amount,
    parse_share,
    split_by_shares,
    to_decimal_string,
)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1234.5", 123450),
        ("1,234.50", 123450),
        ("€ 1,234.50", 123450),
        ("0.01", 1),
        ("7", 700),
        ("1,000,000", 100_000_000),
        (".5", 50),
    ],
)
def test_accepts_what_people_type(text, minor):
    assert parse_amount(text, "EUR") == minor


@pytest.mark.parametrize(
    "text",
    [
        "10.005",
        "1e3",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "-5",
        "",
        "1,23.00",
        "12,3456",
        "1.2.3",
        "0x10",
        "١٢٣",
        "1_000",
        " ",
        "12 abc",
    ],
)
def test_refuses_inexact_or_odd_amounts(text):
    with pytest.raises(ValidationFailed) as refused:
        parse_amount(text, "EUR", field="total_budget")
    assert refused.value.field == "total_budget"


def test_refuses_floats_and_bools_outright():
    with pytest.raises(ValidationFailed):
        parse_amount(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        parse_amount(True, "EUR")  # type: ignore[arg-type]


def test_currency_exponents_are_respected():
    assert parse_amount("1200", "JPY") == 1200
    with pytest.raises(ValidationFailed):
        parse_amount("12.5", "JPY")
    assert parse_amount("1.005", "KWD") == 1005
    with pytest.raises(ValidationFailed):
        parse_amount("1", "XXX")


def test_zero_can_be_refused():
    with pytest.raises(ValidationFailed):
        parse_amount("0", "EUR", allow_zero=False)


@given(
    minor=st.integers(min_value=0, max_value=10**15),
    currency=st.sampled_from(sorted(CURRENCY_EXPONENTS)),
)
def test_parse_is_the_inverse_of_format(minor, currency):
    assert parse_amount(to_decimal_string(minor, currency), currency) == minor
    assert parse_amount(format_money(minor, currency), currency) == minor


def test_format_money_for_people():
    assert format_money(123450, "EUR") == "€1,234.50"
    assert format_money(1200, "JPY") == "¥1,200"
    assert format_money(-5, "USD") == "-$0.05"


def test_shares_are_basis_points():
    assert parse_share("33.33", field="s") == 3333
    assert parse_share("50%", field="s") == 5000
    assert format_share(3333) == "33.33%"
    assert format_share(5000) == "50%"
    for bad in ("33.333", "101", "-1", "abc", "1e2"):
        with pytest.raises(ValidationFailed):
            parse_share(bad, field="s")


@st.composite
def shares(draw):
    count = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(
        draw(st.lists(st.integers(0, SHARE_TOTAL), min_size=count - 1, max_size=count - 1))
    )
    bounds = [0, *cuts, SHARE_TOTAL]
    return {i + 1: bounds[i + 1] - bounds[i] for i in range(count)}


@given(total=st.integers(min_value=0, max_value=10**13), parts=shares())
def test_split_is_exact_and_fair(total, parts):
    split = split_by_shares(total, parts)
    assert sum(split.values()) == total
    for key, points in parts.items():
        exact = total * points / SHARE_TOTAL
        assert abs(split[key] - exact) < 1  # never more than one minor unit off its exact share
    assert split == split_by_shares(total, dict(reversed(list(parts.items()))))

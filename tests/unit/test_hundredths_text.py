"""Conversions as text ("2.47") are written with whole-number arithmetic: the same text as
the exact decimal, for every stored value."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from comarketing import hundredths


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_the_text_is_the_exact_decimals_to_two_places(value: int) -> None:
    assert hundredths.to_text(value) == f"{Decimal(value).scaleb(-2):.2f}"


def test_examples_and_not_reported() -> None:
    assert [hundredths.to_text(v) for v in (247, 500, 0, 5, -5, -247, None)] == [
        "2.47",
        "5.00",
        "0.00",
        "0.05",
        "-0.05",
        "-2.47",
        "",
    ]

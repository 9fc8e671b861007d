"""Conversions are stored exactly to two decimals as whole hundredths (attribution models
report 2.47 of a conversion): 247 in the database, "2.47" for people and in JSON, a Decimal in
Python — never a float."""

from __future__ import annotations

from decimal import Decimal

NOT_REPORTED = "not reported"


def to_decimal(hundredths: int | None) -> Decimal | None:
    """247 -> Decimal("2.47"), always with two places; None stays None (not reported)."""
    if hundredths is None:
        return None
    return Decimal(int(hundredths)).scaleb(-2)


def to_text(hundredths: int | None) -> str:
    """247 -> "2.47", 500 -> "5.00" (plain, for exports, forms and the API); None -> "".
    Whole-number arithmetic: the API writes it for every day it lists."""
    if hundredths is None:
        return ""
    number = int(hundredths)
    whole, fraction = divmod(abs(number), 100)
    return f"{'-' if number < 0 else ''}{whole}.{fraction:02d}"


def from_decimal(value: Decimal) -> int:
    """Decimal("2.47") -> 247; the caller has checked it has at most two places."""
    return int(value.scaleb(2))


def format_count(value: int | None) -> str:
    """For people: "1,234", or "not reported" for NULL (never 0, never blank)."""
    return NOT_REPORTED if value is None else f"{int(value):,}"


def format_hundredths(hundredths: int | None) -> str:
    """For people: "1,234.47", "5" for whole conversions, or "not reported"."""
    value = to_decimal(hundredths)
    if value is None:
        return NOT_REPORTED
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"

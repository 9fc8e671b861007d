"""Money: integer minor units plus an ISO 4217 currency code. No floats anywhere.

``parse_amount`` accepts what people type ("1234.5", "1,234.50", "€ 12") and refuses anything
that is not an exact amount in the currency ("10.005" in EUR, "1e3", "NaN", "Infinity").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from comarketing.errors import ValidationFailed

# Minor-unit exponents (ISO 4217). Currencies not listed here are refused rather than guessed.
CURRENCY_EXPONENTS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "RON": 2,
    "BGN": 2,
    "MXN": 2,
    "BRL": 2,
    "ZAR": 2,
    "SGD": 2,
    "HKD": 2,
    "INR": 2,
    "CNY": 2,
    "TRY": 2,
    "ILS": 2,
    "AED": 2,
    "SAR": 2,
    "THB": 2,
    "MYR": 2,
    "PHP": 2,
    "IDR": 2,
    "TWD": 2,
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "ISK": 0,
    "VND": 0,
    "KWD": 3,
    "BHD": 3,
    "JOD": 3,
    "OMR": 3,
    "TND": 3,
}
CURRENCY_CHOICES = sorted(CURRENCY_EXPONENTS)
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF "}

# Largest amount accepted: far above any campaign, far below BIGINT overflow.
MAX_MINOR = 10**15

# ASCII only: \d would also accept Arabic-Indic and other digits that Decimal reads.
_AMOUNT = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$|^\.\d+$", re.ASCII)


def exponent(currency: str) -> int:
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError as exc:
        raise ValidationFailed(f"Unknown currency {currency!r}.", field="currency") from exc


def check_currency(currency: str, *, field: str = "currency") -> str:
    code = (currency or "").strip().upper()
    if code not in CURRENCY_EXPONENTS:
        raise ValidationFailed("Choose a currency from the list (ISO 4217 code).", field=field)
    return code


def parse_amount(
    text: str | int, currency: str, *, field: str = "amount", allow_zero: bool = True
) -> int:
    """Parse a non-negative amount into minor units, exactly, or raise ValidationFailed."""
    if isinstance(text, bool):
        raise ValidationFailed("Enter an amount.", field=field)
    if isinstance(text, int):
        minor = text * 10 ** exponent(currency)
        return _bounded(minor, field, allow_zero)
    if not isinstance(text, str):
        # Floats are inexact by nature: refuse them outright, even 0.1.
        raise ValidationFailed("Enter the amount as text or whole minor units.", field=field)
    cleaned = text.strip()
    for symbol in ("€", "$", "£", "¥", currency):
        cleaned = cleaned.replace(symbol, "")
    cleaned = cleaned.replace(" ", "").replace("\u00a0", "")
    if cleaned.startswith("-"):
        raise ValidationFailed("The amount cannot be negative.", field=field)
    if not cleaned or not _AMOUNT.match(cleaned):
        raise ValidationFailed(
            "Enter an amount like 1234.50 or 1,234.50 (digits, optional thousands commas, "
            "a decimal point).",
            field=field,
        )
    try:
        value = Decimal(cleaned.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guarantees digits
        raise ValidationFailed("Enter a valid amount.", field=field) from exc
    places = exponent(currency)
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValidationFailed(
            f"{currency} amounts have at most {places} decimal places."
            if places
            else f"{currency} amounts have no decimal places.",
            field=field,
        )
    return _bounded(int(scaled), field, allow_zero)


def _bounded(minor: int, field: str, allow_zero: bool) -> int:
    if minor < 0:
        raise ValidationFailed("The amount cannot be negative.", field=field)
    if minor == 0 and not allow_zero:
        raise ValidationFailed("The amount must be greater than zero.", field=field)
    if minor > MAX_MINOR:
        raise ValidationFailed("The amount is too large.", field=field)
    return minor


def to_decimal_string(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string ("1234.50"); the inverse of ``parse_amount``."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**places) if places else (abs(minor), 0)
    return f"{sign}{whole}.{fraction:0{places}d}" if places else f"{sign}{whole}"


def format_money(minor: int | None, currency: str) -> str:
    """For people: "€1,234.50", "¥12,000"."""
    if minor is None:
        return "—"
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**places) if places else (abs(minor), 0)
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    text = f"{whole:,}" + (f".{fraction:0{places}d}" if places else "")
    return f"{sign}{symbol}{text}"


# Shares (budget and revenue) are basis points: 10000 = 100 %, so "33.33" is exact.
SHARE_TOTAL = 10_000
_SHARE = re.compile(r"^\d{1,3}(\.\d{1,2})?$", re.ASCII)


def parse_share(text: str | int, *, field: str) -> int:
    """A percentage with at most two decimals, as basis points."""
    raw = str(text).strip().rstrip("%").strip() if not isinstance(text, bool) else ""
    if not _SHARE.match(raw):
        raise ValidationFailed("Enter a percentage like 50 or 33.33.", field=field)
    points = int(Decimal(raw) * 100)
    if points > SHARE_TOTAL:
        raise ValidationFailed("A share cannot exceed 100%.", field=field)
    return points


def format_share(points: int) -> str:
    whole, fraction = divmod(points, 100)
    return f"{whole}%" if fraction == 0 else f"{whole}.{fraction:02d}%"


def split_by_shares(total: int, shares: dict[int, int]) -> dict[int, int]:
    """Split ``total`` minor units by basis-point shares exactly (largest remainder method).

    Leftover minor units go to the largest remainders, ties broken by key, so the parts always
    sum to ``total`` and the result is the same every time.
    """
    if sum(shares.values()) != SHARE_TOTAL:
        raise ValueError("shares must sum to 10000 basis points")
    exact = {key: total * points for key, points in shares.items()}
    parts = {key: value // SHARE_TOTAL for key, value in exact.items()}
    leftover = total - sum(parts.values())
    by_remainder = sorted(shares, key=lambda k: (-(exact[k] % SHARE_TOTAL), k))
    for key in by_remainder[:leftover]:
        parts[key] += 1
    return parts

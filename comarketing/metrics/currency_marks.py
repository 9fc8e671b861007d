"""Currency marks in money cells of result files: a symbol ("€", "US$") or an ISO code
("EUR") is checked against the row's campaign currency, never stripped on trust (issue 15).
A bare "$" counts as USD only in a USD campaign; in another dollar currency it asks for the ISO
code rather than guess."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from comarketing.money import CURRENCY_EXPONENTS

# A currency mark in a money cell: a symbol (with a country prefix for dollars: "US$", "C$")
# or an ISO 4217 code we know. It is checked against the campaign's currency, never stripped
# on trust. A three-letter word that is no currency ("abc 12") is not a mark: the cell is refused.
MARKS = re.compile(
    r"(?:US|CA|AU|NZ|HK|SG|[CANRS])\$|[€$£¥₹]|\b(?:"
    + "|".join(sorted(CURRENCY_EXPONENTS))
    + r")\b",
    flags=re.IGNORECASE,
)
_SYMBOL_CURRENCIES: dict[str, tuple[str, ...]] = {
    "€": ("EUR",),
    "£": ("GBP",),
    "₹": ("INR",),
    "¥": ("JPY", "CNY"),  # yen or yuan: only the campaign's own currency tells
    "US$": ("USD",),
    "CA$": ("CAD",),
    "C$": ("CAD",),
    "AU$": ("AUD",),
    "A$": ("AUD",),
    "NZ$": ("NZD",),
    "N$": (),  # Namibian dollar: not a currency campaigns use
    "HK$": ("HKD",),
    "SG$": ("SGD",),
    "S$": ("SGD",),
    "R$": ("BRL",),
}
_DOLLAR_CURRENCIES = ("AUD", "CAD", "HKD", "NZD", "SGD", "TWD", "MXN")


def mark_reason(marks: list[str], campaign: str) -> str | None:
    """Why the currency marks of one cell do not fit the campaign's currency (None: they do)."""
    for mark in marks:
        code = mark.upper()
        if code in CURRENCY_EXPONENTS:
            if code != campaign:
                return f"is in {code}; this campaign is in {campaign}"
        elif code == "$":
            if campaign in _DOLLAR_CURRENCIES:
                return (
                    f"has a bare $, which could be USD or {campaign}: "
                    f"write the ISO code (12.00 {campaign})"
                )
            if campaign != "USD":
                return f"is in dollars; this campaign is in {campaign}"
        elif campaign not in _SYMBOL_CURRENCIES.get(code, ()):
            named = _SYMBOL_CURRENCIES.get(code, ())
            currency = " or ".join(named) if named else "another currency"
            return f"is in {currency}; this campaign is in {campaign}"
    return None


def refusals(text: pd.Series, currency: pd.Series) -> Iterator[tuple[pd.Series, str]]:
    """(rows, reason) for the cells whose marks do not fit their row's ``currency``. Judged
    once per distinct (marks, currency) pair: a million "$12.00" cells cost one check."""
    has_mark = text.str.contains(MARKS)
    if not has_mark.any():
        return
    checked = has_mark & currency.ne("")
    marks = text[checked].str.findall(MARKS).str.join(" ")
    pairs = pd.DataFrame({"marks": marks, "currency": currency[checked]})
    for key, group in pairs.groupby(["marks", "currency"], sort=False):
        reason = mark_reason(str(key[0]).split(" "), str(key[1]))
        if reason is not None:
            yield pd.Series(text.index.isin(group.index), index=text.index), reason

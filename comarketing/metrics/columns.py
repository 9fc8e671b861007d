"""Our fields and the names ad platforms give them in their exports.

The aliases come from the exports as the platforms write them (see
tests/fixtures/ad_exports/README.md): Meta Ads Manager, Google Ads, LinkedIn Campaign Manager,
Microsoft Advertising, TikTok Ads Manager, Pinterest Ads, Amazon Ads (Sponsored Products and
Brands), Snapchat Ads, X Ads, Reddit Ads, and plain or German in-house sheets. Names that look
like ours but mean something else stay unmapped: rates ("Conversion rate", "Swipe Up Rate"),
averages ("CPM", "Frequency", "Cost per conversion") and broader counts ("Clicks (all)").
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

FIELDS = {
    "day": "Date",
    "placement": "Placement",
    "impressions": "Impressions",
    "reach": "Reach",
    "clicks": "Clicks",
    "leads": "Leads",
    "conversions": "Conversions",
    "revenue": "Revenue",
    "cost": "Cost",
    "currency": "Currency",
    # Meta: one count whose meaning each row's indicator names (see metrics/results.py).
    "results": "Results (by result indicator)",
    "result_indicator": "Result indicator",
}
FIELD_LABELS = FIELDS
COUNT_COLUMNS = ("impressions", "reach", "clicks", "leads", "conversions")
MONEY_COLUMNS = ("revenue", "cost")

ALIASES: dict[str, tuple[str, ...]] = {
    "day": (
        "day",
        "date",
        "reporting starts",
        "reporting start",
        "gregorian date",
        "time period",
        "start date (in utc)",
        "start date",
        "date (utc)",
        "by day",  # TikTok Ads Manager's custom reports
        "stat time day",
        "stat_time_day",
        "datum",
        "tag",
    ),
    "placement": (
        # An id names one placement for sure; a name only if no two placements share it.
        "placement id",
        "placement_id",
        "placement",
        "placement name",
        "campaign",
        "campaign name",
        "campaign_name",
        "platzierung",
        "kampagne",
    ),
    # Snapchat's "Paid Impressions" / "Paid Reach" (its "Earned"/"Total" ones include shares).
    "impressions": ("impressions", "impr.", "impr", "paid impressions", "impressionen"),
    "reach": ("reach", "approximate member reach", "paid reach", "reichweite"),
    # Clicks to the advertiser's destination before all clicks: X's "Clicks" and TikTok's
    # "Clicks (all)" count likes, profile and hashtag clicks too, Pinterest's "Pin clicks"
    # close-ups; so "Link clicks", "Clicks (destination)", "Outbound clicks" win, and
    # "Clicks (all)" and "Pin clicks" stay unmapped. Snapchat's click is the swipe up.
    "clicks": (
        "link clicks",
        "clicks (destination)",
        "outbound clicks",
        "url_clicks",
        "url clicks",
        "swipe ups",
        "swipe-ups",
        "swipes",
        "clicks",
        "klicks",
    ),
    "leads": ("leads", "leads (form)", "lead form completions", "on-facebook leads"),
    # Where a file has both, "Conversions" (the platform's chosen event: TikTok's optimisation
    # event, LinkedIn's post-click + view-through) wins over "Total conversions" (Pinterest:
    # every conversion event, checkouts and sign-ups alike), being the narrower figure.
    "conversions": (
        "conversions",
        "conv.",
        "total conversions",
        "purchases",
        "website purchases",
        # Amazon Ads: Sponsored Products attribute 7 days, Sponsored Brands 14.
        "7 day total orders (#)",
        "14 day total orders (#)",
        "konversionen",
    ),
    "revenue": (
        "revenue",
        "conv. value",
        "conversion value",
        "total conversion value",
        "purchases conversion value",
        "website purchases conversion value",
        "purchases value",
        "7 day total sales",
        "14 day total sales",
        "umsatz",
    ),
    "cost": (
        "cost",
        "spend",
        "amount spent",
        "total spent",
        "spend in account currency",
        # In micro-units (millionths), as the APIs write them: see metrics.micros.
        "cost_micros",
        "metrics.cost_micros",
        "cost (micros)",
        "spend_micro",
        "spend_micros",
        "spend (micro)",
        "spend (micros)",
        "billed_charge_local_micro",
        "spend_in_micro_dollar",
        "kosten",
    ),
    "currency": ("currency", "currency code", "wahrung", "währung"),
    "results": ("results",),
    "result_indicator": ("result indicator",),
}

_LOOKUP = {alias: field for field, names in ALIASES.items() for alias in names}
# An ISO code is written in capitals: "Amount spent (EUR)"; TikTok's "Clicks (all)" is no
# Albanian lek.
_CURRENCY_SUFFIX = re.compile(r"\s*\(([A-Z]{3})\)\s*$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Header:
    name: str  # as written in the file
    key: str  # normalised for matching
    currency: str | None  # "Amount spent (EUR)" -> "EUR"


def normalise(name: str) -> Header:
    text = name.replace("\ufeff", "").strip().strip('"').strip()
    currency = None
    match = _CURRENCY_SUFFIX.search(text)
    if match:
        currency = match.group(1).upper()
        text = text[: match.start()]
    key = _SPACES.sub(" ", text.lower()).strip()
    return Header(name=name.replace("\ufeff", "").strip(), key=key, currency=currency)


def field_for(name: str) -> str | None:
    return _LOOKUP.get(normalise(name).key)


def score(cells: list[str]) -> int:
    """How many cells of a row name one of our fields: the header row scores highest."""
    return len({field_for(cell) for cell in cells if cell and field_for(cell)})


def _rank(name: str) -> int:
    """Lower is better: the position of the name in its field's alias list ("Day" beats
    "Reporting starts", which on a Meta workbook holds the whole report range)."""
    key = normalise(name).key
    field = _LOOKUP.get(key)
    return ALIASES[field].index(key) if field else len(_LOOKUP)


def auto_mapping(headers: list[str]) -> list[str]:
    """Each column's field ('' = ignored). Where several columns name one field, the one with
    the most specific name wins; ties go to the leftmost column."""
    best: dict[str, int] = {}
    for position, name in enumerate(headers):
        field = field_for(name)
        if field and (field not in best or _rank(name) < _rank(headers[best[field]])):
            best[field] = position
    if "results" in best and "result_indicator" not in best:
        del best["results"]  # a count without its meaning is not read (it stays Ignore)
    mapping = [""] * len(headers)
    for field, position in best.items():
        mapping[position] = field
    return mapping


# The end of the period a row covers, where an export has one ("Reporting ends"): a row whose
# period is longer than its day is a summary of several days, not a day.
PERIOD_END = ("reporting ends", "reporting end", "end date (in utc)", "end date")


PERIOD_START = ("reporting starts", "reporting start", "start date (in utc)", "start date")


def period_end_column(headers: list[str], mapping: list[str]) -> int | None:
    """Only where the date read is the period's first day: Meta's workbook with a "Day"
    column repeats the report's whole range in "Reporting starts/ends" on every row."""
    if "day" not in mapping or normalise(headers[mapping.index("day")]).key not in PERIOD_START:
        return None
    for position, name in enumerate(headers):
        if normalise(name).key in PERIOD_END and not mapping[position]:
            return position
    return None


def signature(headers: list[str], delimiter: str = "") -> str:
    """The same columns with another delimiter are another tool or locale (another decimal
    mark, another date order): remembered separately."""
    joined = "\x1f".join([delimiter, *(normalise(h).key for h in headers)])
    return hashlib.sha256(joined.encode()).hexdigest()

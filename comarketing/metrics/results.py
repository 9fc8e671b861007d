"""Meta's ``Results`` column, counted by each row's ``Result indicator``.

Meta Ads Manager writes what each row's campaign optimises for in one column (``Results``) and
names it in another (``Result indicator``: ``actions:lead``,
``actions:offsite_conversion.fb_pixel_purchase``, ``reach`` ...). Each row is read by its own
indicator: lead actions are leads, purchase and custom-conversion actions are conversions,
actions we store elsewhere or not at all (reach, link clicks ...) are left out, and any other
indicator is asked about in the preview (leads, conversions or neither) and remembered with the
mapping. An explicit Leads or Conversions column of the same file wins over Results for that
field, so nothing is counted twice.

The routing works on text cells: a routed Results cell is read by the target field's own
parser, exactly like a cell of that column.
"""

from __future__ import annotations

import pandas as pd

from comarketing.metrics.cells import Errors, Options, is_empty, strip
from comarketing.metrics.numbers import parse_counts

LEADS, CONVERSIONS, NEITHER = "leads", "conversions", ""
ANSWERS = {LEADS: "Leads", CONVERSIONS: "Conversions", NEITHER: "Neither (not stored)"}

# Meta's action types (https://developers.facebook.com/docs/marketing-api/reference/ads-action-stats/)
_LEAD_ACTIONS = {
    "lead",
    "leadgen_grouped",
    "leadgen.other",
    "onsite_conversion.lead",
    "onsite_conversion.lead_grouped",
    "onsite_web_lead",
    "offsite_conversion.fb_pixel_lead",
}
_CONVERSION_ACTIONS = {
    "purchase",
    "omni_purchase",
    "onsite_web_purchase",
    "onsite_web_app_purchase",
    "onsite_app_purchase",
    "onsite_conversion.purchase",
    "offsite_conversion.fb_pixel_purchase",
    "app_custom_event.fb_mobile_purchase",
    "offsite_conversion.fb_pixel_custom",
}
_CUSTOM_CONVERSION = "offsite_conversion.custom."
# Results we store from their own columns (reach, impressions, clicks) or not at all.
_NOT_OURS = {
    "reach",
    "impressions",
    "actions:link_click",
    "actions:landing_page_view",
    "actions:post_engagement",
    "actions:page_engagement",
    "actions:video_view",
    "actions:like",
}


def known_meaning(indicator: str) -> str | None:
    """``leads``, ``conversions``, ``""`` (not stored) for an indicator we know; else None."""
    key = indicator.strip().lower()
    if key in _NOT_OURS:
        return NEITHER
    if not key.startswith("actions:"):
        return None
    action = key.removeprefix("actions:")
    if action in _LEAD_ACTIONS:
        return LEADS
    if action in _CONVERSION_ACTIONS or action.startswith(_CUSTOM_CONVERSION):
        return CONVERSIONS
    return None


def found_indicators(values: pd.Series) -> set[str]:
    text = strip(values)
    return set(text[~is_empty(text)].unique().tolist())


def unknown_indicators(found: set[str]) -> list[str]:
    return sorted(i for i in found if known_meaning(i) is None)


def route(
    results: pd.Series,
    indicators: pd.Series,
    options: Options,
    errors: Errors,
) -> dict[str, pd.Series]:
    """The text cells Results gives to leads and conversions, by each row's indicator (empty
    where the row's result is something else). A field the file maps to its own column takes
    nothing from Results."""
    text, indicator = strip(results), strip(indicators)
    has_result = ~is_empty(text) & (text != "0")
    missing = has_result & is_empty(indicator)
    errors.add(
        missing,
        "result_indicator",
        indicator,
        "is missing, so the row's Results cannot be counted as leads or conversions",
    )
    meaning = indicator.map(lambda i: _meaning(i, options))
    unknown = has_result & ~missing & meaning.isna()
    errors.add(
        unknown,
        "result_indicator",
        indicator,
        "is a result we do not know: choose in the preview whether it counts as leads, "
        "conversions or neither",
    )
    before = errors.bad.copy()
    parse_counts(results, "results", options, errors)
    readable = ~(errors.bad & ~before) & ~missing & ~unknown
    routed = {}
    for target in (LEADS, CONVERSIONS):
        if target not in options.mapping:  # the file's own column wins: never counted twice
            routed[target] = text.where(readable & (meaning == target), "")
    return routed


def _meaning(indicator: str, options: Options) -> str | None:
    meaning = known_meaning(indicator)
    if meaning is None:
        meaning = options.result_indicators.get(indicator)
    return meaning

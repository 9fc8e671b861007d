"""The settings of an upload in preview that a user may change (on the page or through
``PATCH /api/v1/imports/{id}``): the column mapping, the date order, the decimal mark, one
placement for the whole file, and whether Import posts costs. Checked in one place, so an
upload with settings (the API's POST) and a change of them refuse the same input the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from comarketing.context import Actor
from comarketing.errors import ValidationFailed
from comarketing.metrics import columns, dates, numbers, results
from comarketing.metrics.placements import owned_placements

# What may change; whoever adds a setting (an answer to a Preview choice) adds it here.
SETTINGS = ("mapping", "date_order", "decimal", "placement_id", "post_costs", "result_indicators")
# Changing one of these means the mapping was not left as detected or remembered.
_READING = ("mapping", "date_order", "decimal", "placement_id")


def apply(
    actor: Actor,
    settings: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    campaign_id: int | None = None,
) -> dict[str, Any]:
    """``settings`` with ``changes`` applied, every change checked (ValidationFailed naming
    the setting); settings not named in ``changes`` stay as they are. A date order of None
    ("not chosen yet") leaves an open question open. ``campaign_id``: the upload's campaign,
    whose placements alone may be the file's one placement."""
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise ValidationFailed(f"Unknown setting {unknown[0]!r}.", field=unknown[0])
    updated = dict(settings)
    if "mapping" in changes:
        updated["mapping"] = _mapping(settings["layout"]["headers"], changes["mapping"])
    if "date_order" in changes and changes["date_order"] is not None:
        if changes["date_order"] not in dates.DATE_ORDERS:
            raise ValidationFailed("Choose how dates are written.", field="date_order")
        if changes["date_order"] != settings.get("date_order"):
            updated.update(date_order_basis="chosen", date_order_samples=[])
        updated["date_order"] = changes["date_order"]
    if "decimal" in changes:
        if changes["decimal"] not in numbers.DECIMAL_MARKS:
            raise ValidationFailed("Choose the decimal mark.", field="decimal")
        updated["decimal"] = changes["decimal"]
    if "placement_id" in changes:
        placement_id = changes["placement_id"]
        if placement_id is not None and placement_id not in owned_placements(
            actor.organization_id, [placement_id], campaign_id=campaign_id
        ):
            raise ValidationFailed("Choose one of your placements.", field="placement_id")
        updated["placement_id"] = placement_id
    if "result_indicators" in changes:
        updated["result_indicators"] = _indicators(settings, changes["result_indicators"])
    if "post_costs" in changes:
        updated["post_costs"] = bool(changes["post_costs"])
    if any(name in changes for name in _READING):
        updated["mapping_source"] = "changed"
    return updated


def _mapping(headers: list[str], mapping: Any) -> list[str]:
    if not isinstance(mapping, list) or len(mapping) != len(headers):
        raise ValidationFailed(
            f"Map every column (or ignore it): the file has {len(headers)} columns.",
            field="mapping",
        )
    cleaned = [m or "" for m in mapping]
    chosen = [m for m in cleaned if m]
    for name in chosen:
        if not isinstance(name, str) or name not in columns.FIELDS:
            raise ValidationFailed(f"Unknown field {name!r}.", field="mapping")
        if chosen.count(name) > 1:
            raise ValidationFailed(
                f"{columns.FIELD_LABELS[name]} is mapped to two columns; keep one.",
                field="mapping",
            )
    return cleaned


def _indicators(settings: Mapping[str, Any], answers: Any) -> dict[str, str | None]:
    """The answers to "what do Results count for this Result indicator": only for indicators
    the file has and the preview asked about, each one of results.ANSWERS."""
    asked: dict[str, str | None] = dict(settings.get("result_indicators") or {})
    if not isinstance(answers, Mapping):
        raise ValidationFailed(
            "Give an object of Result indicator -> answer.", field="result_indicators"
        )
    for indicator, answer in answers.items():
        if indicator not in asked:
            raise ValidationFailed(
                f"The file has no Result indicator {indicator!r} to choose for.",
                field="result_indicators",
            )
        if answer not in results.ANSWERS:
            raise ValidationFailed(
                "Choose leads, conversions or neither for each result indicator.",
                field="result_indicators",
            )
        asked[indicator] = answer
    return asked

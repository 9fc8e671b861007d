"""What changed between two revisions, field by field. Pure functions over plain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from comarketing.dates_format import format_date
from comarketing.money import format_money, format_share


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def _goal(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def terms_snapshot(
    revision: Any, org_names: Mapping[int, str], product_names: Mapping[int, str]
) -> dict[str, str]:
    """Every term as display text, keyed by a label people understand."""
    currency = revision.currency
    snapshot = {
        "Title": revision.title,
        "Value proposition": revision.value_proposition or "—",
        "Target audience": revision.audience or "—",
        "Start date": format_date(revision.start_date),
        "End date": format_date(revision.end_date),
        "Currency": currency,
        "Total budget": format_money(revision.total_budget_minor, currency),
        "Target reach": _goal(revision.target_reach),
        "Target leads": _goal(revision.target_leads),
        "Target revenue": "—"
        if revision.target_revenue_minor is None
        else format_money(revision.target_revenue_minor, currency),
    }
    for terms in sorted(
        revision.party_terms, key=lambda t: org_names.get(t["organization_id"], "")
    ):
        name = org_names.get(terms["organization_id"], f"#{terms['organization_id']}")
        snapshot[f"{name}: budget share"] = format_share(terms["budget_share_bp"])
        snapshot[f"{name}: revenue share"] = format_share(terms["revenue_share_bp"])
        products = sorted(product_names.get(p, f"#{p}") for p in terms.get("product_ids", []))
        snapshot[f"{name}: products"] = ", ".join(products) or "—"
    placements = [
        f"{p['name']} · {p['channel'].replace('_', ' ')} · "
        f"{org_names.get(p['owner_organization_id'], '?')} · "
        f"{format_money(p['planned_cost_minor'], currency)}"
        for p in revision.placements
    ]
    snapshot["Planned placements"] = "\n".join(sorted(placements)) or "—"
    return snapshot


def diff(before: Mapping[str, str], after: Mapping[str, str]) -> list[Change]:
    """The terms whose text differs, in the order of ``after`` (then removed ones)."""
    changes = [
        Change(label, before.get(label, "—"), value)
        for label, value in after.items()
        if before.get(label, "—") != value
    ]
    # A removed term that was already empty ("—") did not change.
    changes += [
        Change(label, value, "—")
        for label, value in before.items()
        if label not in after and value != "—"
    ]
    return changes

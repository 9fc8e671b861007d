"""What changed between two revisions, field by field. Pure functions over plain values.

The plain terms are compared as display text keyed by a label (``terms_snapshot``). Planned
placements are compared one by one, matched by identity (``diff_placements``): each carries a
``key`` from revision to revision (``terms.py``), so adding one placement shows one added row,
changing its cost shows that one field, removing it shows one removed row. Revisions stored
before placements had keys are matched by content instead: identical placements first, then
the same owner and name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from comarketing.dates_format import format_date
from comarketing.money import format_money, format_share
from comarketing.offers.plan import PlannedRow, share_amounts

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str
    # "changed" for a term or a placement's field; "added" / "removed" for a whole placement.
    kind: str = CHANGED


def _goal(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def terms_snapshot(
    revision: Any, org_names: Mapping[int, str], product_names: Mapping[int, str]
) -> dict[str, str]:
    """Every plain term (placements apart) as display text, keyed by a label people
    understand. Shares read in money as well as in percent."""
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
    budget, revenue = share_amounts(revision)
    for terms in sorted(
        revision.party_terms, key=lambda t: org_names.get(t["organization_id"], "")
    ):
        org = terms["organization_id"]
        name = org_names.get(org, f"#{org}")
        snapshot[f"{name}: budget share"] = (
            f"{format_share(terms['budget_share_bp'])} · {format_money(budget[org], currency)}"
        )
        snapshot[f"{name}: revenue share"] = format_share(terms["revenue_share_bp"]) + (
            "" if revenue is None else f" · {format_money(revenue[org], currency)} of the target"
        )
        products = sorted(product_names.get(p, f"#{p}") for p in terms.get("product_ids", []))
        snapshot[f"{name}: products"] = ", ".join(products) or "—"
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


def match_placements(
    before: Sequence[PlannedRow], after: Sequence[PlannedRow]
) -> tuple[list[tuple[PlannedRow, PlannedRow]], list[PlannedRow], list[PlannedRow]]:
    """Pairs of the same placement, the removed ones and the added ones.

    By key where both carry one; the rest (placements of revisions stored before keys) by
    content: identical placements first, then one with the same owner and name. Two placements
    that both carry keys are the same only when their keys are."""
    old, new = list(before), list(after)
    pairs: list[tuple[PlannedRow, PlannedRow]] = []

    def pair_by(identity: Any, keyless: bool) -> None:
        for row in list(new):
            ident = identity(row)
            if ident is None:
                continue
            found = next(
                (
                    o
                    for o in old
                    if identity(o) == ident and (not keyless or o.key is None or row.key is None)
                ),
                None,
            )
            if found is not None:
                pairs.append((found, row))
                old.remove(found)
                new.remove(row)

    pair_by(lambda r: r.key, keyless=False)
    # Two placements that both carry keys are the same only when their keys are.
    pair_by(lambda r: r.content, keyless=True)
    pair_by(lambda r: (r.owner, r.name), keyless=True)
    return pairs, old, new


def diff_placements(before: Sequence[PlannedRow], after: Sequence[PlannedRow]) -> list[Change]:
    """One row per added or removed placement; per changed placement, its changed fields."""
    pairs, removed, added = match_placements(before, after)
    changes: list[Change] = []
    for old, new in sorted(pairs, key=lambda p: after.index(p[1])):
        label = f"Placement “{new.name}”"
        if old.name != new.name:
            changes.append(Change(f"{label}: name", old.name, new.name))
        old_fields = old.fields()
        changes += [
            Change(f"{label}: {field}", old_fields[field], value)
            for field, value in new.fields().items()
            if old_fields[field] != value
        ]
    changes += [Change(f"Placement added: {r.name}", "—", r.summary, ADDED) for r in added]
    changes += [Change(f"Placement removed: {r.name}", r.summary, "—", REMOVED) for r in removed]
    return changes

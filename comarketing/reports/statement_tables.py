"""The partner statement as one exports ``Table``: a row per joint campaign, then a total row
per currency (amounts are never added across currencies). Each side's money is a number in the
currency's major units; "Owed" is positive when the partner owes you, negative when you owe it.
"""

from __future__ import annotations

from typing import Any

from comarketing.budgets.statement_lines import Side, Statement, owed_phrase
from comarketing.reports.exports import Column, Table

SIDE_FIGURES = [
    ("committed_minor", "committed"),
    ("confirmed_minor", "confirmed claims"),
    ("pending_minor", "pending claims"),
    ("disputed_minor", "disputed claims"),
]


def columns(partner_name: str) -> list[Column]:
    result = [
        Column("campaign", "Campaign"),
        Column("campaign_id", "Campaign id", "int"),
        Column("status", "Status"),
        Column("parties", "Parties", "int"),
        Column("currency", "Currency"),
    ]
    for key, label in SIDE_FIGURES:
        result.append(Column(f"mine_{key}", f"You: {label}", "money"))
    result.append(Column("mine_paid_minor", f"You paid {partner_name}", "money"))
    for key, label in SIDE_FIGURES:
        result.append(Column(f"theirs_{key}", f"{partner_name}: {label}", "money"))
    result.append(Column("theirs_paid_minor", f"{partner_name} paid you", "money"))
    result.append(
        Column("net_minor", f"Owed to you by {partner_name} (negative: you owe)", "money")
    )
    result.append(Column("owed", "Settlement"))
    return result


def _sides(mine: Side, theirs: Side) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for prefix, side in (("mine", mine), ("theirs", theirs)):
        for key, _ in SIDE_FIGURES:
            row[f"{prefix}_{key}"] = getattr(side, key)
        row[f"{prefix}_paid_minor"] = side.paid_minor
    return row


def statement_table(statement: Statement) -> Table:
    name = statement.partner_name
    rows: list[dict[str, Any]] = []
    for line in statement.lines:
        rows.append(
            {
                "campaign": line.name,
                "campaign_id": line.campaign_id,
                "status": line.status,
                "parties": line.party_count,
                "currency": line.currency,
                **_sides(line.mine, line.theirs),
                "net_minor": line.net_minor,
                "owed": owed_phrase(line.net_minor, line.currency, name, square=line.square),
            }
        )
    for total in statement.totals:
        rows.append(
            {
                "campaign": f"Total {total.currency} ({total.campaigns} campaigns)",
                "currency": total.currency,
                **_sides(total.mine, total.theirs),
                "net_minor": total.net_minor,
                "owed": owed_phrase(total.net_minor, total.currency, name, square=total.square),
            }
        )
    return Table(name="partner-statement", columns=columns(name), rows=rows)

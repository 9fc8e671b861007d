"""The partner statement over the API: the same service as the page at
/partners/<organization_id>/statement. Money keeps the API's one shape; ``net`` is positive
when the partner owes you, negative when you owe it. A company that is not (or was never) a
partner answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import OneOf, Range

from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor
from comarketing.api.blueprint import ERRORS, bp
from comarketing.budgets import statement as partner_statements
from comarketing.budgets.statement_lines import Side, owed_phrase
from comarketing.campaigns.models import CampaignStatus

NET = (
    "What the settlement proposes between you: positive when the partner owes you, negative "
    "when you owe the partner."
)


class OrganizationPath(Schema):
    organization_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class SideOut(Schema):
    committed = Nested(schemas.Money, required=True)
    confirmed = Nested(schemas.Money, required=True, metadata={"description": "Confirmed claims."})
    pending = Nested(schemas.Money, required=True, metadata={"description": "Pending claims."})
    disputed = Nested(schemas.Money, required=True, metadata={"description": "Disputed claims."})
    paid = Nested(
        schemas.Money,
        required=True,
        metadata={"description": "Confirmed payments this side made to the other side."},
    )


class TransferOut(Schema):
    from_organization_id = Integer(strict=True, required=True)
    to_organization_id = Integer(strict=True, required=True)
    amount = Nested(schemas.Money, required=True)


class StatementLineOut(Schema):
    campaign_id = Integer(strict=True, required=True)
    name = String(required=True)
    status = String(required=True, validate=OneOf([s.value for s in CampaignStatus]))
    currency = String(required=True)
    parties = Integer(strict=True, required=True)
    mine = Nested(SideOut, required=True)
    theirs = Nested(SideOut, required=True)
    net = Nested(schemas.Money, required=True, metadata={"description": NET})
    transfers = List(
        Nested(TransferOut),
        required=True,
        metadata={"description": "The settlement's proposed transfers between the two."},
    )
    square = Boolean(
        required=True,
        metadata={"description": "Every balance of the campaign (all parties) is zero."},
    )
    summary = String(required=True, metadata={"example": "Beta owes you €20.00"})


class CurrencyTotalOut(Schema):
    currency = String(required=True)
    campaigns = Integer(strict=True, required=True)
    mine = Nested(SideOut, required=True)
    theirs = Nested(SideOut, required=True)
    net = Nested(schemas.Money, required=True, metadata={"description": NET})
    square = Boolean(required=True)
    summary = String(required=True, metadata={"example": "Everyone is square"})


class StatementOut(Schema):
    partner = Nested(schemas.OrganizationRef, required=True)
    square = Boolean(
        required=True,
        metadata={"description": "True only with campaigns whose every balance is zero."},
    )
    totals = List(Nested(CurrencyTotalOut), required=True)
    campaigns = List(Nested(StatementLineOut), required=True)


def _side(side: Side, currency: str) -> dict[str, Any]:
    return {
        "committed": schemas.money(side.committed_minor, currency),
        "confirmed": schemas.money(side.confirmed_minor, currency),
        "pending": schemas.money(side.pending_minor, currency),
        "disputed": schemas.money(side.disputed_minor, currency),
        "paid": schemas.money(side.paid_minor, currency),
    }


@bp.get("/partners/<int:organization_id>/statement")
@bp.auth_required(auth)
@bp.input(OrganizationPath, location="path", arg_name="path")
@bp.output(StatementOut)
@bp.doc(operation_id="getPartnerStatement", responses=ERRORS)
def partner_statement(organization_id: int, path: dict[str, int]) -> dict[str, Any]:
    """The statement with a partner

    Every joint campaign of your company with the partner, per currency: what each side
    committed and claimed (confirmed, pending, disputed), the confirmed payments between you,
    and the net amount owed one way. Multi-party campaigns count the transfers their settlement
    proposes between the two of you.
    """
    found = partner_statements.partner_statement(current_actor(), organization_id)
    name = found.partner_name
    return {
        "partner": {"id": found.partner_id, "name": name},
        "square": found.square,
        "totals": [
            {
                "currency": t.currency,
                "campaigns": t.campaigns,
                "mine": _side(t.mine, t.currency),
                "theirs": _side(t.theirs, t.currency),
                "net": schemas.money(t.net_minor, t.currency),
                "square": t.square,
                "summary": owed_phrase(t.net_minor, t.currency, name, square=t.square),
            }
            for t in found.totals
        ],
        "campaigns": [
            {
                "campaign_id": line.campaign_id,
                "name": line.name,
                "status": line.status,
                "currency": line.currency,
                "parties": line.party_count,
                "mine": _side(line.mine, line.currency),
                "theirs": _side(line.theirs, line.currency),
                "net": schemas.money(line.net_minor, line.currency),
                "transfers": [
                    {
                        "from_organization_id": t.from_organization_id,
                        "to_organization_id": t.to_organization_id,
                        "amount": schemas.money(t.amount_minor, line.currency),
                    }
                    for t in line.transfers
                ],
                "square": line.square,
                "summary": owed_phrase(line.net_minor, line.currency, name, square=line.square),
            }
            for line in found.lines
        ],
    }

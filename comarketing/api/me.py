"""Who the token acts as, over the API: its user, their organization and its scope."""

from __future__ import annotations

from typing import Any

from comarketing.api import schemas
from comarketing.api.auth import auth, current_caller
from comarketing.api.blueprint import ERRORS, bp


@bp.get("/me")
@bp.auth_required(auth)
@bp.output(schemas.Me)
@bp.doc(operation_id="getMe", responses=ERRORS)
def me() -> dict[str, Any]:
    """Who the token acts as

    The token's user, their organization and the token's scope, with the time zones times
    are read in and the country whose public holidays the organization's deadlines skip.
    """
    caller = current_caller()
    user = caller.user
    return {
        "user": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "time_zone": user.time_zone,
            "reads_in": user.time_zone or user.organization.time_zone,
        },
        "organization": {
            "id": user.organization.id,
            "name": user.organization.name,
            "time_zone": user.organization.time_zone,
            "country": user.organization.country,
        },
        "token": {"scope": caller.scope},
    }

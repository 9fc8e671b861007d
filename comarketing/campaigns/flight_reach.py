"""A placement's flight reach: the platform's own deduplicated reach over the placement's whole
flight (start_date to end_date) -- people, not person-days (issue 16).

Three ways in, one rule: only a figure the platform reported for exactly the flight is stored,
never a guess.

* the placement page, with the placement's other fields (``placements.update_placement``);
* the API, ``placements.set_flight_reach`` (``PUT /api/v1/placements/{id}/flight-reach``);
* a results file's row covering the whole flight (``metrics.flight_rows``), stored by
  :func:`record_from_import` inside the import's transaction (a later file replaces it).

Changing a placement's dates clears it (:func:`stale_after_date_change`): the figure described
the old flight, and a reach for another period cannot be turned into this one's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from comarketing import audit
from comarketing.campaigns.access import party_ids
from comarketing.campaigns.models import Placement
from comarketing.context import Actor
from comarketing.errors import ValidationFailed
from comarketing.extensions import db

# As many digits as a count read from a file (metrics.numbers.MAX_COUNT_DIGITS): far above any
# real audience, far below BIGINT.
MAX_FLIGHT_REACH = 10**15 - 1
FIELD = "flight_reach"


def check_value(value: int | None) -> int | None:
    """The value as stored (None: not reported), or ValidationFailed naming the field."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("Enter the flight reach as a whole number of people.", field=FIELD)
    if value < 0:
        raise ValidationFailed("The flight reach cannot be negative.", field=FIELD)
    if value > MAX_FLIGHT_REACH:
        raise ValidationFailed(
            f"The flight reach must be at most {MAX_FLIGHT_REACH:,}.", field=FIELD
        )
    return value


def stale_after_date_change(
    placement: Placement, start: date, end: date, submitted: int | None
) -> bool:
    """Whether the placement's flight reach must be cleared because its dates change to
    ``start``..``end``: the stored figure described the old flight. A value typed together
    with the new dates (different from the stored one) is the new flight's and stays."""
    moved = (placement.start_date, placement.end_date) != (start, end)
    return moved and placement.flight_reach is not None and submitted == placement.flight_reach


def audit_change(actor: Actor, placement: Placement, before: int | None, **details: Any) -> None:
    """The change shows in the audit log of every party of the campaign."""
    audit.record(
        "placement.flight_reach",
        actor=actor,
        target=placement,
        organization_ids=party_ids(placement.campaign_id),
        campaign_id=placement.campaign_id,
        before=before,
        after=placement.flight_reach,
        **details,
    )


def record_from_import(actor: Actor, import_id: int, reaches: Mapping[int, int]) -> int:
    """Store the flight reach a file reported for each placement (id -> people), inside the
    import's transaction; a later file replaces it. Only placements the actor's company owns
    are passed here (the import matched them). How many changed."""
    changed = 0
    for placement_id, value in sorted(reaches.items()):
        placement = db.session.get(Placement, placement_id, with_for_update=True)
        if placement is None or placement.owner_organization_id != actor.organization_id:
            continue
        before = placement.flight_reach
        if before == value:
            continue
        placement.flight_reach = check_value(value)
        audit_change(actor, placement, before, source="import", import_id=import_id)
        changed += 1
    return changed

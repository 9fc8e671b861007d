"""The planned placements of offer terms: their checks, and their identity from revision to
revision.

Each stored placement carries a ``key`` (12 hex digits, in the revision's JSON): the edit form
sends it back in a hidden field, so the next revision's placement is recognisably the same one
and the diff (``diff.py``) can show one added, changed or removed row per placement. A key that
is missing, malformed or already used in the same terms is replaced by a fresh one: it is
identity, never a term, so ``same_terms`` ignores it.
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

from comarketing.campaigns.models import Channel
from comarketing.errors import ValidationFailed

if TYPE_CHECKING:  # terms.py imports this module
    from comarketing.offers.terms import PlacementInput, TermsInput

MAX_PLACEMENTS = 30
MAX_NAME = 200
_KEY = re.compile(r"^[0-9a-f]{12}$", re.ASCII)


def validated_placements(terms: TermsInput) -> list[dict[str, object]]:
    """The planned placements as stored on the revision, within the count, the offer's dates
    and the budget; each with its key (kept, or a fresh one for a new placement)."""
    if len(terms.placements) > MAX_PLACEMENTS:
        raise ValidationFailed(f"At most {MAX_PLACEMENTS} planned placements.", field="placements")
    party_ids = {p.organization_id for p in terms.parties}
    placements: list[dict[str, object]] = []
    keys: set[str] = set()
    for placement in terms.placements:
        if placement.channel not in {c.value for c in Channel}:
            raise ValidationFailed("Choose a channel from the list.", field="placements")
        if placement.owner_organization_id not in party_ids:
            raise ValidationFailed(
                "A placement must belong to one of the parties.", field="placements"
            )
        name = (placement.name or "").strip()
        if not name:
            raise ValidationFailed("Placement name is required.", field="placements")
        if len(name) > MAX_NAME:
            raise ValidationFailed(
                f"Placement name must be at most {MAX_NAME} characters.", field="placements"
            )
        if placement.planned_cost_minor < 0:
            raise ValidationFailed("Planned costs cannot be negative.", field="placements")
        _check_placement_dates(placement, name, terms)
        key = placement.key if _KEY.match(placement.key or "") else ""
        if not key or key in keys:
            key = secrets.token_hex(6)
        keys.add(key)
        placements.append(
            {
                "key": key,
                "channel": placement.channel,
                "owner_organization_id": placement.owner_organization_id,
                "name": name,
                "start_date": placement.start_date.isoformat() if placement.start_date else None,
                "end_date": placement.end_date.isoformat() if placement.end_date else None,
                "planned_cost_minor": placement.planned_cost_minor,
            }
        )
    if sum(p.planned_cost_minor for p in terms.placements) > terms.total_budget_minor:
        raise ValidationFailed(
            "The planned placements cost more than the total budget.", field="placements"
        )
    return placements


def _check_placement_dates(placement: PlacementInput, name: str, terms: TermsInput) -> None:
    """Both dates or neither, in order, within the offer's dates."""
    start, end = placement.start_date, placement.end_date
    if start is None and end is None:
        return
    if start is None or end is None:
        raise ValidationFailed(
            f"“{name}”: give both dates, or neither for the offer's dates.", field="placements"
        )
    if end < start:
        raise ValidationFailed(
            f"“{name}”: the end date must be on or after the start date.", field="placements"
        )
    assert terms.start_date is not None and terms.end_date is not None  # checked before
    if start < terms.start_date or end > terms.end_date:
        raise ValidationFailed(
            f"“{name}”: its dates must lie within the offer's dates "
            f"({terms.start_date.isoformat()} \u2013 {terms.end_date.isoformat()}).",
            field="placements",
        )


def same_terms(stored: dict[str, object], values: dict[str, object]) -> bool:
    """Whether validated ``values`` say what a stored revision (``stored``, its columns) says.
    Placement keys are identity, not terms; revisions stored before keys and dates lack them."""

    def content(placements: object) -> list[dict[str, object]]:
        assert isinstance(placements, list)
        return sorted(
            ({k: v for k, v in p.items() if k != "key" and v is not None} for p in placements),
            key=repr,
        )

    return all(
        content(stored[k]) == content(v) if k == "placements" else stored[k] == v
        for k, v in values.items()
        if k != "change_note"
    )

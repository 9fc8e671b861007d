"""Remembering a name a results file uses for a placement, from that file's preview: the
next preview (and every later file of the campaign) finds the placement by it."""

from __future__ import annotations

from comarketing.campaigns import platform_names
from comarketing.campaigns.models import PlacementName
from comarketing.context import Actor
from comarketing.errors import Conflict, ValidationFailed
from comarketing.metrics.history import get_import
from comarketing.metrics.models import ImportStatus
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional


@transactional
def remember_from_preview(
    actor: Actor, import_id: int, *, name: str, placement_id: int | None, platform: str = ""
) -> PlacementName:
    """Remember ``name`` (a placement cell of the upload) on one of the placements of the
    campaign the file was uploaded for."""
    authorize(actor.user, Action.WRITE_METRICS)
    metric_import = get_import(actor, import_id)
    if metric_import.status != ImportStatus.PREVIEW.value:
        raise Conflict("This upload was already confirmed or discarded.")
    if metric_import.campaign_id is None:
        raise ValidationFailed(
            "This upload was made before uploads were per campaign: upload the file again.",
            field="name",
        )
    if placement_id is None:
        raise ValidationFailed("Choose the placement this name stands for.", field="placement_id")
    return platform_names.add_name(actor, metric_import.campaign_id, placement_id, name, platform)

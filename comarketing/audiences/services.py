"""Audience uploads: for a placement (its owning party's partner managers and admins, like
results) or for one of the organization's existing-audience lists; the import history.

A file is streamed a block at a time (``loading``); nothing is written until the whole file
has been read, and then in one transaction: all or nothing. A bad line refuses the whole
upload unless the caller asked to skip bad lines, and is reported by row and reason only.
Raw identifiers are hashed on arrival and never stored, logged or echoed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app

from comarketing import audit, db_timeouts
from comarketing.accounts.company_settings import audience_minimums
from comarketing.accounts.models import User
from comarketing.accounts.validation import clean_name
from comarketing.audiences import disclosure, loading, normalize, sketches
from comarketing.audiences.models import AudienceImport, AudienceList
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Forbidden, NotFound, TooLarge, ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import placements, uploads
from comarketing.policy import Action, authorize, can
from comarketing.unit_of_work import transactional

MAX_API_IDENTIFIERS = 100_000
MAX_LISTS = 50


class AudienceRejected(ValidationFailed):
    """Bad lines: nothing was stored. ``errors``: row and reason of the first ones."""

    def __init__(self, audience_import: AudienceImport) -> None:
        count = audience_import.bad_lines
        noun = "line is" if count == 1 else "lines are"
        super().__init__(
            f"{count:,} {noun} not valid; nothing was stored. Fix them, or choose to skip "
            "bad lines.",
            field="file",
        )
        self.audience_import = audience_import
        self.errors = audience_import.errors


@dataclass(frozen=True)
class Options:
    kind: normalize.Kind = normalize.Kind.EMAIL
    column: str | None = None  # a CSV file's column name; None: one identifier per line
    skip_bad_lines: bool = False


def _load(stream: IO[bytes], options: Options) -> loading.Loaded:
    config = current_app.config
    # Sketching a large file takes longer than a request-sized idle-in-transaction timeout.
    db_timeouts.long_transaction()
    try:
        return loading.load(
            stream,
            column=options.column or None,
            kind=options.kind,
            skip_bad_lines=options.skip_bad_lines,
            block_bytes=int(config.get("AUDIENCE_BLOCK_BYTES", loading.DEFAULT_BLOCK_BYTES)),
            workers=int(config.get("AUDIENCE_WORKERS", 2)),
            limit=int(config.get("AUDIENCE_UPLOAD_MAX_BYTES", 1024**3)),
        )
    except loading.TooLargeStream as exc:
        raise TooLarge("That file is larger than allowed.") from exc
    except normalize.FileUnreadable as exc:
        raise ValidationFailed(str(exc), field="column") from exc


def _record(
    actor: Actor,
    loaded: loading.Loaded,
    options: Options,
    *,
    source: str,
    filename: str,
    placement_id: int | None = None,
    list_id: int | None = None,
) -> AudienceImport:
    rejected = loaded.bad_count > 0 and not options.skip_bad_lines
    estimate = loaded.estimate
    row = AudienceImport(
        organization_id=actor.organization_id,
        placement_id=placement_id,
        list_id=list_id,
        source=source,
        kind=options.kind.value,
        status="failed" if rejected else "succeeded",
        filename=uploads.display_name(filename) if filename else "",
        file_sha256=loaded.file_sha256,
        file_size=loaded.size,
        column=(options.column or "")[:100],
        rows_read=loaded.rows,
        identifiers=loaded.identifiers,
        bad_lines=loaded.bad_count,
        distinct_estimate=0 if rejected else estimate.count,
        exact=True if rejected else estimate.exact,
        sketch=None if rejected else sketches.serialize(loaded.sketch),
        errors=[{"row": bad.row, "reason": bad.reason} for bad in loaded.bad],
        message=(
            f"{loaded.bad_count:,} bad lines; nothing stored"
            if rejected
            else f"{loaded.identifiers:,} identifiers"
            + (f", {loaded.bad_count:,} bad lines skipped" if loaded.bad_count else "")
        ),
        created_by_id=actor.user_id,
    )
    return row


def _replace_current(row: AudienceImport) -> None:
    target = (
        AudienceImport.placement_id == row.placement_id
        if row.placement_id is not None
        else AudienceImport.list_id == row.list_id
    )
    db.session.execute(
        sa.update(AudienceImport)
        .where(target, AudienceImport.status == "succeeded", AudienceImport.replaced_at.is_(None))
        .values(replaced_at=utcnow())
    )


def _store(row: AudienceImport, actor: Actor, target: Any, action: str) -> AudienceImport:
    """Write the import (and make it current) in one transaction; refuse a rejected one after
    recording it in the history."""
    if row.status == "succeeded":
        _replace_current(row)
    db.session.add(row)
    db.session.flush()
    audit.record(
        action,
        actor=actor,
        target=target,
        status=row.status,
        identifiers=row.identifiers,
        bad_lines=row.bad_lines,
        file_sha256=row.file_sha256,
    )
    db.session.commit()
    if row.status == "failed":
        raise AudienceRejected(row)
    return row


# ---------------------------------------------------------------------------------------------
# Placements


def _writable_placement(actor: Actor, placement_id: int) -> Placement:
    view = placements.get_placement(actor, placement_id)
    authorize(actor.user, Action.WRITE_METRICS)
    if not view.can_write:
        raise Forbidden("Only the company that owns this placement uploads its audience.")
    return view.placement


@transactional
def upload_for_placement(
    actor: Actor,
    placement_id: int,
    stream: IO[bytes],
    filename: str | None,
    options: Options,
    *,
    source: str = "file",
) -> AudienceImport:
    """Sketch the file and make it the placement's audience (the previous one stays in the
    history). Raises AudienceRejected (recorded as failed) when lines are bad."""
    placement = _writable_placement(actor, placement_id)
    loaded = _load(stream, options)
    # Lock the placement while its current sketch changes hands (PostgreSQL).
    db.session.execute(
        sa.select(Placement.id).where(Placement.id == placement.id).with_for_update()
    )
    row = _record(
        actor, loaded, options, source=source, filename=filename or "", placement_id=placement.id
    )
    return _store(row, actor, placement, "audience.placement_uploaded")


def upload_identifiers(
    actor: Actor, placement_id: int, identifiers: list[str], options: Options
) -> AudienceImport:
    """The API's JSON body: a list of identifiers, read like a file of one per line."""
    if len(identifiers) > MAX_API_IDENTIFIERS:
        raise TooLarge(f"Send at most {MAX_API_IDENTIFIERS:,} identifiers per request.")
    body = "\n".join(i.replace("\n", " ").replace("\r", " ") for i in identifiers).encode()
    plain = Options(kind=options.kind, skip_bad_lines=options.skip_bad_lines)
    return upload_for_placement(actor, placement_id, io.BytesIO(body), "", plain, source="api")


@dataclass
class PlacementAudience:
    current: AudienceImport | None
    history: list[AudienceImport]  # the owner's only
    can_write: bool
    owned: bool
    # Its distinct people as the actor may see them: exact for the owner; for the other
    # parties rounded with noise, or suppressed under the minimum audience count.
    shown: sketches.Estimate | None = None


def placement_audience(actor: Actor, placement_id: int) -> PlacementAudience:
    """The placement's current audience figures for any party of its campaign; its upload
    history for its owner only."""
    return audience_of(actor, placements.get_placement(actor, placement_id))


def audience_of(actor: Actor, view: placements.PlacementView) -> PlacementAudience:
    """``placement_audience`` of a placement the actor was shown (``get_placement``)."""
    placement_id = view.placement.id
    owned = view.placement.owner_organization_id == actor.organization_id
    current = db.session.scalar(
        sa.select(AudienceImport).where(
            AudienceImport.placement_id == placement_id,
            AudienceImport.status == "succeeded",
            AudienceImport.replaced_at.is_(None),
        )
    )
    history = (
        list(
            db.session.scalars(
                sa.select(AudienceImport)
                .where(AudienceImport.placement_id == placement_id)
                .order_by(AudienceImport.id.desc())
                .limit(20)
            )
        )
        if owned
        else []
    )
    return PlacementAudience(current, history, view.can_write, owned, _shown(actor, current))


def _shown(actor: Actor, current: AudienceImport | None) -> sketches.Estimate | None:
    if current is None or current.sketch is None:
        return None
    org = actor.organization_id
    audience = disclosure.Audience.load(current.organization_id, current.sketch)
    rule = disclosure.Rule(org, audience_minimums([org, audience.owner]))
    return disclosure.size(rule, f"placement {current.placement_id}", audience)


# ---------------------------------------------------------------------------------------------
# Existing-audience lists


@dataclass
class ListRow:
    audience_list: AudienceList
    current: AudienceImport | None


def list_lists(actor: Actor) -> list[ListRow]:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    lists = list(
        db.session.scalars(
            sa.select(AudienceList)
            .where(AudienceList.organization_id == actor.organization_id)
            .order_by(AudienceList.name)
        )
    )
    current = {
        row.list_id: row
        for row in db.session.scalars(
            sa.select(AudienceImport).where(
                AudienceImport.list_id.in_([item.id for item in lists]),
                AudienceImport.status == "succeeded",
                AudienceImport.replaced_at.is_(None),
            )
        )
    }
    return [ListRow(item, current.get(item.id)) for item in lists]


def get_list(actor: Actor, list_id: int) -> AudienceList:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    found = db.session.scalar(
        sa.select(AudienceList).where(
            AudienceList.id == list_id, AudienceList.organization_id == actor.organization_id
        )
    )
    if found is None:
        raise NotFound()
    return found


def _clean_name(name: str) -> str:
    # The one rule for names (issue 17): no invisible or control characters either.
    return clean_name(name, field="name", label="The list's name", max_length=100)


@transactional
def create_list(
    actor: Actor, name: str, stream: IO[bytes], filename: str | None, options: Options
) -> AudienceImport:
    """A new named list from a file. A refused file leaves the list without an audience (and
    the refusal in the history), ready for a corrected upload."""
    authorize(actor.user, Action.WRITE_METRICS)
    cleaned = _clean_name(name)
    taken = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AudienceList)
        .where(
            AudienceList.organization_id == actor.organization_id,
            sa.func.lower(AudienceList.name) == cleaned.lower(),
        )
    )
    if taken:
        raise ValidationFailed("Your company has a list of that name already.", field="name")
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AudienceList)
        .where(AudienceList.organization_id == actor.organization_id)
    )
    if (count or 0) >= MAX_LISTS:
        raise ValidationFailed(f"Keep at most {MAX_LISTS} lists.", field="name")
    loaded = _load(stream, options)
    item = AudienceList(
        organization_id=actor.organization_id, name=cleaned, created_by_id=actor.user_id
    )
    db.session.add(item)
    db.session.flush()
    row = _record(actor, loaded, options, source="file", filename=filename or "", list_id=item.id)
    return _store(row, actor, item, "audience.list_created")


@transactional
def replace_list(
    actor: Actor, list_id: int, stream: IO[bytes], filename: str | None, options: Options
) -> AudienceImport:
    item = get_list(actor, list_id)
    authorize(actor.user, Action.WRITE_METRICS)
    loaded = _load(stream, options)
    row = _record(actor, loaded, options, source="file", filename=filename or "", list_id=item.id)
    return _store(row, actor, item, "audience.list_replaced")


@transactional
def delete_list(actor: Actor, list_id: int) -> None:
    item = get_list(actor, list_id)
    authorize(actor.user, Action.WRITE_METRICS)
    audit.record("audience.list_deleted", actor=actor, target=item, name=item.name)
    db.session.delete(item)
    db.session.commit()


def list_sketches(organization_id: int) -> list[bytes]:
    """The current sketches of the organization's own lists (its figures only)."""
    return [
        data
        for data in db.session.scalars(
            sa.select(AudienceImport.sketch)
            .join(AudienceList, AudienceList.id == AudienceImport.list_id)
            .where(
                AudienceList.organization_id == organization_id,
                AudienceImport.status == "succeeded",
                AudienceImport.replaced_at.is_(None),
            )
        )
        if data
    ]


@dataclass
class HistoryRow:
    audience_import: AudienceImport
    target: str
    author: str | None


def history(actor: Actor, *, limit: int = 100) -> list[HistoryRow]:
    """Every upload of the actor's company, newest first."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    rows = db.session.execute(
        sa.select(AudienceImport, Placement.name, AudienceList.name, User.name)
        .outerjoin(Placement, Placement.id == AudienceImport.placement_id)
        .outerjoin(AudienceList, AudienceList.id == AudienceImport.list_id)
        .outerjoin(User, User.id == AudienceImport.created_by_id)
        .where(AudienceImport.organization_id == actor.organization_id)
        .order_by(AudienceImport.id.desc())
        .limit(limit)
    ).all()
    return [
        HistoryRow(row, f"Placement: {placement}" if placement else f"List: {name}", author)
        for row, placement, name, author in rows
    ]


# ---------------------------------------------------------------------------------------------
# The campaign's target universe (for the random-duplication estimate)


@transactional
def set_target_universe(actor: Actor, campaign_id: int, universe: int | None) -> Campaign:
    """Any party's campaign managers state it: it is an assumption for an estimate, not a
    term of the agreement."""
    from comarketing.campaigns.access import get_visible_campaign

    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    if universe is not None and not 1 <= universe <= 10**12:
        raise ValidationFailed("Give a number of people between 1 and 10¹².", field="universe")
    campaign.target_universe = universe
    audit.record("campaign.universe_set", actor=actor, target=campaign, universe=universe)
    db.session.commit()
    return campaign


def may_upload(actor: Actor) -> bool:
    return can(actor.user, Action.WRITE_METRICS)

"""Each company's data version: raised in the same transaction as every write that can change
what its reports, calendar or money show, so figures cached under a version
(``campaigns.cache``) are never stale.

What raises it, for every party of the campaign concerned (a joint campaign's write changes
each partner's reports too):

- any ORM insert, update or delete of a campaign, its parties, placements (and their
  platform names) or milestones, a ledger entry, claim, claim version, answer to a claim,
  payment, daily result, monthly rollup, audience list or import (collected after each
  flush, ``_collect``);
- the writes done with SQL statements rather than objects (the results writer, removed days):
  their services call :func:`touch_campaigns` (one line each);
- a company's own record (its name shows in its partners' reports), or a new name of one of
  its people (the author of ledger entries): it and every company it shares a campaign with.

A company's first version is a random number (a rebuilt database does not count through the
same versions again); each write adds a random step of 1 to 2**30 (a database restored from a
backup, or a test's restored snapshot, does not walk again through the versions its later
writes reached before, with other data: what was kept under them is never read). The raise is
one ``INSERT ... ON CONFLICT DO
UPDATE`` just before the transaction commits, for the companies in id order: it holds the
counters' row locks only for the commit, and two writers always take them in the same order.
A rolled-back transaction raises nothing.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from itertools import chain
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.session import Session

from comarketing.campaigns.models import CampaignParty, DataVersion
from comarketing.db import upsert_insert
from comarketing.extensions import db

_CAMPAIGNS = "data_version.campaigns"
_ORGANIZATIONS = "data_version.organizations"
_NEIGHBOURS = "data_version.neighbours"

# Tables whose rows feed the reports.
TRACKED = frozenset(
    {
        "campaigns",
        "campaign_parties",
        "placements",
        "placement_names",
        "milestones",
        "ledger_entries",
        "claims",
        "claim_versions",
        "claim_responses",
        "payments",
        "payment_responses",
        "daily_metrics",
        "metric_rollups",
        "audience_lists",
        "audience_imports",
    }
)

# How a row that names no campaign finds it: (its column, a statement from those ids to
# campaign ids). The tables of packages to the right of this one are named, not imported.
_claims = sa.table("claims", sa.column("id"), sa.column("campaign_id"))
_versions = sa.table("claim_versions", sa.column("id"), sa.column("claim_id"))
_payments = sa.table("payments", sa.column("id"), sa.column("campaign_id"))
_placements = sa.table("placements", sa.column("id"), sa.column("campaign_id"))
_VIA: dict[str, Any] = {
    "placement_id": lambda ids: sa.select(_placements.c.campaign_id).where(
        _placements.c.id.in_(ids)
    ),
    "claim_id": lambda ids: sa.select(_claims.c.campaign_id).where(_claims.c.id.in_(ids)),
    "claim_version_id": lambda ids: (
        sa.select(_claims.c.campaign_id)
        .join(_versions, _versions.c.claim_id == _claims.c.id)
        .where(_versions.c.id.in_(ids))
    ),
    "payment_id": lambda ids: sa.select(_payments.c.campaign_id).where(_payments.c.id.in_(ids)),
}
_KEYS = (_CAMPAIGNS, _ORGANIZATIONS, _NEIGHBOURS, *(f"data_version.{c}" for c in _VIA))


@functools.cache
def _current() -> sa.Select[int]:
    # Read by every page that keeps anything: built once per process.
    return sa.select(DataVersion.version).where(DataVersion.organization_id == sa.bindparam("org"))


def current(organization_id: int) -> int:
    """The company's data version now (0 before its first write)."""
    version = db.session.scalar(_current(), {"org": organization_id})
    return int(version or 0)


def touch_campaigns(campaign_ids: Iterable[int]) -> None:
    """Raise the version of every party of these campaigns when this transaction commits."""
    _pending(db.session(), _CAMPAIGNS).update(int(i) for i in campaign_ids)


def touch_organizations(organization_ids: Iterable[int]) -> None:
    """Raise these companies' versions when this transaction commits."""
    _pending(db.session(), _ORGANIZATIONS).update(int(i) for i in organization_ids)


def _pending(session: Any, key: str) -> set[int]:
    found: set[int] = session.info.setdefault(key, set())
    return found


def _collect(session: Any, _context: Any) -> None:
    """After a flush: what the flushed objects belong to (their ids are known by now)."""
    for obj in chain(session.new, session.dirty, session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table == "organizations":
            _pending(session, _NEIGHBOURS).add(obj.id)
        elif table == "users":
            # A person's name shows as the author of ledger entries: a new name (not a sign-in,
            # which writes the same row) changes what their company and its partners see.
            if obj in session.deleted or sa.inspect(obj).attrs.name.history.has_changes():
                _pending(session, _NEIGHBOURS).add(obj.organization_id)
        elif table == "campaigns":
            _pending(session, _CAMPAIGNS).add(obj.id)
        elif table not in TRACKED:
            continue
        elif getattr(obj, "campaign_id", None) is not None:
            _pending(session, _CAMPAIGNS).add(obj.campaign_id)
        elif column := next((c for c in _VIA if getattr(obj, c, None) is not None), None):
            _pending(session, f"data_version.{column}").add(getattr(obj, column))
        elif getattr(obj, "organization_id", None) is not None:
            _pending(session, _ORGANIZATIONS).add(obj.organization_id)


def _organizations(session: Any) -> set[int]:
    """Every company whose version this transaction raises."""
    info = session.info
    campaigns = set(info.get(_CAMPAIGNS, ()))
    for column, lookup in _VIA.items():
        if ids := info.get(f"data_version.{column}"):
            campaigns |= set(session.scalars(lookup(sorted(ids))))
    companies = set(info.get(_ORGANIZATIONS, ()))
    if neighbours := info.get(_NEIGHBOURS):
        companies |= neighbours
        campaigns |= set(
            session.scalars(
                sa.select(CampaignParty.campaign_id).where(
                    CampaignParty.organization_id.in_(sorted(neighbours))
                )
            )
        )
    if campaigns:
        companies |= set(
            session.scalars(
                sa.select(CampaignParty.organization_id)
                .where(CampaignParty.campaign_id.in_(sorted(campaigns)))
                .distinct()
            )
        )
    return companies


def _raise_versions(session: Any) -> None:
    # The commit flushes only after this hook: flush now so the last changes are collected.
    session.flush()
    if not any(session.info.get(key) for key in _KEYS):
        return
    companies = sorted(_organizations(session))
    _forget(session)
    if not companies:
        return
    # A company's first version starts anywhere in 2**62: a database emptied or rebuilt (tests,
    # a fresh install next to an old cache) does not count through the same versions again.
    statement = upsert_insert(session, DataVersion).values(
        [{"organization_id": org, "version": secrets.randbits(62)} for org in companies]
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id"],
            set_={"version": DataVersion.version + secrets.randbits(30) + 1},
        )
    )


def _forget(session: Any, *_: Any) -> None:
    for key in _KEYS:
        session.info.pop(key, None)


def install() -> None:
    """Listen to every session of the app (once per process)."""
    if sa.event.contains(Session, "after_flush", _collect):
        return
    sa.event.listen(Session, "after_flush", _collect)
    sa.event.listen(Session, "before_commit", _raise_versions)
    sa.event.listen(Session, "after_rollback", _forget)

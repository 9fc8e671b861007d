"""Each company's data version: raised in the same transaction as every write that can change
what its reports, calendar or money show, so figures cached under a version
(``campaigns.cache``) are never stale.

What raises it, for every company that can see what was written (a joint campaign's write
changes each partner's reports too; an offer's, each party's inbox and home page):

- any ORM insert, update or delete of a campaign, its parties, placements (and their
  platform names) or milestones, a ledger entry, claim, claim version, answer to a claim,
  payment, daily result, monthly rollup, audience list or import: every party of the
  campaign (collected after each flush, ``_collect``);
- of an offer, its parties, revisions, decisions, comments or events: every party of the
  offer and its proposer; of a material (collateral asset), its owners, versions, reviews or
  uses: its owners, its creator and every party of its campaign or offer; of a material
  request or a vote on one: every party of the campaign; of a partnership (an invitation):
  both companies; of a results import: its company and the campaign's parties;
- the writes done with SQL statements rather than objects (the results writer, removed days,
  a draft's parties replaced): their services call :func:`touch_campaigns` or
  :func:`touch_organizations` (one line each);
- a company's own record or its products (its name shows in its partners' reports, offers
  and invitations), or a new name or address of one of its people (the author of ledger
  entries, offers and comments, the sender of an invitation): it and every company it shares
  a campaign, an offer or a partnership with.

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
        "metric_imports",
        "offers",
        "offer_parties",
        "offer_revisions",
        "offer_decisions",
        "offer_comments",
        "offer_events",
        "collateral_assets",
        "collateral_asset_parties",
        "collateral_versions",
        "collateral_reviews",
        "collateral_usage",
        "collateral_requests",
        "collateral_request_votes",
        "partnerships",
    }
)
# Rows whose id is what others name (an offer, a material): their own id counts as that.
_OWN_ID = {"offers": "offer_id", "collateral_assets": "asset_id"}
# Every company a row names directly (its writer, both sides of an invitation ...).
_COMPANY_COLUMNS = (
    "organization_id",
    "inviter_organization_id",
    "invitee_organization_id",
    "proposer_organization_id",
    "author_organization_id",
    "taken_by_organization_id",
)

# How a row that names no campaign finds it: (its column, a statement from those ids to
# campaign ids). The tables of packages to the right of this one are named, not imported.
_claims = sa.table("claims", sa.column("id"), sa.column("campaign_id"))
_versions = sa.table("claim_versions", sa.column("id"), sa.column("claim_id"))
_payments = sa.table("payments", sa.column("id"), sa.column("campaign_id"))
_placements = sa.table("placements", sa.column("id"), sa.column("campaign_id"))
_requests = sa.table("collateral_requests", sa.column("id"), sa.column("campaign_id"))
_offers = sa.table("offers", sa.column("id"), sa.column("proposer_organization_id"))
_offer_parties = sa.table("offer_parties", sa.column("offer_id"), sa.column("organization_id"))
_assets = sa.table(
    "collateral_assets",
    sa.column("id"),
    sa.column("campaign_id"),
    sa.column("offer_id"),
    sa.column("organization_id"),
)
_asset_parties = sa.table(
    "collateral_asset_parties", sa.column("asset_id"), sa.column("organization_id")
)
_partnerships = sa.table(
    "partnerships",
    sa.column("inviter_organization_id"),
    sa.column("invitee_organization_id"),
)
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
    "request_id": lambda ids: sa.select(_requests.c.campaign_id).where(_requests.c.id.in_(ids)),
    "asset_id": lambda ids: sa.select(_assets.c.campaign_id).where(
        _assets.c.id.in_(ids), _assets.c.campaign_id.is_not(None)
    ),
}


def _offer_companies(ids: Any) -> tuple[sa.Select[Any], ...]:
    """Every party of these offers, and their proposers (selects to unite)."""
    return (
        sa.select(_offer_parties.c.organization_id).where(_offer_parties.c.offer_id.in_(ids)),
        sa.select(_offers.c.proposer_organization_id).where(_offers.c.id.in_(ids)),
    )


def _asset_companies(ids: list[int]) -> sa.CompoundSelect:
    """The owners and creator of these materials, and every party of the offer one was drafted
    on (its campaign's parties come through ``_VIA``)."""
    drafted_on = sa.select(_assets.c.offer_id).where(
        _assets.c.id.in_(ids), _assets.c.offer_id.is_not(None)
    )
    return sa.union(
        sa.select(_asset_parties.c.organization_id).where(_asset_parties.c.asset_id.in_(ids)),
        sa.select(_assets.c.organization_id).where(_assets.c.id.in_(ids)),
        *_offer_companies(drafted_on),
    )


def _neighbours(ids: list[int]) -> sa.CompoundSelect:
    """The companies that share an offer or a partnership (an invitation, either way) with
    these: what they see names them (shared campaigns come through their parties)."""
    shared_offers = sa.select(_offer_parties.c.offer_id).where(
        _offer_parties.c.organization_id.in_(ids)
    )
    return sa.union(
        *_offer_companies(shared_offers),
        sa.select(_partnerships.c.inviter_organization_id).where(
            _partnerships.c.invitee_organization_id.in_(ids)
        ),
        sa.select(_partnerships.c.invitee_organization_id).where(
            _partnerships.c.inviter_organization_id.in_(ids)
        ),
    )


_KEYS = (
    _CAMPAIGNS,
    _ORGANIZATIONS,
    _NEIGHBOURS,
    *(f"data_version.{c}" for c in {*_VIA, "offer_id", "asset_id"}),
)


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
        if table in ("organizations", "products"):
            _pending(session, _NEIGHBOURS).add(
                obj.id if table == "organizations" else obj.organization_id
            )
        elif table == "users":
            # A person's name shows as the author of ledger entries and offers, their address
            # on invitations: a new one (not a sign-in, which writes the same row) changes what
            # their company and its partners see.
            state = sa.inspect(obj)
            if obj in session.deleted or any(
                state.attrs[name].history.has_changes() for name in ("name", "email")
            ):
                _pending(session, _NEIGHBOURS).add(obj.organization_id)
        elif table in TRACKED:
            _collect_row(session, table, obj)


def _collect_row(session: Any, table: str, obj: Any) -> None:
    """Everything a tracked row names: its campaign, its company columns, and what it hangs
    from (an offer, a material, a placement, a claim ...). More than needed only raises a
    version more often; less would keep something stale."""
    if table == "campaigns":
        _pending(session, _CAMPAIGNS).add(obj.id)
    if own := _OWN_ID.get(table):
        _pending(session, f"data_version.{own}").add(obj.id)
    if (campaign := getattr(obj, "campaign_id", None)) is not None:
        _pending(session, _CAMPAIGNS).add(campaign)
    for column in _COMPANY_COLUMNS:
        if (company := getattr(obj, column, None)) is not None:
            _pending(session, _ORGANIZATIONS).add(company)
    for column in (*_VIA, "offer_id"):
        if (found := getattr(obj, column, None)) is not None:
            _pending(session, f"data_version.{column}").add(found)


def _organizations(session: Any) -> set[int]:
    """Every company whose version this transaction raises."""
    info = session.info
    campaigns = set(info.get(_CAMPAIGNS, ()))
    for column, lookup in _VIA.items():
        if ids := info.get(f"data_version.{column}"):
            campaigns |= set(session.scalars(lookup(sorted(ids))))
    companies = set(info.get(_ORGANIZATIONS, ()))
    if ids := info.get("data_version.offer_id"):
        companies |= set(session.scalars(sa.union(*_offer_companies(sorted(ids)))))
    if ids := info.get("data_version.asset_id"):
        companies |= set(session.scalars(_asset_companies(sorted(ids))))
    if neighbours := info.get(_NEIGHBOURS):
        companies |= neighbours | set(session.scalars(_neighbours(sorted(neighbours))))
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
    companies.discard(None)  # an invitation to an address, before anyone answered it
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

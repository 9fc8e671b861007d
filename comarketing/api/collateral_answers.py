"""The collateral API's answers (the response schemas of ``api.collateral_schemas``), filled
from the collateral services' cards, views, request rows and reports."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from comarketing.api import schemas
from comarketing.collateral.models import CollateralVersion
from comarketing.collateral.queries import AssetCard, AssetView
from comarketing.collateral.reports import CollateralReport
from comarketing.collateral.requests import RequestRow


def version_out(version: CollateralVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "note": version.note,
        "filename": version.filename or "",
        "media_type": version.media_type,
        "size": version.file_size,
        "link": version.link_url,
        "author_organization_id": version.author_organization_id,
        "created_at": version.created_at,
        "review_due_at": version.review_due_at,
    }


def asset_summary(card: AssetCard) -> dict[str, Any]:
    asset = card.asset
    return {
        "id": asset.id,
        "title": asset.title,
        "description": asset.description,
        "kind": asset.kind,
        "audience": asset.audience,
        "status": asset.status,
        "for_customer_use": card.for_customer_use,
        "campaign_id": asset.campaign_id,
        "offer_id": asset.offer_id,
        "offer_status": card.offer_status,
        "owners": card.party_names,
        "overdue": card.overdue,
        "uses": card.uses,
        "current_version": version_out(card.version),
        "created_at": asset.created_at,
        "updated_at": asset.updated_at,
        "ready_at": asset.ready_at,
    }


def asset_detail(view: AssetView) -> dict[str, Any]:
    versions = []
    for version in view.versions:
        row = version_out(version)
        row["reviews"] = [
            {
                "organization": {"id": review.organization_id, "name": organization},
                "decision": review.decision,
                "comment": review.comment,
                "reviewer": reviewer,
                "implicit": review.implicit,
                "created_at": review.created_at,
            }
            for review, organization, reviewer in view.reviews.get(version.id, [])
        ]
        versions.append(row)
    return {
        **asset_summary(view.card),
        "versions": versions,
        "current_reviews": [
            {
                "organization": {"id": line.organization_id, "name": line.organization},
                "decision": line.decision.decision if line.decision else None,
            }
            for line in view.current_reviews
        ],
        "recent_usage": [
            {"action": u.action, "organization": org, "user": user, "created_at": u.created_at}
            for u, org, user in view.usage
        ],
        "may_review": view.may_review,
        "may_add_version": view.may_add_version,
    }


def request_out(row: RequestRow) -> dict[str, Any]:
    request = row.request
    return {
        "id": request.id,
        "campaign_id": request.campaign_id,
        "status": request.status,
        "title": request.title,
        "description": request.description,
        "organization": row.organization,
        "requester": row.requester,
        "votes": row.votes,
        "voted": row.voted,
        "asset_id": request.asset_id,
        "asset_title": row.asset_title,
        "created_at": request.created_at,
        "taken_at": request.taken_at,
        "delivered_at": request.delivered_at,
    }


def report_out(report: CollateralReport) -> dict[str, Any]:
    ready, unused = len(report.ready), len(report.ready_unused)
    return {
        "title": report.title,
        "parties": [{"id": org_id, "name": name} for org_id, name in report.parties],
        "total_uses": report.total_downloads,
        "ready": ready,
        "ready_unused": unused,
        "ready_unused_share": schemas.ratio(Fraction(unused, ready)) if ready else None,
        "median_hours_to_ready": report.median_hours_to_ready,
        "rows": [
            {
                "asset_id": r.asset_id,
                "title": r.title,
                "campaign_id": r.campaign_id,
                "campaign_name": r.campaign_name,
                "status": r.status,
                "audience": r.audience,
                "uses": r.downloads,
                "uses_since_ready": r.uses_since_ready,
                "hours_to_ready": r.hours_to_ready,
                "by_party": [
                    {"organization_id": org, "uses": n} for org, n in sorted(r.by_party.items())
                ],
            }
            for r in report.rows
        ],
    }

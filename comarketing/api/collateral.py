"""Collateral over the API: list and read assets, add an asset to a campaign's library and a
version to an asset (``multipart/form-data``, the same size limit and content checks as the
pages: the type is recognised by content, polyglots and unknown types are refused), decide a
review, and download a version (counted, like the page's Download button).

The same services as the collateral pages (``collateral.catalog``, ``queries``, ``assets``,
``reviews``, ``downloads``): another company's asset answers 404 like a missing one; a step
the review workflow does not allow answers 409. Writes need a write token and honour
``Idempotency-Key``. A download takes any token (it reads the file; the count records that
read, as the page's button does) and honours the key too: a retry is served the same version
again but counted once."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, send_file
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from comarketing import storage
from comarketing.api import collateral_answers as answers
from comarketing.api import collateral_schemas as shapes
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.errors import MESSAGES
from comarketing.api.idempotency import idempotent
from comarketing.api.schemas import CampaignPath
from comarketing.api.upload_limits import size_checked
from comarketing.collateral import assets, catalog, downloads, drafts, queries, reviews
from comarketing.collateral.access import campaign_party_ids, visible_campaign, visible_offer
from comarketing.offers.access import offer_party_ids

UPLOAD_ERRORS = sorted({*ERRORS, 415})
# A stored file is someone else's content: it may not run script, load anything or be framed.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# The file types a download may answer with (besides JSON for a link asset).
DOWNLOAD_TYPES = sorted({t.media_type for t in storage.ALL_TYPES.values()})
_LINK_JSON = {
    "type": "object",
    "properties": {"version": {"type": "integer"}, "link": {"type": "string"}},
    "required": ["version", "link"],
    "additionalProperties": False,
}
DOWNLOAD_RESPONSES: dict[int, Any] = {
    200: {
        "description": "The file as an attachment, or for a link asset its address (JSON)",
        "content": {
            **{
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in DOWNLOAD_TYPES
            },
            "application/json": {"schema": _LINK_JSON},
        },
    },
    **{status: MESSAGES.get(status, "Error") for status in ERRORS},
}


# Stateful links of the OpenAPI document: what a client (or Schemathesis) may call next.
ASSET_LINKS = {
    name: {"operationId": name, "parameters": {"asset_id": "$response.body#/id"}}
    for name in (
        "getCollateralAsset",
        "createCollateralVersion",
        "reviewCollateralAsset",
        "downloadCollateralAsset",
    )
}


_size_checked = size_checked("COLLATERAL_UPLOAD_MAX_BYTES", "a collateral file")


def _version_input(body: dict[str, Any]) -> assets.VersionInput:
    upload = body.get("file")
    has_file = isinstance(upload, FileStorage) and bool(upload.filename)
    return assets.VersionInput(
        stream=upload.stream if has_file else None,  # type: ignore[union-attr]
        filename=upload.filename if has_file else None,  # type: ignore[union-attr]
        link=body["link"],
        note=body["note"],
    )


def _detail(asset_id: int) -> dict[str, Any]:
    return answers.asset_detail(queries.asset_view(current_actor(), asset_id))


@bp.get("/collateral")
@bp.auth_required(auth)
@bp.input(shapes.AssetQuery, location="query", arg_name="query")
@bp.output(shapes.AssetPage)
@bp.doc(operation_id="listCollateral", responses=ERRORS)
def list_collateral(query: dict[str, Any]) -> dict[str, Any]:
    """List collateral

    The assets of every campaign your company takes part in and the drafts on the offers it
    sees, the latest changed first; `campaign` narrows to one library, `offer` to the
    materials drafted on one offer (another company's campaign or offer answers 404),
    `status` to a review status.
    """
    found = catalog.asset_page(
        current_actor(),
        page=query["page"],
        per_page=query["per_page"],
        campaign_id=query["campaign"],
        offer_id=query["offer"],
        status=query["status"],
    )
    return {
        "items": [answers.asset_summary(card) for card in found.cards],
        "page": found.page,
        "per_page": found.per_page,
        "total": found.total,
        "has_more": found.has_more,
    }


@bp.get("/collateral/assets/<int:asset_id>")
@bp.auth_required(auth)
@bp.input(shapes.AssetPath, location="path", arg_name="path")
@bp.output(shapes.AssetDetail)
@bp.doc(operation_id="getCollateralAsset", responses=ERRORS)
def get_collateral_asset(asset_id: int, path: dict[str, int]) -> dict[str, Any]:
    """Get an asset

    The asset with every version (newest first) and the decisions on each, where each owner
    stands on the current version, the latest 50 downloads and opens, and whether you may
    review it or add a version now.
    """
    return _detail(asset_id)


@bp.post("/campaigns/<int:campaign_id>/collateral")
@bp.auth_required(auth)
@require_write
@_size_checked
@idempotent
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.input(shapes.AssetIn, location="form_and_files", arg_name="body")
@bp.output(shapes.AssetDetail, status_code=201, links=ASSET_LINKS)
@bp.doc(operation_id="createCollateralAsset", responses=UPLOAD_ERRORS)
def create_collateral_asset(campaign_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Add an asset to a campaign's library

    `multipart/form-data`: `title`, and a `file` or a `link`; optionally `description`,
    `audience`, `parties` and a `note` for the reviewers. The first version goes for review
    to the other owners at once. A file over the size limit answers 413 naming the limit and
    `file`; a type not accepted, or a file that is also another type (a polyglot), 422 `file`.
    Partner managers and admins (marketing), write token.
    """
    actor = current_actor()
    parties = body["parties"]
    if parties is None:
        parties = campaign_party_ids(visible_campaign(actor, campaign_id).id)
    data = assets.AssetInput(
        title=body["title"],
        description=body["description"],
        audience=body["audience"],
        party_ids=list(parties),
    )
    asset = assets.create_asset(actor, campaign_id, data, _version_input(body))
    return _detail(asset.id), 201


@bp.post("/offers/<int:offer_id>/collateral")
@bp.auth_required(auth)
@require_write
@_size_checked
@idempotent
@bp.input(shapes.OfferPath, location="path", arg_name="path")
@bp.input(shapes.AssetIn, location="form_and_files", arg_name="body")
@bp.output(shapes.AssetDetail, status_code=201, links=ASSET_LINKS)
@bp.doc(operation_id="createOfferCollateralAsset", responses=UPLOAD_ERRORS)
def create_offer_collateral_asset(offer_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Draft a material on an offer

    As `createCollateralAsset`, on an open offer (`parties` default: every party of the
    offer). While the offer is unsent only your company sees the draft and its review waits
    for the offer to go out; once sent it goes for review at once; when the offer becomes a
    campaign the draft joins its library. An approved or closed offer answers 409.
    """
    actor = current_actor()
    parties = body["parties"]
    if parties is None:
        parties = offer_party_ids(visible_offer(actor, offer_id).id)
    data = assets.AssetInput(
        title=body["title"],
        description=body["description"],
        audience=body["audience"],
        party_ids=list(parties),
    )
    asset = drafts.create_offer_asset(actor, offer_id, data, _version_input(body))
    return _detail(asset.id), 201


@bp.post("/collateral/assets/<int:asset_id>/versions")
@bp.auth_required(auth)
@require_write
@_size_checked
@idempotent
@bp.input(shapes.AssetPath, location="path", arg_name="path")
@bp.input(shapes.VersionIn, location="form_and_files", arg_name="body")
@bp.output(shapes.AssetDetail, status_code=201, links=ASSET_LINKS)
@bp.doc(operation_id="createCollateralVersion", responses=UPLOAD_ERRORS)
def create_collateral_version(asset_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Upload a new version

    `multipart/form-data`: a `file` (a file asset) or a `link` (a link asset), and a `note`
    saying what changed. The asset goes back into review; earlier decisions no longer count.
    Only the companies the asset belongs to (403 for a partner that is no owner); a draft on
    a closed offer answers 409. The same limits and checks as `createCollateralAsset`.
    """
    assets.add_version(current_actor(), asset_id, _version_input(body))
    return _detail(asset_id), 201


@bp.post("/collateral/assets/<int:asset_id>/review")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(shapes.AssetPath, location="path", arg_name="path")
@bp.input(shapes.ReviewIn, location="json", arg_name="body")
@bp.output(shapes.AssetDetail)
@bp.doc(operation_id="reviewCollateralAsset", responses=UPLOAD_ERRORS)
def review_collateral_asset(asset_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Decide a review

    Your company's decision on the current version: `approved`, or `changes_requested` with
    a `comment` (422 `comment` without one). Approvers and admins of an owning company. A
    version no longer current, or a second decision of your company, answers 409.
    """
    reviews.review(
        current_actor(),
        asset_id,
        version_number=body["version"],
        decision=body["decision"],
        comment=body["comment"],
    )
    return _detail(asset_id)


@idempotent
def _count_download(asset_id: int, version: int | None) -> ResponseReturnValue:
    """Count the download; the answer (stored for a retry with the same Idempotency-Key) says
    which version it was, so a retry is served that version again without counting."""
    served = downloads.fetch(current_actor(), asset_id, action="download", version_number=version)
    return jsonify({"version": served.version})


@bp.post("/collateral/assets/<int:asset_id>/download")
@bp.auth_required(auth)
@bp.input(shapes.AssetPath, location="path", arg_name="path")
@bp.input(shapes.DownloadQuery, location="query", arg_name="query")
@bp.doc(operation_id="downloadCollateralAsset", responses=DOWNLOAD_RESPONSES)
def download_collateral_asset(asset_id: int, path: dict[str, int], query: dict[str, Any]) -> Any:
    """Download a version

    Counted (who, which company, which version) in the usage report, like the page's
    Download button — hence a POST. The current version by default, or `version`. A file
    comes back as an attachment with its media type; a link asset answers JSON with its
    address (not followed). Every company the asset is shared with may download it, with
    a read token too. A retry with the same `Idempotency-Key` is served again, counted once.
    """
    counted = current_app.make_response(_count_download(asset_id, query["version"]))
    if counted.status_code != 200:
        return counted
    number = int((counted.get_json(silent=True) or {}).get("version") or 0)
    served = downloads.again(current_actor(), asset_id, number)
    if served.link:
        return {"version": served.version, "link": served.link}
    assert served.path is not None and served.file_type is not None
    response = send_file(
        served.path,
        mimetype=served.file_type.media_type,
        as_attachment=True,
        download_name=served.download_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    if counted.headers.get("Idempotent-Replayed"):
        response.headers["Idempotent-Replayed"] = "true"
    return response

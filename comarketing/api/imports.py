"""Results files over the API, for scripted and scheduled uploads, with the same checks as
the Results pages and the same services (``metrics.uploads``, ``metrics.imports``,
``metrics.jobs``):

* ``POST /imports`` — a file for one campaign, with optional settings -> 201 and the preview;
* ``PATCH /imports/{id}`` — change the mapping, date order, decimal mark, placement or
  "post costs" -> the new preview;
* ``POST /imports/{id}/confirm`` -> 202, the run queued exactly as the page queues it (refused
  with 422 while the preview lists errors, open questions or spend over the commitments);
* ``GET /imports/{id}`` -> status, progress, result counts and errors.

Another company's import answers 404, like one that does not exist. Writing needs a write
token (partner manager or admin); POSTs honour ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any

from comarketing.api import import_schemas as shapes
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.idempotency import idempotent
from comarketing.api.upload_limits import size_checked
from comarketing.metrics import history, jobs, uploads
from comarketing.metrics import imports as metric_imports

UPLOAD_ERRORS = sorted({*ERRORS, 415})


_size_checked = size_checked("METRICS_UPLOAD_MAX_BYTES", "a results file")


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body[name] for name in shapes.SETTING_FIELDS if name in body}


def _preview(import_id: int) -> dict[str, Any]:
    return shapes.preview_out(metric_imports.preview(current_actor(), import_id))


@bp.post("/imports")
@bp.auth_required(auth)
@require_write
@_size_checked
@idempotent
@bp.input(shapes.ImportUploadIn, location="form_and_files", arg_name="body")
@bp.output(shapes.PreviewOut, status_code=201)
@bp.doc(operation_id="createImport", responses=UPLOAD_ERRORS)
def create_import(body: dict[str, Any]) -> Any:
    """Upload a results file

    `multipart/form-data` with the file (`file`, CSV or XLSX), the campaign it is for
    (`campaign_id`, one your company owns placements in; else 404) and, optionally, settings
    that override the detected ones: `mapping` (a JSON array), `date_order`, `decimal`,
    `placement_id`, `post_costs`. Nothing is imported: the answer is the preview — detected
    encoding (and the Windows-1252 fallback notice), delimiter, header row, date order (or the
    question still open), column mapping, matched placements, row errors, warnings, what
    posting costs would do to the budget — and `ready`/`blockers` say whether confirm would
    run it. A file over the size limit answers 413 naming the limit and the field `file`.
    """
    actor = current_actor()
    upload = body["file"]
    metric_import = uploads.upload(
        actor,
        upload.stream,
        upload.filename,
        campaign_id=body["campaign_id"],
        changes=_changes(body),
    )
    return _preview(metric_import.id), 201


@bp.patch("/imports/<int:import_id>")
@bp.auth_required(auth)
@require_write
@bp.input(shapes.ImportPath, location="path", arg_name="path")
@bp.input(shapes.ImportSettingsIn, location="json", arg_name="body")
@bp.output(shapes.PreviewOut)
@bp.doc(operation_id="updateImport", responses=ERRORS)
def update_import(import_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Change an upload's settings

    Any of `mapping`, `date_order`, `decimal`, `placement_id` and `post_costs`; the ones left
    out stay. Answers the new preview. Only an upload not yet confirmed (else 409).
    """
    metric_imports.update_settings(current_actor(), import_id, _changes(body))
    return _preview(import_id)


@bp.post("/imports/<int:import_id>/confirm")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(shapes.ImportPath, location="path", arg_name="path")
@bp.input(shapes.ConfirmIn, location="json", arg_name="body")
@bp.output(shapes.ImportOut, status_code=202)
@bp.doc(operation_id="confirmImport", responses=ERRORS)
def confirm_import(import_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Confirm an upload: queue its import

    Queues the import exactly as the page's Import button does; follow it with
    `GET /imports/{id}`. Refused (422, naming what to change) while the preview lists errors,
    settings to change, questions to answer, or spend above the commitments. The same file
    imported before ends as `duplicate` unless `import_again` is true.
    """
    actor = current_actor()
    post_costs = body["post_costs"]
    if post_costs is None:
        post_costs = bool(history.get_import(actor, import_id).settings.get("post_costs"))
    metric_imports.confirm(
        actor, import_id, post_costs=post_costs, import_again=body["import_again"]
    )
    return shapes.import_out(
        history.get_import(actor, import_id), jobs.get_progress(import_id)
    ), 202


@bp.get("/imports/<int:import_id>")
@bp.auth_required(auth)
@bp.input(shapes.ImportPath, location="path", arg_name="path")
@bp.output(shapes.ImportOut)
@bp.doc(operation_id="getImport", responses=ERRORS)
def get_import(import_id: int, path: dict[str, int]) -> Any:
    """Read an import's status

    Status (`preview`, `queued`, `running`, `succeeded`, `failed`, `duplicate`, `discarded`),
    progress, the counts of rows read, written, replaced and unchanged, and the errors found
    (at most 1,000; `error_count` says how many in all). Any user of the company may read it.
    """
    metric_import = history.get_import(current_actor(), import_id)
    return shapes.import_out(metric_import, jobs.get_progress(import_id))

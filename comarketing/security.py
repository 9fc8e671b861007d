"""Security headers on every response, request ids, and log lines that cannot be forged."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, abort, current_app, g, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Bootstrap draws form controls with data: SVG images from its stylesheet.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if not request.path.startswith("/static/"):
        # Pages carry tenant data; nothing but the static assets may be cached anywhere.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if g.get("request_id"):
        headers["X-Request-ID"] = g.request_id
    return response


def assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def refuse_oversized_form() -> None:
    # Werkzeug holds only multipart text fields to MAX_FORM_MEMORY_SIZE; an urlencoded body is
    # parsed into memory whole, so it gets the same limit (a 1 MB field answers 413).
    limit = current_app.config.get("MAX_FORM_MEMORY_SIZE")
    if (
        limit
        and request.mimetype == "application/x-www-form-urlencoded"
        and (request.content_length or 0) > limit
    ):
        abort(413)


# Endpoints that take large file uploads, and the setting that holds their limit. Every other
# request keeps MAX_CONTENT_LENGTH. Set before anything (CSRF included) reads the body.
LARGE_UPLOADS = {
    "metrics.imports": "METRICS_UPLOAD_MAX_BYTES",
    "collateral.library": "COLLATERAL_UPLOAD_MAX_BYTES",
    "collateral.offer_drafts": "COLLATERAL_UPLOAD_MAX_BYTES",
    "collateral.new_version": "COLLATERAL_UPLOAD_MAX_BYTES",
    "audiences.placement_upload": "AUDIENCE_UPLOAD_MAX_BYTES",
    "audiences.lists": "AUDIENCE_UPLOAD_MAX_BYTES",
    "audiences.replace_list": "AUDIENCE_UPLOAD_MAX_BYTES",
    "api.upload_audience_file": "AUDIENCE_UPLOAD_MAX_BYTES",
    "api.create_import": "METRICS_UPLOAD_MAX_BYTES",
    "api.create_collateral_asset": "COLLATERAL_UPLOAD_MAX_BYTES",
    "api.create_collateral_version": "COLLATERAL_UPLOAD_MAX_BYTES",
    "api.create_offer_collateral_asset": "COLLATERAL_UPLOAD_MAX_BYTES",
}
MULTIPART_OVERHEAD = 16 * 1024


def allow_large_uploads() -> None:
    key = LARGE_UPLOADS.get(request.endpoint or "")
    if key and request.method == "POST":
        request.max_content_length = int(current_app.config[key]) + MULTIPART_OVERHEAD


def install(app: Flask) -> None:
    # Ahead of the extensions' hooks (CSRF, rate limits): their refusals carry a request id
    # too, and an oversized form is refused before anything parses it.
    app.before_request_funcs.setdefault(None, [])[:0] = [
        assign_request_id,
        allow_large_uploads,
        refuse_oversized_form,
    ]
    app.after_request(add_security_headers)

"""One JSON error shape for everything under /api/v1.

``{"error": {"status": 422, "message": "...", "field": "name", "errors": [...]}}`` — ``field``
names the offending input (or null), ``errors`` lists every problem of a validation error
(empty otherwise). HTML pages keep their HTML error pages: the app-level handlers are wrapped
so that only requests under /api/v1 answer JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from apiflask import HTTPError
from flask import Flask, Response, g, jsonify, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException

from comarketing.errors import DomainError, NotFound

API_PREFIX = "/api/v1"
WWW_AUTHENTICATE = 'Bearer realm="api"'
# HTML pages that live under the API's prefix (the docs page) keep HTML errors.
HTML_BLUEPRINTS = {"api_pages"}

security_log = logging.getLogger("comarketing.security")
log = logging.getLogger("comarketing")

MESSAGES = {
    400: "The request could not be understood (is the body valid JSON?).",
    401: "A valid API token is required: send 'Authorization: Bearer <token>'.",
    403: "Your token or role does not allow this.",
    404: "Not found.",
    405: "This path does not accept that method.",
    406: "This API only answers JSON.",
    409: "The request conflicts with the current state; try again later.",
    413: "The request body is too large.",
    415: "Send the body as application/json.",
    422: "The input is not valid.",
    429: "Too many requests; slow down.",
    500: "Unexpected error. It was logged; please try again.",
    503: "The service is temporarily unavailable; try again in a minute.",
}

# Every operation documents these (and its own success answer), so a client — and
# Schemathesis — meets no undocumented status.
DOCUMENTED_ERRORS = [400, 401, 403, 404, 405, 409, 413, 422, 500, 503]


def is_api_request() -> bool:
    path = request.path
    under_api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
    return under_api and request.blueprint not in HTML_BLUEPRINTS


def error_response(
    status: int,
    message: str | None = None,
    *,
    field: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    response = jsonify(
        {
            "error": {
                "status": status,
                "message": message or MESSAGES.get(status, "Error."),
                "field": field,
                "errors": errors or [],
            }
        }
    )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(detail: Any, location: str, prefix: str = "") -> Iterator[dict[str, Any]]:
    """Marshmallow's nested {"field": ["message"]} (lists of items keyed by index) as a flat
    list of {"location", "field", "message"} with dotted field paths ("items.3.date")."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, location, name)
    elif isinstance(detail, list | tuple):
        for value in detail:
            yield from _flatten(value, location, prefix)
    else:
        yield {"location": location, "field": prefix or None, "message": str(detail)}


def _from_http_error(error: HTTPError) -> Response:
    """APIFlask's errors: validation of the body / query string, and explicit aborts."""
    status = error.status_code
    errors: list[dict[str, Any]] = []
    if isinstance(error.detail, Mapping):
        for location, detail in error.detail.items():
            errors.extend(_flatten(detail, str(location)))
    first_field = next((e["field"] for e in errors if e["field"]), None)
    message = MESSAGES.get(status) if errors else (error.message or None)
    return error_response(
        status,
        message,
        field=first_field,
        errors=errors,
        headers=dict(Headers(error.headers or {}).items()),
    )


def _from_werkzeug(error: HTTPException) -> Response:
    status = error.code or 500
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() in {"allow", "retry-after", "www-authenticate"}
    }
    if status == 401:
        headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    return error_response(status, headers=headers)


def _from_domain(error: DomainError) -> Response:
    if isinstance(error, NotFound):
        # The same answer for "not yours" and "does not exist": no message of the service's.
        return error_response(404)
    errors = (
        [{"location": "json", "field": error.field, "message": error.message}]
        if error.field
        else []
    )
    return error_response(error.status_code, error.message, field=error.field, errors=errors)


def response_for(error: BaseException) -> Response:
    """The JSON answer for an exception raised while handling an API request."""
    if isinstance(error, HTTPError):
        return _from_http_error(error)
    if isinstance(error, HTTPException):
        return _from_werkzeug(error)
    if isinstance(error, DomainError):
        return _from_domain(error)
    if isinstance(error, DBAPIError) and (
        isinstance(error, OperationalError) or error.connection_invalidated
    ):
        log.error("database unavailable: %s", type(error.orig).__name__)
        return error_response(503, headers={"Retry-After": "30"})
    log.exception("unhandled error in the API", exc_info=error)
    return error_response(500)


def status_of(error: BaseException) -> int:
    if isinstance(error, HTTPError):
        return error.status_code
    if isinstance(error, HTTPException):
        return error.code or 500
    if isinstance(error, DomainError):
        return error.status_code
    return 500


def _log_refusal(status: int) -> None:
    kind = {401: "api_auth_failed", 403: "authorization_denied", 429: "rate_limited"}.get(status)
    if kind:
        security_log.warning(
            "security event=%s status=%s ip=%s path=%s request_id=%s",
            kind,
            status,
            request.remote_addr,
            request.path,
            g.get("request_id"),
        )


def json_under_api(html_handler: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    def handler(error: Any) -> Any:
        if is_api_request():
            response = response_for(error)
            _log_refusal(response.status_code)
            return response
        if html_handler is None:
            raise error
        return html_handler(error)

    return handler


def install(app: Flask) -> None:
    """Wrap the app's error handlers (HTML pages, APIFlask's own) so that requests under
    /api/v1 — unknown paths and wrong methods included, which no blueprint handler would see
    — answer the JSON shape. Call after the HTML error pages are installed."""
    handlers = app.error_handler_spec[None][None]
    for exc_class in (HTTPException, HTTPError, DBAPIError, Exception):
        app.register_error_handler(exc_class, json_under_api(handlers.get(exc_class)))

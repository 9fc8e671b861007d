"""Error pages without internals, and structured log lines for security-relevant refusals."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from comarketing import read_only_end
from comarketing.extensions import db

security_log = logging.getLogger("comarketing.security")
log = logging.getLogger("comarketing")

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
MESSAGES = {
    400: "The request could not be understood.",
    401: "Please sign in.",
    403: "Your role does not allow this.",
    404: "There is nothing here — or nothing you can see.",
    405: "This address does not accept that kind of request.",
    413: "That upload or form is larger than allowed.",
    429: "Too many attempts. Please wait a moment and try again.",
    500: "We hit an unexpected problem. It was logged; please try again.",
    503: "The service cannot reach its database right now. Please try again in a minute.",
}


def _who(*, load: bool = False) -> tuple[object, object]:
    # Never load the user for a 5xx: the database may be the very thing that failed. A CSRF
    # refusal comes before any view loaded the user, so that one loads it (``load``).
    user = g.get("_login_user")
    if user is None and load:
        try:
            user = current_user._get_current_object()
        except DBAPIError:
            db.session.rollback()
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None
    return getattr(user, "email", None), getattr(user, "organization_id", None)


def _security_event(kind: str, status: int, *, load_user: bool = False) -> None:
    email, org = _who(load=load_user)
    security_log.warning(
        "security event=%s status=%s user=%s org=%s ip=%s path=%s request_id=%s",
        kind,
        status,
        email,
        org,
        request.remote_addr,
        request.path,
        g.get("request_id"),
    )


def _render(status: int, message: str | None = None, *, plain: bool = False) -> tuple[str, int]:
    values = {
        "status": status,
        "title": TITLES.get(status, "Error"),
        "message": message or MESSAGES.get(status, ""),
    }
    if plain:
        # Straight from the Jinja environment, skipping context processors: Flask-Login's
        # would load the signed-in user, i.e. query the database that may just have failed.
        return current_app.jinja_env.get_template("errors/plain.html").render(**values), status
    return render_template("errors/error.html", **values), status


def install(app: Flask) -> None:
    install_session_cleanup(app)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        _security_event("csrf_failed", 400, load_user=True)
        return _render(
            400,
            "The form expired or was not sent from this site. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        if status == 403:
            _security_event("authorization_denied", 403)
        if status == 429:
            _security_event("rate_limited", 429)
        # Only our own abort() descriptions are shown; werkzeug's defaults are generic anyway.
        description = error.description if status in (403, 409, 422) else None
        response = error.get_response()
        body, _ = _render(status, description, plain=status >= 500)
        response.set_data(body)
        response.content_type = "text/html; charset=utf-8"
        return response

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> tuple[str, int, dict[str, str]]:
        if isinstance(error, OperationalError) or error.connection_invalidated:
            # Down or restarting: say so quickly; pool_pre_ping reconnects once it is back.
            log.error("database unavailable: %s", type(error.orig).__name__)
            body, status = _render(503, plain=True)
            return body, status, {"Retry-After": "30"}
        log.exception("database error")
        body, status = _render(500, plain=True)
        return body, status, {}

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        log.exception("unhandled error")
        return _render(500, plain=True)


def install_session_cleanup(app: Flask) -> None:
    """End the request's database session inside the request, so that a connection dying
    during that cleanup (its COMMIT or ROLLBACK) answers the app's 503, not the server's bare 500.

    Registered before the other after-request hooks, so it runs after them all (Flask runs
    them in reverse): the mail and job hand-overs that still use the session come first.
    """

    @app.after_request
    def end_database_session(response: Response) -> Response:
        try:
            # Committed when it only read: PostgreSQL keeps the prepared statements.
            read_only_end.end(db.session)
        except DBAPIError as error:
            log.error("database session cleanup failed: %s", type(error.orig).__name__)
            return current_app.make_response(current_app.handle_user_exception(error))
        return response

    @app.teardown_appcontext
    def end_database_session_quietly(error: BaseException | None) -> None:
        # What the after-request hook did not reach (a request that raised past the error
        # handlers, a CLI command): the answer is already decided; a failure only gets logged.
        try:
            db.session.remove()
        except DBAPIError as failure:
            log.error("database session cleanup failed: %s", type(failure.orig).__name__)

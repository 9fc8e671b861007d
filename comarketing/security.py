"""Security headers on every response, request ids, and log lines that cannot be forged."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, request

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


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class SingleLineFormatter(logging.Formatter):
    """Escape CR/LF so user-supplied text cannot forge extra log lines."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        SingleLineFormatter(
            "%(asctime)s %(levelname)s %(name)s [request_id=%(request_id)s] %(message)s"
        )
    )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger("comarketing")
    if not any(isinstance(h.formatter, SingleLineFormatter) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = True


def install(app: Flask) -> None:
    app.before_request(assign_request_id)
    app.after_request(add_security_headers)
    configure_logging(app)

"""Puts the JSON API together: imports every route module (each adds its operations to
``blueprint.bp``), configures the OpenAPI document served at /api/v1/openapi.json and
registers the API's blueprints. Only ``create_app`` imports this module; nothing in the API
imports it back.
"""

from __future__ import annotations

from flask import Flask

from comarketing.api import schemas
from comarketing.api.blueprint import bp
from comarketing.api.pages import bp as pages_bp

# The route modules, imported for the operations each adds to ``bp``. Their order is the
# order of the operations in the OpenAPI document and on the /api/v1/docs page.
# isort: off
from comarketing.api import me  # noqa: F401
from comarketing.api import campaigns  # noqa: F401
from comarketing.api import campaign_writes  # noqa: F401
from comarketing.api import milestones  # noqa: F401
from comarketing.api import calendar  # noqa: F401
from comarketing.api import collateral  # noqa: F401
from comarketing.api import collateral_requests  # noqa: F401
from comarketing.api import dashboard  # noqa: F401
from comarketing.api import metrics  # noqa: F401
from comarketing.api import imports  # noqa: F401
from comarketing.api import audiences  # noqa: F401
from comarketing.api import reports  # noqa: F401
from comarketing.api import ledger
from comarketing.api import statements  # noqa: F401
from comarketing.api import partners  # noqa: F401
from comarketing.api import offers  # noqa: F401
from comarketing.api import notifications  # noqa: F401
from comarketing.api import events
# isort: on


def install(app: Flask) -> None:
    """Register the API and describe it in the OpenAPI document at /api/v1/openapi.json."""
    app.config.update(
        HTTP_ERROR_SCHEMA=schemas.Error,
        VALIDATION_ERROR_SCHEMA=schemas.Error,
        AUTH_ERROR_DESCRIPTION="Missing, unknown, expired or revoked token",
        VALIDATION_ERROR_DESCRIPTION="Invalid input; `field` and `errors` say which",
        AUTO_SERVERS=False,
        INFO={
            "description": (
                "Comarketing's JSON API. Authenticate with a personal access token in the "
                "`Authorization: Bearer` header. Every error has the `Error` shape."
            )
        },
    )
    app.title = "Comarketing API"  # type: ignore[attr-defined]
    app.version = "1"  # type: ignore[attr-defined]
    # APIFlask keeps one spec processor: each step of the document's shaping is listed here.
    app.spec_processor(  # type: ignore[attr-defined]
        lambda spec: events.document_webhooks(ledger.document_uploads(spec))
    )
    app.register_blueprint(bp)
    app.register_blueprint(pages_bp)

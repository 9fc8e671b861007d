"""The JSON API's blueprint, /api/v1, its rate limits and the errors every operation documents.

Authentication is a bearer token only (see :mod:`comarketing.api.auth`), so the blueprint is
exempt from CSRF: no cookie ever authenticates a request here. The route modules add their
operations to ``bp``; :mod:`comarketing.api.registry` imports them and registers it.
"""

from __future__ import annotations

import hashlib

from apiflask import APIBlueprint
from flask import Response, current_app, request
from flask_limiter.util import get_remote_address

from comarketing.api import errors
from comarketing.extensions import csrf, limiter

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="API")
csrf.exempt(bp)


def _caller_key() -> str:
    """Each token has its own allowance, keyed by a digest of the token so that no secret sits
    in the limiter's storage; a request without a token counts against its address."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "ip:" + get_remote_address()


def _auth_failed(response: Response) -> bool:
    return response.status_code == 401


# A runaway script slows down alone (per token); guessing tokens is limited per address, as
# made-up tokens would each get a fresh allowance of their own above.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_caller_key, scope="api")(bp)
limiter.limit(
    lambda: current_app.config["API_AUTH_FAILURE_LIMIT"],
    key_func=get_remote_address,
    deduct_when=_auth_failed,
    scope="api-auth-failures",
)(bp)

# The errors every operation may answer, each with the one error schema.
ERRORS = errors.DOCUMENTED_ERRORS

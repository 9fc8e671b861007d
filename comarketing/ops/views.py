"""``/readyz`` for load balancers and ``/metrics`` for Prometheus (``/healthz`` is liveness,
in the dashboard blueprint: it answers whenever the process does)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from comarketing.extensions import csrf, limiter
from comarketing.ops import prometheus, readiness

bp = Blueprint("ops", __name__)
csrf.exempt(bp)


@bp.route("/readyz")
@limiter.exempt
def ready() -> ResponseReturnValue:
    checks = readiness.run()
    ok = all(state in readiness.FINE for state in checks.values())
    response = jsonify(status="ready" if ok else "unavailable", checks=checks)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
@limiter.exempt
def metrics() -> Response:
    if not current_app.config.get("METRICS_TOKEN"):
        abort(404)  # not exposed unless an operator sets a token
    if not prometheus.token_matches(request.headers.get("Authorization")):
        response = Response("A bearer token is required.\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return prometheus.exposition()

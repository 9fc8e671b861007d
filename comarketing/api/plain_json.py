"""Answers the API builds as plain dicts, made JSON-ready without the output schema's dump.

For the large answers (a campaign's ledger: a hundred claims with their versions, answers and
proof, a hundred entries and payments) marshmallow's field-by-field dump cost more than
reading the data: ~5,600 fields, a third of the request. The dicts the route modules build
(``ledger_schemas.entry``, ``claim``, ``payment`` …) already hold the schema's fields with
their final values but for dates and instants; here those become ISO 8601 text, as the
schemas' ``Date`` and ``DateTime`` fields write them. The routes keep ``@bp.output`` (the
OpenAPI document), and tests/api/test_api_ledger_json.py holds each answer equal to the
schema's dump of the same dict.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify


def json_ready(value: Any) -> Any:
    """Dicts and lists copied, dates and datetimes as ``isoformat()``, the rest as it is."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    if isinstance(value, date):  # datetimes too (a subclass)
        return value.isoformat()
    return value


def answer(body: dict[str, Any]) -> Response:
    """The JSON response of a built answer (APIFlask passes a Response through)."""
    return jsonify(json_ready(body))

"""Answers the API builds as plain dicts, written as JSON without the output schema's dump.

For the large answers (a campaign's ledger: a hundred claims with their versions, answers and
proof, a hundred entries and payments) marshmallow's field-by-field dump cost more than
reading the data: ~5,600 fields, a third of the request. The dicts the route modules build
(``ledger_schemas.entry``, ``claim``, ``payment`` …) already hold the schema's fields with
their final values but for dates and instants, which are written here as ISO 8601 text, as
the schemas' ``Date`` and ``DateTime`` fields write them (Flask's own JSON would write an
HTTP date) — by the JSON encoder itself (its ``default``), without walking the answer in
Python. The routes keep ``@bp.output`` (the OpenAPI document); tests/api/test_api_ledger.py
and test_api_read.py hold each answer equal to the schema's dump of the same dict.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, current_app
from flask.json.provider import DefaultJSONProvider


def _iso_dates(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too (a subclass)
        return value.isoformat()
    return DefaultJSONProvider.default(value)  # what Flask's JSON writes for the rest


def answer(body: dict[str, Any]) -> Response:
    """The JSON response of a built answer, as ``jsonify`` writes it but for dates (APIFlask
    passes a Response through)."""
    provider = current_app.json
    pretty = provider.compact is False or (provider.compact is None and current_app.debug)  # type: ignore[attr-defined]
    layout: dict[str, Any] = {"indent": 2} if pretty else {"separators": (",", ":")}
    text = provider.dumps(body, default=_iso_dates, **layout)
    return current_app.response_class(f"{text}\n", mimetype=provider.mimetype)  # type: ignore[attr-defined]

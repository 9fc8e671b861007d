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

:func:`kept_answer` keeps a written answer that shows only data the company's data version
covers (``campaigns.data_version``: a campaign's ledger, a placement's days) like the report
pages' figures (``campaigns.cache``): the same text until that data changes, written once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date
from typing import Any

from flask import Response, current_app
from flask.json.provider import DefaultJSONProvider

from comarketing.campaigns import cache


def _iso_dates(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too (a subclass)
        return value.isoformat()
    return DefaultJSONProvider.default(value)  # what Flask's JSON writes for the rest


def _pretty() -> bool:
    provider = current_app.json
    return provider.compact is False or (provider.compact is None and current_app.debug)  # type: ignore[attr-defined]


def _text(body: dict[str, Any], pretty: bool) -> str:
    layout: dict[str, Any] = {"indent": 2} if pretty else {"separators": (",", ":")}
    return f"{current_app.json.dumps(body, default=_iso_dates, **layout)}\n"


def _response(text: str) -> Response:
    return current_app.response_class(text, mimetype=current_app.json.mimetype)  # type: ignore[attr-defined]


def answer(body: dict[str, Any]) -> Response:
    """The JSON response of a built answer, as ``jsonify`` writes it but for dates (APIFlask
    passes a Response through)."""
    return _response(_text(body, _pretty()))


def kept_answer(
    organization_id: int, name: str, arguments: Hashable, build: Callable[[], dict[str, Any]]
) -> Response:
    """:func:`answer` of ``build()``, kept for the company at its current data version.

    ``build()`` must show nothing but what the data version covers, the same to everyone of
    the company whatever the time: ``arguments`` (a campaign's id, a date range) and the
    company decide it. Callers check access first — a kept answer is never a reason to skip
    it. Kept per process start (a release writes afresh) and layout (pretty or compact)."""
    pretty = _pretty()
    text = cache.figures(
        organization_id,
        f"api:{name}",
        (arguments, pretty, cache.PROCESS),
        lambda: _text(build(), pretty),
    )
    return _response(text)

"""Input no view should ever see: refused once, before any view, for every route.

- A NUL character in a query parameter, a path segment, a form field, an uploaded file's name
  or a JSON string (or key): PostgreSQL cannot store it, and no text we keep needs it. Answered
  422 naming the field, signed in or out -- except in an HTML form's field that a form declares
  (``form_base.declared_names``): that form refuses it next to the field.
- JSON nested deeper than :data:`MAX_JSON_DEPTH`: no request of ours nests more than a few
  levels, and parsing a deep document costs the recursion limit. Answered 400, measured on the
  raw bytes before anything parses them.
- Record ids and page numbers in the query string beyond what the database holds (ids are
  32-bit, like ``<int:...>`` in paths): 404, the answer for a record that does not exist. Any
  other integer-looking parameter beyond 64 bits: 400 (SQLite cannot even bind it). The API
  answers 422 naming the parameter instead, like its own schemas.

HTML requests get the normal error page, API requests the API's JSON error shape (with
``field``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from apiflask import HTTPError
from flask import Flask, abort, request
from werkzeug.exceptions import UnprocessableEntity

from comarketing import form_base

MAX_JSON_DEPTH = 32
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
# Query parameters that name a record (or a page of records).
ID_PARAMS = frozenset(
    {
        "partner",
        "partner_id",
        "campaign",
        "campaign_id",
        "placement",
        "placement_id",
        "offer",
        "offer_id",
        "list",
        "list_id",
        "audience_id",
        "asset",
        "asset_id",
        "import_id",
        "claim_id",
    }
)
PAGE_PARAMS = frozenset({"page", "per_page", "claims_page", "ledger_page"})
_INTEGER = re.compile(r"[+-]?\d+")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
OUT_OF_RANGE = "Out of range: no record or page has this number."
NUL_MESSAGE = form_base.NUL_MESSAGE


class NulInField(UnprocessableEntity):
    def __init__(self, location: str, field: str) -> None:
        super().__init__(f"“{field}”: {NUL_MESSAGE}")
        self.location, self.field = location, field


def _too_large(name: str, value: str) -> int | None:
    """The status for an integer parameter out of range, None when it is fine."""
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        return None
    number = int(text) if len(text) <= 40 else 10**40
    if name in ID_PARAMS and abs(number) > MAX_ID:
        return 404
    if name in PAGE_PARAMS and abs(number) > MAX_PAGE:
        return 404
    return 400 if abs(number) >= 2**63 else None


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest, counted on the raw text (strings skipped)."""
    brackets = _BRACKETS.findall(_JSON_STRING.sub(b"", body))
    steps = (1 if b in (b"[", b"{") else -1 for b in brackets)
    return max(itertools.accumulate(steps, initial=0))


def _nul_paths(value: Any, path: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield name
            yield from _nul_paths(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}" if path else str(index))


def _first_nul() -> tuple[str, str] | None:
    for location, values in (
        ("path", (request.view_args or {}).items()),
        ("query", request.args.items(multi=True)),
    ):
        for name, value in values:
            if "\x00" in str(value) or "\x00" in name:
                return location, name
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        return None  # too large: whoever reads it answers 413 in its own words
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if request.blueprint == "api":
            # Kept for the API's idempotency fingerprint, which hashes the raw body; the form
            # is then parsed from this copy.
            request.get_data(cache=True, parse_form_data=False)
        declared = frozenset() if request.blueprint == "api" else form_base.declared_names()
        for name, value in request.form.items(multi=True):
            # A multipart part whose name cannot be read has none (None), not a 500.
            name = name or ""
            if "\x00" in name or ("\x00" in (value or "") and name not in declared):
                return "form", name
        for name, upload in request.files.items(multi=True):
            if "\x00" in (upload.filename or ""):
                return "files", name
    elif request.is_json and request.content_length:
        body = request.get_data(cache=True)
        if json_depth(body) > MAX_JSON_DEPTH:
            abort(400, f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
        for path in _nul_paths(request.get_json(silent=True)):
            return "json", path
    return None


def refuse_unusable_input() -> None:
    api = request.blueprint == "api"  # the JSON API (its docs page is another blueprint)
    for name, value in request.args.items(multi=True):
        status = _too_large(name, value)
        if status and api:
            # The API names the parameter, as its own schemas do for values they refuse.
            raise HTTPError(422, detail={"query": {name: [OUT_OF_RANGE]}})
        if status:
            abort(status)
    found = _first_nul()
    if found is None:
        return
    location, field = found[0], found[1].replace("\x00", "\\0")  # a NUL in the name, shown
    if api:
        raise HTTPError(422, detail={location: {field: [NUL_MESSAGE]}})
    raise NulInField(location, field)


def install(app: Flask) -> None:
    # After CSRF and the upload-size hooks (a form is read within its size limit), before every
    # view and blueprint hook.
    app.before_request(refuse_unusable_input)

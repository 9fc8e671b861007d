"""Hostile input on every route never answers 5xx (issue 17, part 3; SECURITY.md).

The routes come from the URL map — through the route matrix, which must name every
(endpoint, method) of ``app.url_map`` and gives each a URL that reaches a real record — and
the API's parameters and bodies from its OpenAPI document. Each route gets:

- query parameters: ids and page numbers beyond 32 and 64 bits, a NUL in each, dates and
  months out of range or malformed, and the last allowed day (2100-12-31);
- its path's ids beyond 64 bits;
- form posts: a NUL in every field (signed in, and signed out on the public routes), date
  fields out of range and at the edge;
- API bodies: a NUL in every string, out-of-range numbers and dates, JSON nested 10,000 deep.

Nothing may answer 5xx. NUL bytes only fail on PostgreSQL: run with ``--backend=postgresql``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from comarketing.api import services as api_tokens
from comarketing.extensions import db
from tests.security.conftest import IGNORED_METHODS, Scene, actor_for, client_as, load_matrix

ROWS: list[dict[str, Any]] = load_matrix()["routes"]
PUBLIC: set[str] = set(load_matrix()["public"])
HUGE = str(2**64)
DATE_FIELDS = [
    "start_date",
    "end_date",
    "due_on",
    "occurred_on",
    "service_from",
    "service_to",
    "paid_on",
    "expires_on",
    "day",
    "start",
    "end",
    "as_of",
    "week_start",
    "month",
    "remove",
    "from",
    "to",
]
QUERY_NAMES = [
    "page",
    "per_page",
    "partner",
    "campaign",
    "campaign_id",
    "placement_id",
    "month",
    "start",
    "end",
    "from",
    "to",
    "as_of",
    "preset",
    "status",
    "kind",
    "channel",
    "next",
    "q",
]
HOSTILE_QUERIES: list[dict[str, str]] = [
    {"page": "9" * 30, "partner": HUGE, "campaign": HUGE, "campaign_id": HUGE},
    {"page": "2147483648", "partner": "2147483648", "placement_id": str(2**63)},
    {name: "1\x00" for name in QUERY_NAMES},
    {
        "page": "-1",
        "per_page": "0",
        "partner": "-5",
        "campaign": "2147483647",
        "campaign_id": "2147483647",
        "month": "9999-12",
        "start": "9999-12-31",
        "end": "0001-01-01",
        "from": "9999-12-31",
        "to": "0001-01-01",
        "as_of": "10000-01-01",
        "preset": "\u202e",
        "status": "x" * 300,
        "channel": "%",
    },
    {
        "page": "1000000",
        "month": "2100-12",
        "start": "2096-01-01",
        "end": "2100-12-31",
        "from": "2000-01-01",
        "to": "2100-12-31",
        "as_of": "2100-12-31",
    },
]


def one_row_per_route() -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row in ROWS:
        rows.setdefault((row["endpoint"], row["method"]), row)
    return [r for r in rows.values() if r["method"] not in IGNORED_METHODS]


def with_query(url: str, query: dict[str, str]) -> str:
    parts = urlsplit(url)
    own = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    return parts.path + "?" + urlencode({**own, **query})


def huge_ids_in_path(url: str) -> str | None:
    path = urlsplit(url).path
    swapped = re.sub(r"/\d+(?=/|$)", "/" + HUGE, path)
    return swapped if swapped != path else None


class Probe:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.count = 0

    def send(self, client: FlaskClient, method: str, url: str, what: str, **kwargs: Any) -> int:
        response = client.open(url, method=method, **kwargs)
        response.close()
        self.count += 1
        if response.status_code >= 500:
            self.failures.append(f"{method} {url[:160]!r} ({what}): {response.status_code}")
        return response.status_code


def test_hostile_query_strings_and_path_ids_never_answer_5xx(app: Flask, scene: Scene) -> None:
    probe = Probe()
    signed_in = client_as(app, scene.world.a.email("admin"))
    signed_out = app.test_client()
    for row in one_row_per_route():
        if row["method"] != "GET" or row["endpoint"] == "static":
            continue
        url = scene.fill(row["url"])
        clients = [signed_in] + ([signed_out] if row["endpoint"] in PUBLIC else [])
        for client in clients:
            for query in HOSTILE_QUERIES:
                probe.send(client, "GET", with_query(url, query), "query")
        swapped = huge_ids_in_path(url)
        if swapped:
            assert probe.send(signed_in, "GET", swapped, "path id") in (404, 405), swapped
    assert not probe.failures, "\n".join(probe.failures)
    assert probe.count > 300


def test_nul_bytes_and_wild_dates_in_forms_never_answer_5xx(app: Flask, scene: Scene) -> None:
    probe = Probe()
    admin = scene.world.a.email("admin")
    for row in one_row_per_route():
        if row["method"] != "POST" or row["url"].startswith("/api/v1/"):
            continue
        url = scene.fill(row["url"])
        body = {k: scene.fill(str(v)) for k, v in (row.get("body") or {}).items()}
        poisoned = {**{k: v + "\x00" for k, v in body.items()}, "name": "x\x00y"}
        actors = [admin] + ([None] if row["endpoint"] in PUBLIC else [])
        client = client_as(app, admin)
        for email in actors:
            who = client if email else app.test_client()
            status = probe.send(who, "POST", url, "NUL", data=poisoned)
            # 200: a form refused its own field next to it and is shown again (or the route
            # reads none of these fields).
            assert status in (200, 302, 303, 400, 403, 404, 405, 409, 422, 429), (
                url,
                email,
                status,
            )
        for day in ("9999-12-31", "2100-12-31"):
            dated = {**body, **{name: day for name in DATE_FIELDS}}
            if day == "2100-12-31":
                dated["start_date"] = "2096-01-01"
            probe.send(client, "POST", url, f"dates {day}", data=dated)
    assert not probe.failures, "\n".join(probe.failures)


# ------------------------------------------------------------------------------------------
# The API, from its OpenAPI document


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _value(spec: dict[str, Any], schema: dict[str, Any], mode: str, depth: int = 0) -> Any:
    schema = _resolve(spec, schema)
    kind, form = schema.get("type"), schema.get("format")
    if kind == "object" or "properties" in schema:
        if depth > 3:
            return {}
        return {
            name: _value(spec, prop, mode, depth + 1)
            for name, prop in (schema.get("properties") or {}).items()
        }
    if kind == "array":
        return [_value(spec, schema.get("items") or {}, mode, depth + 1)]
    if kind == "integer" or kind == "number":
        return 2**64 if mode == "wild" else 1
    if kind == "boolean":
        return True
    if form == "date":
        return {"wild": "9999-12-31", "nul": "2030-01-01\x00", "edge": "2100-12-31"}[mode]
    return {"wild": "x" * 10_000, "nul": "x\x00y", "edge": "2096-01-01"}[mode]


def _operation(app: Flask, spec: dict[str, Any], url: str, method: str) -> dict[str, Any]:
    adapter = app.url_map.bind("localhost")
    rule, _ = adapter.match(urlsplit(url).path, method=method, return_rule=True)
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
    return dict(spec["paths"].get(path, {}).get(method.lower(), {}))


def test_api_hostile_parameters_and_bodies_never_answer_5xx(app: Flask, scene: Scene) -> None:
    admin = scene.world.a.email("admin")
    with app.app_context():
        _, token = api_tokens.create_token(actor_for(admin), name="hostile", scope="write", days=30)
        db.session.commit()
        db.session.remove()
        with app.test_request_context():
            spec = json.loads(json.dumps(app.spec))  # type: ignore[attr-defined]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    probe = Probe()
    for row in one_row_per_route():
        url = scene.fill(row["url"])
        if not url.startswith("/api/v1/") or row["endpoint"].startswith("api_pages"):
            continue
        method = row["method"]
        operation = _operation(app, spec, url, method)
        if not operation:
            continue
        params = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        for mode in ("wild", "nul", "edge"):
            query = {p["name"]: str(_value(spec, p.get("schema") or {}, mode)) for p in params}
            kwargs: dict[str, Any] = {"headers": headers}
            content = (operation.get("requestBody") or {}).get("content") or {}
            if "application/json" in content:
                kwargs["json"] = _value(spec, content["application/json"]["schema"], mode)
            elif "multipart/form-data" in content:
                fields = _value(spec, content["multipart/form-data"]["schema"], mode)
                kwargs["data"] = {k: str(v) for k, v in fields.items()}
            probe.send(client, method, with_query(url, query), mode, **kwargs)
        if method in ("POST", "PUT", "PATCH"):
            deep = "[" * 10_000 + "]" * 10_000
            status = probe.send(
                client,
                method,
                url,
                "deep JSON",
                data=deep,
                headers=headers,
                content_type="application/json",
            )
            assert status in (400, 404, 405, 415), (url, status)
    assert not probe.failures, "\n".join(probe.failures)
    assert probe.count > 60
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT 1")) == 1

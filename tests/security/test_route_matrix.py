"""The route inventory and the permission matrix (SECURITY.md item 1).

The matrix in ``route_matrix.yaml`` says, for every route and method, what each kind of user
gets. A route that is missing from it fails the build, so nobody adds a page without deciding
who may open it.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from freezegun import freeze_time
from werkzeug.routing.converters import AnyConverter

from tests.security.conftest import (
    ACTORS,
    IGNORED_METHODS,
    REQUIRED_ACTORS,
    Scene,
    client_as,
    load_matrix,
    normalised,
    table_digests,
)

MATRIX = load_matrix()
ROWS: list[dict[str, Any]] = MATRIX["routes"]
PUBLIC: set[str] = set(MATRIX["public"])


def parse_expectation(value: int | str) -> tuple[int, str | None]:
    """`200` -> (200, None); `login` -> (302, '/login'); `302 /x` -> (302, '/x')."""
    if isinstance(value, int):
        return value, None
    if value == "login":
        return 302, "/login"
    status, location = value.split()
    return int(status), location


def row_id(row: dict[str, Any]) -> str:
    extra = "+session" if row.get("session") else ""
    return f"{row['method']} {row['url']}{extra}"


def served_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - IGNORED_METHODS
    }


def test_every_route_has_a_row_in_the_matrix(app: Flask) -> None:
    covered = {(row["endpoint"], row["method"]) for row in ROWS}
    missing = sorted(served_routes(app) - covered)
    assert not missing, (
        "routes with no row in tests/security/route_matrix.yaml (decide who may call them): "
        + ", ".join(f"{endpoint} {method}" for endpoint, method in missing)
    )


def test_the_matrix_names_no_route_that_does_not_exist(app: Flask) -> None:
    served = served_routes(app)
    stale = sorted({(r["endpoint"], r["method"]) for r in ROWS} - served)
    assert not stale, f"matrix rows for routes the app does not serve: {stale}"
    endpoints = {endpoint for endpoint, _ in served}
    assert not PUBLIC - endpoints, f"public allowlist names unknown routes: {PUBLIC - endpoints}"


def test_each_row_requests_the_route_it_names(app: Flask, scene: Scene) -> None:
    """A typo in a URL would silently test a different route (or a 404); match every row's URL
    against the real URL map, and require every value of an ``<any(...)>`` segment."""
    adapter = app.url_map.bind("localhost")
    seen_values: dict[tuple[str, str], set[str]] = {}
    for row in ROWS:
        parts = urlsplit(scene.fill(row["url"]))
        endpoint, values = adapter.match(parts.path, method=row["method"], query_args=parts.query)
        assert endpoint == row["endpoint"], f"{row_id(row)} routes to {endpoint}"
        for name, value in values.items():
            seen_values.setdefault((endpoint, name), set()).add(str(value))
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                missing = converter.items - seen_values.get((rule.endpoint, name), set())
                assert not missing, f"{rule.endpoint}: no row for {name} in {sorted(missing)}"


def test_every_row_states_each_actor_and_only_public_routes_let_anonymous_in() -> None:
    for row in ROWS:
        expect = row["expect"]
        assert set(REQUIRED_ACTORS) <= set(expect), f"{row_id(row)} lacks an actor"
        assert set(expect) <= set(ACTORS), f"{row_id(row)} names an unknown actor"
        for value in expect.values():
            parse_expectation(value)
        if expect["anonymous"] != "login":
            assert row["endpoint"] in PUBLIC, (
                f"{row_id(row)} is open to signed-out visitors but {row['endpoint']} is not in "
                "the public allowlist"
            )
    for endpoint in PUBLIC:
        assert any(
            r["endpoint"] == endpoint and r["expect"]["anonymous"] != "login" for r in ROWS
        ), f"public route {endpoint} has no row showing a signed-out visitor is let in"


CASES = [
    pytest.param(row, actor, id=f"{row['endpoint']} {row_id(row)} as {actor}")
    for row in ROWS
    for actor in ACTORS
    if actor in row["expect"]
]


@pytest.mark.parametrize(("row", "actor"), CASES)
def test_route_answers_as_the_matrix_says(
    app: Flask, scene: Scene, row: dict[str, Any], actor: str
) -> None:
    session = {key: scene.fill(value) for key, value in (row.get("session") or {}).items()}
    # ``at``: the moment the row is played (money is booked only once it was spent).
    with freeze_time(row["at"]) if row.get("at") else nullcontext():
        client = client_as(app, scene.actor_email(actor), session)
        body = {key: scene.fill(str(value)) for key, value in (row.get("body") or {}).items()}
        response = client.open(scene.fill(row["url"]), method=row["method"], data=body)
    text = response.get_data().decode("utf-8", "replace")  # an XLSX export is binary
    response.close()  # static files are streamed from an open file

    status, location = parse_expectation(row["expect"][actor])
    location = scene.fill(location) if location else None
    got_location = urlsplit(response.headers.get("Location", "")).path or None
    assert (response.status_code, got_location if location else None) == (status, location), (
        f"{row['method']} {scene.fill(row['url'])} as {actor}: got {response.status_code} "
        f"{response.headers.get('Location', '')}\n{text[:600]}"
    )


# ------------------------------------------------------------------------------------------
# "Not yours" answers exactly like "does not exist" (SECURITY.md item 2)

NOT_YOURS = [
    ("GET", "/products/{id}/edit", "c_product", {}),
    (
        "POST",
        "/products/{id}/edit",
        "c_product",
        {"name": "Taken", "category": "", "description": ""},
    ),
    ("POST", "/products/{id}/archive", "c_product", {}),
    ("POST", "/products/{id}/restore", "c_archived_product", {}),
    ("POST", "/partners/{id}/accept", "bc_partnership", {}),
    ("POST", "/partners/{id}/end", "bc_partnership", {}),
    ("POST", "/partners/{id}/cancel", "c_sent_pending", {}),
]


@pytest.mark.parametrize(
    ("method", "path", "target", "body"),
    NOT_YOURS,
    ids=[f"{m} {p} {t}" for m, p, t, _ in NOT_YOURS],
)
def test_another_companys_record_answers_exactly_like_a_missing_one(
    app: Flask, scene: Scene, method: str, path: str, target: str, body: dict[str, str]
) -> None:
    client = client_as(app, scene.world.a.email("partner_manager"))
    # The first page that renders a CSRF token stores its secret in the session (Set-Cookie);
    # that happens once per session, whatever the record, so get it over with first.
    assert client.get("/dashboard").status_code == 200
    before = table_digests(app)

    theirs = client.open(path.format(id=scene.placeholders[target]), method=method, data=body)
    missing = client.open(
        path.format(id=scene.placeholders["missing_id"]), method=method, data=body
    )

    assert theirs.status_code == 404
    assert normalised(theirs) == normalised(missing)
    assert theirs.get_data() != b""
    assert scene.world.canary not in theirs.get_data(as_text=True)
    assert "object-src 'none'" in theirs.headers["Content-Security-Policy"]
    assert theirs.headers["Cache-Control"] == "no-store"
    assert theirs.headers["X-Content-Type-Options"] == "nosniff"
    assert table_digests(app) == before, "a refused request changed the database"

"""GET and HEAD change nothing (SECURITY.md item 30).

Every table's rows are hashed, every GET row of the route matrix is requested twice (and once
as HEAD) by each kind of visitor, and the hash must not move. Nothing is excluded from the
hash: the visitors are signed in by writing the session directly (see ``client_as``), so not
even the ``last_sign_in_at`` and audit row of a POST /login happen inside the measured window.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.security.conftest import ACTORS, Scene, client_as, load_matrix, table_digests

GET_ROWS = [row for row in load_matrix()["routes"] if row["method"] == "GET"]


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


@pytest.mark.parametrize("actor", ACTORS)
def test_get_and_head_leave_every_table_unchanged(app: Flask, scene: Scene, actor: str) -> None:
    email = scene.actor_email(actor)
    before = table_digests(app)

    statuses = []
    for row in GET_ROWS:
        url = scene.fill(row["url"])
        session = {key: scene.fill(value) for key, value in (row.get("session") or {}).items()}
        for method in ("GET", "GET", "HEAD"):
            response = client_as(app, email, session).open(url, method=method)
            response.close()
            statuses.append(response.status_code)
            assert response.status_code < 500, f"{method} {url} as {actor}: {response.status}"
        after = table_digests(app)
        assert not changed_tables(before, after), (
            f"GET/HEAD {url} as {actor} changed {changed_tables(before, after)}"
        )
    # The requests must have reached real pages, not only sign-in walls and 404s.
    assert statuses.count(200) >= 15


def test_the_digest_notices_a_single_write(app: Flask, scene: Scene) -> None:
    """Control: the hash does see one changed row, so an unchanged hash above means something."""
    before = table_digests(app)
    client = client_as(app, scene.world.a.email("partner_manager"))
    response = client.post(
        f"/products/{scene.placeholders['a_product']}/edit",
        data={"name": "Alpha Flour Renamed", "category": "Baking", "description": ""},
    )
    assert response.status_code == 302
    assert "products" in changed_tables(before, table_digests(app))

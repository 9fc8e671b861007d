"""In-process checks of the database watchdog and the session cleanup (issue 19), on a proxy
the test controls: quick companions of the gunicorn drills in test_database_cuts.py."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.extensions import db
from tests.conftest import login
from tests.faults.proxy import FaultProxy

pytestmark = pytest.mark.pg_only


@pytest.fixture
def proxied(make_app, app):
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = FaultProxy((url.host or "127.0.0.1", url.port or 5432))

    def build(**overrides: object) -> Flask:
        proxied_url = url.set(host="127.0.0.1", port=proxy.port)
        return make_app(
            SQLALCHEMY_DATABASE_URI=proxied_url.render_as_string(hide_password=False),
            **overrides,
        )

    yield build, proxy
    proxy.close()


def _timed_get(client, path):
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_a_silent_partition_answers_503_within_seconds_and_heals_by_itself(proxied, world):
    build, proxy = proxied
    app = build()
    client = app.test_client()
    login(client, world.a.email("analyst"))
    assert client.get("/dashboard").status_code == 200

    proxy.drop()
    for path in ("/dashboard", "/partners"):
        response, seconds = _timed_get(client, path)
        assert response.status_code == 503, (path, response.status_code)
        assert seconds < 5, f"{path} took {seconds:.1f} s"
    body = client.get("/dashboard").get_data(as_text=True)
    assert "cannot reach its database" in body and "psycopg" not in body
    # While the probe finds no server, new connections are not even tried: at once.
    _, seconds = _timed_get(client, "/partners")
    assert seconds < 1, f"a second request during the cut took {seconds:.1f} s"

    proxy.restore()
    deadline = time.monotonic() + 10
    while client.get("/dashboard").status_code != 200:
        assert time.monotonic() < deadline, "no recovery within 10 s of the network's return"
        time.sleep(0.25)


def test_a_slow_query_on_a_live_server_is_left_alone(proxied, world):
    build, _ = proxied
    app = build(DB_ANSWER_TIMEOUT=0.5)
    with app.app_context():
        # Twice the answer timeout: the watchdog probes, the server answers, the query runs on.
        assert db.session.scalar(sa.text("SELECT 1 FROM pg_sleep(1.2)")) == 1
        db.session.remove()


def test_a_connection_lost_during_the_session_cleanup_answers_the_apps_503(proxied, world):
    build, proxy = proxied
    app = build(own=True)

    @app.get("/drill/read-then-lose")
    def read_then_lose() -> str:
        db.session.execute(sa.text("SELECT 1"))  # a transaction open on the connection
        proxy.refuse()  # the connection dies before the request's cleanup rolls it back
        return "read"

    @app.get("/api/v1/drill/read-then-lose")
    def api_read_then_lose() -> dict[str, str]:
        db.session.execute(sa.text("SELECT 1"))
        proxy.refuse()
        return {"read": "yes"}

    client = app.test_client()
    response = client.get("/drill/read-then-lose")
    assert response.status_code == 503
    assert "cannot reach its database" in response.get_data(as_text=True)
    proxy.restore()
    response = client.get("/api/v1/drill/read-then-lose")
    assert response.status_code == 503
    assert response.json["error"]["status"] == 503
    proxy.restore()
    assert client.get("/healthz").status_code == 200

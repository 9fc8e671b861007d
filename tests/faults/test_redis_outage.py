"""Redis stopped for 10 s while pages are served (issue 19): pages keep answering, rate limits
go on counting in each process's memory (sign-in limits included, so guessing stays bounded),
``/readyz`` names Redis as down, and everything uses Redis again once it is back.

A private ``redis-server`` on a free port stands in for the shared one, which is never touched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from comarketing.api import services as api_tokens
from comarketing.extensions import db
from tests.api.conftest import actor_for
from tests.conftest import login
from tests.jobs.processes import PrivateRedis
from tests.jobs.processes import private_redis as running_redis

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 10
ANSWER_WITHIN = 2.0


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with running_redis(tmp_path) as server:
        yield server


def _timed(call):
    started = time.monotonic()
    response = call()
    seconds = time.monotonic() - started
    assert seconds < ANSWER_WITHIN, f"an answer took {seconds:.1f} s"
    return response


def test_pages_keep_answering_while_redis_is_stopped(make_app, world, private_redis):
    app = make_app(
        REDIS_URL=private_redis.url,
        RATELIMIT_STORAGE_URI=private_redis.url,
        RATELIMIT_KEY_PREFIX=f"outage-{uuid.uuid4().hex}",
        LOGIN_LIMIT_PER_IP="5 per minute",
    )
    email = world.a.email("analyst")
    with app.app_context():
        _, token = api_tokens.create_token(actor_for(email), name="r", scope="read", days=1)
        db.session.remove()
    bearer = {"Authorization": f"Bearer {token}"}
    reader = app.test_client()
    login(reader, email)
    assert reader.get("/dashboard").status_code == 200
    ready = app.test_client().get("/readyz")
    assert (ready.status_code, ready.json["checks"]["redis"]) == (200, "ok")

    private_redis.stop()
    stopped_at = time.monotonic()
    # Pages, the API and a new sign-in all answer while Redis is down.
    for path in ("/dashboard", "/partners", "/campaigns"):
        assert _timed(lambda path=path: reader.get(path)).status_code == 200, path
    assert _timed(lambda: reader.get("/api/v1/me", headers=bearer)).status_code == 200
    newcomer = app.test_client()
    assert _timed(lambda: login(newcomer, world.a.email("partner_manager"))).status_code == 302
    # Sign-in limits still hold, counted in this process: the attempt past the limit is
    # refused (one sign-in above already counted for this address).
    stranger = app.test_client()
    answers = [
        _timed(
            lambda: stranger.post(
                "/login", data={"email": "guess@a.example", "password": "not the password"}
            )
        ).status_code
        for _ in range(6)
    ]
    assert answers[:4] == [200] * 4 and answers[-1] == 429, answers
    ready = _timed(lambda: app.test_client().get("/readyz"))
    assert ready.status_code == 503
    assert ready.json["checks"] == {"database": "ok", "redis": "failed", "queue": "inline"}
    while time.monotonic() - stopped_at < OUTAGE_SECONDS:
        assert _timed(lambda: reader.get("/dashboard")).status_code == 200
        time.sleep(1)

    private_redis.start()
    ready = app.test_client().get("/readyz")
    assert (ready.status_code, ready.json["checks"]["redis"]) == (200, "ok")
    assert reader.get("/dashboard").status_code == 200
    # Counting goes back to Redis (Flask-Limiter re-checks the storage with a growing
    # back-off, at most half a minute): a failed sign-in leaves its key there again.
    store = redis.Redis.from_url(private_redis.url)
    deadline = time.monotonic() + 40
    while not any(store.scan_iter(match="*outage-*")):
        assert time.monotonic() < deadline, "rate limits never went back to Redis"
        app.test_client().post(
            "/login", data={"email": "later@a.example", "password": "not the password"}
        )
        time.sleep(1)
    store.close()

"""Redis stopped for 10 s while pages are served (issue 19): pages keep answering, rate limits
go on counting in each process's memory (sign-in limits included, so guessing stays bounded),
``/readyz`` names Redis as down, and everything uses Redis again once it is back.

A private ``redis-server`` on a free port stands in for the shared one, which is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
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
from tests.faults.proxy import free_port

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 10
ANSWER_WITHIN = 2.0


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:  # a missing prerequisite fails the test, never skips it
            pytest.fail("redis-server is required for this test (apt-get install redis-server)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    pytest.fail("the private redis-server did not start")
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


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

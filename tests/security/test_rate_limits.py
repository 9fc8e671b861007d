"""Brute-force limits on sign-in (SECURITY.md 31).

In-process tests pin the rules (per address; per account and address, with a higher ceiling
per account that cannot lock the owner out: SECURITY.md 55); the slow test runs the real
deployment shape — gunicorn with two worker processes sharing Redis — where an in-memory limit
would count per worker.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from limits import parse

from tests.factories import TEST_PASSWORD, World

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKER_READY = "test-worker-ready"
# "Booting worker" is logged before the worker has imported the app; this hook runs after.
GUNICORN_CONFIG = f"""
def post_worker_init(worker):
    worker.log.info("{WORKER_READY} pid=%s", worker.pid)
"""
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def failed_sign_in(app: Flask, email: str, ip: str = "127.0.0.1", **kwargs: Any) -> Any:
    return app.test_client().post(
        "/login",
        data={"email": email, "password": "not the password"},
        environ_overrides={"REMOTE_ADDR": ip},
        **kwargs,
    )


def ip_limit(app: Flask) -> int:
    return parse(app.config["LOGIN_LIMIT_PER_IP"]).amount


def assert_rate_limited(response: Any) -> None:
    assert response.status_code == 429
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit() and 0 < int(retry_after) <= 3600, retry_after
    assert response.content_type.startswith("text/html")
    assert "Too many attempts" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------
# In-process


def test_sixth_failure_from_one_ip_is_refused_with_retry_after(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="comarketing")
    assert ip_limit(app) == 5
    # A different email each time, so only the per-IP limit can be what stops the sixth.
    for i in range(5):
        assert failed_sign_in(app, f"guess{i}@a.example").status_code == 200
    assert_rate_limited(failed_sign_in(app, "guess5@a.example"))

    # Locked out means locked out: the right password from that IP waits too.
    right = app.test_client().post(
        "/login", data={"email": world.a.email("analyst"), "password": TEST_PASSWORD}
    )
    assert right.status_code == 429
    # Another address is not affected.
    assert failed_sign_in(app, "guess6@a.example", ip="192.0.2.77").status_code == 200
    lockouts = [r.getMessage() for r in caplog.records if "event=rate_limited" in r.getMessage()]
    assert lockouts and "ip=127.0.0.1" in lockouts[0]


def test_successful_sign_ins_do_not_use_up_the_ip_budget(app: Flask, world: World) -> None:
    for i in range(4):
        assert failed_sign_in(app, f"guess{i}@a.example").status_code == 200
    for _ in range(3):
        ok = app.test_client().post(
            "/login", data={"email": world.a.email("analyst"), "password": TEST_PASSWORD}
        )
        assert ok.status_code == 302
    assert failed_sign_in(app, "guess4@a.example").status_code == 200
    assert_rate_limited(failed_sign_in(app, "guess5@a.example"))


def sign_in(app: Flask, email: str, ip: str) -> Any:
    return app.test_client().post(
        "/login",
        data={"email": email, "password": TEST_PASSWORD},
        environ_overrides={"REMOTE_ADDR": ip},
    )


@pytest.fixture(params=["memory", "redis"])
def limited_app(request: pytest.FixtureRequest, make_app: Any) -> Iterator[Flask]:
    """Small per-account limits, a per-IP limit out of the way, on both storages: in-process
    memory and the Redis every production worker shares."""
    limits = {
        "LOGIN_LIMIT_PER_IP": "1000 per minute",
        "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "3 per 15 minutes",
        "LOGIN_LIMIT_PER_ACCOUNT": "8 per hour",
    }
    if request.param == "memory":
        yield make_app(**limits)
        return
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"test-login-{uuid.uuid4().hex}"
    yield make_app(**limits, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=prefix)
    store = redis.Redis.from_url(redis_url)
    keys = list(store.scan_iter(match=f"*{prefix}*"))
    assert keys, "no login counts in Redis"
    store.delete(*keys)
    store.close()


def test_failures_count_per_account_and_address(limited_app: Flask, world: World) -> None:
    email = world.a.email("analyst")
    for _ in range(3):
        assert failed_sign_in(limited_app, email, ip="10.1.0.1").status_code == 200
    # The same address, the email spelled differently: the same account, refused.
    assert_rate_limited(failed_sign_in(limited_app, f"  {email.upper()} ", ip="10.1.0.1"))
    # Even the right password waits there, or that address could keep guessing.
    assert sign_in(limited_app, email, ip="10.1.0.1").status_code == 429
    # The owner elsewhere signs in; that address may still guess other accounts (the per-IP
    # limit is what stops that).
    assert sign_in(limited_app, email, ip="10.1.0.2").status_code == 302
    assert failed_sign_in(limited_app, world.a.email("admin"), ip="10.1.0.1").status_code == 200


def test_many_addresses_cannot_lock_the_owner_out(limited_app: Flask, world: World) -> None:
    email = world.a.email("analyst")
    ceiling = parse(limited_app.config["LOGIN_LIMIT_PER_ACCOUNT"]).amount
    for i in range(ceiling):
        assert failed_sign_in(limited_app, email, ip=f"10.3.0.{i + 1}").status_code == 200
    # Past the ceiling an address that failed on this account lately is refused at once ...
    assert_rate_limited(failed_sign_in(limited_app, email, ip="10.3.0.1"))
    assert sign_in(limited_app, email, ip="10.3.0.1").status_code == 429
    # ... while the owner, at an address with no recent failures, signs in.
    assert sign_in(limited_app, email, ip="192.0.2.10").status_code == 302
    # A fresh address gets one guess, then counts as a failing one.
    assert failed_sign_in(limited_app, email, ip="10.4.0.1").status_code == 200
    assert_rate_limited(failed_sign_in(limited_app, email, ip="10.4.0.1"))
    # Colleagues are not affected at all.
    assert failed_sign_in(limited_app, world.a.email("admin"), ip="10.3.0.1").status_code == 200


def test_spoofed_x_forwarded_for_does_not_reset_the_ip_limit(app: Flask) -> None:
    assert app.config["PROXY_FIX_X_FOR"] == 0
    for i in range(5):
        response = failed_sign_in(
            app, f"guess{i}@a.example", headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}
        )
        assert response.status_code == 200
    assert_rate_limited(
        failed_sign_in(app, "guess5@a.example", headers={"X-Forwarded-For": "198.51.100.99"})
    )


def test_an_app_counts_in_its_own_storage_after_another_lost_redis(make_app: Any) -> None:
    """Flask-Limiter keeps "the storage is unreachable" on the shared ``Limiter`` object: an app
    built after another app's Redis went away counted in the fallback memory first and then,
    at the next backend check (2 s later here), in its own storage from zero — the third
    attempt of a "2 per hour" limit went through (the drills' flaky sign-up test)."""
    unreachable = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    for _ in range(2):  # the first marks the storage dead, the second checks it again
        assert failed_sign_in(unreachable, "nobody@a.example").status_code == 200
    app = make_app(LOGIN_LIMIT_PER_IP="2 per hour")
    for _ in range(2):
        assert failed_sign_in(app, "guess@a.example").status_code == 200
    time.sleep(2.2)
    assert_rate_limited(failed_sign_in(app, "guess@a.example"))


# ---------------------------------------------------------------------------------------------
# gunicorn -w 2 with Redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{log_path.read_text()}")
        ready = log_path.read_text().count(WORKER_READY)
        try:
            healthy = requests.get(f"{base_url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            # Refused before the bind, or held in the listen backlog while the workers
            # are still importing the app: keep polling until the deadline.
            healthy = False
        if healthy and ready >= 2:
            return
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within 60 s:\n{log_path.read_text()}")


def attempt_over_new_connection(
    base_url: str, email: str, spoof: str, barrier: threading.Barrier | None = None
) -> Any:
    """One browser-like failed attempt: fetch the form (session cookie + CSRF token) and post it
    over a new connection, with a forged X-Forwarded-For."""
    with requests.Session() as browser:
        page = browser.get(f"{base_url}/login", timeout=10)
        assert page.status_code == 200
        token = CSRF_INPUT.search(page.text)
        assert token, "no CSRF token on the sign-in page"
        if barrier:
            barrier.wait(timeout=30)
        return browser.post(
            f"{base_url}/login",
            data={"email": email, "password": "not the password", "csrf_token": token.group(1)},
            headers={"X-Forwarded-For": spoof, "Connection": "close"},
            allow_redirects=False,
            timeout=30,
        )


def attempts_in_parallel(base_url: str, emails: list[str]) -> list[Any]:
    """Post at the same moment. A sync worker serves one request at a time and a failed
    sign-in spends a full argon2 verification (~0.1 s here), so while one worker hashes,
    the other worker must take the next attempt: both workers count failures."""
    barrier = threading.Barrier(len(emails))
    results: list[Any] = [None] * len(emails)

    def run(i: int) -> None:
        try:
            results[i] = attempt_over_new_connection(
                base_url, emails[i], spoof=f"203.0.113.{len(emails) * 10 + i}", barrier=barrier
            )
        except Exception as exc:  # reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(emails))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.slow
def test_ip_limit_is_shared_by_two_gunicorn_workers_through_redis(
    app: Flask, world: World, tmp_path: Path
) -> None:
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    store = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        store.ping()
    except redis.RedisError as exc:  # a missing Redis must fail, not silently skip
        pytest.fail(f"Redis at {redis_url} is required for this test: {exc}")

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    prefix = f"test-gunicorn-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "COMARKETING_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "RATELIMIT_KEY_PREFIX": prefix,
        "PROXY_FIX_X_FOR": "0",
    }
    log_path = tmp_path / "gunicorn.log"
    config_path = tmp_path / "gunicorn_conf.py"
    config_path.write_text(GUNICORN_CONFIG)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn"),
                f"--config={config_path}",
                "--workers=2",
                f"--bind=127.0.0.1:{port}",
                "--graceful-timeout=5",
                # The default control socket is one path per user: parallel runs would clash.
                "--no-control-socket",
                "--access-logfile=-",
                "--access-logformat=pid=%(p)s %(m)s %(U)s %(s)s",
                "comarketing:create_app()",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(base_url, process, log_path)

        # CSRF is on in a real deployment: a POST without a token is refused.
        no_token = requests.post(
            f"{base_url}/signup",
            data={
                "organization_name": "X",
                "name": "Y",
                "email": "y@x.example",
                "password": "z" * 12,
            },
            timeout=10,
        )
        assert no_token.status_code == 400

        # Five failures: two pairs in parallel, one alone (the limit allows exactly five).
        results = [
            *attempts_in_parallel(base_url, ["guess0@a.example", "guess1@a.example"]),
            *attempts_in_parallel(base_url, ["guess2@a.example", "guess3@a.example"]),
            attempt_over_new_connection(base_url, "guess4@a.example", spoof="203.0.113.77"),
        ]
        codes = [getattr(r, "status_code", r) for r in results]
        assert codes == [200] * 5, codes
        sixth = attempt_over_new_connection(base_url, "guess5@a.example", spoof="198.51.100.99")
        access_log = log_path.read_text()
        assert sixth.status_code == 429, access_log
        retry_after = sixth.headers.get("Retry-After", "")
        assert retry_after.isdigit() and 0 < int(retry_after) <= 60, retry_after
        assert "Too many attempts" in sixth.text

        # The counter lives in Redis under this run's prefix, not in a worker's memory.
        assert any(store.scan_iter(match=f"*{prefix}*")), "no rate-limit keys in Redis"
        failing_workers = set(re.findall(r"pid=<?(\d+)>? POST /login 200", access_log))
        # Without this the test could not tell a shared counter from one worker's memory.
        assert len(failing_workers) == 2, f"failures not spread over both workers:\n{access_log}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for key in store.scan_iter(match=f"*{prefix}*"):
            store.delete(key)
        store.close()

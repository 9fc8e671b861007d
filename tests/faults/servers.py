"""gunicorn started by a drill: two sync workers, gunicorn's own 30 s timeout, on a free port."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from comarketing import PROJECT_ROOT
from tests.factories import TEST_PASSWORD
from tests.faults.proxy import free_port

WORKER_READY = "drill-worker-ready"
# "Booting worker" is logged before the worker has imported the app; this hook runs after.
GUNICORN_CONFIG = f"""
def post_worker_init(worker):
    worker.log.info("{WORKER_READY} pid=%s", worker.pid)
"""
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Gunicorn:
    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def url(self, path: str) -> str:
        return self.base_url + path


@contextlib.contextmanager
def gunicorn(tmp_path: Path, env: dict[str, str], workers: int = 2) -> Iterator[Gunicorn]:
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    config_path = tmp_path / "gunicorn_conf.py"
    config_path.write_text(GUNICORN_CONFIG)
    environment = {
        **os.environ,
        "COMARKETING_ENV": "development",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "RATELIMIT_STORAGE_URI": "memory://",
        **env,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn"),
                f"--config={config_path}",
                f"--workers={workers}",
                "--timeout=30",
                f"--bind=127.0.0.1:{port}",
                "--graceful-timeout=5",
                "--no-control-socket",
                "--access-logfile=-",
                "--access-logformat=pid=%(p)s %(m)s %(U)s %(s)s %(M)sms",
                "comarketing:create_app()",
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Gunicorn(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_serving(server, workers)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_serving(server: Gunicorn, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited ({server.process.returncode}):\n{server.log()}")
        try:
            healthy = requests.get(server.url("/healthz"), timeout=5).status_code == 200
        except requests.RequestException:
            healthy = False
        if healthy and server.log().count(WORKER_READY) >= workers:
            return
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within 60 s:\n{server.log()}")


def signed_in(server: Gunicorn, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(server.url("/login"), timeout=10)
    token = CSRF_INPUT.search(page.text)
    assert token, "no CSRF token on the sign-in page"
    answer = browser.post(
        server.url("/login"),
        data={"email": email, "password": TEST_PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    return browser

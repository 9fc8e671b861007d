"""Real processes for the job queue tests: a private redis-server on a free port (never the
machine's own), Celery workers started with ``flask worker``, a settings file they share with
the test's app. Each helper is bounded in time and cleans up what it started."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis

from comarketing import PROJECT_ROOT

BIN = PROJECT_ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll ``check`` until it answers something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class PrivateRedis:
    """A redis-server of this test's own (stopped and started again by the outage drill)."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        try:
            with (self.folder / f"redis-{self.port}.log").open("ab") as log:
                self.process = subprocess.Popen(
                    [
                        "redis-server",
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
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        except FileNotFoundError as exc:  # a missing prerequisite fails, never skips
            raise AssertionError("redis-server is required for the job queue tests") from exc
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(answers, 15, "the private redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def private_redis(folder: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def settings_file(folder: Path, app_config: dict[str, Any], **overrides: Any) -> Path:
    """A COMARKETING_SETTINGS file giving a worker the test app's database, uploads and
    clock pins, plus ``overrides``."""
    keys = (
        "SQLALCHEMY_DATABASE_URI",
        "METRICS_UPLOAD_DIR",
        "METRICS_LATEST_DAY",
        "PUBLIC_URL",
        "METRICS_IMPORT_CHUNK_ROWS",
        "METRICS_UPLOAD_MAX_BYTES",
    )
    values = {key: app_config[key] for key in keys if key in app_config}
    values.update(overrides)
    path = folder / f"settings-{len(list(folder.glob('settings-*.py')))}.py"
    path.write_text("".join(f"{key} = {value!r}\n" for key, value in values.items()))
    return path


def process_env(settings: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        COMARKETING_SETTINGS=str(settings),
        COMARKETING_ENV="development",
        FLASK_APP="comarketing",
        JOBS_BACKEND="celery",
        SECRET_KEY="job-queue-tests-" + "x" * 40,
        PYTHONUNBUFFERED="1",
    )
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MAIL_SERVER"):
        env.pop(key, None)
    return env


class Worker:
    """``flask worker`` in a process group of its own (so ``kill -9`` takes all of it)."""

    def __init__(self, folder: Path, settings: Path, name: str, *args: str) -> None:
        self.log_path = folder / f"worker-{name}.log"
        self.args = [str(BIN / "flask"), "worker", f"--hostname={name}@%h", *args]
        self.env = process_env(settings)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.args,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: b"ready." in self.log_path.read_bytes() or self._died(),
            60,
            f"worker ready ({self.log_path})",
        )
        assert self.process.poll() is None, self.log()
        return self

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def kill(self) -> None:
        """kill -9, the whole group: no goodbye, no acknowledgement."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@contextlib.contextmanager
def workers(*started: Worker) -> Iterator[None]:
    try:
        yield
    finally:
        for worker in started:
            worker.stop()

"""/readyz for load balancers, /metrics for Prometheus, JSON log lines (issue 19, part 1)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
from typing import Any

import pytest
from flask import Flask

from comarketing import outbox
from comarketing.extensions import db
from comarketing.ops.logs import JsonLineFormatter, RequestIdFilter, SingleLineFormatter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN = "metrics-token-for-tests-5521"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_ready_when_the_database_and_redis_answer(make_app: Any) -> None:
    response = make_app(REDIS_URL=REDIS_URL).test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "queue": "inline"},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_ready_without_redis_configured_says_so(app: Flask) -> None:
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["redis"] == "not configured"


def test_not_ready_when_redis_is_down_names_the_part_only(app: Flask, make_app: Any) -> None:
    # The limiter keeps its own storage: only readiness points at the dead Redis.
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    response = (
        make_app(REDIS_URL=dead, RATELIMIT_STORAGE_URI="memory://").test_client().get("/readyz")
    )
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "failed", "queue": "inline"},
    }
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_not_ready_when_the_database_is_down(app: Flask, make_app: Any) -> None:
    # ``app`` first: the fixture empties the tables through the first app, a live one.
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/x"
    response = make_app(SQLALCHEMY_DATABASE_URI=dead).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "failed"
    assert "psycopg" not in response.get_data(as_text=True)


def test_metrics_are_not_exposed_without_a_token_configured(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_metrics_ask_for_the_bearer_token(make_app: Any, header: str | None) -> None:
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "comarketing_" not in response.get_data(as_text=True)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        match = re.fullmatch(r"([^{]+)(?:\{(.*)\})?", metric)
        assert match, line
        found = ",".join(sorted(match.group(2).split(","))) if match.group(2) else ""
        if match.group(1) == name and found == wanted:
            return float(value)
    return 0.0


def test_metrics_count_requests_by_endpoint_and_the_mail_backlog(make_app: Any) -> None:
    app = make_app(METRICS_TOKEN=TOKEN)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    labels = {"endpoint": "dashboard.health", "method": "GET", "status": "2xx"}
    before = sample(
        client.get("/metrics", headers=auth).get_data(as_text=True),
        "comarketing_request_duration_seconds_count",
        **labels,
    )
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/no-such-page-4412")
    with app.app_context():
        outbox.enqueue("someone@example.com", "Subject", "Body")
        outbox.enqueue("other@example.com", "Subject", "Body")
        db.session.commit()
        db.session.info.clear()  # nothing delivers them: they stay queued for the count

    text = client.get("/metrics", headers=auth).get_data(as_text=True)
    assert sample(text, "comarketing_request_duration_seconds_count", **labels) == before + 3
    # Unknown paths share one series: no label per raw URL.
    assert "no-such-page" not in text
    assert (
        sample(
            text,
            "comarketing_request_duration_seconds_count",
            endpoint="unmatched",
            method="GET",
            status="4xx",
        )
        >= 1
    )
    assert sample(text, "comarketing_mail_queued") == 2
    assert sample(text, "comarketing_imports_running") == 0


@pytest.fixture
def logger_restored() -> Any:
    """The comarketing logger is process-wide: a JSON app must not leave later tests with it."""
    logger = logging.getLogger("comarketing")
    saved = list(logger.handlers)
    yield logger
    logger.handlers = saved


def test_json_log_lines_carry_the_request_id_of_the_response(
    make_app: Any, logger_restored: logging.Logger
) -> None:
    app = make_app(own=True, LOG_FORMAT="json")

    def boom() -> str:
        raise RuntimeError("line one\nline two")

    app.add_url_rule("/boom", "boom", boom)
    logger = logger_restored
    handlers = [h for h in logger.handlers if isinstance(h.formatter, JsonLineFormatter)]
    assert len(handlers) == 1  # configured by the app, once
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(handlers[0].formatter)
    capture.addFilter(RequestIdFilter())
    logger.addHandler(capture)
    try:
        response = app.test_client().get("/boom", headers={"X-Request-ID": "proxy-id-12345678"})
    finally:
        logger.removeHandler(capture)
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "proxy-id-12345678"
    lines = stream.getvalue().splitlines()
    assert lines
    records = [json.loads(line) for line in lines]
    error = next(r for r in records if r["level"] == "ERROR")
    assert error["request_id"] == "proxy-id-12345678"
    assert error["logger"].startswith("comarketing")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", error["time"])
    assert "line two" in error["exc_info"]


def test_text_log_lines_stay_the_default(make_app: Any, logger_restored: logging.Logger) -> None:
    make_app(own=True)
    formatters = [h.formatter for h in logger_restored.handlers]
    assert any(isinstance(f, SingleLineFormatter) for f in formatters)
    assert not any(isinstance(f, JsonLineFormatter) for f in formatters)

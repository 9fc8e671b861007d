"""Whether this process can serve: the database answers, Redis when one is configured, and the
job queue's broker when jobs go through one.

Each check has its own short timeout and never raises: a load balancer gets a 503 with the
names of the failing parts (never the driver's error text, which may name hosts).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from comarketing.extensions import db

log = logging.getLogger(__name__)

FINE = frozenset({"ok", "not configured", "inline"})
REDIS_TIMEOUT_SECONDS = 1.0


def database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("readiness: the database does not answer", exc_info=True)
        db.session.rollback()
        return "failed"
    return "ok"


def redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    import redis as redis_client

    try:
        client = redis_client.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    except redis_client.RedisError:
        log.warning("readiness: Redis does not answer", exc_info=True)
        return "failed"
    return "ok"


def queue() -> str:
    """The broker answers (a request could hand it a job); "inline" when jobs run in-process."""
    if current_app.config["JOBS_BACKEND"] != "celery":
        return "inline"
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            connection.default_channel  # noqa: B018 - opening a channel talks to the broker
    except Exception:  # any transport's error: the broker is not reachable
        log.warning("readiness: the job queue's broker does not answer", exc_info=True)
        return "failed"
    return "ok"


def run() -> dict[str, str]:
    return {"database": database(), "redis": redis(), "queue": queue()}

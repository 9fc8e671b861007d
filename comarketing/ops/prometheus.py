"""Prometheus metrics at ``/metrics``, behind a bearer token (``METRICS_TOKEN``).

Request latency is observed per endpoint (the route's name, never the raw path, so the number
of series stays bounded). Backlogs — mail waiting in the outbox, imports waiting or running —
are counted in the database at scrape time, so every web process reports the same truth.
With several gunicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` (an empty folder, per the
prometheus-client documentation) and the counters of all workers are summed.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from comarketing.ops import backlog

REQUEST_SECONDS = Histogram(
    "comarketing_request_duration_seconds",
    "Time to answer a request, by endpoint, method and status class.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class BacklogCollector(Collector):
    """Counts read from the database when scraped (not kept in any one process)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, help_text, value in backlog.counts():
            yield GaugeMetricFamily(f"comarketing_{name}", help_text, value=value)


class JobsCollector(Collector):
    """The job queue, read from the jobs table (the truth every process shares)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily(
            "comarketing_jobs",
            "Background jobs kept, by kind and status.",
            labels=["kind", "status"],
        )
        for kind, status, count in backlog.jobs_by_kind_and_status():
            jobs.add_metric([kind, status], count)
        yield jobs
        due = GaugeMetricFamily(
            "comarketing_jobs_due",
            "Queue depth: jobs queued and due now, waiting for a worker, by kind.",
            labels=["kind"],
        )
        for kind, depth in backlog.jobs_due_by_kind():
            due.add_metric([kind], depth)
        yield due
        done = GaugeMetricFamily(
            "comarketing_jobs_done_last_hour",
            "Jobs that succeeded in the last hour.",
            labels=["kind"],
        )
        mean = GaugeMetricFamily(
            "comarketing_job_duration_last_hour_mean_seconds",
            "Mean duration of the succeeding attempt of the jobs done in the last hour.",
            labels=["kind"],
        )
        top = GaugeMetricFamily(
            "comarketing_job_duration_last_hour_max_seconds",
            "Longest succeeding attempt among the jobs done in the last hour.",
            labels=["kind"],
        )
        for kind, n, mean_s, max_s in backlog.job_durations_last_hour():
            done.add_metric([kind], n)
            mean.add_metric([kind], mean_s)
            top.add_metric([kind], max_s)
        yield from (done, mean, top)


def token_matches(header: str | None) -> bool:
    expected = current_app.config.get("METRICS_TOKEN")
    if not expected or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode(), str(expected).encode())


def exposition() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    backlog_registry = CollectorRegistry()
    backlog_registry.register(BacklogCollector())
    backlog_registry.register(JobsCollector())
    body += generate_latest(backlog_registry)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def install(app: Flask) -> None:
    @app.before_request
    def start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def observe_request(response: Response) -> Response:
        started = g.get("request_started")
        if started is not None:
            endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
            REQUEST_SECONDS.labels(
                endpoint, request.method, f"{response.status_code // 100}xx"
            ).observe(time.perf_counter() - started)
        return response

"""Comarketing: joint marketing between partner companies.

``create_app`` reads like a table of contents: configuration, extensions, blueprints,
error handlers, commands.

Importing the package imports no framework: the web stack is imported by ``create_app``, so
the processes that sketch audience files (``audiences.loading``, started with ``spawn``) start
in a fraction of a second instead of loading Flask, SQLAlchemy and APIFlask they never use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from apiflask import APIFlask

    from comarketing import config as app_config
    from comarketing import input_guard, security, template_helpers

    app = APIFlask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        # HTML errors stay HTML; the JSON API (issue 5) documents its own errors.
        json_errors=False,
        # Only the API blueprint is described; the docs page is our own (no CDN assets).
        spec_path="/api/v1/openapi.json",
        docs_path=None,
    )
    app_config.load(app, test_config)
    app.debug = False if app.config["ENV_NAME"] == "production" else app.debug
    register_proxy_fix(app)
    register_operations(app)
    register_url_converters(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    if app.config["PRECOMPILE_TEMPLATES"]:
        template_helpers.precompile(app.jinja_env)
    register_jobs(app)
    security.install(app)
    input_guard.install(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    hops = int(app.config["PROXY_FIX_X_FOR"])
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Trust exactly as many X-Forwarded-For hops as there are proxies; a client cannot
        # reset its rate limit by sending its own header.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_operations(app: Flask) -> None:
    """Log lines in the configured format; request latency measured from the first hook."""
    from comarketing.ops import logs, prometheus
    from comarketing.ops.job_views import bp as jobs_admin_bp
    from comarketing.ops.views import bp as ops_bp

    logs.configure(app)
    prometheus.install(app)
    app.register_blueprint(ops_bp)
    app.register_blueprint(jobs_admin_bp)


def register_url_converters(app: Flask) -> None:
    from comarketing.routing import DatabaseId

    app.url_map.converters["int"] = DatabaseId


def register_extensions(app: Flask) -> None:
    from comarketing import db_watchdog, html_attributes, read_only_end
    from comarketing.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    db_watchdog.install_app(app)
    with app.app_context():
        for engine in db.engines.values():
            read_only_end.install(engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    html_attributes.install()  # the forms' attributes, rendered faster (same text)
    from comarketing.accounts.sessions import configure_login
    from comarketing.campaigns import data_version

    # Every write to what reports show raises its companies' data version (campaigns.cache).
    data_version.install()
    from comarketing.budgets import counted

    # The claim versions counting as spend, kept beside every money write (reports read it).
    counted.install()

    configure_login(app, login_manager)


def register_blueprints(app: Flask) -> None:
    from comarketing.accounts.views import bp as accounts_bp
    from comarketing.api import registry as api_registry
    from comarketing.audiences.views import bp as audiences_bp
    from comarketing.budgets import claim_views  # noqa: F401 - claims and payments on it
    from comarketing.budgets import views as budget_views  # noqa: F401 - adds the campaign page
    from comarketing.campaigns.views import bp as campaigns_bp
    from comarketing.collateral.views import bp as collateral_bp
    from comarketing.dashboard.views import bp as dashboard_bp
    from comarketing.metrics import (
        grid_views,  # noqa: F401 - a placement's results grid
        intake_views,  # noqa: F401 - results by mail: a campaign's intake address
        name_views,  # noqa: F401 - platform names of placements
    )
    from comarketing.metrics.views import bp as metrics_bp
    from comarketing.offers.views import bp as offers_bp
    from comarketing.partners.views import bp as partners_bp
    from comarketing.reports import statement_views  # noqa: F401 - the partner statement
    from comarketing.reports.views import bp as reports_bp
    from comarketing.webhooks.views import bp as webhooks_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(offers_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(audiences_bp)
    app.register_blueprint(collateral_bp)
    app.register_blueprint(webhooks_bp)
    api_registry.install(app)


def register_errorhandlers(app: Flask) -> None:
    from comarketing.api.errors import install as install_api_errors
    from comarketing.error_pages import install

    install(app)
    # After the HTML handlers, which it wraps: under /api/v1 every error answers JSON.
    install_api_errors(app)


def register_commands(app: Flask) -> None:
    from comarketing.cli import install

    install(app)


# Modules that register background job handlers (comarketing/jobs/registry.py), one line each.
JOB_HANDLER_MODULES: tuple[str, ...] = (
    "comarketing.webhooks.delivery",  # signed webhook deliveries
    "comarketing.metrics.intake_replies",  # results by mail: the reply once an import ends
    "comarketing.jobs.mail",  # one delivery job per outbox message; forgotten mail
    "comarketing.metrics.jobs",  # confirmed results imports
    "comarketing.ops.periodic",  # reminders, digests, upload purges
)


def register_jobs(app: Flask) -> None:
    """Job handlers, the hand-over of committed jobs after each request (the inline backend
    runs them there), and the Celery app when ``JOBS_BACKEND = "celery"``. Mail is a job too:
    no request waits for SMTP."""
    import importlib

    from flask import Response

    from comarketing.jobs import dispatch

    for module in JOB_HANDLER_MODULES:
        importlib.import_module(module)
    if app.config["JOBS_BACKEND"] == "celery":
        from comarketing.jobs import celery_app

        celery_app.init_app(app)

    @app.before_request
    def forget_jobs_queued_before() -> None:
        dispatch.before_request()

    @app.after_request
    def hand_over_queued_jobs(response: Response) -> Response:
        # The action's transaction has committed by now.
        dispatch.after_request()
        return response


def register_template_helpers(app: Flask) -> None:
    from comarketing.template_helpers import install

    install(app)

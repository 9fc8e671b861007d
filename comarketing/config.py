"""Configuration: defaults here, then ``instance/config.py``, then the file named by
``COMARKETING_SETTINGS`` (if set), then the environment.

Tests pass a mapping to ``create_app`` which is applied last.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

log = logging.getLogger("comarketing")

# Keys that must never run a real deployment: the placeholders people copy from examples.
KNOWN_DEFAULT_KEYS = frozenset({"dev", "change-me", "changeme", "secret", "development", ""})
MIN_SECRET_KEY_LENGTH = 32

DEFAULTS: dict[str, Any] = {
    # "production" unless told otherwise: a forgotten setting must fail safe.
    "ENV_NAME": "production",
    "SQLALCHEMY_DATABASE_URI": None,  # filled from DATABASE_URL or instance/comarketing.sqlite
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLALCHEMY_RECORD_QUERIES": False,
    "DB_CONNECT_TIMEOUT": 3,
    # Outages answered in seconds (issue 19; README "Running in production"). Server-side, in
    # seconds, set on every PostgreSQL connection (0 turns one off): a statement running longer
    # is cancelled; a lock waited for longer fails the statement; a session idle inside a
    # transaction longer is ended, releasing its locks (a client cut off mid-transaction can
    # then never commit it later). Long work raises them for its own transaction
    # (comarketing.db_timeouts.long_transaction).
    "DB_STATEMENT_TIMEOUT": 60,
    "DB_LOCK_TIMEOUT": 5,
    "DB_IDLE_IN_TRANSACTION_TIMEOUT": 15,
    # Client-side (comarketing/db_watchdog.py): a wait for the server longer than this makes
    # the process probe the server (a new connection and SELECT 1 within DB_PROBE_TIMEOUT);
    # no answer cuts its connections, so the request ends in a 503. 0 turns the watchdog off.
    "DB_ANSWER_TIMEOUT": 1.5,
    "DB_PROBE_TIMEOUT": 1.5,
    # Optional: report queries (reports, dashboard report tiles, API reports) read from this
    # database, e.g. a streaming replica; writes never go there.
    "REPORTS_DATABASE_URL": None,
    "SECRET_KEY": None,
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "SIGNUP_ENABLED": True,
    # The Babel locale dates and times are written in (comarketing/dates_format.py).
    "DATE_LOCALE": "en_GB",
    "REDIS_URL": None,
    # None: REDIS_URL; without it, memory outside production, and production refuses to start
    # (each worker process would count on its own). "memory://" set explicitly is obeyed, with
    # a warning at every start.
    "RATELIMIT_STORAGE_URI": None,
    "RATELIMIT_KEY_PREFIX": "comarketing",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": False,
    # Redis unreachable (README "Running in production: outages"): every limit is counted in
    # this process's memory until Redis answers again — neither open (a Redis outage would
    # be a window for unlimited password guessing) nor closed (nobody could sign in).
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Seconds a rate-limit check waits for Redis before counting in memory instead.
    "REDIS_TIMEOUT": 0.5,
    "LOGIN_LIMIT_PER_IP": "5 per minute",
    # Failed sign-ins to one account from one address; then a much higher ceiling per account,
    # past which only addresses without recent failures may try (accounts/login_limits.py).
    "LOGIN_LIMIT_PER_ACCOUNT_ADDRESS": "10 per 15 minutes",
    "LOGIN_LIMIT_PER_ACCOUNT": "100 per hour",
    "PASSWORD_RESET_LIMIT": "5 per hour",
    # Issue 17: what a form may send per hour, counted in Redis like the sign-in limits.
    "PARTNER_INVITATION_LIMIT_PER_COMPANY": "20 per hour",
    "SIGNUP_LIMIT_PER_ADDRESS": "3 per hour",  # per email address typed
    "SIGNUP_LIMIT_PER_IP": "20 per hour",
    "USER_INVITATION_LIMIT_PER_ADDRESS": "3 per hour",  # per email address invited
    "API_RATE_LIMIT": "600 per minute",
    "API_AUTH_FAILURE_LIMIT": "30 per minute",
    # Hops of trusted reverse proxies in front of the app; 0 trusts no X-Forwarded-For at all.
    "PROXY_FIX_X_FOR": 0,
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_COST": 65536,
    "PASSWORD_HASH_PARALLELISM": 4,
    "INVITATION_TTL_HOURS": 72,
    "SIGNUP_CONFIRM_TTL_HOURS": 24,
    "PASSWORD_RESET_TTL_MINUTES": 60,
    "PARTNER_INVITATION_TTL_DAYS": 14,
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_TIMEOUT": 5,
    "MAIL_DEFAULT_SENDER": "Comarketing <no-reply@comarketing.local>",
    "MAIL_MESSAGE_ID_DOMAIN": "comarketing.local",
    # None: decided in load() by the environment (Secure and __Host- names outside development).
    # Flask's own defaults ("session", Secure off) must not count as an explicit choice.
    "SESSION_COOKIE_NAME": None,
    "SESSION_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_NAME": None,
    "REMEMBER_COOKIE_SECURE": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead; a long form must not expire
    # Werkzeug reads these: a 1 MB form field or an oversized body is refused with 413.
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 512 * 1024,
    "PER_PAGE": 25,
    # Result files: stored under this folder by content hash (None: instance/uploads).
    "METRICS_UPLOAD_DIR": None,
    "METRICS_UPLOAD_MAX_BYTES": 50 * 1024 * 1024,
    # Webhooks (issue 20). Plain http:// to a loopback host (and loopback addresses) allowed:
    # development and tests only; production sends to public https:// addresses alone.
    "WEBHOOKS_ALLOW_HTTP_LOOPBACK": False,
    "WEBHOOKS_TIMEOUT_SECONDS": 10,
    # After rotating an endpoint's secret, the old one signs too for this long.
    "WEBHOOKS_ROTATION_OVERLAP_HOURS": 24,
    # An endpoint whose deliveries all failed for this many days is disabled.
    "WEBHOOKS_DISABLE_AFTER_DAYS": 3,
    # The changes feed lists events older than this, so that an event of a transaction still
    # committing (its id taken, not yet visible) cannot be skipped by a poller's cursor.
    "EVENTS_FEED_SETTLE_SECONDS": 2,
    # How long an imported results file is kept for the daily purge (30d, 12h, 90m).
    "METRICS_UPLOAD_RETENTION": "30d",
    # Background jobs (issue 19). "celery": a worker (`flask worker`) runs them and one
    # scheduler (`flask scheduler`) sends the periodic rounds and the sweeper; "inline": they
    # run in the web process after the request that queued them (tests). None: "inline" when
    # TESTING, else "celery".
    "JOBS_BACKEND": None,
    # The broker; None: REDIS_URL, else an SQLite file in instance/ (the embedded demo).
    "CELERY_BROKER_URL": None,
    "JOBS_QUEUE_NAME": "comarketing-jobs",
    # A running job whose heartbeat is older than this is taken to have lost its worker.
    "JOBS_STALE_AFTER_SECONDS": 60,
    # How often the sweeper re-sends jobs the broker never delivered or whose worker died.
    "JOBS_SWEEP_SECONDS": 30,
    # Redis: a message not acknowledged within this long is delivered again (a worker killed
    # whole); longer jobs are safe (the claim refuses the second delivery while they beat).
    "JOBS_VISIBILITY_TIMEOUT": 900,
    # Rows read, checked and written at a time: memory stays flat whatever the file's size.
    "METRICS_IMPORT_CHUNK_ROWS": 50_000,
    # Audience identifier files (issue 7): streamed and sketched, never stored.
    "AUDIENCE_UPLOAD_MAX_BYTES": 1024 * 1024 * 1024,
    "AUDIENCE_WORKERS": 2,
    "AUDIENCE_BLOCK_BYTES": 4 * 1024 * 1024,
    # Collateral files (issue 8): stored by SHA-256 under this folder (None: instance/collateral).
    "COLLATERAL_UPLOAD_DIR": None,
    "COLLATERAL_UPLOAD_MAX_BYTES": 25 * 1024 * 1024,
    # Proof of expense claims (issue 14): PDF or images, stored by SHA-256 under this folder
    # (None: instance/claim-proofs), each file at most this large.
    "CLAIM_PROOF_DIR": None,
    "CLAIM_PROOF_MAX_BYTES": 10 * 1024 * 1024,
    # Operations (issue 19): "json" writes one JSON object a log line, with the request id;
    # anything else keeps Python's plain lines.
    "LOG_FORMAT": "text",
    # The bearer token /metrics asks for; None: /metrics answers 404 (not exposed).
    "METRICS_TOKEN": None,
    # Results by mail (issue 19): campaigns' intake addresses are results+<token>@INTAKE_DOMAIN
    # (None: the feature is off and no address is shown); `flask intake serve` refuses a
    # message larger than INTAKE_MAX_BYTES with 552 (attachments grow a third in base64).
    "INTAKE_DOMAIN": None,
    "INTAKE_MAX_BYTES": 70 * 1024 * 1024,
    # Computed report figures (campaigns/cache.py), keyed by the company's data version: "redis"
    # (REDIS_URL, shared by the workers), "memory" (this process) or "off". None: "redis" when
    # REDIS_URL is set, else "memory". How long Redis keeps an entry nobody reads again.
    "REPORT_CACHE": None,
    # Compile every template when the app starts (None: in production), not at each worker's
    # first request of each page.
    "PRECOMPILE_TEMPLATES": None,
    "REPORT_CACHE_SECONDS": 86_400,
}

# Environment variables read directly (name -> config key, converter).
ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "COMARKETING_ENV": ("ENV_NAME", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "REPORTS_DATABASE_URL": ("REPORTS_DATABASE_URL", str),
    "DB_CONNECT_TIMEOUT": ("DB_CONNECT_TIMEOUT", int),
    "DB_STATEMENT_TIMEOUT": ("DB_STATEMENT_TIMEOUT", float),
    "DB_LOCK_TIMEOUT": ("DB_LOCK_TIMEOUT", float),
    "DB_IDLE_IN_TRANSACTION_TIMEOUT": ("DB_IDLE_IN_TRANSACTION_TIMEOUT", float),
    "DB_ANSWER_TIMEOUT": ("DB_ANSWER_TIMEOUT", float),
    "DB_PROBE_TIMEOUT": ("DB_PROBE_TIMEOUT", float),
    "SECRET_KEY": ("SECRET_KEY", str),
    "PUBLIC_URL": ("PUBLIC_URL", str),
    "SIGNUP_ENABLED": ("SIGNUP_ENABLED", lambda v: v.lower() in {"1", "true", "yes", "on"}),
    "REDIS_URL": ("REDIS_URL", str),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "RATELIMIT_KEY_PREFIX": ("RATELIMIT_KEY_PREFIX", str),
    "REDIS_TIMEOUT": ("REDIS_TIMEOUT", float),
    "PROXY_FIX_X_FOR": ("PROXY_FIX_X_FOR", int),
    "MAIL_SERVER": ("MAIL_SERVER", str),
    "MAIL_PORT": ("MAIL_PORT", int),
    "MAIL_USE_TLS": ("MAIL_USE_TLS", lambda v: v.lower() in {"1", "true", "yes", "on"}),
    "MAIL_USE_SSL": ("MAIL_USE_SSL", lambda v: v.lower() in {"1", "true", "yes", "on"}),
    "MAIL_USERNAME": ("MAIL_USERNAME", str),
    "MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "MAIL_DEFAULT_SENDER": ("MAIL_DEFAULT_SENDER", str),
    "LOG_FORMAT": ("LOG_FORMAT", str),
    "METRICS_TOKEN": ("METRICS_TOKEN", str),
    "INTAKE_DOMAIN": ("INTAKE_DOMAIN", str),
    "INTAKE_MAX_BYTES": ("INTAKE_MAX_BYTES", int),
    "REPORT_CACHE": ("REPORT_CACHE", str),
    "PRECOMPILE_TEMPLATES": (
        "PRECOMPILE_TEMPLATES",
        lambda v: v.lower() in {"1", "true", "yes", "on"},
    ),
    "JOBS_BACKEND": ("JOBS_BACKEND", str),
    "CELERY_BROKER_URL": ("CELERY_BROKER_URL", str),
    "JOBS_STALE_AFTER_SECONDS": ("JOBS_STALE_AFTER_SECONDS", float),
    "JOBS_SWEEP_SECONDS": ("JOBS_SWEEP_SECONDS", float),
}


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    # A settings file named by the environment (Flask's from_envvar): the worker machines and
    # the web servers of one deployment read the same file.
    app.config.from_envvar("COMARKETING_SETTINGS", silent=True)
    for env_name, (key, convert) in ENVIRONMENT.items():
        if os.environ.get(env_name):
            app.config[key] = convert(os.environ[env_name])
    if test_config:
        app.config.from_mapping(test_config)

    config = app.config
    if not config["SQLALCHEMY_DATABASE_URI"]:
        config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "comarketing.sqlite"
        )
    config["SQLALCHEMY_DATABASE_URI"] = _normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(config)
    if config.get("REPORTS_DATABASE_URL"):
        reports_url = _normalise_database_url(str(config["REPORTS_DATABASE_URL"]))
        config["REPORTS_DATABASE_URL"] = reports_url
        # A Flask-SQLAlchemy bind no model names: only the report queries are sent to it.
        binds = dict(config.get("SQLALCHEMY_BINDS") or {})
        binds["reports"] = {"url": reports_url, **_engine_options(config, reports_url)}
        config["SQLALCHEMY_BINDS"] = binds
    production = config["ENV_NAME"] == "production" and not config.get("TESTING")
    if config["JOBS_BACKEND"] is None:
        config["JOBS_BACKEND"] = "inline" if config.get("TESTING") else "celery"
    if config["JOBS_BACKEND"] not in ("inline", "celery"):
        raise RuntimeError('JOBS_BACKEND must be "inline" or "celery".')
    config["RATELIMIT_STORAGE_URI"] = _rate_limit_storage(config, production)
    if str(config["RATELIMIT_STORAGE_URI"]).startswith(("redis://", "rediss://")):
        # A stopped or frozen Redis must not hold a page: a check waits this long at most.
        timeout = float(config["REDIS_TIMEOUT"])
        options = dict(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("socket_timeout", timeout)
        options.setdefault("socket_connect_timeout", timeout)
        config["RATELIMIT_STORAGE_OPTIONS"] = options

    def default(key: str, value: Any) -> None:
        if config.get(key) is None:
            config[key] = value

    default("PRECOMPILE_TEMPLATES", production)

    # Outside development the session cookie only travels over HTTPS, and the __Host- prefix
    # pins it to this exact host and path.
    if production:
        default("SESSION_COOKIE_SECURE", True)
        default("REMEMBER_COOKIE_SECURE", True)
        if config["SESSION_COOKIE_SECURE"]:
            default("SESSION_COOKIE_NAME", "__Host-session")
            default("REMEMBER_COOKIE_NAME", "__Host-remember")
    default("SESSION_COOKIE_SECURE", False)
    default("SESSION_COOKIE_NAME", "session")
    default("REMEMBER_COOKIE_SECURE", config["SESSION_COOKIE_SECURE"])
    default("REMEMBER_COOKIE_NAME", "remember_token")
    config["SESSION_COOKIE_PATH"] = "/"
    config["REMEMBER_COOKIE_PATH"] = "/"
    config["SESSION_COOKIE_DOMAIN"] = None
    config["REMEMBER_COOKIE_DOMAIN"] = None

    config["SECRET_KEY"] = _secret_key(app, production)


def _rate_limit_storage(config: Any, production: bool) -> str:
    explicit = config.get("RATELIMIT_STORAGE_URI")
    if explicit:
        if production and str(explicit).startswith("memory://"):
            log.warning(
                "RATELIMIT_STORAGE_URI is memory://: every worker process keeps its own "
                "sign-in and API limits, so N workers admit N times the configured attempts. "
                "Set REDIS_URL for a shared count."
            )
        return str(explicit)
    if config["REDIS_URL"]:
        return str(config["REDIS_URL"])
    if production:
        raise RuntimeError(
            "REDIS_URL must be set in production: rate limits kept in each worker's memory "
            "let N workers admit N times the configured attempts. To accept that (a single "
            "process), set RATELIMIT_STORAGE_URI=memory:// explicitly."
        )
    return "memory://"


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _server_options(config: Any) -> str:
    """The ``options`` of every PostgreSQL connection: JIT off (it compiles the reports'
    aggregates for longer than they take to run: bench/reports.py measured the dashboard
    15-35 % slower with it on), and the server-side timeouts in milliseconds."""
    settings = {
        "jit": "off",
        "statement_timeout": config["DB_STATEMENT_TIMEOUT"],
        "lock_timeout": config["DB_LOCK_TIMEOUT"],
        "idle_in_transaction_session_timeout": config["DB_IDLE_IN_TRANSACTION_TIMEOUT"],
    }
    return " ".join(
        f"-c {name}={value if name == 'jit' else int(float(value or 0) * 1000)}"
        for name, value in settings.items()
    )


def _engine_options(config: Any, url: str | None = None) -> dict[str, Any]:
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    options.setdefault("pool_pre_ping", True)
    url = url or config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        # Fail fast when the database is down, so pages answer 503 within seconds, not minutes.
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("connect_timeout", config["DB_CONNECT_TIMEOUT"])
        connect_args.setdefault("options", _server_options(config))
        options["connect_args"] = connect_args
        options.setdefault("pool_timeout", config["DB_CONNECT_TIMEOUT"])
    elif url.startswith("sqlite"):
        connect_args = dict(options.get("connect_args", {}))
        connect_args.setdefault("timeout", 15)
        options["connect_args"] = connect_args
    return options


def _secret_key(app: Flask, production: bool) -> str:
    key = app.config.get("SECRET_KEY")
    if production:
        if not key or key in KNOWN_DEFAULT_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters in production "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        return str(key)
    if key:
        return str(key)
    # Development: generate once and keep it in instance/, so sessions survive restarts.
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()

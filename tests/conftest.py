"""Test fixtures.

The suite runs on SQLite by default and on PostgreSQL with ``--backend=postgresql`` (which
needs TEST_DATABASE_URL pointing at a server where it may create a database). Each session
creates its own database, builds the schema through the real migrations, and empties every
table after each test: no test depends on leftover state.

No app context stays pushed during a test: Flask would reuse it for every client request,
sharing ``g`` and the database session between "different" requests. Tests that touch the
database open ``with app.app_context():`` themselves (or use the ``ctx`` fixture).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from comarketing import create_app
from comarketing.extensions import db
from tests import factories
from tests.databases import throwaway_postgresql

TEST_PASSWORD = factories.TEST_PASSWORD
# Uploaded result files go to a folder of this run, not the project's instance/.
_UPLOADS = tempfile.mkdtemp(prefix="comarketing-uploads-")
atexit.register(shutil.rmtree, _UPLOADS, ignore_errors=True)

# argon2id with small parameters: same algorithm and format, a fraction of the time.
FAST_HASHING = {
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_COST": 1024,
    "PASSWORD_HASH_PARALLELISM": 1,
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database to run the suite on (postgresql needs TEST_DATABASE_URL)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only behaviour (row locks, concurrent writers) is deselected — not skipped —
    # on the SQLite pass; the PostgreSQL pass runs it.
    if config.getoption("--backend") == "postgresql":
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("pg_only") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        pytest.exit("--backend=postgresql needs TEST_DATABASE_URL", returncode=2)
    with throwaway_postgresql(server_url) as url:
        yield url


def base_config(database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "ENV_NAME": "testing",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_URL": "http://localhost",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "MAIL_SERVER": None,
        "METRICS_UPLOAD_DIR": _UPLOADS,
        "COLLATERAL_UPLOAD_DIR": _UPLOADS,
        "CLAIM_PROOF_DIR": _UPLOADS,
        # "Today" for the future-day check of results: the scenes' campaigns run in 2027-2030,
        # so the suite pins it at the last day any date may have; the future-day tests pin
        # their own (or freeze the clock).
        "METRICS_LATEST_DAY": "2100-12-31",
        **FAST_HASHING,
    }


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    """Build the schema once per session through the migrations, as production does."""
    from flask_migrate import upgrade

    app = create_app(base_config(database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def empty_all_tables(app: Flask, dispose: bool = True) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                _empty_postgresql(conn, tables)
            else:
                for name in reversed(tables):
                    conn.execute(sa.text(f"DELETE FROM {name}"))
        if dispose:
            db.engine.dispose()


_SUPERUSER: dict[str, bool] = {}


def _empty_postgresql(conn: sa.Connection, tables: list[str]) -> None:
    """A TRUNCATE of every table costs half a second per test on PostgreSQL (new files for
    each); deleting the few rows a test leaves, in one round trip, a few milliseconds.
    Deleting needs the append-only ledger's trigger off, which ``session_replication_role``
    does for this transaction only — a superuser's right; without it, TRUNCATE."""
    url = conn.engine.url.render_as_string()
    if url not in _SUPERUSER:
        _SUPERUSER[url] = bool(
            conn.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        )
    if not _SUPERUSER[url]:
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        return
    conn.exec_driver_sql(
        "SET LOCAL session_replication_role = replica; "
        + "".join(f"DELETE FROM {name}; " for name in tables)
        # Every sequence back to 1, as RESTART IDENTITY would.
        + "SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'"
    )


@pytest.fixture(scope="session")
def shared_app(migrated: str) -> Iterator[Flask]:
    """The app of every test that asks for no configuration of its own.

    Building an app compiles ~110 URL rules (a quarter of a second); built once, the suite
    spends that time on tests. What a test may leave on it is put back after the test: its
    configuration, its rate-limit counters and the rows in every table.
    """
    app = create_app(base_config(migrated))
    yield app
    with app.app_context():
        db.engine.dispose()


def reset_shared_app(app: Flask, config: dict[str, Any]) -> None:
    from comarketing.extensions import limiter

    app.config.clear()
    app.config.update(config)
    # A fresh store for the rate-limit counters (init_app does not add the hooks twice), as a
    # new app would have; it also undoes an app of the test that re-bound the limiter.
    limiter.init_app(app)


@pytest.fixture
def make_app(migrated: str, shared_app: Flask) -> Iterator[Any]:
    """Build apps with extra configuration; without any, the shared app, unless the test adds
    routes of its own (``own=True``). Every table is emptied after the test."""
    apps: list[Flask] = []
    config = dict(shared_app.config)

    def build(own: bool = False, **overrides: Any) -> Flask:
        if not (own or overrides):
            if shared_app not in apps:
                apps.insert(0, shared_app)
            return shared_app
        app = create_app({**base_config(migrated), **overrides})
        apps.append(app)
        return app

    yield build
    if apps:
        empty_all_tables(apps[0], dispose=apps[0] is not shared_app)
        for extra in apps[1:]:
            with extra.app_context():
                db.engine.dispose()
    if shared_app in apps:
        reset_shared_app(shared_app, config)


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for service-level tests that make no HTTP requests."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> Any:
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, f"sign-in as {email} failed ({response.status_code})"
    return response


@pytest.fixture
def login_as(client: FlaskClient) -> Any:
    def _login(email: str, password: str = TEST_PASSWORD) -> FlaskClient:
        login(client, email, password)
        return client

    return _login


@pytest.fixture
def world(app: Flask) -> factories.World:
    """Companies A, B, C with a user of every role each; A-B and B-C are partners.

    Everything of C, and every B-C record, carries the CANARY marker: nothing signed in as A
    may ever show it.
    """
    with app.app_context():
        return factories.build_world()


@contextlib.contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (all threads, this app's engine)."""
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def write_in(app: Flask, write: Callable[[], Any]) -> None:
    """Run ``write`` (a service call, an edit) in its own app context and commit it, as a
    request would: the tests of kept pages write between two readings of a page."""
    with app.app_context():
        write()
        db.session.commit()
        db.session.remove()


@pytest.fixture
def query_counter(app: Flask) -> Any:
    return lambda: count_queries(app)
